/* The cubias demo: what bias initialisation does, measured on the spot.
 *
 * Each row of the table is a claim of the article (../shared/seed) put to the
 * test in this run, on the default backend (the GPU when one answers, else the
 * CPU): the network or process is simulated here in plain C, cubias measures
 * it and derives the biases. Progress goes to stderr, the table to stdout. */
#include <float.h>
#include <time.h>

#include "example_util.h"

/* ---- the table ------------------------------------------------------------ */

typedef struct {
  const char *claim, *measured;
  char without[48], with[48];
} row_t;

static row_t g_rows[8];
static int g_nrows = 0;
static double g_t0;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static row_t *begin(const char *claim, const char *measured) {
  row_t *r = &g_rows[g_nrows++];
  r->claim = claim;
  r->measured = measured;
  fprintf(stderr, "[%d/8 %5.1fs] %s ...\n", g_nrows, now() - g_t0, claim);
  return r;
}

/* ---- a plain MLP ----------------------------------------------------------- */

/* z[n, out] = a[n, in] W^T + b (W row-major [out, in]; b may be NULL). */
static void layer(int n, const float *a, int in, const float *W, const float *b, int out, float *z) {
  for (int s = 0; s < n; ++s)
    for (int j = 0; j < out; ++j) {
      float acc = b ? b[j] : 0.0f;
      const float *w = W + (size_t)j * in, *x = a + (size_t)s * in;
      for (int i = 0; i < in; ++i) acc += w[i] * x[i];
      z[(size_t)s * out + j] = acc;
    }
}

static void apply(const float *z, float *a, size_t count, int tanh_act) {
  for (size_t i = 0; i < count; ++i) a[i] = tanh_act ? tanhf(z[i]) : (z[i] > 0 ? z[i] : 0.0f);
}

static void he_weights(float *W, int out, int in, double gain, unsigned long long *seed) {
  for (int i = 0; i < out * in; ++i) W[i] = (float)(ex_normal(seed) * sqrt(gain / in));
}

/* Statistics of a host [n, C] batch on the backend (d_buf is backend scratch). */
static cubias_stats_t measure(cubias_handle_t h, void *d_buf, const float *z, int n, int C,
                              cubias_activation_t act) {
  cubias_stats_t st;
  cubias_tensor_t v;
  ex_upload(h, d_buf, z, sizeof(float) * n * C);
  EX_CHECK(h, cubias_stats_create(h, C, act, 0.0f, &st));
  EX_CHECK(h, cubias_tensor_rows(&v, d_buf, CUBIAS_DTYPE_F32, n, C));
  EX_CHECK(h, cubias_stats_accumulate(h, st, &v));
  return st;
}

/* Mean over channels of |mean| (scaled by 1/std when relative). */
static double mean_abs_mean(cubias_handle_t h, cubias_stats_t st, int C, int relative) {
  cubias_channel_stats_t *o = malloc(sizeof *o * C);
  double s = 0;
  EX_CHECK(h, cubias_stats_read(h, st, o));
  for (int c = 0; c < C; ++c) s += fabs(o[c].mean) / (relative ? sqrt(o[c].var) : 1.0);
  free(o);
  return s / C;
}

/* ---- 1. centering ------------------------------------------------------------ */

