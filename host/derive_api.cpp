// Entry points of the bias derivations I: every argument is checked here,
// before anything is launched or written; then the backend runs.
#include <math.h>
#include <string.h>

#include "../kernels/derive_math.h"
#include "../kernels/backend.h"
#include "internal.h"

namespace {

bool dtype_ok(int dt) { return dt >= 0 && dt <= 2; }

// A backend allocates its host scratch (the CPU backend's std::vector) before it
// writes anything: running out of it is a status, not an exception.
template <class Fn>
cubias_status_t alloc_guard(cubias_handle_t h, const char *where, Fn &&fn) {
  try {
    return fn();
  } catch (...) {
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory", where);
  }
}
constexpr int64_t kMaxDim = ((int64_t)1 << 31) - 1;  // cuBLAS sizes are int

cubias_status_t check_dtype(cubias_handle_t h, int dt, const char *what, const char *where) {
  if (!dtype_ok(dt))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown %s dtype %d", where, what,
                       (int)dt);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t check_target(cubias_handle_t h, const double *h_target, double *t,
                             const char *where) {
  *t = h_target ? *h_target : 0.0;
  if (!cubias_finite(*t))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: the target t is not finite (%g)", where,
                       *t);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t check_bias(cubias_handle_t h, void *d_bias, int dt, const char *where) {
  cubias_status_t st = check_dtype(h, dt, "bias", where);
  if (st) return st;
  return cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dt), "bias", where);
}

cubias_status_t check_optional(cubias_handle_t h, const void *p, const char *what,
                               const char *where) {
  return p ? cubias_check_backend_ptr(h, p, 8, what, where) : CUBIAS_STATUS_SUCCESS;  // int64 or double
}

cubias_status_t check_weight(cubias_handle_t h, const cubias_weight_t *W, const char *where) {
  cubias_status_t st = cubias_check_weight(h, W, "the weight W", where, 1);
  if (st) return st;
  if (W->out > kMaxDim || W->in > kMaxDim)  // cuBLAS takes int dimensions
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: weight sizes out=%lld in=%lld must be in [1, 2^31 - 1]", where,
                       (long long)W->out, (long long)W->in);
  return CUBIAS_STATUS_SUCCESS;
}

// A weight view whose in (columns) is the statistics' channels times `spatial`
// (a convolution's kernel area; 1 for a plain weight).
cubias_status_t check_weight_in(cubias_handle_t h, const cubias_weight_t *W, const char *name,
                                cubias_stats_t s, int64_t spatial, const char *what,
                                const char *where) {
  cubias_status_t st = check_weight(h, W, where);
  if (st) return st;
  if (spatial == 1 && W->in != s->channels)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: %s has in = %lld columns, the %s %lld channels", where, name,
                       (long long)W->in, what, (long long)s->channels);
  if (W->in % spatial != 0 || W->in / spatial != s->channels)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: %s has in = %lld columns, not the %s' %lld channels times "
                       "kernel_area %lld",
                       where, name, (long long)W->in, what, (long long)s->channels,
                       (long long)spatial);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t check_tensors(cubias_handle_t h, cubias_stats_t s, const cubias_tensor_t *z,
                              int64_t nz, const char *where) {
  if (!z) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: the tensor list is NULL", where);
  if (nz < 1 || nz > (1 << 20))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: n_tensors is %lld; must be in [1, 2^20]", where, (long long)nz);
  for (int64_t k = 0; k < nz; ++k) {
    cubias_status_t st = cubias_check_tensor(h, &z[k], where);
    if (st) return st;
    if (z[k].channels != s->channels)
      return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                         "%s: tensor %lld has %lld channels, the statistics %lld", where,
                         (long long)k, (long long)z[k].channels, (long long)s->channels);
  }
  return CUBIAS_STATUS_SUCCESS;
}

}  // namespace

// b = t - W mu_x, column i of W reading channel i / spatial (both centering calls).
static cubias_status_t center_input(cubias_handle_t h, cubias_stats_t x_stats,
                                    const cubias_weight_t *W, int64_t spatial,
                                    const double *h_target, void *d_bias, int bias_dtype,
                                    const char *where) {
  cubias_status_t st = cubias_check_stats(h, x_stats, where);
  if (st) return st;
  if (spatial < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: kernel_area is %lld; must be >= 1",
                       where, (long long)spatial);
  if ((st = check_weight_in(h, W, "W", x_stats, spatial, "input statistics", where))) return st;
  double t;
  if ((st = check_target(h, h_target, &t, where))) return st;
  if ((st = check_bias(h, d_bias, bias_dtype, where))) return st;
  return alloc_guard(h, where, [&] {
    return cubias_with_workspace(h, [&](void *ws, size_t *bytes) {
      return h->ops->derive_gemv(h, x_stats, CUBIAS_DERIVE_VEC_MEAN, W, spatial, t, d_bias,
                                 bias_dtype, nullptr, ws, bytes);
    });
  });
}

