/* The table of tests/api_enum_calls.h: one case per enum-typed argument or
 * enum-typed struct field of each public call. Plain C, as the callers the
 * contract is about: an int of any value converts to the enum type here. Each
 * runner passes valid values everywhere except the one enum it sets to v. */
#include <stdio.h>
#include <string.h>

#include "api_enum_calls.h"

typedef const api_enum_env_t env_t;
#define DT(v) ((cubias_dtype_t)(v))
enum { F32 = CUBIAS_DTYPE_F32, ROW = CUBIAS_WEIGHT_ROW_MAJOR, LSTM = CUBIAS_RNN_LSTM };

/* ---- views with one enum field set to v ---------------------------------- */

static cubias_tensor_t zview(env_t *e, int dtype) {
  cubias_tensor_t t;
  cubias_tensor_rows(&t, e->z, CUBIAS_DTYPE_F32, 8, 4);
  t.dtype = DT(dtype);
  return t;
}

static cubias_weight_t wview(env_t *e, int dtype, int layout) {
  cubias_weight_t w;
  cubias_weight_make(&w, e->w, CUBIAS_DTYPE_F32, 4, 4, CUBIAS_WEIGHT_ROW_MAJOR, 0);
  w.dtype = DT(dtype);
  w.layout = (cubias_weight_layout_t)layout;
  return w;
}

static cubias_gate_config_t config(int scheme) {
  cubias_gate_config_t c;
  cubias_gate_config_default(&c);
  c.scheme = (cubias_gate_scheme_t)scheme;
  return c;
}

/* The string calls: INVALID_VALUE when the string names an unknown value. */
static cubias_status_t unknown_if(const char *s, const char *unknown) {
  return strncmp(s, unknown, strlen(unknown)) == 0 ? CUBIAS_STATUS_INVALID_VALUE
                                                   : CUBIAS_STATUS_SUCCESS;
}

/* ---- status, handle, views ------------------------------------------------- */

static cubias_status_t status_string(env_t *e, int v) {
  (void)e;
  return unknown_if(cubias_status_string((cubias_status_t)v), "CUBIAS_STATUS_UNKNOWN");
}
static cubias_status_t create(env_t *e, int v) {
  cubias_handle_t h = NULL;
  cubias_status_t st = cubias_create(&h, (cubias_backend_t)v);
  (void)e;
  if (!st) cubias_destroy(h);
  return st;
}
static cubias_status_t tensor_make(env_t *e, int v) {
  cubias_tensor_t t;
  return cubias_tensor_make(&t, e->z, DT(v), 8, 4, 1);
}
static cubias_status_t tensor_rows(env_t *e, int v) {
  cubias_tensor_t t;
  return cubias_tensor_rows(&t, e->z, DT(v), 8, 4);
}
static cubias_status_t tensor_nchw(env_t *e, int v) {
  cubias_tensor_t t;
  return cubias_tensor_nchw(&t, e->z, DT(v), 2, 4, 2, 2);
}
static cubias_status_t tensor_nhwc(env_t *e, int v) {
  cubias_tensor_t t;
  return cubias_tensor_nhwc(&t, e->z, DT(v), 2, 2, 2, 4);
}
static cubias_status_t tensor_tnd(env_t *e, int v) {
  cubias_tensor_t t;
  return cubias_tensor_tnd(&t, e->z, DT(v), 2, 4, 4);
}
static cubias_status_t weight_make_dtype(env_t *e, int v) {
  cubias_weight_t w;
  return cubias_weight_make(&w, e->w, DT(v), 4, 4, CUBIAS_WEIGHT_ROW_MAJOR, 0);
}
static cubias_status_t weight_make_layout(env_t *e, int v) {
  cubias_weight_t w;
  return cubias_weight_make(&w, e->w, CUBIAS_DTYPE_F32, 4, 4, (cubias_weight_layout_t)v, 0);
}

/* ---- statistics ---------------------------------------------------------- */

