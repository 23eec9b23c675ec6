/* LSUV-style data-dependent initialisation of a small ReLU MLP with
 * cubias_normalize_from_preact: the caller's iterate-until-tolerance loop.
 *
 * For each layer in turn: forward the batch through it (here, on the CPU, in
 * the example itself), measure the pre-activation statistics with cubias,
 * stop when every channel has |std - 1| < tol and |mean| < tol, else rescale
 * the layer's weight rows and biases in place (W_j <- W_j / sigma_j,
 * b_j <- (b_j - mu_j) / sigma_j) and measure again. The weights are stored in
 * bf16, as a mixed-precision trainer would keep them, so one step leaves the
 * rounding of bf16 behind and the loop shows what the tolerance buys.
 * Runs on the default backend (CUDA when a device answers, else the CPU). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_util.h"

enum { N = 2048, L = 3, MAX_IT = 5 };
static const int width[L + 1] = {16, 64, 64, 10};
static const double tol = 5e-3;
static int on_gpu = 0;

/* bf16 <-> float (round to nearest even; the values here are finite). */
static float bf16_get(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint16_t bf16_put(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

/* Backend buffers: device memory on CUDA, the host buffer itself on the CPU. */
static void *to_backend(void *h, size_t bytes) {
#ifdef CUBIAS_HAVE_CUDA
  if (on_gpu) {
    void *d = NULL;
    if (cudaMalloc(&d, bytes) != cudaSuccess) return NULL;
    cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice);
    return d;
  }
#endif
  (void)bytes;
  return h;
}
static void from_backend(void *h, const void *d, size_t bytes) {
#ifdef CUBIAS_HAVE_CUDA
  if (on_gpu) {
    cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost);
    return;
  }
#endif
  if (h != d) memcpy(h, d, bytes);
}
static void release(void *h, void *d) {
#ifdef CUBIAS_HAVE_CUDA
  if (on_gpu && d) cudaFree(d);
#endif
  (void)d;
  free(h);
}

int main(void) {
  cubias_handle_t handle = NULL;
  cubias_backend_t backend;
  unsigned long long seed = 7;
  uint16_t *W[L];
  float *b[L];
  float *act = NULL, *z = NULL;
  int l, i, j, n, it;
  int converged_all = 1;

  EX_CHECK(handle, cubias_create(&handle, CUBIAS_BACKEND_AUTO));
  EX_CHECK(handle, cubias_get_backend(handle, &backend));
  on_gpu = backend == CUBIAS_BACKEND_CUDA;
  printf("LSUV loop on the %s backend: MLP %d-%d-%d-%d, ReLU, bf16 weights, batch %d, tol %g\n",
         on_gpu ? "CUDA" : "CPU", width[0], width[1], width[2], width[3], N, tol);

  /* input: uncentred, badly scaled features; weights: plain N(0, 1) (far off) */
  act = (float *)malloc(sizeof(float) * N * width[0]);
  for (n = 0; n < N; ++n)
    for (i = 0; i < width[0]; ++i) act[n * width[0] + i] = (float)(3.0 + (1 + i) * ex_normal(&seed));
  for (l = 0; l < L; ++l) {
    W[l] = (uint16_t *)malloc(2 * width[l + 1] * width[l]);
    b[l] = (float *)calloc(width[l + 1], sizeof(float));
    for (i = 0; i < width[l + 1] * width[l]; ++i) W[l][i] = bf16_put((float)ex_normal(&seed));
  }

  for (l = 0; l < L; ++l) {
    const int in = width[l], out = width[l + 1];
    cubias_stats_t stats;
    cubias_weight_t w;
    cubias_tensor_t view;
    cubias_channel_stats_t *cs = (cubias_channel_stats_t *)malloc(sizeof *cs * out);
    int64_t skipped = 0;
    void *d_W = to_backend(W[l], 2 * (size_t)out * in);
    void *d_b = to_backend(b[l], sizeof(float) * out);
    int64_t *h_skip = (int64_t *)malloc(8);
    int64_t *d_skip = (int64_t *)to_backend(h_skip, 8);
    float *h_z = (float *)malloc(sizeof(float) * N * out);
    void *d_z = NULL;
    z = h_z;
    EX_CHECK(handle, cubias_stats_create(handle, out, CUBIAS_ACT_RELU, 0.0f, &stats));
    w.data = d_W;
    w.dtype = CUBIAS_DTYPE_BF16;
    w.layout = CUBIAS_WEIGHT_ROW_MAJOR; /* [out, in], as nn.Linear.weight */
    w.out = out;
    w.in = in;
    w.ld = 0;
    for (it = 0; it <= MAX_IT; ++it) {
      double worst_sd = 0, worst_mu = 0;
      /* forward pass of this layer on the CPU: z = W a + b */
      for (n = 0; n < N; ++n)
        for (j = 0; j < out; ++j) {
          double s = b[l][j];
          for (i = 0; i < in; ++i) s += (double)bf16_get(W[l][j * in + i]) * act[n * in + i];
          z[n * out + j] = (float)s;
        }
      if (d_z) release(NULL, d_z);
      d_z = on_gpu ? to_backend(z, sizeof(float) * N * out) : NULL;
      /* re-measure */
      EX_CHECK(handle, cubias_stats_reset(handle, stats));
      EX_CHECK(handle, cubias_tensor_rows(&view, on_gpu ? d_z : (void *)z, CUBIAS_DTYPE_F32, N, out));
      EX_CHECK(handle, cubias_stats_accumulate(handle, stats, &view));
      EX_CHECK(handle, cubias_stats_read(handle, stats, cs));
      for (j = 0; j < out; ++j) {
        double e = fabs(sqrt(cs[j].var) - 1.0), m = fabs(cs[j].mean);
        if (e > worst_sd) worst_sd = e;
        if (m > worst_mu) worst_mu = m;
      }
      printf("layer %d iteration %d: max |std - 1| = %.2e, max |mean| = %.2e\n", l, it, worst_sd,
             worst_mu);
      if (worst_sd < tol && worst_mu < tol) break;
      if (it == MAX_IT) {
        converged_all = 0;
        break;
      }
      /* rescale rows of W and the biases in place, on the backend */
      EX_CHECK(handle, cubias_normalize_from_preact(handle, stats, 1.0, 0.0, &w, d_b, CUBIAS_DTYPE_F32,
                                         d_skip));
      from_backend(W[l], d_W, 2 * (size_t)out * in);
      from_backend(b[l], d_b, sizeof(float) * out);
      from_backend(&skipped, d_skip, 8);
      if (skipped) printf("  %lld channel(s) had sigma = 0 and were left as they were\n",
                          (long long)skipped);
    }
    /* next layer's input: ReLU(z) */
    free(act);
    act = (float *)malloc(sizeof(float) * N * out);
    for (n = 0; n < N * out; ++n) act[n] = z[n] > 0 ? z[n] : 0.0f;
    EX_CHECK(handle, cubias_stats_destroy(stats));
    if (on_gpu) {
      release(NULL, d_W);
      release(NULL, d_b);
      release(NULL, d_skip);
      release(NULL, d_z);
    }
    free(h_skip);
    free(h_z);
    free(cs);
  }
  EX_CHECK(handle, cubias_destroy(handle));
  for (l = 0; l < L; ++l) {
    free(W[l]);
    free(b[l]);
  }
  free(act);
  printf(converged_all ? "every layer within tolerance\n" : "some layer did not converge\n");
  return converged_all ? 0 : 2;
}
