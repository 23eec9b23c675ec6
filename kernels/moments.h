/* The mergeable per-channel state: moments, Chan's merge, and the SoA layout
 * in which a backend keeps them. */
#ifndef CUBIAS_MOMENTS_H
#define CUBIAS_MOMENTS_H

#include "host_device.h"

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
    double nb_over_n = cubias_div_count((double)b.count, n);
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
  m.count = CUBIAS_LD(i, c);
  m.nonfinite = CUBIAS_LD(i, channels + c);
  m.positive = CUBIAS_LD(i, 2 * channels + c);
  m.mean = CUBIAS_LD(d, 3 * channels + c);
  m.m2 = CUBIAS_LD(d, 4 * channels + c);
  m.min = CUBIAS_LD(d, 5 * channels + c);
  m.max = CUBIAS_LD(d, 6 * channels + c);
  m.sphi = CUBIAS_LD(d, 7 * channels + c);
  m.sphi2 = CUBIAS_LD(d, 8 * channels + c);
  m.sdphi2 = CUBIAS_LD(d, 9 * channels + c);
  return m;
}

CUBIAS_HD void cubias_moments_store(void *base, int64_t channels, int64_t c, cubias_moments_t m) {
  int64_t *i = (int64_t *)base;
  double *d = (double *)base;
  CUBIAS_ST(i, c, m.count);
  CUBIAS_ST(i, channels + c, m.nonfinite);
  CUBIAS_ST(i, 2 * channels + c, m.positive);
  CUBIAS_ST(d, 3 * channels + c, m.mean);
  CUBIAS_ST(d, 4 * channels + c, m.m2);
  CUBIAS_ST(d, 5 * channels + c, m.min);
  CUBIAS_ST(d, 6 * channels + c, m.max);
  CUBIAS_ST(d, 7 * channels + c, m.sphi);
  CUBIAS_ST(d, 8 * channels + c, m.sphi2);
  CUBIAS_ST(d, 9 * channels + c, m.sdphi2);
}

#endif /* CUBIAS_MOMENTS_H */