static void claim_centering(cubias_handle_t h) {
  enum { N = 2048, W = 128, L = 8 };
  row_t *r = begin("centering: b = -W mu_x", "mean |E[z]| over 8 tanh layers");
  unsigned long long seed = 1;
  float *x = malloc(sizeof(float) * N * W), *z = malloc(sizeof(float) * N * W);
  float *Ws = malloc(sizeof(float) * L * W * W), *b = malloc(sizeof(float) * W);
  void *d_buf = ex_alloc(h, sizeof(float) * N * W), *d_W = ex_alloc(h, sizeof(float) * W * W);
  void *d_b = ex_alloc(h, sizeof(float) * W);
  he_weights(Ws, L * W, W, 1.0, &seed); /* Xavier-like gain 1 for tanh */
  double result[2];
  for (int with = 0; with < 2; ++with) {
    for (int i = 0; i < N * W; ++i) x[i] = (float)(3.0 + ex_normal(&seed)); /* mean 3, not 0 */
    double total = 0;
    for (int l = 0; l < L; ++l) {
      const float *Wl = Ws + (size_t)l * W * W;
      if (with) { /* measure this layer's inputs, then b = -W mu_x */
        cubias_stats_t sx = measure(h, d_buf, x, N, W, CUBIAS_ACT_IDENTITY);
        cubias_weight_t w;
        ex_upload(h, d_W, Wl, sizeof(float) * W * W);
        EX_CHECK(h, cubias_weight_make(&w, d_W, CUBIAS_DTYPE_F32, W, W, CUBIAS_WEIGHT_ROW_MAJOR, 0));
        EX_CHECK(h, cubias_center_from_input(h, sx, &w, NULL, d_b, CUBIAS_DTYPE_F32));
        ex_download(h, b, d_b, sizeof(float) * W);
        EX_CHECK(h, cubias_stats_destroy(sx));
      }
      layer(N, x, W, Wl, with ? b : NULL, W, z);
      cubias_stats_t sz = measure(h, d_buf, z, N, W, CUBIAS_ACT_TANH);
      total += mean_abs_mean(h, sz, W, 0) / L;
      EX_CHECK(h, cubias_stats_destroy(sz));
      apply(z, x, (size_t)N * W, 1);
    }
    result[with] = total;
  }
  snprintf(r->without, sizeof r->without, "%.3f", result[0]);
  snprintf(r->with, sizeof r->with, "%.4f", result[1]);
  ex_free(h, d_buf), ex_free(h, d_W), ex_free(h, d_b);
  free(x), free(z), free(Ws), free(b);
}

/* ---- 2. post-ReLU drift ---------------------------------------------------- */

static void claim_post_relu(cubias_handle_t h) {
  enum { N = 2048, W = 128, L = 8 };
  row_t *r = begin("post-ReLU shift: b = -W E[relu(z)]", "mean |E[z]|/sigma at layer 8");
  unsigned long long seed = 2;
  float *x = malloc(sizeof(float) * N * W), *z = malloc(sizeof(float) * N * W);
  float *Ws = malloc(sizeof(float) * L * W * W), *b = malloc(sizeof(float) * W);
  void *d_buf = ex_alloc(h, sizeof(float) * N * W), *d_W = ex_alloc(h, sizeof(float) * W * W);
  void *d_b = ex_alloc(h, sizeof(float) * W);
  he_weights(Ws, L * W, W, 2.0, &seed);
  double result[2];
  for (int with = 0; with < 2; ++with) {
    for (int i = 0; i < N * W; ++i) x[i] = (float)ex_normal(&seed); /* centred inputs */
    cubias_stats_t prev = NULL;
    for (int l = 0; l < L; ++l) {
      const float *Wl = Ws + (size_t)l * W * W;
      if (with && prev) { /* cancel the previous layer's post-ReLU mean */
        cubias_weight_t w;
        ex_upload(h, d_W, Wl, sizeof(float) * W * W);
        EX_CHECK(h, cubias_weight_make(&w, d_W, CUBIAS_DTYPE_F32, W, W, CUBIAS_WEIGHT_ROW_MAJOR, 0));
        EX_CHECK(h, cubias_postact_shift(h, prev, CUBIAS_POSTACT_MEASURED, &w, NULL, d_b,
                                         CUBIAS_DTYPE_F32, NULL));
        ex_download(h, b, d_b, sizeof(float) * W);
      }
      layer(N, x, W, Wl, with && prev ? b : NULL, W, z);
      if (prev) EX_CHECK(h, cubias_stats_destroy(prev));
      prev = measure(h, d_buf, z, N, W, CUBIAS_ACT_RELU);
      apply(z, x, (size_t)N * W, 0);
    }
    result[with] = mean_abs_mean(h, prev, W, 1);
    EX_CHECK(h, cubias_stats_destroy(prev));
  }
  snprintf(r->without, sizeof r->without, "%.3f", result[0]);
  snprintf(r->with, sizeof r->with, "%.4f", result[1]);
  ex_free(h, d_buf), ex_free(h, d_W), ex_free(h, d_b);
  free(x), free(z), free(Ws), free(b);
}

