/* CUBIAS_HD: the math headers in kernels/ are compiled for both processors,
 * __host__ __device__ under nvcc and plain inline C++ otherwise. Keep them free
 * of library state. */
#ifndef CUBIAS_HOST_DEVICE_H
#define CUBIAS_HOST_DEVICE_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#define CUBIAS_HD __host__ __device__ __forceinline__
#else
#define CUBIAS_HD inline __attribute__((always_inline))
#endif

#endif /* CUBIAS_HOST_DEVICE_H */