extern "C" cubias_status_t cubias_center_from_input(cubias_handle_t h, cubias_stats_t x_stats,
                                                    const cubias_weight_t *W,
                                                    const double *h_target, void *d_bias,
                                                    cubias_dtype_t bias_dtype_arg) {
  CUBIAS_ENTRY("cubias_center_from_input");
  return center_input(h, x_stats, W, 1, h_target, d_bias, cubias_enum_int(bias_dtype_arg), where);
}

extern "C" cubias_status_t cubias_center_conv_from_input(cubias_handle_t h, cubias_stats_t x_stats,
                                                         const cubias_weight_t *W,
                                                         int64_t kernel_area,
                                                         const double *h_target, void *d_bias,
                                                         cubias_dtype_t bias_dtype_arg) {
  CUBIAS_ENTRY("cubias_center_conv_from_input");
  return center_input(h, x_stats, W, kernel_area, h_target, d_bias,
                      cubias_enum_int(bias_dtype_arg), where);
}

extern "C" cubias_status_t cubias_center_from_preact(cubias_handle_t h, cubias_stats_t z_stats,
                                                     const double *h_target, void *d_bias,
                                                     cubias_dtype_t bias_dtype_arg) {
  CUBIAS_ENTRY("cubias_center_from_preact");
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  double t;
  if ((st = check_target(h, h_target, &t, where))) return st;
  if ((st = check_bias(h, d_bias, bias_dtype, where))) return st;
  return alloc_guard(h, where, [&] {
    return h->ops->derive_center_preact(h, z_stats, t, d_bias, (int)bias_dtype);
  });
}

extern "C" cubias_status_t cubias_normalize_from_preact(cubias_handle_t h, cubias_stats_t z_stats,
                                                        double s, double t,
                                                        const cubias_weight_t *W, void *d_bias,
                                                        cubias_dtype_t bias_dtype_arg,
                                                        int64_t *d_skipped) {
  CUBIAS_ENTRY("cubias_normalize_from_preact");
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  if (!cubias_finite(s) || !(s > 0.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the scale s must be finite and > 0 (got %g)", where, s);
  if (!cubias_finite(t))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: the target t is not finite (%g)", where,
                       t);
  if ((st = check_weight(h, W, where))) return st;
  if (W->out != z_stats->channels)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: W has out = %lld rows, the pre-activation statistics %lld channels",
                       where, (long long)W->out, (long long)z_stats->channels);
  if (d_bias && (st = check_bias(h, d_bias, bias_dtype, where))) return st;
  if ((st = check_optional(h, d_skipped, "skipped", where))) return st;
  return alloc_guard(h, where, [&] {
    return cubias_with_workspace(h, [&](void *ws, size_t *bytes) {
      return h->ops->derive_normalize(h, z_stats, s, t, W, d_bias, (int)bias_dtype, d_skipped, ws,
                                      bytes);
    });
  });
}

extern "C" cubias_status_t cubias_postact_shift(cubias_handle_t h, cubias_stats_t z_stats,
                                                cubias_postact_source_t source_arg,
                                                const cubias_weight_t *W_next,
                                                const double *h_target, void *d_bias_next,
                                                cubias_dtype_t bias_dtype_arg, double *d_report) {
  CUBIAS_ENTRY("cubias_postact_shift");
  const int source = cubias_enum_int(source_arg);  // the int the caller stored
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  const int src = source;
  if (src != CUBIAS_POSTACT_MEASURED && src != CUBIAS_POSTACT_GAUSSIAN)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown source %d", where, src);
  double a;
  const bool closed = cubias_derive_gauss_slope(z_stats->act, z_stats->slope, &a);
  if (!closed && (source == CUBIAS_POSTACT_GAUSSIAN || d_report))
    return cubias_fail(
        h, CUBIAS_STATUS_NOT_SUPPORTED,
        "%s: the statistics' activation %d has no Gaussian closed form here "
        "(identity, ReLU, leaky ReLU): use CUBIAS_POSTACT_MEASURED and d_report = NULL",
        where, z_stats->act);
  if ((st = check_weight_in(h, W_next, "W_next", z_stats, 1, "statistics", where))) return st;
  double t;
  if ((st = check_target(h, h_target, &t, where))) return st;
  if ((st = check_bias(h, d_bias_next, bias_dtype, where))) return st;
  if ((st = check_optional(h, d_report, "report", where))) return st;
  const int kind = source == CUBIAS_POSTACT_MEASURED ? CUBIAS_DERIVE_VEC_PHI_MEASURED
                                                     : CUBIAS_DERIVE_VEC_PHI_GAUSSIAN;
  return alloc_guard(h, where, [&] {
    return cubias_with_workspace(h, [&](void *ws, size_t *bytes) {
      return h->ops->derive_gemv(h, z_stats, kind, W_next, 1, t, d_bias_next, (int)bias_dtype,
                                 d_report, ws, bytes);
    });
  });
}

