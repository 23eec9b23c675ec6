// Additive attention masks (padding, causal, both) with a finite,
// dtype-aware mask value and a stated policy for rows with no valid key.
#include "internal.h"
#include "../kernels/backend.h"
#include "../kernels/mask_math.h"

extern "C" cubias_status_t cubias_mask_value(cubias_dtype_t dtype_arg, double *h_value) {
  CUBIAS_ENTRY("cubias_mask_value");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  if (!h_value) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: value is NULL", where);
  cubias_status_t st = cubias_check_bias_dtype(nullptr, dtype, where);
  if (st) return st;
  *h_value = (double)cubias_mask_fill_value((int)dtype);
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_attention_mask(cubias_handle_t h, int flags,
                                                 const int32_t *d_lengths, int64_t B, int64_t tq,
                                                 int64_t tk, int64_t causal_offset,
                                                 cubias_mask_empty_row_t empty_row_arg, void *d_mask,
                                                 cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_attention_mask");
  const int empty_row = cubias_enum_int(empty_row_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (flags < 1 || flags > (CUBIAS_MASK_PADDING | CUBIAS_MASK_CAUSAL))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: flags is %d; must be CUBIAS_MASK_PADDING and/or CUBIAS_MASK_CAUSAL",
                       where, flags);
  if (B < 1 || tq < 1 || tk < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: sizes must be >= 1 (batch=%lld tq=%lld tk=%lld)", where, (long long)B,
                       (long long)tq, (long long)tk);
  int64_t bq, n, bytes;
  if (!cubias_mul_ok(B, tq, &bq) || !cubias_mul_ok(bq, tk, &n) || !cubias_mul_ok(n, 4, &bytes))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: batch*tq*tk (%lld*%lld*%lld) overflows",
                       where, (long long)B, (long long)tq, (long long)tk);
  const int64_t lim = (int64_t)1 << 62;
  if (causal_offset > lim || causal_offset < -lim)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: |causal_offset| %lld exceeds 2^62",
                       where, (long long)causal_offset);
  if ((int)empty_row != CUBIAS_MASK_EMPTY_ROW_EQUAL && (int)empty_row != CUBIAS_MASK_EMPTY_ROW_ZERO)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown empty-row policy %d", where,
                       (int)empty_row);
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((flags & CUBIAS_MASK_PADDING) &&
      (st = cubias_check_backend_ptr(h, d_lengths, sizeof(int32_t), "lengths (PADDING)", where)))
    return st;
  if ((st = cubias_check_backend_ptr(h, d_mask, cubias_dtype_size(dtype), "mask", where))) return st;
  return h->ops->mask_write(h, flags, d_lengths, B, tq, tk, causal_offset, (int)empty_row, d_mask,
                            (int)dtype);
}
