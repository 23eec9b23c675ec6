/* Math of the gradient-gain check shared by the CPU backend and the CUDA
 * kernels (CUBIAS_HD: host+device under nvcc, host-only under a C++ compiler):
 *  - the normal quantile Phi^-1 (Acklam's rational approximation refined by
 *    one Halley step on erfc: about 1e-15 relative),
 *  - the fixed reduction plan of the weight statistics fan_in * E[W^2]
 *    (chunks, 256 lanes, float runs of 16 folded into double, fixed trees),
 *  - the fixed-order per-layer pooling of per-channel statistics fields,
 *  - the scalar formulas of the report (largest bias keeping chi <= target).
 * Both backends run exactly the same arithmetic in the same order, so their
 * results agree bit for bit (on the host, x86-64 code without FMA contraction). */
#ifndef CUBIAS_GAIN_MATH_H
#define CUBIAS_GAIN_MATH_H

#include "dtype.h"
#include "normal.h"
#include "plan.h"
#include "weight_view.h"

/* ---- normal quantile ------------------------------------------------------ */

/* Phi^-1(p): -inf at p = 0, +inf at p = 1, NaN outside [0, 1] or for NaN.
 * Acklam's approximation (relative error 1.15e-9) plus one Halley step on the
 * exact cdf (erfc), using the complementary tail for x > 0 so p near 1 keeps
 * its accuracy. */