extern "C" cubias_status_t cubias_gaussian_act_moments(cubias_activation_t act_arg, double act_param,
                                                       double mu, double sigma, double *h_mean,
                                                       double *h_var, double *h_dead) {
  CUBIAS_ENTRY("cubias_gaussian_act_moments");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  double a;
  const int ai = act;
  if (ai < CUBIAS_ACT_IDENTITY || ai > CUBIAS_ACT_SILU)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown activation %d", where,
                       ai);
  if (!cubias_derive_gauss_slope(ai, 0.0f, &a))
    return cubias_fail(nullptr, CUBIAS_STATUS_NOT_SUPPORTED,
                       "%s: activation %d has no closed form here (identity, ReLU, leaky ReLU)",
                       where, ai);
  if (ai == CUBIAS_ACT_LEAKY_RELU) a = act_param;
  if (!cubias_finite(a) || !cubias_finite(mu) || !cubias_finite(sigma) || sigma < 0.0)
    return cubias_fail(
        nullptr, CUBIAS_STATUS_INVALID_VALUE,
        "%s: mu, sigma and the slope must be finite, sigma >= 0 (mu=%g sigma=%g a=%g)", where, mu,
        sigma, a);
  double m, v, d;
  cubias_derive_gauss_leaky(a, mu, sigma, &m, &v, &d);
  if (h_mean) *h_mean = m;
  if (h_var) *h_var = v;
  if (h_dead) *h_dead = d;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_symmetric_shift(cubias_handle_t h, cubias_activation_t act_arg,
                                                  cubias_stats_t z_stats, const cubias_tensor_t *z,
                                                  int64_t n_tensors, void *d_bias,
                                                  cubias_dtype_t bias_dtype_arg, double *d_report) {
  CUBIAS_ENTRY("cubias_symmetric_shift");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  const int ai = act;
  if (ai != CUBIAS_ACT_TANH && ai != CUBIAS_ACT_SIGMOID)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: activation %d is not a symmetric one (tanh or sigmoid)", where,
                       ai);
  if ((st = check_tensors(h, z_stats, z, n_tensors, where))) return st;
  if ((st = check_bias(h, d_bias, bias_dtype, where))) return st;
  if ((st = check_optional(h, d_report, "report", where))) return st;
  return alloc_guard(h, where, [&] {
    return cubias_with_workspace(h, [&](void *ws, size_t *bytes) {
      return h->ops->derive_symmetric(h, (int)act, z_stats, z, n_tensors, d_bias,
                                      (int)bias_dtype, d_report, ws, bytes);
    });
  });
}

extern "C" cubias_status_t cubias_revive_constant(cubias_handle_t h, cubias_stats_t z_stats,
                                                  double value, int all_channels, void *d_bias,
                                                  cubias_dtype_t bias_dtype_arg, int64_t *d_dead) {
  CUBIAS_ENTRY("cubias_revive_constant");
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  if (!cubias_finite(value) || !(value > 0.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the revival bias must be finite and > 0 (got %g; default %g)", where,
                       value, CUBIAS_REVIVE_DEFAULT_BIAS);
  if ((st = check_bias(h, d_bias, bias_dtype, where))) return st;
  if ((st = check_optional(h, d_dead, "dead", where))) return st;
  return alloc_guard(h, where, [&] {
    return h->ops->derive_revive_constant(h, z_stats, value, all_channels != 0, d_bias,
                                          (int)bias_dtype, d_dead);
  });
}

extern "C" cubias_status_t cubias_revive_quantile(cubias_handle_t h, cubias_stats_t z_stats,
                                                  const cubias_tensor_t *z, int64_t n_tensors,
                                                  double p_min, double margin, void *d_bias,
                                                  cubias_dtype_t bias_dtype_arg, int64_t *d_dead) {
  CUBIAS_ENTRY("cubias_revive_quantile");
  const int bias_dtype = cubias_enum_int(bias_dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, z_stats, where);
  if (st) return st;
  if (!(p_min > 0.0 && p_min <= 1.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: p_min must be in (0, 1] (got %g)",
                       where, p_min);
  if (!cubias_finite(margin) || !(margin > 0.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: margin must be finite and > 0 (got %g)",
                       where, margin);
  if ((st = check_tensors(h, z_stats, z, n_tensors, where))) return st;
  if ((st = check_bias(h, d_bias, bias_dtype, where))) return st;
  if ((st = check_optional(h, d_dead, "dead", where))) return st;
  return alloc_guard(h, where, [&] {
    return cubias_with_workspace(h, [&](void *ws, size_t *bytes) {
      return h->ops->derive_revive_quantile(h, z_stats, z, n_tensors, p_min, margin, d_bias,
                                            (int)bias_dtype, d_dead, ws, bytes);
    });
  });
}
