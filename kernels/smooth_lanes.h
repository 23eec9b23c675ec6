/* tanh, sigmoid, GELU and SiLU on lanes (the CPU engine's forms). */
#ifndef CUBIAS_SMOOTH_LANES_H
#define CUBIAS_SMOOTH_LANES_H

#include "activations.h"
#include "lanes.h"

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

#endif /* CUBIAS_SMOOTH_LANES_H */