static cubias_status_t stats_create(env_t *e, int v) {
  cubias_stats_t s = NULL;
  cubias_status_t st = cubias_stats_create(e->h, 4, (cubias_activation_t)v, 0.0f, &s);
  if (!st) cubias_stats_destroy(s);
  return st;
}
static cubias_status_t stats_accumulate(env_t *e, int v) {
  cubias_tensor_t t = zview(e, v);
  return cubias_stats_accumulate(e->h, e->relu, &t);
}
static cubias_status_t reserve_workspace(env_t *e, int v) {
  cubias_tensor_t t = zview(e, v);
  return cubias_reserve_workspace(e->h, &t);
}
static cubias_status_t write_field(env_t *e, int v) {
  return cubias_stats_write_field(e->h, e->relu, (cubias_stat_field_t)v, (double *)e->out);
}

/* ---- derivations I ----------------------------------------------------------- */

static cubias_status_t center_in(env_t *e, int wdt, int wlay, int bdt) {
  cubias_weight_t w = wview(e, wdt, wlay);
  return cubias_center_from_input(e->h, e->relu, &w, NULL, e->out, DT(bdt));
}
static cubias_status_t center_in_wdtype(env_t *e, int v) { return center_in(e, v, ROW, F32); }
static cubias_status_t center_in_wlayout(env_t *e, int v) { return center_in(e, F32, v, F32); }
static cubias_status_t center_in_bdtype(env_t *e, int v) { return center_in(e, F32, ROW, v); }
/* A kernel area of 1: the same view is a valid 1x1 convolution. */
static cubias_status_t center_conv(env_t *e, int wdt, int wlay, int bdt) {
  cubias_weight_t w = wview(e, wdt, wlay);
  return cubias_center_conv_from_input(e->h, e->relu, &w, 1, NULL, e->out, DT(bdt));
}
static cubias_status_t center_conv_wdtype(env_t *e, int v) { return center_conv(e, v, ROW, F32); }
static cubias_status_t center_conv_wlayout(env_t *e, int v) { return center_conv(e, F32, v, F32); }
static cubias_status_t center_conv_bdtype(env_t *e, int v) { return center_conv(e, F32, ROW, v); }
static cubias_status_t center_pre(env_t *e, int v) {
  return cubias_center_from_preact(e->h, e->relu, NULL, e->out, DT(v));
}
static cubias_status_t normalize(env_t *e, int wdt, int wlay, int bdt) {
  cubias_weight_t w = wview(e, wdt, wlay);
  return cubias_normalize_from_preact(e->h, e->relu, 1.0, 0.0, &w, e->out, DT(bdt), NULL);
}
static cubias_status_t normalize_wdtype(env_t *e, int v) { return normalize(e, v, ROW, F32); }
static cubias_status_t normalize_wlayout(env_t *e, int v) { return normalize(e, F32, v, F32); }
static cubias_status_t normalize_bdtype(env_t *e, int v) { return normalize(e, F32, ROW, v); }
static cubias_status_t postact(env_t *e, int src, int wdt, int wlay, int bdt) {
  cubias_weight_t w = wview(e, wdt, wlay);
  return cubias_postact_shift(e->h, e->relu, (cubias_postact_source_t)src, &w, NULL, e->out,
                              DT(bdt), NULL);
}
static cubias_status_t postact_source(env_t *e, int v) { return postact(e, v, F32, ROW, F32); }
static cubias_status_t postact_wdtype(env_t *e, int v) { return postact(e, 0, v, ROW, F32); }
static cubias_status_t postact_wlayout(env_t *e, int v) { return postact(e, 0, F32, v, F32); }
static cubias_status_t postact_bdtype(env_t *e, int v) { return postact(e, 0, F32, ROW, v); }
static cubias_status_t gaussian(env_t *e, int v) {
  double m;
  (void)e;
  return cubias_gaussian_act_moments((cubias_activation_t)v, 0.0, 0.0, 1.0, &m, NULL, NULL);
}
static cubias_status_t symmetric(env_t *e, int act, int zdt, int bdt) {
  cubias_tensor_t t = zview(e, zdt);
  return cubias_symmetric_shift(e->h, (cubias_activation_t)act, e->tanh_s, &t, 1, e->out,
                                DT(bdt), NULL);
}
static cubias_status_t symmetric_act(env_t *e, int v) { return symmetric(e, v, F32, F32); }
static cubias_status_t symmetric_zdtype(env_t *e, int v) {
  return symmetric(e, CUBIAS_ACT_TANH, v, F32);
}
static cubias_status_t symmetric_bdtype(env_t *e, int v) {
  return symmetric(e, CUBIAS_ACT_TANH, F32, v);
}
static cubias_status_t revive_constant(env_t *e, int v) {
  return cubias_revive_constant(e->h, e->relu, 0.1, 1, e->out, DT(v), NULL);
}
static cubias_status_t revive_quantile(env_t *e, int zdt, int bdt) {
  cubias_tensor_t t = zview(e, zdt);
  return cubias_revive_quantile(e->h, e->relu, &t, 1, 0.5, 0.01, e->out, DT(bdt), NULL);
}
static cubias_status_t revive_quantile_zdtype(env_t *e, int v) { return revive_quantile(e, v, F32); }
static cubias_status_t revive_quantile_bdtype(env_t *e, int v) { return revive_quantile(e, F32, v); }

