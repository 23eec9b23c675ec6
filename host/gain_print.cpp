// The gain report as an aligned text table or as JSON. Nothing prints unless
// one of these is called.
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <string>

#include "internal.h"

namespace {

void add(std::string &s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void add(std::string &s, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) s.append(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

const char *act_name(int a) {
  switch (a) {
    case CUBIAS_ACT_IDENTITY: return "identity";
    case CUBIAS_ACT_RELU: return "relu";
    case CUBIAS_ACT_LEAKY_RELU: return "leaky_relu";
    case CUBIAS_ACT_TANH: return "tanh";
    case CUBIAS_ACT_SIGMOID: return "sigmoid";
    case CUBIAS_ACT_GELU: return "gelu";
    case CUBIAS_ACT_SILU: return "silu";
  }
  return "?";
}

// A number in a right-aligned column: "-" for NaN (not applicable/measured).
void cell(std::string &s, double v, int w) {
  if (v != v)
    add(s, " %*s", w, "-");
  else if (isinf(v))
    add(s, " %*s", w, v > 0 ? "inf" : "-inf");
  else
    add(s, " %*.4g", w, v);
}

// A verdict field as the int the caller stored (reports may be hand-filled).
const char *vname(const cubias_gain_verdict_t &v) {
  const int k = cubias_enum_int(v);
  return k >= CUBIAS_GAIN_STABLE && k <= CUBIAS_GAIN_UNKNOWN
             ? cubias_gain_verdict_string((cubias_gain_verdict_t)k)
             : "unknown";
}

cubias_status_t check_verdict(const cubias_gain_verdict_t &v, const char *what, int layer,
                              const char *where) {
  const int k = cubias_enum_int(v);
  if (k >= CUBIAS_GAIN_STABLE && k <= CUBIAS_GAIN_UNKNOWN) return CUBIAS_STATUS_SUCCESS;
  if (layer < 0)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the summary's %s is %d, not a cubias_gain_verdict_t", where, what, k);
  return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                     "%s: layer %d's %s is %d, not a cubias_gain_verdict_t", where, layer, what, k);
}

cubias_status_t check(const char *where, int n, const cubias_gain_layer_report_t *r,
                      const cubias_gain_summary_t *sm) {
  if (n < 1)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: n_layers is %d; must be >= 1",
                       where, n);
  if (!r) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: report is NULL", where);
  cubias_status_t st = CUBIAS_STATUS_SUCCESS;
  for (int l = 0; l < n && !st; ++l)
    if (!(st = check_verdict(r[l].verdict, "verdict", l, where)) &&
        !(st = check_verdict(r[l].verdict_cum, "verdict_cum", l, where)))
      st = check_verdict(r[l].verdict_measured, "verdict_measured", l, where);
  if (sm && !st && !(st = check_verdict(sm->verdict, "verdict", -1, where)))
    st = check_verdict(sm->verdict_measured, "verdict_measured", -1, where);
  return st;
}

std::string table(int n, const cubias_gain_layer_report_t *r, const cubias_gain_summary_t *sm) {
  std::string s;
  add(s, "%5s %-10s %7s %7s %10s %10s %10s %10s %-9s %-9s %10s %10s %10s %-9s %10s %10s\n",
      "layer", "act", "fan_in", "width", "wgain", "E[phi'^2]", "chi", "chi_cum", "verdict",
      "cum", "pred_ratio", "meas_ratio", "meas_cum", "measured", "bmax/sig", "shift_max");
  for (int l = 0; l < n; ++l) {
    const cubias_gain_layer_report_t *o = &r[l];
    add(s, "%5d %-10s %7lld %7lld", l, act_name(o->activation), (long long)o->fan_in,
        (long long)o->width);
    cell(s, o->weight_gain, 10);
    cell(s, o->dphi_sq_mean, 10);
    cell(s, o->chi, 10);
    cell(s, o->chi_cum, 10);
    add(s, " %-9s %-9s", vname(o->verdict),
        vname(o->verdict_cum));
    cell(s, o->pred_ratio, 10);
    cell(s, o->measured_ratio, 10);
    cell(s, o->measured_cum, 10);
    add(s, " %-9s", vname(o->verdict_measured));
    cell(s, o->bias_max_sigma, 10);
    cell(s, o->bias_shift_max, 10);
    s += '\n';
  }
  if (sm) {
    add(s, "threshold T = %g: depth stable in [%.4g, %.4g], a layer in [%.4g, %.4g] (T^(+-1/%d))\n",
        sm->threshold, 1.0 / sm->threshold, sm->threshold, sm->layer_low, sm->layer_high,
        sm->n_layers);
    add(s, "predicted gain over %d layers: %.4g -> %s; worst layer %d (chi %.4g)\n", sm->n_layers,
        sm->chi_total, vname(sm->verdict), sm->worst_layer,
        sm->worst_layer >= 0 && sm->worst_layer < n ? r[sm->worst_layer].chi : NAN);
    if (sm->measured_total == sm->measured_total)
      add(s, "measured gain E[g_0^2]/E[g_%d^2]: %.4g -> %s\n", sm->n_layers - 1,
          sm->measured_total, vname(sm->verdict_measured));
    else
      add(s, "measured gain: not measured (no gradient statistics)\n");
  }
  return s;
}

void jnum(std::string &s, const char *key, double v, bool comma = true) {
  if (v == v && !isinf(v))
    add(s, "\"%s\": %.17g", key, v);
  else
    add(s, "\"%s\": null", key);
  if (comma) s += ", ";
}

std::string json(int n, const cubias_gain_layer_report_t *r, const cubias_gain_summary_t *sm) {
  std::string s = "{";
  if (sm) {
    s += "\"summary\": {";
    add(s, "\"n_layers\": %d, ", sm->n_layers);
    jnum(s, "threshold", sm->threshold);
    jnum(s, "layer_low", sm->layer_low);
    jnum(s, "layer_high", sm->layer_high);
    jnum(s, "chi_total", sm->chi_total);
    jnum(s, "measured_total", sm->measured_total);
    add(s, "\"verdict\": \"%s\", \"verdict_measured\": \"%s\", \"worst_layer\": %d}, ",
        vname(sm->verdict), vname(sm->verdict_measured),
        sm->worst_layer);
  }
  s += "\"layers\": [";
  for (int l = 0; l < n; ++l) {
    const cubias_gain_layer_report_t *o = &r[l];
    if (l) s += ", ";
    add(s, "{\"layer\": %d, \"activation\": \"%s\", \"relu_like\": %s, \"fan_in\": %lld, "
           "\"width\": %lld, ",
        l, act_name(o->activation), o->relu_like ? "true" : "false", (long long)o->fan_in,
        (long long)o->width);
    jnum(s, "weight_gain", o->weight_gain);
    jnum(s, "z_mean", o->z_mean);
    jnum(s, "z_std", o->z_std);
    jnum(s, "dphi_sq_mean", o->dphi_sq_mean);
    jnum(s, "chi", o->chi);
    jnum(s, "chi_cum", o->chi_cum);
    jnum(s, "pred_ratio", o->pred_ratio);
    jnum(s, "grad_sq_mean", o->grad_sq_mean);
    jnum(s, "measured_ratio", o->measured_ratio);
    jnum(s, "measured_cum", o->measured_cum);
    jnum(s, "bias_max_sigma", o->bias_max_sigma);
    jnum(s, "bias_shift_max", o->bias_shift_max);
    add(s, "\"verdict\": \"%s\", \"verdict_cum\": \"%s\", \"verdict_measured\": \"%s\"}",
        vname(o->verdict), vname(o->verdict_cum),
        vname(o->verdict_measured));
  }
  s += "]}\n";
  return s;
}

cubias_status_t put(FILE *f, const std::string &s, const char *where) {
  if (!f) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: FILE is NULL", where);
  if (fwrite(s.data(), 1, s.size(), f) != s.size())
    return cubias_fail(nullptr, CUBIAS_STATUS_INTERNAL_ERROR, "%s: writing to the FILE failed",
                       where);
  return CUBIAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" cubias_status_t cubias_gain_print(FILE *f, int n, const cubias_gain_layer_report_t *r,
                                             const cubias_gain_summary_t *sm) {
  CUBIAS_ENTRY("cubias_gain_print");
  if (!f) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: FILE is NULL", where);
  cubias_status_t st = check(where, n, r, sm);
  if (st) return st;
  return put(f, table(n, r, sm), where);
}

extern "C" cubias_status_t cubias_gain_json_file(FILE *f, int n,
                                                 const cubias_gain_layer_report_t *r,
                                                 const cubias_gain_summary_t *sm) {
  CUBIAS_ENTRY("cubias_gain_json_file");
  if (!f) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: FILE is NULL", where);
  cubias_status_t st = check(where, n, r, sm);
  if (st) return st;
  return put(f, json(n, r, sm), where);
}

extern "C" cubias_status_t cubias_gain_json_buffer(char *buf, size_t cap, size_t *len, int n,
                                                   const cubias_gain_layer_report_t *r,
                                                   const cubias_gain_summary_t *sm) {
  CUBIAS_ENTRY("cubias_gain_json_buffer");
  if (!len) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: length is NULL", where);
  cubias_status_t st = check(where, n, r, sm);
  if (st) return st;
  if (!buf && cap != 0)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: buf is NULL but capacity is %zu", where, cap);
  std::string s = json(n, r, sm);
  if (buf && cap < s.size() + 1)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: capacity %zu is below the %zu bytes needed (text + NUL)", where, cap,
                       s.size() + 1);
  *len = s.size();
  if (buf) memcpy(buf, s.c_str(), s.size() + 1);
  return CUBIAS_STATUS_SUCCESS;
}