/* ---- 3. gradient gain over 50 layers --------------------------------------- */

/* Forward a 50-layer ReLU net with the given biases; return the predicted
 * gradient gain over the depth (product of chi_l), and, with `recommend`, lower
 * each layer's bias on the way by the shift the gain check recommends (the
 * largest bias with chi_l <= 1). */
static double gain_run(cubias_handle_t h, int N, int W, int L, const float *Ws, float *bias,
                       const float *x0, int recommend) {
  float *x = malloc(sizeof(float) * N * W), *z = malloc(sizeof(float) * N * W);
  void *d_buf = ex_alloc(h, sizeof(float) * N * W), *d_W = ex_alloc(h, sizeof(float) * L * W * W);
  cubias_gain_layer_t *layers = calloc(L, sizeof *layers);
  cubias_gain_layer_report_t *rep = calloc(L, sizeof *rep);
  cubias_gain_summary_t sum;
  memcpy(x, x0, sizeof(float) * N * W);
  ex_upload(h, d_W, Ws, sizeof(float) * L * W * W);
  for (int l = 0; l < L; ++l) {
    float *bl = bias + (size_t)l * W;
    EX_CHECK(h, cubias_weight_make(&layers[l].weight, (float *)d_W + (size_t)l * W * W,
                                   CUBIAS_DTYPE_F32, W, W, CUBIAS_WEIGHT_ROW_MAJOR, 0));
    layer(N, x, W, Ws + (size_t)l * W * W, bl, W, z);
    layers[l].preact = measure(h, d_buf, z, N, W, CUBIAS_ACT_RELU);
    if (recommend) { /* this layer's largest shift keeping chi <= target, then re-measure */
      cubias_gain_layer_report_t one;
      EX_CHECK(h, cubias_gain_report(h, 1, &layers[l], NULL, &one, &sum));
      if (isfinite(one.bias_shift_max) && one.bias_shift_max < 0) {
        for (int j = 0; j < W; ++j) bl[j] += (float)one.bias_shift_max;
        for (size_t i = 0; i < (size_t)N * W; ++i) z[i] += (float)one.bias_shift_max;
        EX_CHECK(h, cubias_stats_destroy(layers[l].preact));
        layers[l].preact = measure(h, d_buf, z, N, W, CUBIAS_ACT_RELU);
      }
    }
    apply(z, x, (size_t)N * W, 0);
  }
  EX_CHECK(h, cubias_gain_report(h, L, layers, NULL, rep, &sum));
  for (int l = 0; l < L; ++l) EX_CHECK(h, cubias_stats_destroy(layers[l].preact));
  ex_free(h, d_buf), ex_free(h, d_W);
  free(x), free(z), free(layers), free(rep);
  return sum.chi_total;
}