/* ---- derivations II ---------------------------------------------------------- */

static cubias_status_t labels(env_t *e, int index_type, int anchor, int dtype) {
  return cubias_prior_softmax_from_labels(e->h, e->labels, (cubias_index_type_t)index_type, 8, 4,
                                          1.0, (cubias_prior_anchor_t)anchor, 0, e->out,
                                          DT(dtype), NULL);
}
static cubias_status_t labels_index(env_t *e, int v) { return labels(e, v, 0, F32); }
static cubias_status_t labels_anchor(env_t *e, int v) { return labels(e, 0, v, F32); }
static cubias_status_t labels_dtype(env_t *e, int v) { return labels(e, 0, 0, v); }
static cubias_status_t targets(env_t *e, int v) {
  return cubias_prior_sigmoid_from_targets(e->h, e->targets, 8, 4, 1.0, e->out, DT(v), NULL);
}
static cubias_status_t softmax_probs(env_t *e, int anchor, int dtype) {
  return cubias_prior_softmax_from_probs(e->h, e->probs, 4, (cubias_prior_anchor_t)anchor, 0,
                                         e->out, DT(dtype));
}
static cubias_status_t softmax_probs_anchor(env_t *e, int v) { return softmax_probs(e, v, F32); }
static cubias_status_t softmax_probs_dtype(env_t *e, int v) { return softmax_probs(e, 0, v); }
static cubias_status_t sigmoid_probs(env_t *e, int v) {
  return cubias_prior_sigmoid_from_probs(e->h, e->probs, 4, e->out, DT(v));
}
static cubias_status_t prior_single(env_t *e, int v) {
  return cubias_prior_single(e->h, 0.01, 4, e->out, DT(v));
}
static cubias_status_t regression(env_t *e, int v) {
  return cubias_prior_regression_from_stats(e->h, e->relu, e->out, DT(v));
}
/* LSTM, input 2, hidden 2, one layer: w_ih [8, 2], w_hh [8, 2], b_ih [8], b_hh [8]. */
static cubias_status_t pytorch(env_t *e, int cell, int dtype, int scheme) {
  cubias_gate_config_t c = config(scheme);
  return cubias_rnn_gate_bias_pytorch(e->h, (cubias_rnn_cell_t)cell, e->out, DT(dtype), 48, 2, 2,
                                      1, 0, &c, NULL);
}
static cubias_status_t pytorch_cell(env_t *e, int v) { return pytorch(e, v, F32, 0); }
static cubias_status_t pytorch_dtype(env_t *e, int v) { return pytorch(e, LSTM, v, 0); }
static cubias_status_t pytorch_scheme(env_t *e, int v) { return pytorch(e, LSTM, F32, v); }
static cubias_status_t keras(env_t *e, int cell, int dtype, int scheme) {
  cubias_gate_config_t c = config(scheme);
  return cubias_rnn_gate_bias_keras(e->h, (cubias_rnn_cell_t)cell, e->out, DT(dtype), 2, 1, &c,
                                    NULL);
}
static cubias_status_t keras_cell(env_t *e, int v) { return keras(e, v, F32, 0); }
static cubias_status_t keras_dtype(env_t *e, int v) { return keras(e, LSTM, v, 0); }
static cubias_status_t keras_scheme(env_t *e, int v) { return keras(e, LSTM, F32, v); }
static cubias_status_t cudnn(env_t *e, int cell, int dtype, int scheme) {
  cubias_gate_config_t c = config(scheme);
  cubias_cudnn_rnn_biases_t b;
  int i;
  for (i = 0; i < 8; ++i) b.d_lin_bias[i] = (char *)e->out + 16 * i;
  return cubias_rnn_gate_bias_cudnn(e->h, (cubias_rnn_cell_t)cell, &b, 1, 2, DT(dtype), &c, NULL);
}
static cubias_status_t cudnn_cell(env_t *e, int v) { return cudnn(e, v, F32, 0); }
static cubias_status_t cudnn_dtype(env_t *e, int v) { return cudnn(e, LSTM, v, 0); }
static cubias_status_t cudnn_scheme(env_t *e, int v) { return cudnn(e, LSTM, F32, v); }
static cubias_status_t gate_target(env_t *e, int v) {
  return cubias_gate_target(e->h, 0.5, 4, e->out, DT(v));
}
static cubias_status_t optimistic(env_t *e, int v) {
  return cubias_optimistic_value(e->h, 1.0, 0.9, CUBIAS_HORIZON_INFINITE, 4, e->out, DT(v), NULL);
}
static cubias_status_t mask_value(env_t *e, int v) {
  double m;
  (void)e;
  return cubias_mask_value(DT(v), &m);
}
static cubias_status_t mask(env_t *e, int empty_row, int dtype) {
  return cubias_attention_mask(e->h, CUBIAS_MASK_CAUSAL, NULL, 1, 4, 4, 0,
                               (cubias_mask_empty_row_t)empty_row, e->out, DT(dtype));
}
static cubias_status_t mask_empty_row(env_t *e, int v) { return mask(e, v, F32); }
static cubias_status_t mask_dtype(env_t *e, int v) { return mask(e, 0, v); }
static cubias_status_t relpos(env_t *e, int v) {
  return cubias_relpos_bias_zero(e->h, e->out, 4, DT(v));
}

