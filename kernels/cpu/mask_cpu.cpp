// CPU side of the attention masks (the CUDA side is kernels/cuda/mask_kernels.cu).
#include "../backend.h"
#include "../dtype.h"
#include "../mask_math.h"

cubias_status_t cubias_cpu_mask_write(cubias_handle_t h, int flags, const int32_t *lengths,
                                      int64_t B, int64_t tq, int64_t tk, int64_t causal_offset,
                                      int empty_row, void *mask, int dtype) {
  const float mval = cubias_mask_fill_value(dtype);
  for (int64_t b = 0; b < B; ++b) {
    int64_t len = (flags & CUBIAS_MASK_BIT_PADDING) ? (int64_t)lengths[b] : tk;
    for (int64_t i = 0; i < tq; ++i) {
      int64_t end = cubias_mask_row_end(flags, len, i, tk, causal_offset);
      int64_t row = (b * tq + i) * tk;
      for (int64_t j = 0; j < tk; ++j)
        cubias_store_as(mask, dtype, row + j, cubias_mask_entry(end, j, empty_row, mval));
    }
  }
  return CUBIAS_STATUS_SUCCESS;
}