static void claim_gain(cubias_handle_t h) {
  enum { N = 512, W = 64, L = 50 };
  row_t *r = begin("gradient gain: chi = sigma_w^2 Phi(b)", "predicted gain over 50 ReLU layers");
  unsigned long long seed = 3;
  float *Ws = malloc(sizeof(float) * L * W * W), *x0 = malloc(sizeof(float) * N * W);
  float *bias = calloc((size_t)L * W, sizeof(float));
  he_weights(Ws, L * W, W, 2.0, &seed);
  for (int i = 0; i < N * W; ++i) x0[i] = (float)ex_normal(&seed);
  const double g0 = gain_run(h, N, W, L, Ws, bias, x0, 0);
  /* b = 0.1 sigma: sigma of z is about sqrt(2 E[a^2]) = 1 per layer with He weights. */
  for (int i = 0; i < L * W; ++i) bias[i] = 0.1f;
  const double g1 = gain_run(h, N, W, L, Ws, bias, x0, 0);
  const double g2 = gain_run(h, N, W, L, Ws, bias, x0, 1);
  snprintf(r->without, sizeof r->without, "b=0: %.3g, b=0.1s: %.3g", g0, g1);
  snprintf(r->with, sizeof r->with, "recommended: %.3g", g2);
  free(Ws), free(x0), free(bias);
}

/* ---- 4. class prior --------------------------------------------------------- */

/* Logistic regression on 1 %-positive data: mean cross-entropy over the set. */
static double logreg_loss(const float *X, const unsigned char *y, int n, int d, const double *w, double b) {
  double loss = 0;
  for (int s = 0; s < n; ++s) {
    double z = b;
    for (int i = 0; i < d; ++i) z += w[i] * X[s * d + i];
    loss += y[s] ? log1p(exp(-z)) : log1p(exp(z));
  }
  return loss / n;
}

static double logreg_train(const float *X, const unsigned char *y, int n, int d, double b, int steps) {
  double *w = calloc(d, sizeof(double));
  unsigned long long seed = 11;
  for (int t = 0; t < steps; ++t) { /* SGD, batch 64, learning rate 0.1 */
    double gb = 0, *gw = calloc(d, sizeof(double));
    for (int k = 0; k < 64; ++k) {
      int s = (int)(ex_uniform(&seed) * n);
      double z = b;
      for (int i = 0; i < d; ++i) z += w[i] * X[s * d + i];
      double err = 1.0 / (1.0 + exp(-z)) - y[s];
      gb += err / 64;
      for (int i = 0; i < d; ++i) gw[i] += err * X[s * d + i] / 64;
    }
    b -= 0.1 * gb;
    for (int i = 0; i < d; ++i) w[i] -= 0.1 * gw[i];
    free(gw);
  }
  double loss = logreg_loss(X, y, n, d, w, b);
  free(w);
  return loss;
}

static void claim_prior(cubias_handle_t h) {
  enum { N = 20000, D = 16, STEPS = 100 };
  row_t *r = begin("class prior: b = ln(pi/(1-pi))", "cross-entropy at init | after 100 SGD steps");
  unsigned long long seed = 4;
  float *X = malloc(sizeof(float) * N * D);
  unsigned char *y = malloc(N);
  for (int s = 0; s < N; ++s) {
    y[s] = ex_uniform(&seed) < 0.01;
    for (int i = 0; i < D; ++i) X[s * D + i] = (float)(ex_normal(&seed) + (y[s] && i < 4 ? 1.0 : 0.0));
  }
  void *d_y = ex_alloc(h, N), *d_b = ex_alloc(h, sizeof(float));
  float b = 0;
  int64_t bad = 0;
  ex_upload(h, d_y, y, N);
  EX_CHECK(h, cubias_prior_sigmoid_from_targets(h, (const uint8_t *)d_y, N, 1, CUBIAS_PRIOR_ALPHA_DEFAULT,
                                                d_b, CUBIAS_DTYPE_F32, &bad));
  ex_download(h, &b, d_b, sizeof b);
  double *w0 = calloc(D, sizeof(double));
  snprintf(r->without, sizeof r->without, "%.3f | %.3f", logreg_loss(X, y, N, D, w0, 0.0),
           logreg_train(X, y, N, D, 0.0, STEPS));
  snprintf(r->with, sizeof r->with, "%.3f | %.3f", logreg_loss(X, y, N, D, w0, b),
           logreg_train(X, y, N, D, b, STEPS));
  ex_free(h, d_y), ex_free(h, d_b);
  free(X), free(y), free(w0);
}

