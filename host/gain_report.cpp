// Gradient-gain check: weight statistics and the per-layer report (argument
// checks, backend dispatch, and the host-side formulas of the report).
#include <math.h>
#include <string.h>

#include <vector>

#include "internal.h"
#include "../kernels/gain_math.h"

static cubias_status_t check_weight(cubias_handle_t h, const cubias_weight_t *w,
                                    const char *where, int layer) {
  char who[48];
  snprintf(who, sizeof who, "layer %d weight", layer);
  return cubias_check_weight(h, w, who, where, 1);
}

extern "C" cubias_status_t cubias_weight_gain(cubias_handle_t h, int n_layers,
                                              const cubias_weight_t *w, double *d_out) {
  CUBIAS_ENTRY("cubias_weight_gain");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (n_layers < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: n_layers is %d; must be >= 1", where,
                       n_layers);
  if (!w) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: weights is NULL", where);
  int64_t chunks = 1;
  for (int l = 0; l < n_layers; ++l) {
    st = check_weight(h, &w[l], where, l);
    if (st) return st;
    cubias_wplan_t p = cubias_wplan_of(&w[l]);
    if (p.nchunks > chunks) chunks = p.nchunks;
  }
  st = cubias_check_backend_ptr(h, d_out, sizeof(double), "out", where);
  if (st) return st;
  void *ws = nullptr;
  st = cubias_workspace(h, (size_t)chunks * sizeof(double), &ws);
  if (st) return st;
  for (int l = 0; l < n_layers; ++l) {
    st = h->ops->weight_gain(h, &w[l], (double *)ws, d_out + l);
    if (st) return st;
  }
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" const char *cubias_gain_verdict_string(cubias_gain_verdict_t v_arg) {
  const int v = cubias_enum_int(v_arg);  // the int the caller stored
  switch (v) {
    case CUBIAS_GAIN_STABLE: return "stable";
    case CUBIAS_GAIN_EXPLODING: return "exploding";
    case CUBIAS_GAIN_VANISHING: return "vanishing";
    default: return "unknown";
  }
}

// ---- the report -------------------------------------------------------------

// Per layer, the backend writes R doubles: [0] fan_in*E[W^2], [1..5] the pooled
// sums of the preact statistics, [6..10] those of the grad statistics.
enum { kWg = 0, kPre = 1, kGrad = 1 + CUBIAS_GAIN_POOL, kR = 1 + 2 * CUBIAS_GAIN_POOL };

static cubias_gain_verdict_t judge(double x, double lo, double hi) {
  if (!(x == x)) return CUBIAS_GAIN_UNKNOWN;
  if (x > hi) return CUBIAS_GAIN_EXPLODING;
  if (x < lo) return CUBIAS_GAIN_VANISHING;
  return CUBIAS_GAIN_STABLE;
}

static int finite_pos(double x) { return x > 0.0 && cubias_finite(x); }

// Pool one statistics object's channels into out[CUBIAS_GAIN_POOL] (backend).
static cubias_status_t pool_stats(cubias_handle_t h, cubias_stats_t s, int with_dphi,
                                  double *fields, double *out) {
  const int64_t C = s->channels;
  const int ids[4] = {CUBIAS_FIELD_COUNT, CUBIAS_FIELD_MEAN, CUBIAS_FIELD_VAR,
                      CUBIAS_FIELD_DPHI_SQ_MEAN};
  for (int k = 0; k < (with_dphi ? 4 : 3); ++k) {
    cubias_status_t st = h->ops->stats_write_field(h, s, ids[k], fields + k * C);
    if (st) return st;
  }
  const double *dphi = with_dphi ? fields + 3 * C : nullptr;
  return h->ops->gain_pool(h, fields, fields + C, fields + 2 * C, dphi, C, out);
}

// The threshold and target of the options (0: the default), checked.
static cubias_status_t read_options(cubias_handle_t h, const cubias_gain_options_t *opt,
                                    double *T, double *target, const char *where) {
  *T = CUBIAS_GAIN_DEFAULT_THRESHOLD;
  *target = 1.0;
  if (!opt) return CUBIAS_STATUS_SUCCESS;
  if (opt->threshold != 0.0) *T = opt->threshold;
  if (opt->target_chi != 0.0) *target = opt->target_chi;
  if (!(*T > 1.0) || !finite_pos(*T))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: threshold %g must be finite and > 1 (0 = default %g)", where,
                       opt->threshold, CUBIAS_GAIN_DEFAULT_THRESHOLD);
  if (!finite_pos(*target))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: target_chi %g must be finite and > 0 (0 = default 1)", where,
                       opt->target_chi);
  return CUBIAS_STATUS_SUCCESS;
}

