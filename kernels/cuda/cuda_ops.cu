// The CUDA backend's table of operations (kernels/backend.h); without CUDA,
// kernels/cuda/cuda_stub.cpp defines it from the stand-ins.
#include "../derive_ops.h"
#include "../gain_math.h"

extern const cubias_backend_ops cubias_cuda_ops =
    CUBIAS_BACKEND_OPS_OF(cubias_cuda, cubias_cuda_prior_finish);
