// bench_kernels, family "mask": the additive attention mask, padding and causal,
// f16 [B, 1024, 1024]: a pass that only writes (and reads B lengths). Its entries
// are 0 or the dtype's mask value: bit for bit on both backends.
#include "bench_kernels.h"

namespace bench {
namespace {

void attention_mask(Ctx &c) {
  const int64_t T = 1024, B = rows_for(c.target_bytes, T * T, 2);
  std::vector<int32_t> len((size_t)B);
  for (int64_t b = 0; b < B; ++b) len[(size_t)b] = (int32_t)(T - (b * 97) % T);
  const int32_t *dlen = c.upload(len);
  const size_t n = (size_t)(B * T * T);
  uint16_t *dm = (uint16_t *)c.alloc(n * 2);
  std::vector<uint16_t> want(n);
  const int flags = CUBIAS_MASK_PADDING | CUBIAS_MASK_CAUSAL;
  if (!dlen || !dm ||
      !c.ok(cubias_attention_mask(c.ref, flags, len.data(), B, T, T, 0, CUBIAS_MASK_EMPTY_ROW_EQUAL, want.data(),
                                  CUBIAS_DTYPE_F16),
            c.ref, "attention_mask (CPU)"))
    return;
  want = c.want(want);
  c.run("mask", "attention_mask padding+causal f16 [" + std::to_string(B) + "x1024x1024]", 2.0 * (double)n + 4.0 * B,
        [] { return true; },
        [&] {
          return cubias_attention_mask(c.h, flags, dlen, B, T, T, 0, CUBIAS_MASK_EMPTY_ROW_EQUAL, dm,
                                       CUBIAS_DTYPE_F16) == CUBIAS_STATUS_SUCCESS;
        },
        [&] { return same_bits(c.download<uint16_t>(dm, n).data(), want.data(), n * 2, 2); });
}

}  // namespace

void family_mask(Ctx &c) { attention_mask(c); }

}  // namespace bench