// A layer's statistics object (preact or grad): checked, and as wide as the weight's out.
static cubias_status_t check_layer_stats(cubias_handle_t h, cubias_stats_t s, int64_t out,
                                         int l, const char *what, const char *where) {
  cubias_status_t st = cubias_check_stats(h, s, where);
  if (st) return st;
  if (s->channels != out)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: layer %d: the %s statistics have %lld channels, the weight has out = "
                       "%lld rows",
                       where, l, what, (long long)s->channels, (long long)out);
  return CUBIAS_STATUS_SUCCESS;
}

// Every layer checked; the widest layer and the most weight chunks, for the workspace.
static cubias_status_t check_layers(cubias_handle_t h, int L, const cubias_gain_layer_t *layers,
                                    int64_t *maxC, int64_t *chunks, const char *where) {
  *maxC = *chunks = 1;
  for (int l = 0; l < L; ++l) {
    const cubias_gain_layer_t *y = &layers[l];
    cubias_status_t st = check_weight(h, &y->weight, where, l);
    if (st) return st;
    if (!y->preact)
      return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                         "%s: layer %d has no pre-activation statistics", where, l);
    if ((st = check_layer_stats(h, y->preact, y->weight.out, l, "pre-activation", where)))
      return st;
    if (y->grad && (st = check_layer_stats(h, y->grad, y->weight.out, l, "gradient", where)))
      return st;
    if (l > 0 && y->weight.in % layers[l - 1].weight.out != 0)
      return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                         "%s: fan-in mismatch: layer %d has fan_in = %lld, not a multiple of "
                         "layer %d's %lld output channels",
                         where, l, (long long)y->weight.in, l - 1,
                         (long long)layers[l - 1].weight.out);
    if (y->weight.out > *maxC) *maxC = y->weight.out;
    cubias_wplan_t p = cubias_wplan_of(&y->weight);
    if (p.nchunks > *chunks) *chunks = p.nchunks;
  }
  return CUBIAS_STATUS_SUCCESS;
}

// The backend's sums, kR doubles per layer, copied back into R (synchronises).
static cubias_status_t measure(cubias_handle_t h, int L, const cubias_gain_layer_t *layers,
                               int64_t maxC, int64_t chunks, std::vector<double> &R) {
  // Workspace (doubles): results [L * kR] | fields [4 * maxC] | partials [chunks].
  const size_t nres = (size_t)L * kR;
  void *ws = nullptr;
  cubias_status_t st =
      cubias_workspace(h, (nres + 4 * (size_t)maxC + (size_t)chunks) * sizeof(double), &ws);
  if (st) return st;
  double *res = (double *)ws, *fields = res + nres, *partials = fields + 4 * maxC;
  for (int l = 0; l < L; ++l) {
    const cubias_gain_layer_t *y = &layers[l];
    double *r = res + (size_t)l * kR;
    st = h->ops->weight_gain(h, &y->weight, partials, r + kWg);
    if (!st) st = pool_stats(h, y->preact, 1, fields, r + kPre);
    if (!st && y->grad) st = pool_stats(h, y->grad, 0, fields, r + kGrad);
    if (st) return st;
  }
  R.assign(nres, 0.0);
  st = h->ops->copy(h, R.data(), res, nres * sizeof(double), 1);
  if (!st) st = h->ops->sync(h);
  return st;
}

// Layer l's own numbers from its sums r (the cumulative ones come later); *G its
// measured E[g^2] (NaN without gradient statistics).
static cubias_status_t layer_report(cubias_handle_t h, const cubias_gain_layer_t *y, int l,
                                    const double *r, double lo, double hi, double target,
                                    cubias_gain_layer_report_t *o, double *G, const char *where) {
  const double n = r[kPre + 0];
  if (!(n > 0.0))
    return cubias_fail(h, CUBIAS_STATUS_NO_DATA,
                       "%s: layer %d: the pre-activation statistics hold no finite value "
                       "(accumulate z_l first)",
                       where, l);
  *G = NAN;
  if (y->grad) {
    const double ng = r[kGrad + 0];
    if (!(ng > 0.0))
      return cubias_fail(h, CUBIAS_STATUS_NO_DATA,
                         "%s: layer %d: the gradient statistics hold no finite value "
                         "(accumulate dL/dz_l first, or pass grad = NULL)",
                         where, l);
    *G = r[kGrad + 4] / ng;
  }
  memset(o, 0, sizeof *o);
  o->fan_in = y->weight.in;
  o->width = y->weight.out;
  o->activation = y->preact->act;
  const double slope = y->preact->act == CUBIAS_ACT_LEAKY_RELU ? (double)y->preact->slope : 0.0;
  o->relu_like = y->preact->act == CUBIAS_ACT_RELU ||
                 (y->preact->act == CUBIAS_ACT_LEAKY_RELU && slope * slope < 1.0);
  o->weight_gain = r[kWg];
  o->z_mean = r[kPre + 1] / n;
  o->z_std = sqrt(r[kPre + 2] / n);
  o->dphi_sq_mean = r[kPre + 3] / n;
  o->chi = o->weight_gain * o->dphi_sq_mean;
  o->grad_sq_mean = *G;
  o->verdict = judge(o->chi, lo, hi);
  if (o->relu_like) {
    double t = cubias_gain_tmax(o->weight_gain, slope * slope, target);
    o->bias_max_sigma = t;
    o->bias_shift_max = t == INFINITY ? INFINITY : o->z_std * t - o->z_mean;
  } else {
    o->bias_max_sigma = o->bias_shift_max = NAN;
  }
  return CUBIAS_STATUS_SUCCESS;
}