/* ---- gain check ---------------------------------------------------------------- */

static cubias_status_t weight_gain(env_t *e, int wdt, int wlay) {
  cubias_weight_t w = wview(e, wdt, wlay);
  return cubias_weight_gain(e->h, 1, &w, e->w_out);
}
static cubias_status_t weight_gain_dtype(env_t *e, int v) { return weight_gain(e, v, ROW); }
static cubias_status_t weight_gain_layout(env_t *e, int v) { return weight_gain(e, F32, v); }
static cubias_status_t gain_report(env_t *e, int wdt, int wlay) {
  cubias_gain_layer_t l;
  cubias_gain_layer_report_t r;
  cubias_gain_summary_t s;
  l.weight = wview(e, wdt, wlay);
  l.preact = e->relu;
  l.grad = NULL;
  return cubias_gain_report(e->h, 1, &l, NULL, &r, &s);
}
static cubias_status_t gain_report_dtype(env_t *e, int v) { return gain_report(e, v, ROW); }
static cubias_status_t gain_report_layout(env_t *e, int v) { return gain_report(e, F32, v); }
static cubias_status_t verdict_string(env_t *e, int v) {
  (void)e;
  return unknown_if(cubias_gain_verdict_string((cubias_gain_verdict_t)v), "unknown");
}
/* printer: 0 table, 1 JSON to a FILE, 2 JSON to a buffer; field: which verdict gets v. */
static cubias_status_t printed(env_t *e, int printer, int field, int v) {
  cubias_gain_layer_report_t r = *e->report;
  cubias_gain_summary_t s = *e->summary;
  cubias_status_t st;
  size_t len = 0;
  FILE *f;
  switch (field) {
    case 0: r.verdict = (cubias_gain_verdict_t)v; break;
    case 1: r.verdict_cum = (cubias_gain_verdict_t)v; break;
    case 2: r.verdict_measured = (cubias_gain_verdict_t)v; break;
    case 3: s.verdict = (cubias_gain_verdict_t)v; break;
    default: s.verdict_measured = (cubias_gain_verdict_t)v; break;
  }
  if (printer == 2) return cubias_gain_json_buffer(NULL, 0, &len, 1, &r, &s);
  f = fopen("/dev/null", "w");
  if (!f) return CUBIAS_STATUS_INTERNAL_ERROR;
  st = printer == 0 ? cubias_gain_print(f, 1, &r, &s) : cubias_gain_json_file(f, 1, &r, &s);
  fclose(f);
  return st;
}
#define PRINTED(name, printer, field) \
  static cubias_status_t name(env_t *e, int v) { return printed(e, printer, field, v); }
