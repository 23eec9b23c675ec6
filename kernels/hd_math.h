/* Scalar math shared by the CPU backend and the CUDA kernels: one source for
 * both. Everything here is CUBIAS_HD (host+device under nvcc, host-only under a
 * C++ compiler). Keep it free of library state. */
#ifndef CUBIAS_HD_MATH_H
#define CUBIAS_HD_MATH_H

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

#define CUBIAS_SQRT2 1.41421356237309504880
#define CUBIAS_INV_SQRT2PI 0.39894228040143267794

/* ---- storage types -> float (exact conversions) ------------------------- */

CUBIAS_HD float cubias_bf16_to_f32(uint16_t h) {
#ifdef __CUDA_ARCH__
  return __uint_as_float((uint32_t)h << 16);
#else
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
}

CUBIAS_HD float cubias_f16_to_f32(uint16_t h) {
#ifdef __CUDA_ARCH__
  return __half2float(__ushort_as_half(h));
#else
  /* Rebias the exponent; Inf/NaN get the float exponent, subnormals are
   * renormalised by subtracting the magic 2^-14 (Giesen's form), written with
   * selects only so the CPU loops vectorise. */
  uint32_t u = (uint32_t)(h & 0x7fffu) << 13;
  uint32_t exp = u & 0x0f800000u;
  u += (uint32_t)(127 - 15) << 23;
  u += exp == 0x0f800000u ? (uint32_t)(128 - 16) << 23 : 0u;
  u += exp == 0 ? 1u << 23 : 0u;
  float f;
  memcpy(&f, &u, sizeof f);
  f = exp == 0 ? f - 6.103515625e-05f : f; /* 2^-14 */
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  bits |= (uint32_t)(h & 0x8000u) << 16;
  memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

/* float -> storage, round to nearest even; overflow gives +-Inf, NaN stays NaN. */
CUBIAS_HD uint16_t cubias_f32_to_bf16(float f) {
#ifdef __CUDA_ARCH__
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#else
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
#endif
}

CUBIAS_HD uint16_t cubias_f32_to_f16(float f) {
#ifdef __CUDA_ARCH__
  return __half_as_ushort(__float2half_rn(f));
#else
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);  /* NaN */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520: Inf */
  if (a < 0x38800000u) {                                   /* below 2^-14: subnormal or 0 */
    /* Add 0.5 (as float): the FPU rounds the mantissa to nearest even for us. */
    float g;
    memcpy(&g, &a, sizeof g);
    g += 0.5f;
    uint32_t b;
    memcpy(&b, &g, sizeof b);
    return (uint16_t)(sign | (uint16_t)(b - 0x3f000000u));
  }
  uint32_t odd = (a >> 13) & 1u;
  a += 0xc8000fffu + odd; /* rebias exponent (-112 << 23) and round */
  return (uint16_t)(sign | (uint16_t)(a >> 13));
#endif
}

/* Store v into element i of a buffer of dtype (0 f32, 1 f16, 2 bf16). */
CUBIAS_HD void cubias_store_as(void *buf, int dtype, int64_t i, float v) {
  if (dtype == 0)
    ((float *)buf)[i] = v;
  else if (dtype == 1)
    ((uint16_t *)buf)[i] = cubias_f32_to_f16(v);
  else
    ((uint16_t *)buf)[i] = cubias_f32_to_bf16(v);
}

/* Load element i of a buffer of dtype as float (exact). */
CUBIAS_HD float cubias_load_as(const void *buf, int dtype, int64_t i) {
  if (dtype == 0) return ((const float *)buf)[i];
  if (dtype == 1) return cubias_f16_to_f32(((const uint16_t *)buf)[i]);
  return cubias_bf16_to_f32(((const uint16_t *)buf)[i]);
}

CUBIAS_HD int cubias_isfinite_f(float x) { return fabsf(x) <= FLT_MAX; }

/* ---- normal distribution (double) --------------------------------------- */

CUBIAS_HD double cubias_normal_pdf(double x) { return CUBIAS_INV_SQRT2PI * exp(-0.5 * x * x); }
CUBIAS_HD double cubias_normal_cdf(double x) { return 0.5 * erfc(-x / CUBIAS_SQRT2); }

