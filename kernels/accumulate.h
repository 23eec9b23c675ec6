/* The per-element accumulation step: one lane's float runs around a pivot,
 * the element step, the fold of a run into double totals, and the lane's
 * moments. Shared by the CPU engine and the CUDA statistics kernels. */
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

/* Fold a float run into the double totals (the class skips unused sums), then
 * move the pivot to the run's own mean, p + s1 / n, in float and kept inside
 * the lane's [min, max], shifting the totals exactly (d = p' - p is exact in
 * double). A first value far from the rest spoils at most one run, and a lane
 * whose values drift keeps its pivot close. Inside [min, max], a non-finite
 * entry standing in as the pivot still cannot move them. A run with no finite
 * entry keeps the pivot. Written for scalar lanes (every backend) and SIMD
 * lanes (the CPU engine folds a register of lanes at a time), selects only. */
template <int CLASS, class F, class D, class I>
CUBIAS_HD void cubias_fold_run(F &p, F &s1, F &s2, F &f1, F &f2, F &g2, F mn, F mx, I &n,
                               I &pos, I &seen, D &S1, D &S2, D &F1, D &F2, D &G2, I &N, I &POS,
                               I &NF) {
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
  F np = p + s1 / cubias_to_float(n + cubias_one_if(n == 0));
  np = np < mn ? mn : np;
  np = np > mx ? mx : np;
  np = n > 0 ? np : p;
  const D d = cubias_widen(np) - cubias_widen(p);
  const D count = cubias_widen(N);
  S2 += d * (d * count - 2.0 * S1);
  S1 -= d * count;
  p = np;
  s1 = s2 = f1 = f2 = g2 = F{};
  n = pos = seen = I{};
}

template <int CLASS>
CUBIAS_HD void cubias_lane_flush(cubias_lane_t *l) {
  cubias_fold_run<CLASS>(l->p, l->s1, l->s2, l->f1, l->f2, l->g2, l->mn, l->mx, l->n, l->pos,
                         l->seen, l->S1, l->S2, l->F1, l->F2, l->G2, l->N, l->POS, l->NF);
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

#endif /* CUBIAS_ACCUMULATE_H */
