// NaN and +-Inf entries: counted in `nonfinite`, excluded from every moment,
// min, max and the activation sums; the other values stay within the bounds;
// a channel with only non-finite entries reports count 0 and the documented
// empty state (NaN fields), also after merges and exports.
#include <math.h>

#include <limits>
#include <random>
#include <sstream>

#include "util.h"

namespace {

class StatsNonfinite : public tu::BackendTest {};

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// N(mu, 1) data in which about 3% of the entries are NaN, +Inf or -Inf, and
// every entry of channel `dead` is one of them.
std::vector<float> poisoned(const tu::Shape &sh, int64_t dead, double mu, uint64_t seed) {
  std::vector<float> x = tu::normal((size_t)(sh.outer * sh.channels * sh.inner), mu, 1.0, seed);
  std::mt19937_64 gen(seed + 1);
  const float bad[3] = {kNaN, kInf, -kInf};
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t c = (int64_t)(i / (size_t)sh.inner) % sh.channels;
    if (c == dead || gen() % 32 == 0) x[i] = bad[gen() % 3];
  }
  return x;
}

TEST_P(StatsNonfinite, CountedAndExcludedEveryLayoutAndDtype) {
  const int64_t N = 2000, C = 7, dead = 3;
  const int acts[] = {ref::RELU, ref::TANH, ref::SIGMOID, ref::IDENTITY};
  int k = 0;
  for (int layout = 0; layout < tu::kNumLayouts; ++layout)
    for (int dtype = 0; dtype < 3; ++dtype)
      for (double mu : {0.0, 1e4}) {
        const int act = acts[k++ % 4];
        const tu::Shape sh = tu::layout_shape(layout, N, C);
        const std::vector<float> x = poisoned(sh, dead, mu, 500 + k);
        const std::vector<unsigned char> bytes = tu::encode(x, dtype);
        std::ostringstream what;
        what << sh.text << " " << tu::dtype_name(dtype) << " mean " << mu << " "
             << ref::act_name(act);
        SCOPED_TRACE(what.str());
        tu::Buffer buf(be(), bytes.size());
        buf.upload(bytes.data(), bytes.size());
        cubias_tensor_t v;
        ASSERT_EQ(tu::make_view(&v, layout, buf.get(), dtype, N, C), CUBIAS_STATUS_SUCCESS);
        tu::Stats s(h, C, act);
        ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
        const auto got = tu::read(h, s, C);
        const auto want = ref::stats(bytes.data(), dtype, sh.outer, C, sh.inner, act, 0);
        ASSERT_EQ(want[dead].count, 0);
        ASSERT_EQ(want[dead].nonfinite, N);
        for (int64_t c = 0; c < C; ++c)
          if (c != dead) ASSERT_GT(want[c].nonfinite, 0) << "test data: channel " << c;
        tu::expect_matches_ref(got, want, tu::Tol(), what.str());
        tu::expect_empty_channel(got[dead], N, what.str() + " dead channel");
        for (int64_t c = 0; c < C; ++c) {
          EXPECT_TRUE(isfinite(got[c].mean) || c == dead);
          EXPECT_TRUE(isfinite(got[c].phi_sq_mean) || c == dead);
        }
        if (::testing::Test::HasFailure()) return;
      }
}