/* ---- activations (float, what the statistics kernels evaluate) ---------- */

/* Activation ids match cubias_activation_t. */
enum { CUBIAS_HD_IDENTITY = 0, CUBIAS_HD_RELU = 1, CUBIAS_HD_LEAKY = 2, CUBIAS_HD_TANH = 3,
       CUBIAS_HD_SIGMOID = 4, CUBIAS_HD_GELU = 5, CUBIAS_HD_SILU = 6 };

/* y = phi(x), dy = phi'(x), for finite x. ReLU is leaky with slope 0. */
CUBIAS_HD void cubias_act_eval(int act, float slope, float x, float *y, float *dy) {
  switch (act) {
    case CUBIAS_HD_RELU:
    case CUBIAS_HD_LEAKY: {
      int on = x > 0.0f;
      *y = on ? x : slope * x;
      *dy = on ? 1.0f : slope;
      return;
    }
    case CUBIAS_HD_TANH: {
      float t = tanhf(x);
      *y = t;
      *dy = 1.0f - t * t;
      return;
    }
    case CUBIAS_HD_SIGMOID: {
      float s = 1.0f / (1.0f + expf(-x));
      *y = s;
      *dy = s * (1.0f - s);
      return;
    }
    case CUBIAS_HD_GELU: {
      float cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
      *y = x * cdf;
      *dy = cdf + x * 0.39894228040143268f * expf(-0.5f * x * x);
      return;
    }
    case CUBIAS_HD_SILU: {
      float s = 1.0f / (1.0f + expf(-x));
      *y = x * s;
      *dy = s * (1.0f + x * (1.0f - s));
      return;
    }
    default:
      *y = x;
      *dy = 1.0f;
      return;
  }
}

/* ---- moments: the mergeable per-channel state --------------------------- */

/* count/mean/m2 are the finite entries' moments; sphi, sphi2, sdphi2 are sums
 * of phi, phi^2, phi'^2 (only filled for activations that need them). An empty
 * state has count 0, mean 0, m2 0, min +inf, max -inf. */
typedef struct cubias_moments {
  int64_t count, nonfinite, positive;
  double mean, m2, min, max, sphi, sphi2, sdphi2;
} cubias_moments_t;

#define CUBIAS_MOMENT_FIELDS 10

CUBIAS_HD cubias_moments_t cubias_moments_empty(void) {
  cubias_moments_t m;
  m.count = m.nonfinite = m.positive = 0;
  m.mean = m.m2 = m.sphi = m.sphi2 = m.sdphi2 = 0.0;
  m.min = INFINITY;
  m.max = -INFINITY;
  return m;
}

/* Chan et al.'s pairwise merge: a then b. */
CUBIAS_HD cubias_moments_t cubias_moments_merge(cubias_moments_t a, cubias_moments_t b) {
  cubias_moments_t r;
  r.count = a.count + b.count;
  r.nonfinite = a.nonfinite + b.nonfinite;
  r.positive = a.positive + b.positive;
  if (b.count == 0) {
    r.mean = a.mean;
    r.m2 = a.m2;
  } else if (a.count == 0) {
    r.mean = b.mean;
    r.m2 = b.m2;
  } else {
    double n = (double)r.count;
    double nb_over_n = (double)b.count / n;
    double delta = b.mean - a.mean;
    r.mean = a.mean + delta * nb_over_n;
    r.m2 = a.m2 + b.m2 + delta * delta * (double)a.count * nb_over_n;
  }
  r.min = b.min < a.min ? b.min : a.min;
  r.max = b.max > a.max ? b.max : a.max;
  r.sphi = a.sphi + b.sphi;
  r.sphi2 = a.sphi2 + b.sphi2;
  r.sdphi2 = a.sdphi2 + b.sdphi2;
  return r;
}

/* SoA storage: field f of channel c at index f * channels + c (8-byte words;
 * the three counts are int64, the rest double). */
CUBIAS_HD cubias_moments_t cubias_moments_load(const void *base, int64_t channels, int64_t c) {
  const int64_t *i = (const int64_t *)base;
  const double *d = (const double *)base;
  cubias_moments_t m;
  m.count = i[c];
  m.nonfinite = i[channels + c];
  m.positive = i[2 * channels + c];
  m.mean = d[3 * channels + c];
  m.m2 = d[4 * channels + c];
  m.min = d[5 * channels + c];
  m.max = d[6 * channels + c];
  m.sphi = d[7 * channels + c];
  m.sphi2 = d[8 * channels + c];
  m.sdphi2 = d[9 * channels + c];
  return m;
}