/* ---- 5. LSTM retention -------------------------------------------------------- */

static double lstm_retention(cubias_handle_t h, void *d_params, int64_t total, int64_t H,
                             cubias_gate_scheme_t scheme, double value, double steps) {
  cubias_gate_config_t cfg;
  cubias_gate_report_t rep;
  EX_CHECK(h, cubias_gate_config_default(&cfg));
  cfg.scheme = scheme;
  cfg.value = value;
  cfg.steps = steps;
  cfg.t_max = steps;
  cfg.seed = 5;
  EX_CHECK(h, cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, d_params, CUBIAS_DTYPE_F32, total, 32, H,
                                           1, 0, &cfg, &rep));
  return rep.retention_mean;
}

static void claim_lstm(cubias_handle_t h) {
  enum { H = 128, IN = 32, STEPS = 100 };
  row_t *r = begin("LSTM forget gate: b_f = 1, chrono", "mean retention sigma(b_f)^100");
  const int64_t total = 4 * H * IN + 4 * H * H + 8 * H; /* PyTorch nn.LSTM(32, 128) */
  void *d_params = ex_alloc(h, sizeof(float) * total);
  const double r0 = lstm_retention(h, d_params, total, H, CUBIAS_GATE_CONSTANT, 0.0, STEPS);
  const double r1 = lstm_retention(h, d_params, total, H, CUBIAS_GATE_CONSTANT, 1.0, STEPS);
  const double rc = lstm_retention(h, d_params, total, H, CUBIAS_GATE_CHRONO, 0.0, STEPS);
  snprintf(r->without, sizeof r->without, "b_f=0: %.2g", r0);
  snprintf(r->with, sizeof r->with, "b_f=1: %.2g, chrono: %.2g", r1, rc);
  ex_free(h, d_params);
}

/* ---- 6. dead units ------------------------------------------------------------ */

static void claim_dead(cubias_handle_t h) {
  enum { N = 4096, IN = 64, OUT = 256 };
  row_t *r = begin("dead-unit revival", "units never active on the batch");
  unsigned long long seed = 6;
  float *x = malloc(sizeof(float) * N * IN), *z = malloc(sizeof(float) * N * OUT);
  float *W = malloc(sizeof(float) * OUT * IN), *b = malloc(sizeof(float) * OUT);
  /* Post-ReLU (non-negative) inputs and weights whose rows lean negative: many
   * units start dead, as after a bad update. */
  for (int i = 0; i < N * IN; ++i) x[i] = fabsf((float)ex_normal(&seed));
  for (int j = 0; j < OUT; ++j) {
    const double lean = -0.35 * ex_uniform(&seed);
    for (int i = 0; i < IN; ++i) W[j * IN + i] = (float)(lean + 0.15 * ex_normal(&seed));
    b[j] = 0;
  }
  layer(N, x, IN, W, b, OUT, z);
  void *d_z = ex_alloc(h, sizeof(float) * N * OUT), *d_b = ex_alloc(h, sizeof(float) * OUT);
  void *d_dead = ex_alloc(h, 2 * sizeof(int64_t));
  cubias_stats_t st = measure(h, d_z, z, N, OUT, CUBIAS_ACT_RELU);
  cubias_tensor_t v;
  int64_t dead[2];
  EX_CHECK(h, cubias_tensor_rows(&v, d_z, CUBIAS_DTYPE_F32, N, OUT));
  EX_CHECK(h, cubias_revive_quantile(h, st, &v, 1, 0.05, 1e-3, d_b, CUBIAS_DTYPE_F32, (int64_t *)d_dead));
  ex_download(h, dead, d_dead, sizeof dead);
  ex_download(h, b, d_b, sizeof(float) * OUT);
  /* Check on fresh data from the same distribution. */
  for (int i = 0; i < N * IN; ++i) x[i] = fabsf((float)ex_normal(&seed));
  layer(N, x, IN, W, b, OUT, z);
  cubias_stats_t after = measure(h, d_z, z, N, OUT, CUBIAS_ACT_RELU);
  cubias_channel_stats_t *o = malloc(sizeof *o * OUT);
  EX_CHECK(h, cubias_stats_read(h, after, o));
  int still = 0;
  for (int j = 0; j < OUT; ++j) still += o[j].positive == 0;
  snprintf(r->without, sizeof r->without, "%lld of %d", (long long)dead[0], OUT);
  snprintf(r->with, sizeof r->with, "%d (fresh batch)", still);
  EX_CHECK(h, cubias_stats_destroy(st));
  EX_CHECK(h, cubias_stats_destroy(after));
  ex_free(h, d_z), ex_free(h, d_b), ex_free(h, d_dead);
  free(x), free(z), free(W), free(b), free(o);
}

