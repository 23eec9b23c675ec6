// Tensor-view helpers: the common layouts as (outer, channels, inner).
#include "internal.h"

static cubias_status_t product(const char *where, const int64_t *dims, int ndims, int64_t *out) {
  int64_t p = 1;
  for (int k = 0; k < ndims; ++k) {
    if (dims[k] < 1)
      return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                         "%s: size %d is %lld; every size must be >= 1", where, k,
                         (long long)dims[k]);
    if (!cubias_mul_ok(p, dims[k], &p))
      return cubias_fail(nullptr, CUBIAS_STATUS_OVERFLOW, "%s: the sizes' product overflows int64",
                         where);
  }
  *out = p;
  return CUBIAS_STATUS_SUCCESS;
}

static cubias_status_t make(const char *where, cubias_tensor_t *view, const void *data,
                            int dtype, const int64_t *dims, int ndims, int64_t outer,
                            int64_t channels, int64_t inner) {
  if (!view) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: view is NULL", where);
  if (cubias_dtype_size(dtype) == 0)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown dtype %d", where, dtype);
  int64_t total;
  cubias_status_t st = product(where, dims, ndims, &total);
  if (st) return st;
  view->data = data;
  view->dtype = (cubias_dtype_t)dtype;  // checked: one of the enum's values
  view->outer = outer;
  view->channels = channels;
  view->inner = inner;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_tensor_make(cubias_tensor_t *view, const void *d_data,
                                              cubias_dtype_t dtype_arg, int64_t outer,
                                              int64_t channels, int64_t inner) {
  CUBIAS_ENTRY("cubias_tensor_make");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  const int64_t dims[3] = {outer, channels, inner};
  return make(where, view, d_data, dtype, dims, 3, outer, channels, inner);
}

extern "C" cubias_status_t cubias_tensor_rows(cubias_tensor_t *view, const void *d_data,
                                              cubias_dtype_t dtype_arg, int64_t n, int64_t d) {
  CUBIAS_ENTRY("cubias_tensor_rows");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  const int64_t dims[2] = {n, d};
  return make(where, view, d_data, dtype, dims, 2, n, d, 1);
}

extern "C" cubias_status_t cubias_tensor_nchw(cubias_tensor_t *view, const void *d_data,
                                              cubias_dtype_t dtype_arg, int64_t n, int64_t c,
                                              int64_t h, int64_t w) {
  CUBIAS_ENTRY("cubias_tensor_nchw");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  const int64_t dims[4] = {n, c, h, w};
  int64_t hw = 0;
  cubias_mul_ok(h, w, &hw);  // checked with the full product by make()
  return make(where, view, d_data, dtype, dims, 4, n, c, hw);
}

extern "C" cubias_status_t cubias_tensor_nhwc(cubias_tensor_t *view, const void *d_data,
                                              cubias_dtype_t dtype_arg, int64_t n, int64_t h,
                                              int64_t w, int64_t c) {
  CUBIAS_ENTRY("cubias_tensor_nhwc");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  const int64_t dims[4] = {n, h, w, c};
  int64_t nh = 0, nhw = 0;
  if (cubias_mul_ok(n, h, &nh)) cubias_mul_ok(nh, w, &nhw);
  return make(where, view, d_data, dtype, dims, 4, nhw, c, 1);
}

extern "C" cubias_status_t cubias_tensor_tnd(cubias_tensor_t *view, const void *d_data,
                                             cubias_dtype_t dtype_arg, int64_t t, int64_t n,
                                             int64_t d) {
  CUBIAS_ENTRY("cubias_tensor_tnd");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  const int64_t dims[3] = {t, n, d};
  int64_t tn = 0;
  cubias_mul_ok(t, n, &tn);
  return make(where, view, d_data, dtype, dims, 3, tn, d, 1);
}
