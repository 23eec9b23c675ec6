// CUDA side of additive attention masks [B, Tq, Tk].
#include <cuda_runtime.h>

#include "../backend.h"
#include "../backend.h"
#include "../mask_math.h"
#include "cuda_util.cuh"

namespace {

// blockIdx.y strides over rows (b, i); x over keys j.
__global__ void mask_kernel(int flags, const int32_t *lengths, int64_t rows, int64_t tq,
                            int64_t tk, int64_t off, int empty_row, float mval, void *out,
                            int dtype) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const int64_t b = r / tq, i = r - b * tq;
    const int64_t len = (flags & CUBIAS_MASK_BIT_PADDING) ? (int64_t)CUBIAS_LD(lengths, b) : tk;
    const int64_t end = cubias_mask_row_end(flags, len, i, tk, off);
    for (int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; j < tk;
         j += (int64_t)gridDim.x * blockDim.x)
      cubias_store_as(out, dtype, r * tk + j, cubias_mask_entry(end, j, empty_row, mval));
  }
}

}  // namespace

cubias_status_t cubias_cuda_mask_write(cubias_handle_t h, int flags, const int32_t *d_lengths,
                                       int64_t B, int64_t tq, int64_t tk, int64_t causal_offset,
                                       int empty_row, void *d_mask, int dtype) {
  const int64_t rows = B * tq;
  int64_t gx = (tk + 255) / 256;
  if (gx > 64) gx = 64;
  int64_t gy = rows < 65535 ? rows : 65535;
  dim3 grid((unsigned)gx, (unsigned)gy);
  cubias_launch<mask_kernel>(grid, 256, 0, stream_of(h), flags, d_lengths, rows, tq, tk,
                             causal_offset, empty_row, cubias_mask_fill_value(dtype), d_mask,
                             dtype);
  return launched(h, "cubias mask kernel");
}
