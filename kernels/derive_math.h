/* Per-channel math of the bias derivations I (centering, normalisation,
 * post-activation shift, symmetric-activation shift, dead-unit revival),
 * shared by the CPU backend (kernels/cpu/derive_cpu.cpp) and the CUDA kernels
 * (kernels/cuda/derive_kernels.cu): one source for both. Everything is CUBIAS_HD. */
#ifndef CUBIAS_DERIVE_MATH_H
#define CUBIAS_DERIVE_MATH_H

#include "dtype.h"
#include "finalize.h"
#include "moments.h"
#include "normal.h"

/* ---- reading one channel of a statistics state ------------------------- */

CUBIAS_HD cubias_final_t cubias_derive_final(const void *state, int64_t C, int64_t c, int act,
                                             float slope) {
  return cubias_moments_finalize(cubias_moments_load(state, C, c), act, slope);
}

/* ---- weights: element (j, i) of W [out, in] ---------------------------- */

CUBIAS_HD int64_t cubias_derive_widx(int col_major, int64_t ld, int64_t j, int64_t i) {
  return col_major ? i * ld + j : j * ld + i;
}

/* ---- data-dependent normalisation -------------------------------------- */

/* Factor s / sigma for a channel, or 0 when the channel is left untouched
 * (no finite data, sigma == 0, or a non-finite result). */
CUBIAS_HD double cubias_derive_norm_factor(const cubias_final_t *f, double s) {
  if (!(f->count > 0.0) || !(f->std > 0.0)) return 0.0;
  double k = s / f->std;
  return (k > 0.0 && k <= DBL_MAX) ? k : 0.0;
}

/* ---- Gaussian closed forms of E[phi(z)], Var[phi(z)] ------------------- */

/* z ~ N(mu, sigma^2); phi(z) = z for z > 0, a*z otherwise (ReLU: a = 0,
 * identity: a = 1). With alpha = mu / sigma:
 *   P  = E[z 1{z>0}]   = mu Phi(alpha) + sigma pdf(alpha)
 *   N  = E[z 1{z<=0}]  = mu Phi(-alpha) - sigma pdf(alpha)
 *   P2 = E[z^2 1{z>0}] = (mu^2 + sigma^2) Phi(alpha) + mu sigma pdf(alpha)
 *   N2 = E[z^2 1{z<=0}]= (mu^2 + sigma^2) Phi(-alpha) - mu sigma pdf(alpha)
 *   E[phi] = P + a N, E[phi^2] = P2 + a^2 N2, dead = P(z <= 0) = Phi(-alpha). */
CUBIAS_HD void cubias_derive_gauss_leaky(double a, double mu, double sigma, double *mean,
                                         double *var, double *dead) {
  if (!(sigma > 0.0)) { /* a point mass at mu */
    double y = mu > 0.0 ? mu : a * mu;
    *mean = y;
    *var = 0.0;
    *dead = mu > 0.0 ? 0.0 : 1.0;
    return;
  }
  double al = mu / sigma;
  double pu = cubias_normal_cdf(al), pl = cubias_normal_cdf(-al), d = cubias_normal_pdf(al);
  double s2 = mu * mu + sigma * sigma;
  double P = mu * pu + sigma * d, Nn = mu * pl - sigma * d;
  double P2 = s2 * pu + mu * sigma * d, N2 = s2 * pl - mu * sigma * d;
  double m = P + a * Nn;
  double v = P2 + a * a * N2 - m * m;
  *mean = m;
  *var = v > 0.0 ? v : 0.0;
  *dead = pl;
}

/* ---- symmetric activations --------------------------------------------- */

/* phi'(x) in double for the symmetric activations (tanh: 1 - tanh^2,
 * sigmoid: s (1 - s)); both peak at x = 0. */
CUBIAS_HD double cubias_derive_dphi(int act, double x) {
  if (act == CUBIAS_HD_TANH) {
    double t = tanh(x);
    return 1.0 - t * t;
  }
  double s = 1.0 / (1.0 + exp(-x));
  return s * (1.0 - s);
}

/* Candidates per channel per pass and passes of the grid refinement: the
 * bracket's half-width shrinks by (K - 1) / 2 each pass. */
#define CUBIAS_SYM_K 17
#define CUBIAS_SYM_PASSES 8