// An accumulator that saw only non-finite values merges as "no data" and keeps
// its nonfinite count through merges and export/import.
TEST_P(StatsNonfinite, AllNonfiniteAccumulatorMergesAsEmpty) {
  const int64_t C = 3, N = 64;
  std::vector<float> bad((size_t)(N * C));
  for (size_t i = 0; i < bad.size(); ++i) bad[i] = i % 3 == 0 ? kNaN : i % 3 == 1 ? kInf : -kInf;
  const std::vector<float> good = tu::normal((size_t)(N * C), 2.0, 1.0, 11);
  tu::Buffer bb(be(), bad.size() * 4), gb(be(), good.size() * 4);
  bb.upload(bad.data(), bad.size() * 4);
  gb.upload(good.data(), good.size() * 4);
  cubias_tensor_t vb, vg;
  ASSERT_EQ(cubias_tensor_rows(&vb, bb.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_tensor_rows(&vg, gb.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  tu::Stats sbad(h, C, ref::GELU), sgood(h, C, ref::GELU), sgood2(h, C, ref::GELU);
  ASSERT_EQ(cubias_stats_accumulate(h, sbad, &vb), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, sgood, &vg), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, sgood2, &vg), CUBIAS_STATUS_SUCCESS);
  const auto b = tu::read(h, sbad, C);
  for (int64_t c = 0; c < C; ++c) tu::expect_empty_channel(b[c], N, "only non-finite");

  const auto before = tu::read(h, sgood, C);
  ASSERT_EQ(cubias_stats_merge(h, sgood, sbad), CUBIAS_STATUS_SUCCESS);
  const auto after = tu::read(h, sgood, C);
  const auto b_exported = tu::export_bytes(h, sbad, be());
  tu::Buffer ex(be(), b_exported.size());
  ex.upload(b_exported.data(), b_exported.size());
  ASSERT_EQ(cubias_stats_import_merge(h, sgood2, ex.get()), CUBIAS_STATUS_SUCCESS);
  const auto after_import = tu::read(h, sgood2, C);
  for (int64_t c = 0; c < C; ++c) {
    for (const auto *r : {&after[c], &after_import[c]}) {
      EXPECT_EQ(r->count, before[c].count);
      EXPECT_EQ(r->nonfinite, before[c].nonfinite + N);
      EXPECT_EQ(r->mean, before[c].mean);
      EXPECT_EQ(r->var, before[c].var);
      EXPECT_EQ(r->min, before[c].min);
      EXPECT_EQ(r->max, before[c].max);
      EXPECT_EQ(r->phi_mean, before[c].phi_mean);
      EXPECT_EQ(r->dphi_sq_mean, before[c].dphi_sq_mean);
    }
  }
  // The other way round: bad <- merge(bad, good) equals good plus the count.
  ASSERT_EQ(cubias_stats_merge(h, sbad, sgood2), CUBIAS_STATUS_SUCCESS);
  const auto r = tu::read(h, sbad, C);
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_EQ(r[c].count, before[c].count);
    EXPECT_EQ(r[c].nonfinite, 2 * N);
    EXPECT_EQ(r[c].mean, before[c].mean);
  }
}

// Extreme finite values next to non-finite ones: the largest finite f16/bf16
// magnitudes are not mistaken for Inf and Inf is not mistaken for a max.
TEST_P(StatsNonfinite, LargestFiniteValuesAreFinite) {
  struct Case {
    int dtype;
    uint16_t max_finite, inf, nan;
  };
  const Case cases[] = {{ref::F16, 0x7bff, 0x7c00, 0x7e00}, {ref::BF16, 0x7f7f, 0x7f80, 0x7fc0}};
  for (const Case &k : cases) {
    SCOPED_TRACE(tu::dtype_name(k.dtype));
    const uint16_t vals[8] = {k.max_finite, (uint16_t)(k.max_finite | 0x8000), k.inf,
                              (uint16_t)(k.inf | 0x8000), k.nan, 0x0001, 0x8001, 0x0000};
    tu::Buffer buf(be(), sizeof vals);
    buf.upload(vals, sizeof vals);
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), (cubias_dtype_t)k.dtype, 8, 1), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, 1, ref::IDENTITY);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
    const auto r = tu::read(h, s, 1);
    const auto want = ref::stats(vals, k.dtype, 8, 1, 1, ref::IDENTITY, 0);
    EXPECT_EQ(r[0].count, 5);
    EXPECT_EQ(r[0].nonfinite, 3);
    EXPECT_EQ(r[0].positive, 2);
    EXPECT_EQ(r[0].max, want[0].max);
    EXPECT_EQ(r[0].min, want[0].min);
    EXPECT_EQ(r[0].max, k.dtype == ref::F16 ? 65504.0 : ref::bf16_to_double(0x7f7f));
  }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsNonfinite);

}  // namespace
