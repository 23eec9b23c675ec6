// CPU side of the value rules' bias writes and of the class priors' counts (the CUDA
// side is kernels/cuda/prior_kernels.cu): the same formulas, one loop each.
#include "../backend.h"
#include "../dtype.h"

cubias_status_t cubias_cpu_fill(cubias_handle_t h, void *out, int dtype, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) cubias_store_as(out, dtype, i, value);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_store_doubles(cubias_handle_t h, const double *vals, int64_t n,
                                         double nan_value, void *out, int dtype) {
  for (int64_t i = 0; i < n; ++i)
    cubias_store_as(out, dtype, i, (float)cubias_dtype_saturate(dtype, vals[i], nan_value));
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_prior_count_labels(cubias_handle_t h, const void *labels, int idx64,
                                              int64_t n, int64_t K, uint64_t *counts) {
  for (int64_t k = 0; k <= K; ++k) counts[k] = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t y = idx64 ? ((const int64_t *)labels)[i] : (int64_t)((const int32_t *)labels)[i];
    counts[(y >= 0 && y < K) ? y : K]++;
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_prior_count_multihot(cubias_handle_t h, const uint8_t *t, int64_t n,
                                                int64_t K, uint64_t *counts) {
  for (int64_t k = 0; k <= K; ++k) counts[k] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t *row = t + i * K;
    for (int64_t k = 0; k < K; ++k) {
      uint8_t v = row[k];
      counts[k] += v == 1;
      counts[K] += v > 1;
    }
  }
  return CUBIAS_STATUS_SUCCESS;
}
