/* Lane types: the accumulation step is written once for a scalar lane (float,
 * int; every backend) and for a SIMD vector of lanes (GCC vector types, the
 * CPU engine, which defines CUBIAS_CPU_SIMD). The helpers that let one source
 * serve both. */
#ifndef CUBIAS_LANES_H
#define CUBIAS_LANES_H

#include "host_device.h"

/* a * b + c with one rounding (scalar lanes; the SIMD form is further down). */
CUBIAS_HD float cubias_fma(float a, float b, float c) { return fmaf(a, b, c); }

/* Lane-type helpers: the element step below is written once for a scalar lane
 * (float, int; every backend) and for a SIMD vector of lanes (GCC vector
 * types, the CPU backend's hot loop). Masks are 0/1 for scalars and 0/-1 for
 * vectors; cubias_one_if turns either into a 0/1 count, cubias_count_if adds
 * it. Squares are summed with one rounding (cubias_fma) on every backend:
 * what nvcc does by default, and one instruction on the CPU. */
CUBIAS_HD float cubias_abs_lane(float x) { return fabsf(x); }
CUBIAS_HD int cubias_one_if(int mask) { return mask & 1; }
/* A select, which AVX-512 turns into one masked add. */
template <class I>
CUBIAS_HD void cubias_count_if(I &count, I mask) {
  count = mask ? count + 1 : count;
}
CUBIAS_HD int cubias_true_like(int) { return 1; }
CUBIAS_HD int cubias_to_int(float x) { return (int)x; }
/* Only the CPU statistics engine (kernels/cpu/cpu_engine.inc), which defines
 * CUBIAS_CPU_SIMD, uses them. */
#if !defined(__CUDACC__) && defined(CUBIAS_CPU_SIMD)
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif
/* One register of float lanes for the ISA the engine file is built for: 16
 * with AVX-512, 8 with AVX2, 4 otherwise (SSE2, NEON). Wider GCC vectors than
 * the registers spill. */
#if defined(__AVX512F__)
#define CUBIAS_CPU_LANES 16
#elif defined(__AVX__)
#define CUBIAS_CPU_LANES 8
#else
#define CUBIAS_CPU_LANES 4
#endif
typedef float cubias_vf __attribute__((vector_size(4 * CUBIAS_CPU_LANES)));
typedef int cubias_vi __attribute__((vector_size(4 * CUBIAS_CPU_LANES)));
/* Comparisons stay in the templates that use them: GCC lowers a vector
 * compare inside a plain inline function for the default ISA. */
CUBIAS_HD cubias_vf cubias_abs_lane(cubias_vf x) { return (cubias_vf)((cubias_vi)x & 0x7fffffff); }
CUBIAS_HD cubias_vi cubias_one_if(cubias_vi mask) { return mask & 1; }
CUBIAS_HD cubias_vi cubias_true_like(cubias_vi) { return cubias_vi{} - 1; }
CUBIAS_HD cubias_vi cubias_to_int(cubias_vf x) { return __builtin_convertvector(x, cubias_vi); }
#if defined(__AVX512F__) || defined(__FMA__)
CUBIAS_HD
#else
/* Four libm calls without an FMA unit: one call site for them keeps the
 * baseline build small (it compiled 4x slower with them inlined everywhere). */
inline __attribute__((noinline))
#endif
cubias_vf cubias_fma(cubias_vf a, cubias_vf b, cubias_vf c) {
#if defined(__AVX512F__)
  __m512 x, y, z;
#elif defined(__FMA__)
  __m256 x, y, z;
#endif
#if defined(__AVX512F__) || defined(__FMA__)
  static_assert(sizeof x == sizeof a, "one register of lanes");
  memcpy(&x, &a, sizeof x), memcpy(&y, &b, sizeof y), memcpy(&z, &c, sizeof z);
#if defined(__AVX512F__)
  z = _mm512_fmadd_ps(x, y, z);
#else
  z = _mm256_fmadd_ps(x, y, z);
#endif
  memcpy(&c, &z, sizeof c);
#else
  for (int k = 0; k < CUBIAS_CPU_LANES; ++k) c[k] = fmaf(a[k], b[k], c[k]); /* correctly rounded */
#endif
  return c;
}
#endif

/* Lane-type conversions for the fold below: float and int lanes to double
 * lanes, int lanes to float lanes (scalars here, SIMD vectors further down). */
CUBIAS_HD double cubias_widen(float x) { return (double)x; }
CUBIAS_HD double cubias_widen(int x) { return (double)x; }
CUBIAS_HD double cubias_widen(double x) { return x; }
CUBIAS_HD float cubias_to_float(int x) { return (float)x; }
/* The run's own mean p + s1 / n (n > 0), as the next pivot: in float from
 * float sums; from double sums in double, times float's 1 / n (no double
 * division: on the GPU that is a called routine, which spills), kept in
 * float's range. */
/* The run's mean, the next pivot: p + s1 / (float)n, the CPU's vector lanes' float
 * division, bit for bit on both processors. On the GPU IEEE float division calls a
 * slow-path subroutine, which made the redo kernels spill: the quotient of the two
 * floats is taken in double without a call (cubias_div_count) and rounded to float,
 * which gives the IEEE float quotient (a correctly rounded double quotient of floats
 * rounds to the correctly rounded float one: 53 >= 2 * 24 + 2). The divisor is
 * (float)n on both: the GPU's former branch divided by the exact n and differed from
 * the CPU for runs longer than 2^24 (DeviceMathModels.RunMeanEqualsFloatDivision). */
CUBIAS_HD float cubias_run_mean(float p, float s1, int n) {
  return p + (float)cubias_div_count((double)s1, (double)(float)n);
}
CUBIAS_HD float cubias_run_mean(float p, double s1, int n) {
  double m = (double)p + s1 * (double)(1.0f / (float)n);
  m = m < -FLT_MAX ? -FLT_MAX : m;
  return (float)(m > FLT_MAX ? FLT_MAX : m);
}
#if !defined(__CUDACC__) && defined(CUBIAS_CPU_SIMD)
typedef double cubias_vd __attribute__((vector_size(8 * CUBIAS_CPU_LANES)));
CUBIAS_HD cubias_vd cubias_widen(cubias_vf x) { return __builtin_convertvector(x, cubias_vd); }
CUBIAS_HD cubias_vd cubias_widen(cubias_vi x) { return __builtin_convertvector(x, cubias_vd); }
CUBIAS_HD cubias_vf cubias_to_float(cubias_vi x) { return __builtin_convertvector(x, cubias_vf); }
CUBIAS_HD cubias_vf cubias_run_mean(cubias_vf p, cubias_vf s1, cubias_vi n) {
  return p + s1 / cubias_to_float(n);
}
#endif

#endif /* CUBIAS_LANES_H */
