// Weight views: construction and the checks every entry point that takes one shares.
#include <stdio.h>
#include <string.h>

#include "internal.h"

cubias_status_t cubias_check_weight(cubias_handle_t h, const cubias_weight_t *w, const char *who,
                                    const char *where, int check_data) {
  if (!w) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s is NULL", where, who);
  // The caller's enums are read as ints: an out-of-range value is refused, not loaded as an enum.
  const int dtype = cubias_enum_int(w->dtype), layout = cubias_enum_int(w->layout);
  if (dtype < CUBIAS_DTYPE_F32 || dtype > CUBIAS_DTYPE_BF16)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s: unknown dtype %d", where, who,
                       dtype);
  if (w->out < 1 || w->in < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: %s: out = %lld and in = %lld must both be >= 1", where, who,
                       (long long)w->out, (long long)w->in);
  if (layout != CUBIAS_WEIGHT_ROW_MAJOR && layout != CUBIAS_WEIGHT_COL_MAJOR)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s: unknown layout %d", where, who,
                       layout);
  const int row = layout == CUBIAS_WEIGHT_ROW_MAJOR;
  const int64_t lines = cubias_weight_lines(w), len = cubias_weight_line_len(w);
  if (w->ld != 0 && w->ld < len)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: %s: ld = %lld is below the %s length %lld (0 means packed)", where,
                       who, (long long)w->ld, row ? "row" : "column", (long long)len);
  int64_t n, ext, bytes;
  if (!cubias_mul_ok(w->out, w->in, &n) || !cubias_mul_ok(lines - 1, cubias_weight_ld(w), &ext) ||
      __builtin_add_overflow(ext, len, &ext) ||
      !cubias_mul_ok(ext, (int64_t)cubias_dtype_size(dtype), &bytes))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: %s: the extent does not fit in int64",
                       where, who);
  if (!check_data) return CUBIAS_STATUS_SUCCESS;
  char what[64];
  snprintf(what, sizeof what, "%s data", who);
  return cubias_check_backend_ptr(h, w->data, cubias_dtype_size(cubias_enum_int(w->dtype)), what, where);
}

extern "C" cubias_status_t cubias_weight_make(cubias_weight_t *w, const void *d_data,
                                              cubias_dtype_t dtype_arg, int64_t out, int64_t in,
                                              cubias_weight_layout_t layout_arg, int64_t ld) {
  CUBIAS_ENTRY("cubias_weight_make");
  if (!w) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: view is NULL", where);
  if (!d_data) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: data is NULL", where);
  cubias_weight_t v;
  v.data = const_cast<void *>(d_data);  // only cubias_normalize_from_preact writes through it
  // The enums are copied as the caller's bits, never loaded: checked below as ints.
  memcpy(&v.dtype, &dtype_arg, sizeof v.dtype);
  v.out = out;
  v.in = in;
  memcpy(&v.layout, &layout_arg, sizeof v.layout);
  v.ld = ld;
  cubias_status_t st = cubias_check_weight(nullptr, &v, "weight", where, 0);
  if (st) return st;
  *w = v;
  return CUBIAS_STATUS_SUCCESS;
}
