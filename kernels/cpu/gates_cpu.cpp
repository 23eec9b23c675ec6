// CPU side of the recurrent gate writes (the CUDA side is kernels/cuda/gates_kernels.cu).
#include "../backend.h"
#include "../dtype.h"
#include "../gates_math.h"

cubias_status_t cubias_cpu_gates_write(cubias_handle_t h, const cubias_gate_seg_t *segs, int nseg,
                                       int64_t H, const cubias_gate_params_t *p, int dtype) {
  for (int i = 0; i < nseg; ++i) {
    const cubias_gate_seg_t &s = segs[i];
    for (int64_t j = 0; j < H; ++j)
      cubias_store_as(s.ptr, dtype, s.offset + j,
                      cubias_gate_role_value(s.role, cubias_gate_unit_bias(p, s.ld, j)));
  }
  return CUBIAS_STATUS_SUCCESS;
}