CUBIAS_HD double cubias_normal_quantile(double p) {
  if (!(p >= 0.0 && p <= 1.0)) return NAN;
  if (p == 0.0) return -INFINITY;
  if (p == 1.0) return INFINITY;
  const double a0 = -3.969683028665376e+01, a1 = 2.209460984245205e+02,
               a2 = -2.759285104469687e+02, a3 = 1.383577518672690e+02,
               a4 = -3.066479806614716e+01, a5 = 2.506628277459239e+00;
  const double b0 = -5.447609879822406e+01, b1 = 1.615858368580409e+02,
               b2 = -1.556989798598866e+02, b3 = 6.680131188771972e+01,
               b4 = -1.328068155288572e+01;
  const double c0 = -7.784894002430293e-03, c1 = -3.223964580411365e-01,
               c2 = -2.400758277161838e+00, c3 = -2.549732539343734e+00,
               c4 = 4.374664141464968e+00, c5 = 2.938163982698783e+00;
  const double d0 = 7.784695709041462e-03, d1 = 3.224671290700398e-01,
               d2 = 2.445134137142996e+00, d3 = 3.754408661907416e+00;
  const double plow = 0.02425;
  double x;
  if (p < plow) {
    double q = sqrt(-2.0 * log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
        ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0);
  } else if (p <= 1.0 - plow) {
    double q = p - 0.5, r = q * q;
    x = (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q /
        (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1.0);
  } else {
    double q = sqrt(-2.0 * log1p(-p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
        ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0);
  }
  /* Halley: e = Phi(x) - p, u = e / phi(x). */
  double e = x <= 0.0 ? 0.5 * erfc(-x / CUBIAS_SQRT2) - p
                      : (1.0 - p) - 0.5 * erfc(x / CUBIAS_SQRT2);
  double u = e * 2.50662827463100050242 * exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

/* ---- weight statistics: the fixed reduction plan -------------------------- */

/* A weight matrix is walked in storage order: `lines` lines (rows of a
 * row-major [out, in], columns of a column-major one) of `len` entries, line k
 * starting at k * ld. Logical entry e (0 <= e < lines * len) is at
 * (e / len) * ld + e % len. The entries are cut into chunks of `chunk`; in a
 * chunk, lane t (of CUBIAS_GAIN_LANES) takes entries c0 + t + k * LANES,
 * squares them in float and sums runs of CUBIAS_GAIN_RUN in float, each run
 * folded into a double total; lanes are merged by the tree of
 * cubias_gain_tree (offsets 128, 64, ..., 1), chunks by the 32-lane order of
 * kernels/plan.h (CUBIAS_MERGE_LANES). */
#define CUBIAS_GAIN_LANES 256
#define CUBIAS_GAIN_RUN 16
#define CUBIAS_GAIN_MAX_CHUNKS 1024

typedef struct cubias_wplan {
  int64_t n;       /* entries = out * in      */
  int64_t len;     /* entries per line        */
  int64_t ld;      /* stride between lines    */
  int64_t chunk;   /* entries per chunk       */
  int64_t nchunks; /* <= CUBIAS_GAIN_MAX_CHUNKS */
} cubias_wplan_t;

CUBIAS_HD cubias_wplan_t cubias_make_wplan(int64_t lines, int64_t len, int64_t ld) {
  cubias_wplan_t p;
  p.n = lines * len;
  p.len = len;
  p.ld = ld;
  const int64_t unit = (int64_t)CUBIAS_GAIN_LANES * CUBIAS_GAIN_RUN;
  int64_t c = (p.n + CUBIAS_GAIN_MAX_CHUNKS - 1) / CUBIAS_GAIN_MAX_CHUNKS;
  c = (c + unit - 1) / unit * unit;
  p.chunk = c < unit ? unit : c;
  p.nchunks = (p.n + p.chunk - 1) / p.chunk;
  return p;
}

/* x*x, a*b and a+b each rounded once. The CUDA sources compile with --fmad=false
 * (CMakeLists.txt) and the host with -ffp-contract=off, so neither backend fuses
 * a product into a following add: the same bits on both. */
CUBIAS_HD float cubias_gain_sq(float x) { return x * x; }
CUBIAS_HD double cubias_gain_dmul(double a, double b) { return a * b; }
CUBIAS_HD float cubias_gain_fadd(float a, float b) { return a + b; }

/* Square of logical entry e (see above). */
CUBIAS_HD float cubias_wplan_load(const void *w, int dtype, const cubias_wplan_t *p, int64_t e) {
  int64_t off = e;
  if (p->ld != p->len) {
    int64_t line = e / p->len;
    off = line * p->ld + (e - line * p->len);
  }
  return cubias_load_as(w, dtype, off);
}

CUBIAS_HD float cubias_wplan_sq(const void *w, int dtype, const cubias_wplan_t *p, int64_t e) {
  return cubias_gain_sq(cubias_wplan_load(w, dtype, p, e));
}

/* A float run of squares is right to rounding unless a square or the sum passed
 * FLT_MAX (|w| above ~1.8e19: +Inf) or a square fell below FLT_MIN, where float
 * rounds in absolute steps of 2^-149 (|w| below ~1e-19; zero weights included): a
 * run below 2^-100 may hold such squares, one above it only loses them below
 * 2^-46 of its value. Such a run is redone with double squares (exact for every
 * float: 2^-298 .. 2^256), as the statistics engine redoes its runs. */
#define CUBIAS_GAIN_RUN_TINY 7.88860905e-31f /* 2^-100 */

/* Lane t's double total over chunk j: runs of CUBIAS_GAIN_RUN float sums. */
CUBIAS_HD double cubias_wplan_lane(const void *w, int dtype, const cubias_wplan_t *p, int64_t j,
                                   int t) {
  const int64_t c0 = j * p->chunk;
  const int64_t c1 = c0 + p->chunk < p->n ? c0 + p->chunk : p->n;
  double total = 0.0;
  int64_t e = c0 + t;
  while (e < c1) {
    const int64_t first = e;
    float run = 0.0f;
    for (int k = 0; k < CUBIAS_GAIN_RUN && e < c1; ++k, e += CUBIAS_GAIN_LANES)
      run = cubias_gain_fadd(run, cubias_wplan_sq(w, dtype, p, e));
    if (run < CUBIAS_GAIN_RUN_TINY || !(run <= FLT_MAX)) {  // also NaN: redone, stays NaN
      double wide = 0.0;
      for (int64_t q = first; q < e; q += CUBIAS_GAIN_LANES) {
        const double x = (double)cubias_wplan_load(w, dtype, p, q);
        wide += cubias_gain_dmul(x, x);
      }
      total += wide;
    } else {
      total += (double)run;
    }
  }
  return total;
}

/* The fixed lane tree over v[0..n) (n a power of two): v[i] += v[i + off] for
 * off = n/2, ..., 1; the result in v[0]. The CUDA kernels run the same steps
 * in shared memory (one __syncthreads per level). */
CUBIAS_HD void cubias_gain_tree(double *v, int n) {
  for (int off = n >> 1; off >= 1; off >>= 1)
    for (int i = 0; i < off; ++i) v[i] += v[i + off];
}

/* Fold chunk partials in the order of kernels/plan.h: lane l of 32 sums
 * partials l, l+32, ... (in that order), then the 32-lane tree. */
CUBIAS_HD double cubias_gain_fold_chunks(const double *partials, int64_t nchunks) {
  double v[CUBIAS_MERGE_LANES];
  for (int l = 0; l < CUBIAS_MERGE_LANES; ++l) {
    double s = 0.0;
    for (int64_t j = l; j < nchunks; j += CUBIAS_MERGE_LANES) s += CUBIAS_LD(partials, j);
    v[l] = s;
  }
  cubias_gain_tree(v, CUBIAS_MERGE_LANES);
  return v[0];
}

/* ---- pooling per-channel fields to one number per layer ------------------- */

/* Sums written per statistics object (count-weighted over channels; channels
 * with count 0 are skipped, never 0 * NaN):
 *   [0] N = sum c_k          [1] sum c_k mu_k      [2] sum c_k var_k
 *   [3] sum c_k dphi2_k      [4] sum c_k (var_k + mu_k^2)           */
#define CUBIAS_GAIN_POOL 5

/* Lane t's sums over channels t, t + LANES, ... (dphi may be NULL). */
CUBIAS_HD void cubias_gain_pool_lane(const double *count, const double *mean, const double *var,
                                     const double *dphi, int64_t C, int t,
                                     double out[CUBIAS_GAIN_POOL]) {
  for (int k = 0; k < CUBIAS_GAIN_POOL; ++k) out[k] = 0.0;
  for (int64_t c = t; c < C; c += CUBIAS_GAIN_LANES) {
    double n = CUBIAS_LD(count, c);
    if (!(n > 0.0)) continue;
    double m = CUBIAS_LD(mean, c), v = CUBIAS_LD(var, c);
    out[0] += n;
    out[1] += cubias_gain_dmul(n, m);
    out[2] += cubias_gain_dmul(n, v);
    out[3] += dphi ? cubias_gain_dmul(n, CUBIAS_LD(dphi, c)) : 0.0;
    out[4] += cubias_gain_dmul(n, v + cubias_gain_dmul(m, m));
  }
}

/* ---- report formulas ------------------------------------------------------ */

/* ReLU-like layers (ReLU, leaky ReLU with slope^2 < 1): E[phi'^2] = p + s^2(1-p)
 * with p the active fraction. chi = g * E[phi'^2] <= target holds while
 * p <= p_max = (target/g - s^2) / (1 - s^2). Under a Gaussian pre-activation
 * z ~ N(mu, sigma^2), p = Phi(mu/sigma), so the largest mean in units of sigma
 * is t_max = Phi^-1(p_max): +inf when p_max >= 1 (every bias keeps chi <=
 * target), NaN when p_max <= 0 (no bias can). */
CUBIAS_HD double cubias_gain_tmax(double g, double slope2, double target) {
  if (!(g > 0.0) || !(slope2 < 1.0) || !(target > 0.0)) return NAN;
  double p = (target / g - slope2) / (1.0 - slope2);
  if (p >= 1.0) return INFINITY;
  if (!(p > 0.0)) return NAN;
  return cubias_normal_quantile(p);
}


/* The plan of a checked weight view. */
CUBIAS_HD cubias_wplan_t cubias_wplan_of(const cubias_weight_t *w) {
  return cubias_make_wplan(cubias_weight_lines(w), cubias_weight_line_len(w), cubias_weight_ld(w));
}

#endif /* CUBIAS_GAIN_MATH_H */
