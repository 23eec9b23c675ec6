/* Additive attention masks: the dtype-aware finite mask value, each row's
 * visible keys (padding, causal) and the policy for a row with none. */
#ifndef CUBIAS_MASK_MATH_H
#define CUBIAS_MASK_MATH_H

#include "dtype.h"

/* The additive mask value of a dtype: -max/2, exact in every dtype (halving a
 * normal number only lowers its exponent). For any score s >= -max/2,
 * s + m >= -max stays finite; see cubias_mask_value in cubias.h. */
CUBIAS_HD float cubias_mask_fill_value(int dtype) { return (float)(-0.5 * cubias_dtype_max(dtype)); }

#define CUBIAS_MASK_BIT_PADDING 1
#define CUBIAS_MASK_BIT_CAUSAL 2

/* Number of leading valid keys of row (b, i): keys j < end are visible. len is
 * the batch's key length (ignored without PADDING). */
CUBIAS_HD int64_t cubias_mask_row_end(int flags, int64_t len, int64_t i, int64_t tk,
                                         int64_t causal_offset) {
  int64_t end = tk;
  if (flags & CUBIAS_MASK_BIT_PADDING) {
    int64_t l = len < 0 ? 0 : len > tk ? tk : len;
    end = l < end ? l : end;
  }
  if (flags & CUBIAS_MASK_BIT_CAUSAL) {
    int64_t c = i + causal_offset + 1; /* |offset| <= 2^62, i < 2^62: no overflow */
    c = c < 0 ? 0 : c;
    end = c < end ? c : end;
  }
  return end;
}

/* Entry (row with `end` valid keys, key j): 0 or the mask value; an empty row
 * (end == 0) is all mask value (policy EQUAL, 0) or all zero (policy ZERO, 1). */
CUBIAS_HD float cubias_mask_entry(int64_t end, int64_t j, int empty_row, float mval) {
  if (end == 0) return empty_row == 1 ? 0.0f : mval;
  return j < end ? 0.0f : mval;
}

#endif /* CUBIAS_MASK_MATH_H */
