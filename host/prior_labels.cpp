// Class priors (softmax from labels or given priors, sigmoid from
// multi-hot targets or given priors, a single prior) and regression targets.
#include <math.h>

#include <new>
#include <vector>

#include "internal.h"
#include "../kernels/backend.h"
#include "../kernels/logit.h"
#include "../kernels/prior_math.h"


static cubias_status_t check_alpha(cubias_handle_t h, double alpha, const char *where) {
  if (!(cubias_finite(alpha) && alpha > 0.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: smoothing alpha is %g; must be finite and > 0 (default %g) so that no "
                       "count gives -inf",
                       where, alpha, CUBIAS_PRIOR_ALPHA_DEFAULT);
  return CUBIAS_STATUS_SUCCESS;
}

static cubias_status_t check_anchor(cubias_handle_t h, int anchor, int64_t pin,
                                    int64_t K, const char *where) {
  if ((int)anchor < CUBIAS_PRIOR_MEAN_ZERO || (int)anchor > CUBIAS_PRIOR_LOG_PROB)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown anchor %d", where, (int)anchor);
  if (anchor == CUBIAS_PRIOR_PIN_CLASS && (pin < 0 || pin >= K))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: pin_class %lld is outside [0, %lld)", where, (long long)pin,
                       (long long)K);
  return CUBIAS_STATUS_SUCCESS;
}

// Softmax biases from unnormalised log priors lp[k] (ln of counts or probs)
// and their log total: the anchor picks the constant subtracted.
static void anchor_log_priors(std::vector<double> &lp, double log_total,
                              int anchor, int64_t pin) {
  double shift;
  if (anchor == CUBIAS_PRIOR_PIN_CLASS) {
    shift = lp[(size_t)pin];
  } else if (anchor == CUBIAS_PRIOR_MEAN_ZERO) {
    double s = 0.0;
    for (double v : lp) s += v;
    shift = s / (double)lp.size();
  } else {
    shift = log_total;
  }
  for (double &v : lp) v -= shift;
  if (anchor == CUBIAS_PRIOR_PIN_CLASS) lp[(size_t)pin] = 0.0;
}

static cubias_status_t report_bad(cubias_handle_t h, uint64_t bad, int64_t *h_bad,
                                  const char *what, const char *where) {
  if (h_bad) *h_bad = (int64_t)bad;
  if (bad)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %llu %s; nothing written", where,
                       (unsigned long long)bad, what);
  return CUBIAS_STATUS_SUCCESS;
}

