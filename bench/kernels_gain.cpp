// bench_kernels, family "gain": the weight statistics fan_in * E[W^2] of the gain
// check (cubias_weight_gain), one pass over each weight. Four layers [1024, in]:
// f32 row-major twice, bf16 row-major, f32 column-major. The two backends use the
// same plan, lanes and trees: bit for bit (cubias.h).
#include "bench_kernels.h"

namespace bench {
namespace {

void weight_gain(Ctx &c) {
  const int64_t out = 1024, L = 4;
  const int64_t in = rows_for(c.target_bytes / (double)L, out, 4);
  const size_t n = (size_t)(out * in);
  const cubias_dtype_t dts[L] = {CUBIAS_DTYPE_F32, CUBIAS_DTYPE_F32, CUBIAS_DTYPE_BF16, CUBIAS_DTYPE_F32};
  const cubias_weight_layout_t lay[L] = {CUBIAS_WEIGHT_ROW_MAJOR, CUBIAS_WEIGHT_ROW_MAJOR, CUBIAS_WEIGHT_ROW_MAJOR,
                                         CUBIAS_WEIGHT_COL_MAJOR};
  std::vector<std::vector<float>> host(L);
  cubias_weight_t wd[L], wh[L];
  double bytes = 0;
  for (int64_t l = 0; l < L; ++l) {
    host[l] = uniform_floats(n, 41 + l, -0.05, 0.05);
    if (dts[l] == CUBIAS_DTYPE_BF16) {  // bf16 values packed in the first half (top 16 bits of each float)
      uint16_t *h16 = (uint16_t *)host[l].data();
      for (size_t i = 0; i < n; ++i) {
        uint32_t u;
        memcpy(&u, &host[l][i], 4);
        h16[i] = (uint16_t)(u >> 16);
      }
    }
    const size_t sz = n * (dts[l] == CUBIAS_DTYPE_BF16 ? 2 : 4);
    const void *d = c.upload(host[l].data(), sz);
    if (!d || !c.ok(cubias_weight_make(&wd[l], d, dts[l], out, in, lay[l], 0), c.h, "weight_make") ||
        !c.ok(cubias_weight_make(&wh[l], host[l].data(), dts[l], out, in, lay[l], 0), c.ref, "weight_make"))
      return;
    bytes += (double)sz;
  }
  double *dg = (double *)c.alloc(L * 8);
  std::vector<double> want((size_t)L);
  if (!dg || !c.ok(cubias_weight_gain(c.ref, (int)L, wh, want.data()), c.ref, "weight_gain (CPU)")) return;
  want = c.want(want);
  c.run("gain", "weight_gain 4 layers [1024x" + std::to_string(in) + "] f32 f32 bf16 f32-col", bytes,
        [] { return true; },
        [&] { return cubias_weight_gain(c.h, (int)L, wd, dg) == CUBIAS_STATUS_SUCCESS; },
        [&] { return same_bits(c.download<double>(dg, L).data(), want.data(), L * 8, 8); });
}

}  // namespace

void family_gain(Ctx &c) { weight_gain(c); }

}  // namespace bench
