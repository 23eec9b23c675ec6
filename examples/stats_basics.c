/* The basics: per-channel statistics of a batch of activations on
 * the default backend (the GPU when one answers, else the CPU).
 * Build and run: see README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cubias.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#define CHECK(call)                                                                  \
  do {                                                                               \
    cubias_status_t st_ = (call);                                                    \
    if (st_ != CUBIAS_STATUS_SUCCESS) {                                              \
      fprintf(stderr, "%s failed: %s\n  %s\n", #call, cubias_status_string(st_),      \
              cubias_get_last_error(handle));                                        \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

/* Standard normal by Box-Muller from a small LCG: the demo needs no library. */
static double normal(unsigned long long *s) {
  double u1, u2;
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  u1 = ((*s >> 11) + 1.0) / 9007199254740993.0;
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  u2 = (*s >> 11) / 9007199254740992.0;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int main(void) {
  enum { N = 200000, D = 4 };
  const double mu[D] = {0.0, 1.0, -2.0, 1e4}; /* the last: a large offset */
  const double sd[D] = {1.0, 0.5, 2.0, 1.0};
  cubias_handle_t handle = NULL;
  cubias_backend_t backend;
  cubias_stats_t stats;
  cubias_tensor_t view;
  cubias_channel_stats_t out[D];
  unsigned long long seed = 42;
  float *h_x = (float *)malloc(sizeof(float) * N * D);
  const void *data = h_x;
  int i, c;
  if (!h_x) return 1;
  for (i = 0; i < N; ++i)
    for (c = 0; c < D; ++c) h_x[i * D + c] = (float)(mu[c] + sd[c] * normal(&seed));

  CHECK(cubias_create(&handle, CUBIAS_BACKEND_AUTO));
  CHECK(cubias_get_backend(handle, &backend));
  printf("cubias %d.%d.%d demo on the %s backend\n", CUBIAS_VERSION_MAJOR, CUBIAS_VERSION_MINOR,
         CUBIAS_VERSION_PATCH, backend == CUBIAS_BACKEND_CUDA ? "CUDA" : "CPU");
#ifdef CUBIAS_HAVE_CUDA
  void *d_x = NULL;
  if (backend == CUBIAS_BACKEND_CUDA) {
    if (cudaMalloc(&d_x, sizeof(float) * N * D) != cudaSuccess ||
        cudaMemcpy(d_x, h_x, sizeof(float) * N * D, cudaMemcpyHostToDevice) != cudaSuccess)
      return 1;
    data = d_x;
  }
#endif
  CHECK(cubias_stats_create(handle, D, CUBIAS_ACT_RELU, 0.0f, &stats));
  CHECK(cubias_tensor_rows(&view, data, CUBIAS_DTYPE_F32, N, D));
  CHECK(cubias_stats_accumulate(handle, stats, &view));
  CHECK(cubias_stats_read(handle, stats, out));

  printf("%d rows of %d channels, ReLU as the activation\n\n", N, D);
  printf("%-7s %10s %10s %12s %12s %10s %12s %12s\n", "channel", "true mu", "mean", "true sd",
         "std", "active", "E[relu]", "Gauss E[relu]");
  for (c = 0; c < D; ++c) {
    double z = mu[c] / sd[c];
    double gauss = mu[c] * 0.5 * erfc(-z / sqrt(2.0)) + sd[c] * exp(-0.5 * z * z) / sqrt(2 * M_PI);
    printf("%-7d %10.4f %10.4f %12.4f %12.4f %10.4f %12.4f %12.4f\n", c, mu[c], out[c].mean, sd[c],
           sqrt(out[c].var), out[c].active_fraction, out[c].phi_mean, gauss);
  }
  printf("\nCentering bias for this input (b = -mu, identity weights):");
  for (c = 0; c < D; ++c) printf(" %.4f", -out[c].mean);
  printf("\n");

  CHECK(cubias_stats_destroy(stats));
  CHECK(cubias_destroy(handle));
#ifdef CUBIAS_HAVE_CUDA
  if (d_x) cudaFree(d_x);
#endif
  free(h_x);
  return 0;
}
