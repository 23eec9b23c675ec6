/* Results: the per-channel numbers finalised from the moments (count, mean,
 * variance, min/max, active fraction, E[phi], E[phi^2], E[phi'^2]). */
#ifndef CUBIAS_FINALIZE_H
#define CUBIAS_FINALIZE_H

#include "activations.h"
#include "moments.h"

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

#endif /* CUBIAS_FINALIZE_H */