PRINTED(print_verdict, 0, 0)
PRINTED(print_verdict_cum, 0, 1)
PRINTED(print_verdict_measured, 0, 2)
PRINTED(print_summary_verdict, 0, 3)
PRINTED(print_summary_verdict_measured, 0, 4)
PRINTED(json_file_verdict, 1, 0)
PRINTED(json_file_verdict_cum, 1, 1)
PRINTED(json_file_verdict_measured, 1, 2)
PRINTED(json_file_summary_verdict, 1, 3)
PRINTED(json_file_summary_verdict_measured, 1, 4)
PRINTED(json_buffer_verdict, 2, 0)
PRINTED(json_buffer_verdict_cum, 2, 1)
PRINTED(json_buffer_verdict_measured, 2, 2)
PRINTED(json_buffer_summary_verdict, 2, 3)
PRINTED(json_buffer_summary_verdict_measured, 2, 4)
static cubias_status_t mf_fixed_point(env_t *e, int v) {
  cubias_meanfield_t m;
  (void)e;
  return cubias_meanfield_fixed_point((cubias_activation_t)v, 0.0f, 1.0, 0.05, &m);
}
static cubias_status_t mf_critical(env_t *e, int v) {
  double s;
  (void)e;
  return cubias_meanfield_critical((cubias_activation_t)v, 0.0f, 0.05, &s);
}
static cubias_status_t mf_moments(env_t *e, int v) {
  double a, b;
  (void)e;
  return cubias_meanfield_moments((cubias_activation_t)v, 0.0f, 1.0, &a, &b);
}

/* ---- the table ------------------------------------------------------------------ */

