/* The per-element accumulation step: one lane's float runs around a pivot,
 * the element step, the fold of a run into double totals (redone in double
 * where float cannot hold the run), and the lane's moments. Shared by the CPU
 * engine and the CUDA statistics kernels. */
#ifndef CUBIAS_ACCUMULATE_H
#define CUBIAS_ACCUMULATE_H

#include "activations.h"
#include "lanes.h"
#include "moments.h"
#include "smooth_lanes.h"

/* One lane of accumulation. Sums run in float for at most CUBIAS_RUN_LEN
 * elements, shifted by a pivot p (a finite value of the lane's own chunk, found
 * before the pass: x - p is exact for offset data by Sterbenz), then fold into
 * double totals. This keeps the hot loop in float while the variance of
 * N(1e4, 1) data stays accurate. */
#define CUBIAS_RUN_LEN 16

/* The scalar lane of the CUDA kernels keeps as few registers as the step allows:
 * entries > 0 count straight into POS, and the entries pushed are the caller's
 * count, the same for every lane of a thread (NF = pushed - N, set at the end by
 * cubias_lane_close). */
typedef struct cubias_lane {
  float p;                     /* pivot, valid once have != 0 */
  float s1, s2, f1, f2, g2;    /* current run sums            */
  float mn, mx;
  int have, n;                 /* pivot found; the run's finite entries */
  double S1, S2, F1, F2, G2;   /* totals                      */
  int N, POS, NF;              /* a chunk holds < 2^31 entries */
} cubias_lane_t;

CUBIAS_HD void cubias_lane_init(cubias_lane_t *l) {
  l->p = 0.0f;
  l->s1 = l->s2 = l->f1 = l->f2 = l->g2 = 0.0f;
  l->mn = INFINITY;
  l->mx = -INFINITY;
  l->have = l->n = 0;
  l->S1 = l->S2 = l->F1 = l->F2 = l->G2 = 0.0;
  l->N = l->POS = l->NF = 0;
}

/* Pivot search, before the pass: the first finite value offered. */
CUBIAS_HD void cubias_offer_pivot(float x, float &p, int &have) {
  int take = (have == 0) & (fabsf(x) <= FLT_MAX);
  p = take ? x : p;
  have |= take;
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
                     l->n, l->POS);
}

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

/* Whether a scalar lane's run must be redone in double: the cheap test first. */
template <int CLASS>
CUBIAS_HD bool cubias_run_needs_wide(float p, float s2, float f2, float mn, float mx, int n,
                                     int pos) {
  return cubias_run_suspect<CLASS>(s2, f2, n) && cubias_run_unsafe<CLASS>(p, s2, f2, mn, mx, n, pos);
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
  if (cubias_run_needs_wide<CLASS>(p, s2, f2, mn, mx, n, pos)) {
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

/* The scalar lane has no run count of entries > 0 (they go to POS at once); where
 * the run checks read it (p == 0, every finite entry >= min >= 0: a run of zeros?),
 * s1 != 0 answers the same: s1 sums the run's x - 0 >= 0, zero only if each is. */
CUBIAS_HD int cubias_lane_run_pos(const cubias_lane_t *l) { return l->s1 != 0.0f; }

/* Fold a lane's run (the CUDA redo kernels), with the double redo where float cannot
 * hold it: `seen` entries were pushed since the last fold, at(q) as in
 * cubias_finish_run. The run's entries > 0 are in POS already: sunk here. */
template <int CLASS, class At>
CUBIAS_HD void cubias_lane_flush(cubias_lane_t *l, int seen, At at, int act, float slope) {
  int pos = cubias_lane_run_pos(l), sunk = 0, nf = 0;
  cubias_finish_run<CLASS, -1>(l->p, l->s1, l->s2, l->f1, l->f2, l->g2, l->mn, l->mx, l->n, pos,
                               seen, l->S1, l->S2, l->F1, l->F2, l->G2, l->N, sunk, nf, at, act,
                               slope);
}

/* The lane's non-finite count, once every entry is pushed: pushed - finite. */
CUBIAS_HD void cubias_lane_close(cubias_lane_t *l, int pushed) { l->NF = pushed - l->N; }

/* Fold a lane's run in float only, returning whether it needed the double redo
 * (then the lane's totals are wrong). The CUDA statistics kernels' hot pass: the
 * redo's registers stay out of it, and a block with such a run is recomputed
 * whole by its redo kernel, which flushes with cubias_lane_flush. */
template <int CLASS>
CUBIAS_HD bool cubias_lane_fold_float(cubias_lane_t *l) {
  const bool wide = cubias_run_needs_wide<CLASS>(l->p, l->s2, l->f2, l->mn, l->mx, l->n,
                                                 cubias_lane_run_pos(l));
  int pos = 0, sunk = 0, seen = l->n, nf = 0;  // POS and NF are counted elsewhere
  cubias_fold_run<CLASS>(l->p, l->s1, l->s2, l->f1, l->f2, l->g2, l->mn, l->mx, l->n, pos, seen,
                         l->S1, l->S2, l->F1, l->F2, l->G2, l->N, sunk, nf);
  return wide;
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
    double dm = cubias_div_count(l->S1, n);
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

#endif /* CUBIAS_ACCUMULATE_H */