static cubias_status_t alloc_vec(cubias_handle_t h, std::vector<double> &v, int64_t n,
                                 const char *where) {
  try {
    v.assign((size_t)n, 0.0);
  } catch (const std::bad_alloc &) {
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory", where);
  }
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_prior_softmax_from_labels(
    cubias_handle_t h, const void *d_labels, cubias_index_type_t index_type_arg, int64_t n,
    int64_t K, double alpha, cubias_prior_anchor_t anchor_arg, int64_t pin, void *d_bias,
    cubias_dtype_t dtype_arg, int64_t *h_bad) {
  CUBIAS_ENTRY("cubias_prior_softmax_from_labels");
  const int index_type = cubias_enum_int(index_type_arg);  // the int the caller stored
  const int anchor = cubias_enum_int(anchor_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (h_bad) *h_bad = 0;
  if ((int)index_type != CUBIAS_INDEX_INT32 && (int)index_type != CUBIAS_INDEX_INT64)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown index type %d", where,
                       (int)index_type);
  if ((st = cubias_check_bias_count(h, n, "n (labels)", where))) return st;
  if ((st = cubias_check_bias_count(h, K, "num_classes", where))) return st;
  if (K >= ((int64_t)1 << 40))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: num_classes %lld is too large", where,
                       (long long)K);
  if ((st = check_alpha(h, alpha, where))) return st;
  if ((st = check_anchor(h, anchor, pin, K, where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_labels, index_type == CUBIAS_INDEX_INT64 ? 8 : 4, "labels", where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;

  void *ws = nullptr;
  if ((st = cubias_workspace(h, (size_t)(K + 1) * sizeof(uint64_t), &ws))) return st;
  uint64_t *counts = (uint64_t *)ws;
  const int idx64 = index_type == CUBIAS_INDEX_INT64;
  if ((st = h->ops->prior_count_labels(h, d_labels, idx64, n, K, counts))) return st;
  uint64_t bad = 0;
  if ((st = h->ops->copy(h, &bad, counts + K, sizeof bad, 1))) return st;
  if ((st = h->ops->sync(h))) return st;  // documented: read the out-of-range count
  if ((st = report_bad(h, bad, h_bad, "labels outside [0, num_classes)", where))) return st;
  if (h->ops->prior_finish)  // on the backend
    return h->ops->prior_finish(h, counts, K, n, 0, alpha, (int)anchor, pin, d_bias, (int)dtype);
  // On the host: the counts are host memory (the CPU backend).
  std::vector<double> lp;
  if ((st = alloc_vec(h, lp, K, where))) return st;
  for (int64_t k = 0; k < K; ++k) lp[(size_t)k] = cubias_prior_log_count(counts[k], alpha);
  anchor_log_priors(lp, log((double)n + (double)K * alpha), anchor, pin);
  return cubias_write_bias_values(h, lp.data(), K, d_bias, dtype, where);
}

extern "C" cubias_status_t cubias_prior_sigmoid_from_targets(cubias_handle_t h,
                                                             const uint8_t *d_targets, int64_t n,
                                                             int64_t K, double alpha,
                                                             void *d_bias, cubias_dtype_t dtype_arg,
                                                             int64_t *h_bad) {
  CUBIAS_ENTRY("cubias_prior_sigmoid_from_targets");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (h_bad) *h_bad = 0;
  if ((st = cubias_check_bias_count(h, n, "n (rows)", where))) return st;
  if ((st = cubias_check_bias_count(h, K, "num_classes", where))) return st;
  int64_t nk;
  if (!cubias_mul_ok(n, K, &nk) || K >= ((int64_t)1 << 40))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: n * num_classes (%lld * %lld) overflows",
                       where, (long long)n, (long long)K);
  if ((st = check_alpha(h, alpha, where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_targets, 1, "targets", where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;

  void *ws = nullptr;
  if ((st = cubias_workspace(h, (size_t)(K + 1) * sizeof(uint64_t), &ws))) return st;
  uint64_t *counts = (uint64_t *)ws;
  if ((st = h->ops->prior_count_multihot(h, d_targets, n, K, counts))) return st;
  uint64_t bad = 0;
  if ((st = h->ops->copy(h, &bad, counts + K, sizeof bad, 1))) return st;
  if ((st = h->ops->sync(h))) return st;  // documented: read the invalid count
  if ((st = report_bad(h, bad, h_bad, "target entries not 0 or 1", where))) return st;
  if (h->ops->prior_finish)  // on the backend
    return h->ops->prior_finish(h, counts, K, n, 1, alpha, 0, 0, d_bias, (int)dtype);
  // On the host: the counts are host memory (the CPU backend).
  std::vector<double> b;
  if ((st = alloc_vec(h, b, K, where))) return st;
  for (int64_t k = 0; k < K; ++k) b[(size_t)k] = cubias_sigmoid_prior(counts[k], n, alpha);
  return cubias_write_bias_values(h, b.data(), K, d_bias, dtype, where);
}

extern "C" cubias_status_t cubias_prior_softmax_from_probs(cubias_handle_t h,
                                                           const double *h_priors, int64_t K,
                                                           cubias_prior_anchor_t anchor_arg,
                                                           int64_t pin, void *d_bias,
                                                           cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_prior_softmax_from_probs");
  const int anchor = cubias_enum_int(anchor_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!h_priors) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: priors is NULL", where);
  if ((st = cubias_check_bias_count(h, K, "num_classes", where))) return st;
  if ((st = check_anchor(h, anchor, pin, K, where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  double sum = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    double p = h_priors[k];
    if (!(cubias_finite(p) && p > 0.0))
      return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                         "%s: prior %lld is %g; every prior must be finite and > 0", where,
                         (long long)k, p);
    sum += p;
  }
  if (!cubias_finite(sum))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: the priors' sum overflows", where);
  std::vector<double> lp;
  if ((st = alloc_vec(h, lp, K, where))) return st;
  for (int64_t k = 0; k < K; ++k) lp[(size_t)k] = log(h_priors[k]);
  anchor_log_priors(lp, log(sum), anchor, pin);
  return cubias_write_bias_values(h, lp.data(), K, d_bias, dtype, where);
}

extern "C" cubias_status_t cubias_prior_sigmoid_from_probs(cubias_handle_t h,
                                                           const double *h_priors, int64_t K,
                                                           void *d_bias, cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_prior_sigmoid_from_probs");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!h_priors) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: priors is NULL", where);
  if ((st = cubias_check_bias_count(h, K, "num_classes", where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  std::vector<double> b;
  if ((st = alloc_vec(h, b, K, where))) return st;
  for (int64_t k = 0; k < K; ++k) {
    double p = h_priors[k];
    if (!(p > 0.0 && p < 1.0))
      return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                         "%s: prior %lld is %g; must lie in (0, 1)", where, (long long)k, p);
    b[(size_t)k] = cubias_logit(p);
  }
  return cubias_write_bias_values(h, b.data(), K, d_bias, dtype, where);
}

extern "C" cubias_status_t cubias_prior_single(cubias_handle_t h, double pi, int64_t n,
                                               void *d_bias, cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_prior_single");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!(pi > 0.0 && pi < 1.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: pi is %g; must lie in (0, 1)", where,
                       pi);
  if ((st = cubias_check_bias_count(h, n, "n", where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  return cubias_write_bias_const(h, d_bias, dtype, n, cubias_logit(pi), where);
}

extern "C" cubias_status_t cubias_prior_regression_from_stats(cubias_handle_t h,
                                                              cubias_stats_t s, void *d_bias,
                                                              cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_prior_regression_from_stats");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  const int64_t C = s->channels;
  void *ws = nullptr;
  if ((st = cubias_workspace(h, (size_t)C * sizeof(double), &ws))) return st;
  double *means = (double *)ws;
  if ((st = cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, means))) return st;
  return h->ops->store_doubles(h, means, C, 0.0, d_bias, (int)dtype);
}
