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
#ifdef CUBIAS_EMU_DEVICE
/* The emulated device's kernels (tests/emu): its instruction models and plants. */
#include <cuda_runtime.h>
#endif

/* p[i] as a load or store of device memory, for code the GPU runs (the kernels
 * and these headers): plainly under nvcc and on the CPU; in the emulated device's
 * build (tests/emu) each is checked against the buffer p points into
 * (tests/emu/include/cubias_emu/access.h). */
#ifdef CUBIAS_EMU
#include <cubias_emu/access.h>
#define CUBIAS_LD(p, i) (::cubias_emu::ld((p), (i)))
#define CUBIAS_ST(p, i, v) (::cubias_emu::st((p), (i), (v)))
#else
#define CUBIAS_LD(p, i) ((p)[i])
#define CUBIAS_ST(p, i, v) ((void)((p)[i] = (v)))
#endif

/* a / n from an estimate y0 of 1 / n (relative error below 2^-20): two Newton steps
 * and a residual correction, the fast path of IEEE division, correctly rounded for
 * finite numerators with normal quotients, and for zeros (tested on the host with
 * perturbed estimates). An infinite numerator gives NaN: every caller's numerator is
 * finite, except a float run's sums that overflowed, which the redo replaces. */
CUBIAS_HD double cubias_div_refine(double a, double n, double y0) {
  double e = fma(-n, y0, 1.0);
  double y = fma(y0, e, y0);
  e = fma(-n, y, 1.0);
  y = fma(y, e, y);
  const double q = a * y;
  const double r = fma(fma(-n, q, a), y, q);
  return a == 0.0 ? q : r;  // q keeps the sign of a zero numerator (r would be +0)
}

/* a / n for a count n >= 1. On the GPU without a call: IEEE double division's
 * slow-path subroutine call made the statistics kernels spill the lanes live
 * across it; the hardware reciprocal estimate (about 2^-23) refined instead.
 * Subnormal quotients may differ from a / n by an ulp, the same on every run. */
CUBIAS_HD double cubias_div_count(double a, double n) {
#ifdef __CUDA_ARCH__
  double y0;
  asm("rcp.approx.ftz.f64 %0, %1;" : "=d"(y0) : "d"(n));
  return cubias_div_refine(a, n, y0);
#elif defined(CUBIAS_EMU_DEVICE)
  /* The emulated device's kernels (tests/emu) run the GPU's path: the instruction's
   * host model (cubias_emu::rcp_approx_ftz_f64, within its error bound), refined. */
  return cubias_div_refine(a, n, cubias_emu::rcp_approx_ftz_f64(n));
#else
  return a / n;
#endif
}

#endif /* CUBIAS_HOST_DEVICE_H */
