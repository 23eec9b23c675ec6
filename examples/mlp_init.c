/* A 3-layer MLP (32 -> 64 -> 64 -> 1, ReLU, sigmoid output) taken through
 * cubias on the default backend: measure the inputs and centre layer 1
 * (b = -W mu_x), measure layer 1 and cancel its post-ReLU mean in layer 2
 * (b = -W E[relu(z)]), and set the output bias to the class prior of a
 * 1 %-positive problem (b = ln(pi / (1 - pi))). Prints what changed.
 * The forward pass is the example's own plain C; cubias measures and derives. */
#include "example_util.h"

enum { N = 8192, D0 = 32, D1 = 64, D2 = 64 };

/* z[n, out] = x[n, in] W^T + b, W row-major [out, in]. */
static void forward(const float *x, int in, const float *W, const float *b, int out, float *z) {
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < out; ++j) {
      double acc = b ? b[j] : 0.0;
      for (int i = 0; i < in; ++i) acc += (double)W[j * in + i] * x[n * in + i];
      z[n * out + j] = (float)acc;
    }
}

static void relu(const float *z, float *a, int count) {
  for (int i = 0; i < count; ++i) a[i] = z[i] > 0 ? z[i] : 0;
}

/* Mean over channels of |E[z_c]| (and of std) of a [N, C] batch, measured by cubias. */
static void measure(cubias_handle_t h, void *d_buf, const float *z, int C, cubias_activation_t act,
                    cubias_stats_t *keep, double *mean_abs_mean, double *mean_std) {
  cubias_stats_t st;
  cubias_tensor_t v;
  cubias_channel_stats_t *out = malloc(sizeof *out * C);
  ex_upload(h, d_buf, z, sizeof(float) * N * C);
  EX_CHECK(h, cubias_stats_create(h, C, act, 0.0f, &st));
  EX_CHECK(h, cubias_tensor_rows(&v, d_buf, CUBIAS_DTYPE_F32, N, C));
  EX_CHECK(h, cubias_stats_accumulate(h, st, &v));
  EX_CHECK(h, cubias_stats_read(h, st, out));
  *mean_abs_mean = *mean_std = 0;
  for (int c = 0; c < C; ++c) {
    *mean_abs_mean += fabs(out[c].mean) / C;
    *mean_std += sqrt(out[c].var) / C;
  }
  free(out);
  if (keep)
    *keep = st;
  else
    EX_CHECK(h, cubias_stats_destroy(st));
}

static double bce(const float *z, const unsigned char *y) {
  double loss = 0;
  for (int n = 0; n < N; ++n) {
    double p = 1.0 / (1.0 + exp(-z[n]));
    loss -= y[n] ? log(p) : log1p(-p);
  }
  return loss / N;
}