const api_enum_case_t api_enum_cases[] = {
    {"cubias_status_string", "status", CUBIAS_STATUS_NO_DATA, 13, 0, status_string},
    {"cubias_create", "backend", CUBIAS_BACKEND_CPU, 3, 1, create},
    {"cubias_tensor_make", "dtype", CUBIAS_DTYPE_F16, 3, 1, tensor_make},
    {"cubias_tensor_rows", "dtype", CUBIAS_DTYPE_BF16, 3, 1, tensor_rows},
    {"cubias_tensor_nchw", "dtype", CUBIAS_DTYPE_F32, 3, 1, tensor_nchw},
    {"cubias_tensor_nhwc", "dtype", CUBIAS_DTYPE_F32, 3, 1, tensor_nhwc},
    {"cubias_tensor_tnd", "dtype", CUBIAS_DTYPE_F32, 3, 1, tensor_tnd},
    {"cubias_weight_make", "dtype", CUBIAS_DTYPE_F32, 3, 1, weight_make_dtype},
    {"cubias_weight_make", "layout", CUBIAS_WEIGHT_COL_MAJOR, 2, 1, weight_make_layout},
    {"cubias_stats_create", "act", CUBIAS_ACT_SILU, 7, 1, stats_create},
    {"cubias_stats_accumulate", "x->dtype", CUBIAS_DTYPE_F32, 3, 1, stats_accumulate},
    {"cubias_reserve_workspace", "x->dtype", CUBIAS_DTYPE_F32, 3, 1, reserve_workspace},
    {"cubias_stats_write_field", "field", CUBIAS_FIELD_DPHI_SQ_MEAN, 13, 1, write_field},
    {"cubias_center_from_input", "W->dtype", CUBIAS_DTYPE_F32, 3, 1, center_in_wdtype},
    {"cubias_center_from_input", "W->layout", CUBIAS_WEIGHT_COL_MAJOR, 2, 1, center_in_wlayout},
    {"cubias_center_from_input", "bias_dtype", CUBIAS_DTYPE_F16, 3, 1, center_in_bdtype},
    {"cubias_center_conv_from_input", "W->dtype", CUBIAS_DTYPE_F32, 3, 1, center_conv_wdtype},
    {"cubias_center_conv_from_input", "W->layout", CUBIAS_WEIGHT_COL_MAJOR, 2, 1, center_conv_wlayout},
    {"cubias_center_conv_from_input", "bias_dtype", CUBIAS_DTYPE_BF16, 3, 1, center_conv_bdtype},
    {"cubias_center_from_preact", "bias_dtype", CUBIAS_DTYPE_F32, 3, 1, center_pre},
    {"cubias_normalize_from_preact", "W->dtype", CUBIAS_DTYPE_F32, 3, 1, normalize_wdtype},
    {"cubias_normalize_from_preact", "W->layout", CUBIAS_WEIGHT_ROW_MAJOR, 2, 1, normalize_wlayout},
    {"cubias_normalize_from_preact", "bias_dtype", CUBIAS_DTYPE_F32, 3, 1, normalize_bdtype},
    {"cubias_postact_shift", "source", CUBIAS_POSTACT_GAUSSIAN, 2, 1, postact_source},
    {"cubias_postact_shift", "W_next->dtype", CUBIAS_DTYPE_F32, 3, 1, postact_wdtype},
    {"cubias_postact_shift", "W_next->layout", CUBIAS_WEIGHT_COL_MAJOR, 2, 1, postact_wlayout},
    {"cubias_postact_shift", "bias_dtype", CUBIAS_DTYPE_BF16, 3, 1, postact_bdtype},
    {"cubias_gaussian_act_moments", "act", CUBIAS_ACT_RELU, 7, 1, gaussian},
    {"cubias_symmetric_shift", "act", CUBIAS_ACT_TANH, 7, 1, symmetric_act},
    {"cubias_symmetric_shift", "z->dtype", CUBIAS_DTYPE_F32, 3, 1, symmetric_zdtype},
    {"cubias_symmetric_shift", "bias_dtype", CUBIAS_DTYPE_F32, 3, 1, symmetric_bdtype},
    {"cubias_revive_constant", "bias_dtype", CUBIAS_DTYPE_F32, 3, 1, revive_constant},
    {"cubias_revive_quantile", "z->dtype", CUBIAS_DTYPE_F32, 3, 1, revive_quantile_zdtype},
    {"cubias_revive_quantile", "bias_dtype", CUBIAS_DTYPE_F32, 3, 1, revive_quantile_bdtype},
    {"cubias_prior_softmax_from_labels", "index_type", CUBIAS_INDEX_INT32, 2, 1, labels_index},
    {"cubias_prior_softmax_from_labels", "anchor", CUBIAS_PRIOR_LOG_PROB, 3, 1, labels_anchor},
    {"cubias_prior_softmax_from_labels", "dtype", CUBIAS_DTYPE_F32, 3, 1, labels_dtype},
    {"cubias_prior_sigmoid_from_targets", "dtype", CUBIAS_DTYPE_F32, 3, 1, targets},
    {"cubias_prior_softmax_from_probs", "anchor", CUBIAS_PRIOR_PIN_CLASS, 3, 1, softmax_probs_anchor},
    {"cubias_prior_softmax_from_probs", "dtype", CUBIAS_DTYPE_F32, 3, 1, softmax_probs_dtype},
    {"cubias_prior_sigmoid_from_probs", "dtype", CUBIAS_DTYPE_F32, 3, 1, sigmoid_probs},
    {"cubias_prior_single", "dtype", CUBIAS_DTYPE_F32, 3, 1, prior_single},
    {"cubias_prior_regression_from_stats", "dtype", CUBIAS_DTYPE_F32, 3, 1, regression},
    {"cubias_rnn_gate_bias_pytorch", "cell", CUBIAS_RNN_LSTM, 2, 1, pytorch_cell},
    {"cubias_rnn_gate_bias_pytorch", "dtype", CUBIAS_DTYPE_F32, 3, 1, pytorch_dtype},
    {"cubias_rnn_gate_bias_pytorch", "cfg->scheme", CUBIAS_GATE_CONSTANT, 3, 1, pytorch_scheme},
    {"cubias_rnn_gate_bias_keras", "cell", CUBIAS_RNN_LSTM, 2, 1, keras_cell},
    {"cubias_rnn_gate_bias_keras", "dtype", CUBIAS_DTYPE_F32, 3, 1, keras_dtype},
    {"cubias_rnn_gate_bias_keras", "cfg->scheme", CUBIAS_GATE_RETENTION, 3, 1, keras_scheme},
    {"cubias_rnn_gate_bias_cudnn", "cell", CUBIAS_RNN_GRU, 2, 1, cudnn_cell},
    {"cubias_rnn_gate_bias_cudnn", "dtype", CUBIAS_DTYPE_F32, 3, 1, cudnn_dtype},
    {"cubias_rnn_gate_bias_cudnn", "cfg->scheme", CUBIAS_GATE_CONSTANT, 3, 1, cudnn_scheme},
    {"cubias_gate_target", "dtype", CUBIAS_DTYPE_F32, 3, 1, gate_target},
    {"cubias_optimistic_value", "dtype", CUBIAS_DTYPE_F32, 3, 1, optimistic},
    {"cubias_mask_value", "dtype", CUBIAS_DTYPE_F16, 3, 1, mask_value},
    {"cubias_attention_mask", "empty_row", CUBIAS_MASK_EMPTY_ROW_ZERO, 2, 1, mask_empty_row},
    {"cubias_attention_mask", "dtype", CUBIAS_DTYPE_F32, 3, 1, mask_dtype},
    {"cubias_relpos_bias_zero", "dtype", CUBIAS_DTYPE_F32, 3, 1, relpos},
    {"cubias_weight_gain", "h_weights->dtype", CUBIAS_DTYPE_F32, 3, 1, weight_gain_dtype},
    {"cubias_weight_gain", "h_weights->layout", CUBIAS_WEIGHT_COL_MAJOR, 2, 1, weight_gain_layout},
    {"cubias_gain_report", "h_layers->weight.dtype", CUBIAS_DTYPE_F32, 3, 1, gain_report_dtype},
    {"cubias_gain_report", "h_layers->weight.layout", CUBIAS_WEIGHT_ROW_MAJOR, 2, 1,
     gain_report_layout},
    {"cubias_gain_verdict_string", "v", CUBIAS_GAIN_VANISHING, 4, 0, verdict_string},
    {"cubias_gain_print", "h_report->verdict", CUBIAS_GAIN_EXPLODING, 4, 1, print_verdict},
    {"cubias_gain_print", "h_report->verdict_cum", CUBIAS_GAIN_STABLE, 4, 1, print_verdict_cum},
    {"cubias_gain_print", "h_report->verdict_measured", CUBIAS_GAIN_UNKNOWN, 4, 1,
     print_verdict_measured},
    {"cubias_gain_print", "h_summary->verdict", CUBIAS_GAIN_STABLE, 4, 1, print_summary_verdict},
    {"cubias_gain_print", "h_summary->verdict_measured", CUBIAS_GAIN_UNKNOWN, 4, 1,
     print_summary_verdict_measured},
    {"cubias_gain_json_file", "h_report->verdict", CUBIAS_GAIN_STABLE, 4, 1, json_file_verdict},
    {"cubias_gain_json_file", "h_report->verdict_cum", CUBIAS_GAIN_STABLE, 4, 1,
     json_file_verdict_cum},
    {"cubias_gain_json_file", "h_report->verdict_measured", CUBIAS_GAIN_STABLE, 4, 1,
     json_file_verdict_measured},
    {"cubias_gain_json_file", "h_summary->verdict", CUBIAS_GAIN_STABLE, 4, 1,
     json_file_summary_verdict},
    {"cubias_gain_json_file", "h_summary->verdict_measured", CUBIAS_GAIN_STABLE, 4, 1,
     json_file_summary_verdict_measured},
    {"cubias_gain_json_buffer", "h_report->verdict", CUBIAS_GAIN_STABLE, 4, 1, json_buffer_verdict},
    {"cubias_gain_json_buffer", "h_report->verdict_cum", CUBIAS_GAIN_STABLE, 4, 1,
     json_buffer_verdict_cum},
    {"cubias_gain_json_buffer", "h_report->verdict_measured", CUBIAS_GAIN_STABLE, 4, 1,
     json_buffer_verdict_measured},
    {"cubias_gain_json_buffer", "h_summary->verdict", CUBIAS_GAIN_STABLE, 4, 1,
     json_buffer_summary_verdict},
    {"cubias_gain_json_buffer", "h_summary->verdict_measured", CUBIAS_GAIN_STABLE, 4, 1,
     json_buffer_summary_verdict_measured},
    {"cubias_meanfield_fixed_point", "act", CUBIAS_ACT_TANH, 7, 1, mf_fixed_point},
    {"cubias_meanfield_critical", "act", CUBIAS_ACT_TANH, 7, 1, mf_critical},
    {"cubias_meanfield_moments", "act", CUBIAS_ACT_GELU, 7, 1, mf_moments},
};

const int api_enum_case_count = (int)(sizeof api_enum_cases / sizeof api_enum_cases[0]);