CUBIAS_HD void cubias_moments_store(void *base, int64_t channels, int64_t c, cubias_moments_t m) {
  int64_t *i = (int64_t *)base;
  double *d = (double *)base;
  i[c] = m.count;
  i[channels + c] = m.nonfinite;
  i[2 * channels + c] = m.positive;
  d[3 * channels + c] = m.mean;
  d[4 * channels + c] = m.m2;
  d[5 * channels + c] = m.min;
  d[6 * channels + c] = m.max;
  d[7 * channels + c] = m.sphi;
  d[8 * channels + c] = m.sphi2;
  d[9 * channels + c] = m.sdphi2;
}

/* ---- the per-element accumulation step ----------------------------------- */

/* Activation classes decide which sums an element feeds:
 *  NONE   identity: phi moments follow from mean/var;
 *  LEAKY  relu / leaky relu: phi sums; phi'^2 follows from the counts;
 *  SMOOTH tanh / sigmoid / gelu / silu: phi, phi^2, phi'^2 sums. */
enum { CUBIAS_CLASS_NONE = 0, CUBIAS_CLASS_LEAKY = 1, CUBIAS_CLASS_SMOOTH = 2 };

CUBIAS_HD int cubias_act_class(int act) {
  return act == CUBIAS_HD_IDENTITY ? CUBIAS_CLASS_NONE
         : (act == CUBIAS_HD_RELU || act == CUBIAS_HD_LEAKY) ? CUBIAS_CLASS_LEAKY
                                                              : CUBIAS_CLASS_SMOOTH;
}

/* One lane of accumulation. Sums run in float for at most CUBIAS_RUN_LEN
 * elements, shifted by a pivot p (a finite value of the lane's own chunk, found
 * before the pass: x - p is exact for offset data by Sterbenz), then fold into
 * double totals. This keeps the hot loop in float while the variance of
 * N(1e4, 1) data stays accurate. */
#define CUBIAS_RUN_LEN 16

typedef struct cubias_lane {
  float p;                     /* pivot, valid once have != 0 */
  float s1, s2, f1, f2, g2;    /* current run sums            */
  float mn, mx;
  int have, n, pos, seen;      /* run counts: finite, > 0, pushed */
  double S1, S2, F1, F2, G2;   /* totals                      */
  int N, POS, NF;              /* a chunk holds < 2^31 entries */
} cubias_lane_t;

CUBIAS_HD void cubias_lane_init(cubias_lane_t *l) {
  l->p = 0.0f;
  l->s1 = l->s2 = l->f1 = l->f2 = l->g2 = 0.0f;
  l->mn = INFINITY;
  l->mx = -INFINITY;
  l->have = l->n = l->pos = l->seen = 0;
  l->S1 = l->S2 = l->F1 = l->F2 = l->G2 = 0.0;
  l->N = l->POS = l->NF = 0;
}

/* Pivot search, before the pass: the first finite value offered. */
CUBIAS_HD void cubias_offer_pivot(float x, float &p, int &have) {
  int take = (have == 0) & (fabsf(x) <= FLT_MAX);
  p = take ? x : p;
  have |= take;
}

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
/* Only the CPU statistics engine (host/cpu_engine.inc), which defines
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

/* ---- smooth activations on lanes (the CPU engine) ------------------------ */

/* tanh, sigmoid, GELU and SiLU written with selects and fused multiply-adds
 * only, so the CPU engine runs them on SIMD lanes and on scalar lanes (the
 * lanes left over) with the same bits on every build. exp is Cephes' expf
 * (S. Moshier): x = k ln2 + r with |r| <= ln2/2, a degree-6 polynomial in r,
 * times 2^k; within about 1 ulp, +Inf above 88.72 and 0 below -87.33 (no
 * subnormal results). tanh is Cephes' tanhf: an odd polynomial below |x| =
 * 0.625, 1 - 2 / (exp(2|x|) + 1) above. The normal cdf uses the Chebyshev fit
 * of erfc from Numerical Recipes (erfcc, relative error < 1.2e-7 in exact
 * arithmetic).
 * The CUDA kernels call the device libm instead (cubias_act_eval). */