/* ---- 7. f16 attention mask ----------------------------------------------------- */

static float half_to_float(uint16_t v) {
  const int e = (v >> 10) & 31, m = v & 1023;
  const float mag = e == 31 ? (m ? NAN : INFINITY) : e ? ldexpf(1024 + m, e - 25) : ldexpf(m, -24);
  return v & 0x8000 ? -mag : mag;
}

/* float -> f16 bits, round to nearest (enough for the demo's values). */
static uint16_t float_to_half(float f) {
  const uint16_t sign = f < 0 ? 0x8000 : 0;
  float a = fabsf(f);
  if (isnan(f)) return 0x7e00;
  if (a >= 65520.0f) return sign | 0x7c00; /* overflows to infinity */
  int e;
  frexpf(a, &e);
  if (e < -13) return sign | (uint16_t)lrintf(a * 16777216.0f);
  uint32_t m = (uint32_t)lrintf(ldexpf(a, 11 - e)); /* 11-bit significand */
  if (m == 2048) m = 1024, ++e;
  return sign | (uint16_t)(((e + 14) << 10) | (m - 1024));
}

/* Softmax over keys of f16 scores plus an f16 mask (sum in f16): NaN rows counted. */
static int nan_rows(const float *scores, const uint16_t *mask, int rows, int keys) {
  int bad = 0;
  for (int q = 0; q < rows; ++q) {
    float s[16], mx = -INFINITY, sum = 0;
    for (int k = 0; k < keys; ++k) {
      s[k] = half_to_float(float_to_half(half_to_float(float_to_half(scores[q * keys + k])) +
                                         half_to_float(mask[q * keys + k])));
      mx = s[k] > mx ? s[k] : mx;
    }
    for (int k = 0; k < keys; ++k) sum += expf(s[k] - mx);
    bad += isnan(expf(s[0] - mx) / sum);
  }
  return bad;
}

static void claim_mask(cubias_handle_t h) {
  enum { B = 4, T = 8 };
  row_t *r = begin("f16 attention mask value", "NaN softmax rows of 32 (padding+causal)");
  unsigned long long seed = 7;
  int32_t len[B] = {8, 5, 0, 3}; /* sequence 2 is empty: every row fully masked */
  float scores[B * T * T];
  uint16_t naive[B * T * T], mask[B * T * T];
  for (int i = 0; i < B * T * T; ++i) scores[i] = (float)(4.0 * ex_normal(&seed));
  for (int b = 0; b < B; ++b) /* the usual -1e9, cast to f16 */
    for (int q = 0; q < T; ++q)
      for (int k = 0; k < T; ++k)
        naive[(b * T + q) * T + k] = k < len[b] && k <= q ? 0 : float_to_half(-1e9f);
  void *d_len = ex_alloc(h, sizeof len), *d_mask = ex_alloc(h, sizeof mask);
  double mval = 0;
  ex_upload(h, d_len, len, sizeof len);
  EX_CHECK(h, cubias_attention_mask(h, CUBIAS_MASK_PADDING | CUBIAS_MASK_CAUSAL, (const int32_t *)d_len, B,
                                    T, T, 0, CUBIAS_MASK_EMPTY_ROW_EQUAL, d_mask, CUBIAS_DTYPE_F16));
  ex_download(h, mask, d_mask, sizeof mask);
  EX_CHECK(h, cubias_mask_value(CUBIAS_DTYPE_F16, &mval));
  snprintf(r->without, sizeof r->without, "-1e9 -> -inf: %d", nan_rows(scores, naive, B * T, T));
  snprintf(r->with, sizeof r->with, "%.0f: %d", mval, nan_rows(scores, mask, B * T, T));
  ex_free(h, d_len), ex_free(h, d_mask);
}

