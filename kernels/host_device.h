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

/* a / n for a count n >= 1. On the GPU without a call: IEEE double division's
 * slow-path subroutine call made the statistics kernels spill the lanes live across
 * it. A reciprocal estimate, two Newton steps and a residual correction (the fast
 * path of the division itself) give the correctly rounded quotient for normal
 * operands; subnormal quotients may differ by an ulp, the same on every run. */
CUBIAS_HD double cubias_div_count(double a, double n) {
#ifdef __CUDA_ARCH__
  double y;
  asm("rcp.approx.ftz.f64 %0, %1;" : "=d"(y) : "d"(n));
  double e = fma(-n, y, 1.0);
  y = fma(y, e, y);
  e = fma(-n, y, 1.0);
  y = fma(y, e, y);
  const double q = a * y;
  return fma(fma(-n, q, a), y, q);
#else
  return a / n;
#endif
}

#endif /* CUBIAS_HOST_DEVICE_H */