template <class F>
CUBIAS_HD F cubias_splat(float c) {
  return F{} + c;
}

template <class F, class I>
CUBIAS_HD F cubias_exp_lane(F x_in) {
  F x = x_in > 88.0f ? cubias_splat<F>(88.0f) : x_in;
  x = x < -87.3365447504f ? cubias_splat<F>(-87.3365447504f) : x;
  /* k = round(x / ln2): adding 1.5 * 2^23 rounds to an integer (|x / ln2| < 2^22). */
  const F magic = cubias_splat<F>(12582912.0f);
  const F k = (x * 1.44269504088896341f + magic) - magic;
  F r = cubias_fma(k, cubias_splat<F>(-0.693359375f), x); /* ln2 in two parts */
  r = cubias_fma(k, cubias_splat<F>(2.12194440e-4f), r);
  F p = cubias_splat<F>(1.9875691500e-4f);
  p = cubias_fma(p, r, cubias_splat<F>(1.3981999507e-3f));
  p = cubias_fma(p, r, cubias_splat<F>(8.3334519073e-3f));
  p = cubias_fma(p, r, cubias_splat<F>(4.1665795894e-2f));
  p = cubias_fma(p, r, cubias_splat<F>(1.6666665459e-1f));
  p = cubias_fma(p, r, cubias_splat<F>(5.0000001201e-1f));
  const F e = cubias_fma(p, r * r, r) + 1.0f;
  const I bits = (cubias_to_int(k) + 127) << 23; /* 2^k, k in [-126, 127] */
  F scale;
  memcpy(&scale, &bits, sizeof scale);
  F y = e * scale;
  y = x_in > 88.7228394f ? cubias_splat<F>(INFINITY) : y;
  return x_in < -87.3365447504f ? F{} : y;
}

template <class F, class I>
CUBIAS_HD F cubias_tanh_lane(F x) {
  const F a = cubias_abs_lane(x);
  const F z = x * x;
  F p = cubias_splat<F>(-5.70498872745e-3f);
  p = cubias_fma(p, z, cubias_splat<F>(2.06390887954e-2f));
  p = cubias_fma(p, z, cubias_splat<F>(-5.37397155531e-2f));
  p = cubias_fma(p, z, cubias_splat<F>(1.33314422036e-1f));
  p = cubias_fma(p, z, cubias_splat<F>(-3.33332819422e-1f));
  const F small = cubias_fma(p * z, x, x);
  /* Beyond |x| = 10, tanh rounds to +-1: the cap keeps exp finite. */
  const F e = cubias_exp_lane<F, I>((a < 10.0f ? a : cubias_splat<F>(10.0f)) * 2.0f);
  F big = 1.0f - 2.0f / (e + 1.0f);
  big = x < 0.0f ? -big : big;
  return a < 0.625f ? small : big;
}

/* The standard normal cdf, 0.5 erfc(-x / sqrt 2), through erfc(z) ~ t exp(-z^2
 * + c(t)), t = 1 / (1 + z / 2), z = |x| / sqrt 2. z^2 = x^2 / 2 is taken from x
 * exactly (x^2 = xx + e by fma) and exp(-z^2 + c) as exp(-xx / 2) exp(c - e / 2):
 * a float z^2 near 80 would carry an error of 1e-5 of its own. */
