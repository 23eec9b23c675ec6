/* The basics: per-channel statistics of a batch of activations on
 * the default backend (the GPU when one answers, else the CPU).
 * Build and run: see README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "example_util.h"

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
    for (c = 0; c < D; ++c) h_x[i * D + c] = (float)(mu[c] + sd[c] * ex_normal(&seed));

  EX_CHECK(handle, cubias_create(&handle, CUBIAS_BACKEND_AUTO));
  EX_CHECK(handle, cubias_get_backend(handle, &backend));
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
  EX_CHECK(handle, cubias_stats_create(handle, D, CUBIAS_ACT_RELU, 0.0f, &stats));
  EX_CHECK(handle, cubias_tensor_rows(&view, data, CUBIAS_DTYPE_F32, N, D));
  EX_CHECK(handle, cubias_stats_accumulate(handle, stats, &view));
  EX_CHECK(handle, cubias_stats_read(handle, stats, out));

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

  EX_CHECK(handle, cubias_stats_destroy(stats));
  EX_CHECK(handle, cubias_destroy(handle));
#ifdef CUBIAS_HAVE_CUDA
  if (d_x) cudaFree(d_x);
#endif
  free(h_x);
  return 0;
}