/* Candidate k of a grid centred at c with half-width w. */
CUBIAS_HD double cubias_derive_sym_candidate(double c, double w, int k) {
  return c + w * ((double)(2 * k - (CUBIAS_SYM_K - 1)) / (double)(CUBIAS_SYM_K - 1));
}

/* After a pass: the best candidate (first maximum) becomes the centre, the
 * half-width becomes one grid step. sums[k] are the sums of phi'(z + b_k). */
CUBIAS_HD void cubias_derive_sym_select(const double *sums, double n, double *c, double *w,
                                        double *best) {
  int kb = 0;
  for (int k = 1; k < CUBIAS_SYM_K; ++k)
    if (CUBIAS_LD(sums, k) > CUBIAS_LD(sums, kb)) kb = k;
  *c = cubias_derive_sym_candidate(*c, *w, kb);
  *w = *w * (2.0 / (double)(CUBIAS_SYM_K - 1));
  *best = CUBIAS_LD(sums, kb) / n;
}

/* After the last pass: channel c's bias moves by the centre found (channels
 * without data, hw < 0, stay untouched) and the report gets E[phi'] and delta. */
CUBIAS_HD void cubias_derive_sym_finish(int64_t C, int64_t c, const double *ctr, const double *hw,
                                        const double *best, void *bias, int bdt, double *report) {
  const bool ok = CUBIAS_LD(hw, c) >= 0.0;
  if (ok) {
    double b = (double)cubias_load_as(bias, bdt, c);
    cubias_store_as(bias, bdt, c, (float)(b + CUBIAS_LD(ctr, c)));
  }
  if (report) {
    CUBIAS_ST(report, c, ok ? CUBIAS_LD(best, c) : NAN);
    CUBIAS_ST(report, C + c, ok ? CUBIAS_LD(ctr, c) : NAN);
  }
}

/* ---- exact per-channel quantile by radix select ------------------------ */