/* ---- 8. optimism on the 10-armed bandit ----------------------------------------- */

static double bandit(double q0, double eps, int runs, int steps) {
  unsigned long long seed = 8;
  long optimal = 0, counted = 0;
  for (int run = 0; run < runs; ++run) {
    double q_true[10], q[10];
    int best = 0;
    for (int a = 0; a < 10; ++a) {
      q_true[a] = ex_normal(&seed);
      q[a] = q0;
      if (q_true[a] > q_true[best]) best = a;
    }
    for (int t = 0; t < steps; ++t) {
      int a = 0;
      if (ex_uniform(&seed) < eps) {
        a = (int)(ex_uniform(&seed) * 10);
      } else {
        for (int k = 1; k < 10; ++k) a = q[k] > q[a] ? k : a;
      }
      q[a] += 0.1 * (q_true[a] + ex_normal(&seed) - q[a]); /* constant step 0.1 */
      if (t >= steps - 100) optimal += a == best, ++counted;
    }
  }
  return 100.0 * optimal / counted;
}

static void claim_optimism(cubias_handle_t h) {
  row_t *r = begin("optimistic values: b = r_max (1-g^H)/(1-g)", "% optimal action, steps 900-1000");
  void *d_b = ex_alloc(h, 10 * sizeof(float));
  double q0 = 0;
  /* One-step bandit: gamma = 0, H = 1, r_max = 5 (an upper bound of the rewards). */
  EX_CHECK(h, cubias_optimistic_value(h, 5.0, 0.0, 1.0, 10, d_b, CUBIAS_DTYPE_F32, &q0));
  snprintf(r->without, sizeof r->without, "Q0=0, eps=0.1: %.1f%%", bandit(0.0, 0.1, 2000, 1000));
  snprintf(r->with, sizeof r->with, "Q0=%.0f, greedy: %.1f%%", q0, bandit(q0, 0.0, 2000, 1000));
  ex_free(h, d_b);
}

/* ---- main -------------------------------------------------------------------------- */

int main(void) {
  cubias_handle_t h;
  g_t0 = now();
  EX_CHECK(h, cubias_create(&h, CUBIAS_BACKEND_AUTO));
  printf("cubias %d.%d.%d demo on the %s backend: each figure measured in this run\n\n",
         CUBIAS_VERSION_MAJOR, CUBIAS_VERSION_MINOR, CUBIAS_VERSION_PATCH,
         ex_cuda(h) ? "CUDA" : "CPU");
  fflush(stdout);
  claim_centering(h);
  claim_post_relu(h);
  claim_gain(h);
  claim_prior(h);
  claim_lstm(h);
  claim_dead(h);
  claim_mask(h);
  claim_optimism(h);
  fprintf(stderr, "[done %5.1fs]\n\n", now() - g_t0);

  printf("%-42s %-44s %-30s %s\n", "claim", "measured as", "without", "with cubias");
  for (int i = 0; i < g_nrows; ++i)
    printf("%-42s %-44s %-30s %s\n", g_rows[i].claim, g_rows[i].measured, g_rows[i].without,
           g_rows[i].with);
  printf("\nHow to read it: README.md, section \"The demo\".\n");
  EX_CHECK(h, cubias_destroy(h));
  return 0;
}