// From the last layer back: cumulative gains, predicted and measured ratios.
static void cumulate(std::vector<cubias_gain_layer_report_t> &rep, const std::vector<double> &G,
                     double T, double lo, double hi) {
  const int L = (int)rep.size();
  double cum = 1.0;
  for (int l = L - 1; l >= 0; --l) {
    cubias_gain_layer_report_t *o = &rep[l];
    cum *= o->chi;
    o->chi_cum = cum;
    o->verdict_cum = judge(cum, 1.0 / T, T);
    if (l < L - 1) {
      const cubias_gain_layer_report_t *u = &rep[l + 1];
      o->pred_ratio = ((double)u->width / (double)o->width) * u->weight_gain * o->dphi_sq_mean;
      o->measured_ratio = G[l] / G[l + 1];  // NaN when either is unmeasured
    } else {
      o->pred_ratio = NAN;
      o->measured_ratio = NAN;
    }
    o->measured_cum = l < L - 1 ? G[l] / G[L - 1] : (G[l] == G[l] ? 1.0 : NAN);
    o->verdict_measured = judge(o->measured_ratio, lo, hi);
  }
}

// The whole network's verdicts and its worst layer (largest |log chi|).
static cubias_gain_summary_t summarize(const std::vector<cubias_gain_layer_report_t> &rep,
                                       double T, double lo, double hi) {
  const int L = (int)rep.size();
  cubias_gain_summary_t sum;
  memset(&sum, 0, sizeof sum);
  sum.n_layers = L;
  sum.threshold = T;
  sum.layer_low = lo;
  sum.layer_high = hi;
  sum.chi_total = rep[0].chi_cum;
  sum.measured_total = L > 1 ? rep[0].measured_cum : NAN;
  sum.verdict = judge(sum.chi_total, 1.0 / T, T);
  sum.verdict_measured = judge(sum.measured_total, 1.0 / T, T);
  sum.worst_layer = 0;
  double worst = -1.0;
  for (int l = 0; l < L; ++l) {
    double d = fabs(log(rep[l].chi));
    if (d == d && d > worst) {
      worst = d;
      sum.worst_layer = l;
    }
  }
  return sum;
}

extern "C" cubias_status_t cubias_gain_report(cubias_handle_t h, int L,
                                              const cubias_gain_layer_t *layers,
                                              const cubias_gain_options_t *opt,
                                              cubias_gain_layer_report_t *h_report,
                                              cubias_gain_summary_t *h_summary) {
  CUBIAS_ENTRY("cubias_gain_report");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (L < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the layer list is empty (n_layers = %d); pass at least one layer",
                       where, L);
  if (!layers) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: layers is NULL", where);
  if (!h_report) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: report is NULL", where);
  double T, target;
  if ((st = read_options(h, opt, &T, &target, where))) return st;
  int64_t maxC, chunks;
  if ((st = check_layers(h, L, layers, &maxC, &chunks, where))) return st;
  std::vector<double> R;
  if ((st = measure(h, L, layers, maxC, chunks, R))) return st;

  // Host formulas; everything into locals first, the caller's buffers last.
  std::vector<cubias_gain_layer_report_t> rep((size_t)L);
  std::vector<double> G((size_t)L, NAN);
  const double lo = pow(T, -1.0 / L), hi = pow(T, 1.0 / L);
  for (int l = 0; l < L; ++l)
    if ((st = layer_report(h, &layers[l], l, &R[(size_t)l * kR], lo, hi, target, &rep[l], &G[l],
                           where)))
      return st;
  cumulate(rep, G, T, lo, hi);
  const cubias_gain_summary_t sum = summarize(rep, T, lo, hi);
  memcpy(h_report, rep.data(), (size_t)L * sizeof *h_report);
  if (h_summary) *h_summary = sum;
  return CUBIAS_STATUS_SUCCESS;
}