/* An order-preserving key of a float: key(a) < key(b) iff a < b (-0 < +0). */
CUBIAS_HD uint32_t cubias_derive_key(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

CUBIAS_HD float cubias_derive_unkey(uint32_t k) {
  uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

#define CUBIAS_RADIX_BITS 8
#define CUBIAS_RADIX_BINS 256
#define CUBIAS_RADIX_PASSES 4

/* Does key match the digits already chosen (the top 8*pass bits)? */
CUBIAS_HD int cubias_derive_radix_match(uint32_t key, uint32_t prefix, int pass) {
  if (pass == 0) return 1;
  int shift = 32 - CUBIAS_RADIX_BITS * pass;
  return (key >> shift) == (prefix >> shift);
}

CUBIAS_HD int cubias_derive_radix_digit(uint32_t key, int pass) {
  return (int)((key >> (32 - CUBIAS_RADIX_BITS * (pass + 1))) & (CUBIAS_RADIX_BINS - 1));
}

/* Relative tolerance within which p * n counts as the whole number nearest it. */
#define CUBIAS_DERIVE_RANK_RTOL 1e-12

/* k = ceil(p * n) as a user reads p: a decimal p_min (0.05, 0.1, 0.01) is not
 * exact in binary (0.05 is stored as 0.05000000000000000277), so its exact
 * product with n = 100 is 5.000000000000000277 and a plain ceiling gives 6.
 * Rule: the exact product p * n (rounded product plus its fma remainder) is
 * taken as the whole number r nearest it when |p * n - r| <= 1e-12 * p * n;
 * otherwise k is the exact ceiling of p * n. Clamped to [1, n]. One function
 * for both backends (host and device). */
CUBIAS_HD int64_t cubias_derive_rank(double p, int64_t n) {
  double dn = (double)n;
  double prod = p * dn;
  double err = fma(p, dn, -prod);  // p * n == prod + err exactly
  double whole = floor(prod + 0.5);
  double k;
  if (fabs((prod - whole) + err) <= CUBIAS_DERIVE_RANK_RTOL * prod) {
    k = whole;
  } else {
    k = ceil(prod);
    if (k == prod && err > 0.0) k += 1.0;
  }
  int64_t r = (int64_t)k;
  if (r < 1) r = 1;
  if (r > n) r = n;
  return r;
}

/* One radix-select step on a channel's histogram: choose the digit holding
 * the rank-th largest key among the keys matching prefix; rank becomes the
 * rank inside that digit. */
CUBIAS_HD void cubias_derive_radix_step(const unsigned long long *hist, int pass, uint32_t *prefix,
                                        int64_t *rank) {
  int64_t r = *rank;
  int d = CUBIAS_RADIX_BINS - 1;
  for (; d > 0; --d) {
    int64_t h = (int64_t)CUBIAS_LD(hist, d);
    if (h >= r) break;
    r -= h;
  }
  *prefix |= (uint32_t)d << (32 - CUBIAS_RADIX_BITS * (pass + 1));
  *rank = r;
}

/* The shift of the quantile rule: 0 when the rank-th largest value q is
 * already > 0, else margin - q. */
CUBIAS_HD double cubias_derive_revive_shift(float q, double margin) {
  return q > 0.0f ? 0.0 : margin - (double)q;
}

/* ---- storing with a direction ------------------------------------------ */

/* Store v into element i rounded to nearest; when that falls below v, store
 * the next representable value above instead (so the stored bias is >= v).
 * Returns the stored value. */
CUBIAS_HD double cubias_derive_store_ceil(void *buf, int dtype, int64_t i, double v) {
  cubias_store_as(buf, dtype, i, (float)v);
  double got = (double)cubias_load_as(buf, dtype, i);
  if (got < v) {
    if (dtype == 0) {
      float f = (float)got;
      float up = nextafterf(f, INFINITY);
      CUBIAS_ST((float *)buf, i, up);
    } else {
      uint16_t b = CUBIAS_LD((uint16_t *)buf, i);
      if (b == 0x8000u) b = 0x0001u;      /* -0 -> smallest positive */
      else if (b & 0x8000u) b = (uint16_t)(b - 1u); /* negative: towards 0 */
      else b = (uint16_t)(b + 1u);
      CUBIAS_ST((uint16_t *)buf, i, b);
    }
    got = (double)cubias_load_as(buf, dtype, i);
  }
  return got;
}

/* ---- centering from input, post-activation shift: the vector v of b = t - W v */

enum { CUBIAS_DERIVE_VEC_MEAN = 0, CUBIAS_DERIVE_VEC_PHI_MEASURED = 1,
       CUBIAS_DERIVE_VEC_PHI_GAUSSIAN = 2 };

/* Does the activation have a Gaussian closed form here (identity, ReLU,
 * leaky ReLU)? Its slope for cubias_derive_gauss_leaky goes to *a. */
CUBIAS_HD int cubias_derive_gauss_slope(int act, float slope, double *a) {
  if (act == CUBIAS_HD_IDENTITY) { *a = 1.0; return 1; }
  if (act == CUBIAS_HD_RELU) { *a = 0.0; return 1; }
  if (act == CUBIAS_HD_LEAKY) { *a = (double)slope; return 1; }
  return 0;
}

/* v for one input channel, 0 where the channel has no data. When report is
 * non-NULL, its 4 entries (stride C apart) get: measured - Gaussian mean,
 * measured - Gaussian variance, Gaussian mean, Gaussian variance (NaN where no
 * data). */
CUBIAS_HD double cubias_derive_vec(int kind, const cubias_final_t *f, int act, float slope,
                                   double *report, int64_t C) {
  int has = f->count > 0.0;
  double gm = NAN, gv = NAN, dead = NAN, a = 0.0;
  if (has && (kind == CUBIAS_DERIVE_VEC_PHI_GAUSSIAN || report) &&
      cubias_derive_gauss_slope(act, slope, &a))
    cubias_derive_gauss_leaky(a, f->mean, f->std, &gm, &gv, &dead);
  if (report) {
    double mm = has ? f->phi_mean : NAN;
    double mv = has ? f->phi_sq_mean - f->phi_mean * f->phi_mean : NAN;
    CUBIAS_ST(report, 0, mm - gm);
    CUBIAS_ST(report, C, mv - gv);
    CUBIAS_ST(report, 2 * C, gm);
    CUBIAS_ST(report, 3 * C, gv);
  }
  if (!has) return 0.0;
  if (kind == CUBIAS_DERIVE_VEC_MEAN) return f->mean;
  if (kind == CUBIAS_DERIVE_VEC_PHI_MEASURED) return f->phi_mean;
  return gm;
}

#endif /* CUBIAS_DERIVE_MATH_H */