template <class F, class I>
CUBIAS_HD F cubias_ncdf_lane(F x_in) {
  /* Beyond |x| = 14 the cdf is 0 or 1 in float; the cap keeps x^2 finite. */
  F x = x_in < -14.0f ? cubias_splat<F>(-14.0f) : x_in;
  x = x > 14.0f ? cubias_splat<F>(14.0f) : x;
  const F t = 1.0f / (1.0f + cubias_abs_lane(x) * 0.35355339059327376f);
  F q = cubias_splat<F>(0.17087277f);
  q = cubias_fma(q, t, cubias_splat<F>(-0.82215223f));
  q = cubias_fma(q, t, cubias_splat<F>(1.48851587f));
  q = cubias_fma(q, t, cubias_splat<F>(-1.13520398f));
  q = cubias_fma(q, t, cubias_splat<F>(0.27886807f));
  q = cubias_fma(q, t, cubias_splat<F>(-0.18628806f));
  q = cubias_fma(q, t, cubias_splat<F>(0.09678418f));
  q = cubias_fma(q, t, cubias_splat<F>(0.37409196f));
  q = cubias_fma(q, t, cubias_splat<F>(1.00002368f));
  const F xx = x * x;
  const F e = cubias_fma(x, x, -xx);
  const F c = cubias_fma(t, q, cubias_splat<F>(-1.26551223f)) - 0.5f * e;
  const F half_erfc = 0.5f * t * cubias_exp_lane<F, I>(-0.5f * xx) * cubias_exp_lane<F, I>(c);
  return x > 0.0f ? 1.0f - half_erfc : half_erfc;
}

/* y = phi(x), dy = phi'(x) for ACT in {tanh, sigmoid, GELU, SiLU}, finite x
 * (the formulas of cubias_act_eval). */
template <int ACT, class F, class I>
CUBIAS_HD void cubias_smooth_lane(F x, F &y, F &dy) {
  if constexpr (ACT == CUBIAS_HD_TANH) {
    y = cubias_tanh_lane<F, I>(x);
    dy = 1.0f - y * y;
  } else if constexpr (ACT == CUBIAS_HD_GELU) {
    const F cdf = cubias_ncdf_lane<F, I>(x);
    y = x * cdf;
    dy = cdf + x * 0.39894228040143268f * cubias_exp_lane<F, I>(-0.5f * x * x);
  } else {
    static_assert(ACT == CUBIAS_HD_SIGMOID || ACT == CUBIAS_HD_SILU, "a smooth activation");
    const F sg = 1.0f / (1.0f + cubias_exp_lane<F, I>(-x));
    if constexpr (ACT == CUBIAS_HD_SIGMOID) {
      y = sg;
      dy = sg * (1.0f - sg);
    } else {
      y = x * sg;
      dy = sg * (1.0f + x * (1.0f - sg));
    }
  }
}

/* The element step, with selects and bitwise ops only (no branches). A
 * non-finite entry stands in as the pivot: it adds 0 to the sums and cannot
 * move min or max, since the pivot is a finite value of the same chunk. ReLU
 * passes slope 0. The caller counts the entries it pushes; non-finite =
 * pushed - n. FINITE: the caller vouches that every x is finite (or checks
 * afterwards and redoes the step), the selects fold away and the caller adds
 * the finite count n itself. ACT (smooth class): tanh, sigmoid, GELU or SiLU
 * through cubias_smooth_lane, on any lane type (the CPU engine); -1: the
 * runtime act through libm, on scalar lanes (the CUDA kernels). */
template <int CLASS, bool FINITE = false, int ACT = -1, class F, class I>
CUBIAS_HD void cubias_elem(F x, F p, int act, float slope, F &s1, F &s2, F &f1, F &f2, F &g2,
                           F &mn, F &mx, I &n, I &pos) {
  I fin;
  if constexpr (FINITE)
    fin = cubias_true_like(n);
  else
    fin = cubias_abs_lane(x) <= FLT_MAX;
  const F xs = fin ? x : p;
  const F d = xs - p;
  s1 += d;
  s2 = cubias_fma(d, d, s2);
  mn = xs < mn ? xs : mn;
  mx = xs > mx ? xs : mx;
  if constexpr (!FINITE) cubias_count_if(n, fin);
  cubias_count_if(pos, fin & (x > 0.0f));
  if constexpr (CLASS == CUBIAS_CLASS_LEAKY) {
    const F zero = xs - xs;
    F y = xs > 0.0f ? xs : slope * xs;
    y = fin ? y : zero;
    f1 += y;
    f2 = cubias_fma(y, y, f2);
  } else if constexpr (CLASS == CUBIAS_CLASS_SMOOTH) {
    const F zero = xs - xs;
    F y, dy;
    if constexpr (ACT < 0)
      cubias_act_eval(act, slope, xs, &y, &dy);
    else
      cubias_smooth_lane<ACT, F, I>(xs, y, dy);
    y = fin ? y : zero;
    dy = fin ? dy : zero;
    f1 += y;
    f2 = cubias_fma(y, y, f2);
    g2 = cubias_fma(dy, dy, g2);
  }
}

