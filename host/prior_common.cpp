// Helpers shared by the "Bias derivations II" entry points (priors, gates,
// optimistic values, masks): dtype/size checks and the two ways a bias buffer
// is written (a constant, or values computed on the host).
#include <new>
#include <vector>

#include "internal.h"
#include "../kernels/backend.h"
#include "../kernels/dtype.h"

cubias_status_t cubias_check_bias_dtype(cubias_handle_t h, int dtype, const char *where) {
  if (cubias_dtype_size(dtype) == 0)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: unknown output dtype %d (use F32, F16 or BF16)", where, (int)dtype);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_check_bias_count(cubias_handle_t h, int64_t n, const char *what,
                                      const char *where) {
  if (n < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s is %lld; must be >= 1", where, what,
                       (long long)n);
  int64_t bytes;
  if (!cubias_mul_ok(n, 8, &bytes))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: %s = %lld is too large", where, what,
                       (long long)n);
  return CUBIAS_STATUS_SUCCESS;
}

static cubias_status_t check_fits(cubias_handle_t h, int dtype, double v, int64_t i,
                                  const char *where) {
  if (!cubias_dtype_fits((int)dtype, v))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: bias %lld would be %g, which is not finite in dtype %d (largest %g)",
                       where, (long long)i, v, (int)dtype, cubias_dtype_max((int)dtype));
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_write_bias_const(cubias_handle_t h, void *d_bias, int dtype,
                                      int64_t n, double value, const char *where) {
  cubias_status_t st = check_fits(h, dtype, value, 0, where);
  if (st) return st;
  return h->ops->fill(h, d_bias, (int)dtype, n, (float)value);
}

cubias_status_t cubias_write_bias_values(cubias_handle_t h, const double *h_vals, int64_t n,
                                            void *d_bias, int dtype, const char *where) {
  for (int64_t i = 0; i < n; ++i) {
    cubias_status_t st = check_fits(h, dtype, h_vals[i], i, where);
    if (st) return st;
  }
  // Every value fits: convert on the host, then one stream-ordered copy. From
  // pageable memory the CUDA runtime stages the bytes before cudaMemcpyAsync
  // returns, so the staging buffer may go when this returns.
  size_t bytes = (size_t)n * cubias_dtype_size(dtype);
  std::vector<unsigned char> staging;
  try {
    staging.resize(bytes);
  } catch (const std::bad_alloc &) {
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory (%zu bytes)", where,
                       bytes);
  }
  // The staging buffer is host memory, whatever the backend: the CPU conversion.
  cubias_cpu_store_doubles(h, h_vals, n, 0.0, staging.data(), (int)dtype);
  return h->ops->copy(h, d_bias, staging.data(), bytes, 0);
}