int main(void) {
  cubias_handle_t h;
  unsigned long long seed = 7;
  float *x = malloc(sizeof(float) * N * D0), *z1 = malloc(sizeof(float) * N * D1);
  float *a1 = malloc(sizeof(float) * N * D1), *z2 = malloc(sizeof(float) * N * D2);
  float *a2 = malloc(sizeof(float) * N * D2), *z3 = malloc(sizeof(float) * N);
  float W1[D1 * D0], W2[D2 * D1], W3[D2], b1[D1], b2[D2], b3[1];
  unsigned char *y = malloc(N);
  double before[3], after[3], sd;
  int positives = 0;

  /* Inputs far from zero (mean 2 + feature offset), labels 1 % positive. */
  for (int n = 0; n < N; ++n) {
    for (int i = 0; i < D0; ++i) x[n * D0 + i] = (float)(2.0 + 0.1 * i + ex_normal(&seed));
    y[n] = ex_uniform(&seed) < 0.01;
    positives += y[n];
  }
  for (int i = 0; i < D1 * D0; ++i) W1[i] = (float)(ex_normal(&seed) * sqrt(2.0 / D0)); /* He */
  for (int i = 0; i < D2 * D1; ++i) W2[i] = (float)(ex_normal(&seed) * sqrt(2.0 / D1));
  for (int i = 0; i < D2; ++i) W3[i] = (float)(ex_normal(&seed) * 1e-3); /* small head */

  EX_CHECK(h, cubias_create(&h, CUBIAS_BACKEND_AUTO));
  printf("3-layer MLP %d -> %d -> %d -> 1 on the %s backend, %d samples, %d positives (%.2f %%)\n\n",
         D0, D1, D2, ex_cuda(h) ? "CUDA" : "CPU", N, positives, 100.0 * positives / N);
  void *d_act = ex_alloc(h, sizeof(float) * N * (D1 > D0 ? D1 : D0));
  void *d_W1 = ex_alloc(h, sizeof W1), *d_W2 = ex_alloc(h, sizeof W2);
  void *d_b1 = ex_alloc(h, sizeof b1), *d_b2 = ex_alloc(h, sizeof b2), *d_b3 = ex_alloc(h, sizeof b3);
  void *d_y = ex_alloc(h, N);
  ex_upload(h, d_W1, W1, sizeof W1);
  ex_upload(h, d_W2, W2, sizeof W2);
  ex_upload(h, d_y, y, N);
  cubias_weight_t w1, w2;
  EX_CHECK(h, cubias_weight_make(&w1, d_W1, CUBIAS_DTYPE_F32, D1, D0, CUBIAS_WEIGHT_ROW_MAJOR, 0));
  EX_CHECK(h, cubias_weight_make(&w2, d_W2, CUBIAS_DTYPE_F32, D2, D1, CUBIAS_WEIGHT_ROW_MAJOR, 0));

  /* Before: every bias 0. */
  forward(x, D0, W1, NULL, D1, z1);
  measure(h, d_act, z1, D1, CUBIAS_ACT_RELU, NULL, &before[0], &sd);
  relu(z1, a1, N * D1);
  forward(a1, D1, W2, NULL, D2, z2);
  measure(h, d_act, z2, D2, CUBIAS_ACT_RELU, NULL, &before[1], &sd);
  relu(z2, a2, N * D2);
  forward(a2, D2, W3, NULL, 1, z3);
  before[2] = bce(z3, y);

  /* 1. Measure the inputs, centre layer 1: b1 = -W1 mu_x. */
  cubias_stats_t sx, sz1;
  measure(h, d_act, x, D0, CUBIAS_ACT_IDENTITY, &sx, &after[0], &sd);
  EX_CHECK(h, cubias_center_from_input(h, sx, &w1, NULL, d_b1, CUBIAS_DTYPE_F32));
  ex_download(h, b1, d_b1, sizeof b1);
  forward(x, D0, W1, b1, D1, z1);
  /* 2. Measure layer 1's pre-activations with ReLU, cancel E[relu(z1)] in layer 2. */
  measure(h, d_act, z1, D1, CUBIAS_ACT_RELU, &sz1, &after[0], &sd);
  EX_CHECK(h, cubias_postact_shift(h, sz1, CUBIAS_POSTACT_MEASURED, &w2, NULL, d_b2, CUBIAS_DTYPE_F32,
                                   NULL));
  ex_download(h, b2, d_b2, sizeof b2);
  relu(z1, a1, N * D1);
  forward(a1, D1, W2, b2, D2, z2);
  measure(h, d_act, z2, D2, CUBIAS_ACT_RELU, NULL, &after[1], &sd);
  /* 3. The output bias from the labels, counted on the backend: ln(pi / (1 - pi)). */
  int64_t bad = 0;
  EX_CHECK(h, cubias_prior_sigmoid_from_targets(h, (const uint8_t *)d_y, N, 1, CUBIAS_PRIOR_ALPHA_DEFAULT,
                                                d_b3, CUBIAS_DTYPE_F32, &bad));
  ex_download(h, b3, d_b3, sizeof b3);
  relu(z2, a2, N * D2);
  forward(a2, D2, W3, b3, 1, z3);
  after[2] = bce(z3, y);

  printf("%-44s %12s %12s\n", "", "all b = 0", "with cubias");
  printf("%-44s %12.4f %12.4f\n", "layer 1: mean |E[z]| over units (centred)", before[0], after[0]);
  printf("%-44s %12.4f %12.4f\n", "layer 2: mean |E[z]| over units (post-ReLU)", before[1], after[1]);
  printf("%-44s %12.4f %12.4f\n", "output: initial cross-entropy (prior)", before[2], after[2]);
  printf("\noutput bias %.4f = ln(pi/(1-pi)) with pi = %.4f (Laplace-smoothed count); the entropy\n"
         "of the labels, the best loss without features, is %.4f\n",
         b3[0], (positives + 1.0) / (N + 2.0),
         -((double)positives / N) * log((double)positives / N) -
             (1 - (double)positives / N) * log(1 - (double)positives / N));

  EX_CHECK(h, cubias_stats_destroy(sx));
  EX_CHECK(h, cubias_stats_destroy(sz1));
  ex_free(h, d_act), ex_free(h, d_W1), ex_free(h, d_W2), ex_free(h, d_b1), ex_free(h, d_b2);
  ex_free(h, d_b3), ex_free(h, d_y);
  EX_CHECK(h, cubias_destroy(h));
  free(x), free(z1), free(a1), free(z2), free(a2), free(z3), free(y);
  return 0;
}