template <int CLASS>
CUBIAS_HD void cubias_lane_push(cubias_lane_t *l, float x, int act, float slope) {
  cubias_elem<CLASS>(x, l->p, act, slope, l->s1, l->s2, l->f1, l->f2, l->g2, l->mn, l->mx,
                     l->n, l->pos);
  l->seen++;
}

/* Lane-type conversions for the fold below: float and int lanes to double
 * lanes, int lanes to float lanes (scalars here, SIMD vectors further down). */
CUBIAS_HD double cubias_widen(float x) { return (double)x; }
CUBIAS_HD double cubias_widen(int x) { return (double)x; }
CUBIAS_HD double cubias_widen(double x) { return x; }
CUBIAS_HD float cubias_to_float(int x) { return (float)x; }
/* The run's own mean p + s1 / n (n > 0), as the next pivot: in float from
 * float sums, from double sums in double (rounded once). */
CUBIAS_HD float cubias_run_mean(float p, float s1, int n) { return p + s1 / (float)n; }
CUBIAS_HD float cubias_run_mean(float p, double s1, int n) {
  return (float)((double)p + s1 / (double)n);
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

/* Fold a run into the double totals (the class skips unused sums), then
 * move the pivot to the run's own mean, p + s1 / n, kept inside the lane's
 * [min, max], shifting the totals exactly (d = p' - p is exact in double). A
 * first value far from the rest spoils at most one run, and a lane whose
 * values drift keeps its pivot close. Inside [min, max], a non-finite entry
 * standing in as the pivot still cannot move them. A run with no finite entry
 * keeps the pivot. Written for scalar lanes (every backend) and SIMD lanes
 * (the CPU engine folds a register of lanes at a time), selects only; the run
 * sums R are float, or double for a run redone by cubias_run_wide. */
template <int CLASS, class F, class D, class I, class R>
CUBIAS_HD void cubias_fold_run(F &p, R &s1, R &s2, R &f1, R &f2, R &g2, F mn, F mx, I &n, I &pos,
                               I &seen, D &S1, D &S2, D &F1, D &F2, D &G2, I &N, I &POS, I &NF) {
  S1 += cubias_widen(s1);
  S2 += cubias_widen(s2);
  if (CLASS != CUBIAS_CLASS_NONE) {
    F1 += cubias_widen(f1);
    F2 += cubias_widen(f2);
  }
  if (CLASS == CUBIAS_CLASS_SMOOTH) G2 += cubias_widen(g2);
  N += n;
  POS += pos;
  NF += seen - n;
  F np = cubias_run_mean(p, s1, n + cubias_one_if(n == 0));
  np = np < mn ? mn : np;
  np = np > mx ? mx : np;
  np = n > 0 ? np : p;
  const D d = cubias_widen(np) - cubias_widen(p);
  const D count = cubias_widen(N);
  S2 += d * (d * count - 2.0 * S1);
  S1 -= d * count;
  p = np;
  s1 = s2 = f1 = f2 = g2 = R{};
  n = pos = seen = I{};
}

/* ---- runs that float cannot hold ------------------------------------------ */

/* The float run sums are right to rounding for most data, and wrong for two
 * kinds of finite data, which the fold therefore checks for:
 *  - overflow: a deviation x - p, a square or a sum of 16 beyond FLT_MAX (about
 *    4e18 and up), or phi^2 beyond it (f2; phi' is bounded): s2 or f2 is +Inf;
 *  - underflow: squares below FLT_MIN (deviations below about 1e-19) round
 *    in float's subnormal range, each off by up to 2^-150. That matters only
 *    when s2 < 2^-100; and it cannot happen when |p| >= 2^-35, since any
 *    nonzero x - p is then at least 2^-59 (both are multiples of 2^-59 or far
 *    apart), its square at least 2^-118; nor when every finite entry of the
 *    run equals p: the lane's min = max = p, or p = 0 with no entry > 0 and
 *    min >= 0 (a run of zeros), or no finite entry at all.
 * A run that fails is redone in double (cubias_run_wide), which holds every
 * finite float's deviations and squares (2^-298 .. 2^258). Thresholds: */
#define CUBIAS_RUN_TINY_S2 7.88860905e-31f   /* 2^-100 */
#define CUBIAS_RUN_TINY_PIVOT 2.91038305e-11f /* 2^-35 */

/* Whether the float sums may be off (1 or -1 for yes, as the lane type's
 * masks), with selects and bitwise ops only, for scalar and SIMD lanes. */
template <int CLASS, class F, class I>
CUBIAS_HD I cubias_run_unsafe(F p, F s2, F f2, F mn, F mx, I n, I pos) {
  I over = !(s2 <= FLT_MAX);
  if (CLASS != CUBIAS_CLASS_NONE) over = over | !(f2 <= FLT_MAX);
  const I all_pivot = ((mn == p) & (mx == p)) | ((p == 0.0f) & (pos == 0) & (mn >= 0.0f)) | (n == 0);
  return over | ((s2 < CUBIAS_RUN_TINY_S2) & (cubias_abs_lane(p) < CUBIAS_RUN_TINY_PIVOT) & !all_pivot);
}

/* A cheap test that every unsafe run passes (nonzero for a suspect run; scalar
 * and SIMD lanes): most runs skip cubias_run_unsafe. */
template <int CLASS, class F, class I>
CUBIAS_HD I cubias_run_suspect(F s2, F f2, I n) {
  I over = !(s2 <= FLT_MAX);
  if (CLASS != CUBIAS_CLASS_NONE) over = over | !(f2 <= FLT_MAX);
  return over | ((s2 < CUBIAS_RUN_TINY_S2) & (n > 0));
}

/* The run's sums in double: its entries at(0) .. at(count - 1) (non-finite ones
 * skipped, as the float step does), deviations from p, squares, and phi as the
 * float step takes it (ACT as in cubias_elem), except leaky ReLU's, which is
 * slope * x in double (it can exceed FLT_MAX). */
template <int CLASS, int ACT, class At>
CUBIAS_HD void cubias_run_wide(At at, int count, float p, int act, float slope, double &s1,
                               double &s2, double &f1, double &f2, double &g2) {
  s1 = s2 = f1 = f2 = g2 = 0.0;
  for (int q = 0; q < count; ++q) {
    const float x = at(q);
    if (!(fabsf(x) <= FLT_MAX)) continue;
    const double d = (double)x - (double)p;
    s1 += d;
    s2 += d * d;
    if (CLASS == CUBIAS_CLASS_LEAKY) {
      const double neg = (double)slope * (double)x;
      const double y = x > 0.0f ? (double)x : neg;
      f1 += y;
      f2 += y * y;
    } else if (CLASS == CUBIAS_CLASS_SMOOTH) {
      float y, dy;
      if constexpr (ACT < 0)
        cubias_act_eval(act, slope, x, &y, &dy);
      else
        cubias_smooth_lane<ACT, float, int>(x, y, dy);
      f1 += (double)y;
      f2 += (double)y * (double)y;
      g2 += (double)dy * (double)dy;
    }
  }
}

/* Fold one scalar lane's run (cubias_fold_run), first redoing its sums in
 * double when the float ones may be off. at(q) reads the run's q-th entry,
 * q < seen (the entries pushed since the last fold). */
template <int CLASS, int ACT, class At>
CUBIAS_HD void cubias_finish_run(float &p, float &s1, float &s2, float &f1, float &f2, float &g2,
                                 float mn, float mx, int &n, int &pos, int &seen, double &S1,
                                 double &S2, double &F1, double &F2, double &G2, int &N, int &POS,
                                 int &NF, At at, int act, float slope) {
  if (cubias_run_suspect<CLASS>(s2, f2, n) && cubias_run_unsafe<CLASS>(p, s2, f2, mn, mx, n, pos)) {
    double w1, w2, v1, v2, u2;
    cubias_run_wide<CLASS, ACT>(at, seen, p, act, slope, w1, w2, v1, v2, u2);
    cubias_fold_run<CLASS>(p, w1, w2, v1, v2, u2, mn, mx, n, pos, seen, S1, S2, F1, F2, G2, N, POS,
                           NF);
    s1 = s2 = f1 = f2 = g2 = 0.0f;
  } else {
    cubias_fold_run<CLASS>(p, s1, s2, f1, f2, g2, mn, mx, n, pos, seen, S1, S2, F1, F2, G2, N, POS,
                           NF);
  }
}

/* Fold a lane's run (the CUDA kernels); at(q) as in cubias_finish_run. */
template <int CLASS, class At>
CUBIAS_HD void cubias_lane_flush(cubias_lane_t *l, At at, int act, float slope) {
  cubias_finish_run<CLASS, -1>(l->p, l->s1, l->s2, l->f1, l->f2, l->g2, l->mn, l->mx, l->n, l->pos,
                               l->seen, l->S1, l->S2, l->F1, l->F2, l->G2, l->N, l->POS, l->NF, at,
                               act, slope);
}

/* A flushed lane as mergeable moments. */
template <int CLASS>
CUBIAS_HD cubias_moments_t cubias_lane_moments(const cubias_lane_t *l) {
  cubias_moments_t m = cubias_moments_empty();
  m.count = l->N;
  m.nonfinite = l->NF;
  m.positive = l->POS;
  if (l->N > 0) {
    double n = (double)l->N;
    double dm = l->S1 / n;
    m.mean = (double)l->p + dm;
    double m2 = l->S2 - l->S1 * dm;
    m.m2 = m2 > 0.0 ? m2 : 0.0;
    m.min = l->mn;
    m.max = l->mx;
  }
  if (CLASS != CUBIAS_CLASS_NONE) {
    m.sphi = l->F1;
    m.sphi2 = l->F2;
  }
  if (CLASS == CUBIAS_CLASS_SMOOTH) m.sdphi2 = l->G2;
  return m;
}

/* ---- results -------------------------------------------------------------- */

/* Finalised per-channel numbers (see cubias_channel_stats_t). */
typedef struct cubias_final {
  double count, nonfinite, positive, mean, var, var_unbiased, std, min, max, active_fraction,
      phi_mean, phi_sq_mean, dphi_sq_mean;
} cubias_final_t;

CUBIAS_HD cubias_final_t cubias_moments_finalize(cubias_moments_t m, int act, float slope) {
  cubias_final_t f;
  f.count = (double)m.count;
  f.nonfinite = (double)m.nonfinite;
  f.positive = (double)m.positive;
  if (m.count == 0) {
    f.mean = f.var = f.var_unbiased = f.std = f.min = f.max = f.active_fraction = NAN;
    f.phi_mean = f.phi_sq_mean = f.dphi_sq_mean = NAN;
    return f;
  }
  double n = (double)m.count;
  f.mean = m.mean;
  f.var = m.m2 / n;
  f.var_unbiased = m.count > 1 ? m.m2 / (n - 1.0) : NAN;
  f.std = sqrt(f.var);
  f.min = m.min;
  f.max = m.max;
  f.active_fraction = (double)m.positive / n;
  int cls = cubias_act_class(act);
  if (cls == CUBIAS_CLASS_NONE) {
    f.phi_mean = f.mean;
    f.phi_sq_mean = f.var + f.mean * f.mean;
    f.dphi_sq_mean = 1.0;
  } else {
    f.phi_mean = m.sphi / n;
    f.phi_sq_mean = m.sphi2 / n;
    if (cls == CUBIAS_CLASS_LEAKY) {
      double s = act == CUBIAS_HD_RELU ? 0.0 : (double)slope;
      f.dphi_sq_mean = f.active_fraction + s * s * (1.0 - f.active_fraction);
    } else {
      f.dphi_sq_mean = m.sdphi2 / n;
    }
  }
  return f;
}

CUBIAS_HD double cubias_final_field(const cubias_final_t *f, int field) {
  switch (field) {
    case 0: return f->count;
    case 1: return f->nonfinite;
    case 2: return f->positive;
    case 3: return f->mean;
    case 4: return f->var;
    case 5: return f->var_unbiased;
    case 6: return f->std;
    case 7: return f->min;
    case 8: return f->max;
    case 9: return f->active_fraction;
    case 10: return f->phi_mean;
    case 11: return f->phi_sq_mean;
    default: return f->dphi_sq_mean;
  }
}

#endif /* CUBIAS_HD_MATH_H */
