// Attention masks: additive attention masks, the dtype's mask value, the policy for
// rows with no valid key, and softmax shift invariance, with a fp64 softmax.
#include <random>

#include "test_prior_support.h"
#include "util.h"

class MaskAttention : public BackendDtypeTest {
 protected:
  double mval() const { return -0.5 * ref_dtype_max(dti); }
  // Expected visibility from first principles: key j seen by query i of batch b.
  static bool visible(int flags, int64_t len, int64_t i, int64_t j, int64_t off) {
    if ((flags & CUBIAS_MASK_PADDING) && !(j < len)) return false;
    if ((flags & CUBIAS_MASK_CAUSAL) && j > i + off) return false;
    return true;
  }
};

TEST_P(MaskAttention, MaskValueIsHalfMaxAndCannotOverflow) {
  double m = 0;
  ASSERT_EQ(cubias_mask_value(dt, &m), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(m, mval());
  EXPECT_EQ(ref_round(dti, m), m);  // exact in its dtype
  // The lowest score of magnitude <= max/2 plus the mask stays finite in the dtype.
  double s = -0.5 * ref_dtype_max(dti);
  EXPECT_TRUE(std::isfinite(ref_round(dti, s + m)));
  EXPECT_EQ(ref_round(dti, s + m), -ref_dtype_max(dti));
  // whereas -max (or -inf) as a mask would overflow: a fully masked row of those gives NaN.
  EXPECT_TRUE(std::isinf(ref_round(dti, s - ref_dtype_max(dti))));
  auto p = ref_softmax({-INFINITY, -INFINITY, -INFINITY});
  EXPECT_TRUE(std::isnan(p[0]));
}

TEST_P(MaskAttention, PaddingCausalAndBothMatchReference) {
  const int64_t B = 5, tq = 6, tk = 9;
  std::vector<int32_t> len = {9, 4, 0, -3, 40};  // full, partial, empty, negative, > tk
  BiasBuf lb(be, B * 4);
  lb.upload(len.data(), B * 4);
  for (int flags = 1; flags <= 3; ++flags)
    for (int64_t off : {0, 3, -2}) {
      BiasBuf out(be, (size_t)(B * tq * tk) * esz());
      out.poison();
      ASSERT_EQ(cubias_attention_mask(h, flags, lb.as<int32_t>(), B, tq, tk, off,
                                      CUBIAS_MASK_EMPTY_ROW_EQUAL, out.p, dt),
                CUBIAS_STATUS_SUCCESS)
          << cubias_get_last_error(h);
      auto got = bias_values(out, dti, B * tq * tk);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < tq; ++i) {
          int64_t seen = 0;
          for (int64_t j = 0; j < tk; ++j) seen += visible(flags, len[b], i, j, off);
          for (int64_t j = 0; j < tk; ++j) {
            double want = visible(flags, len[b], i, j, off) ? 0.0 : mval();
            if (seen == 0) want = mval();  // EQUAL policy: the whole row is the mask value
            ASSERT_EQ(got[(size_t)((b * tq + i) * tk + j)], want)
                << "flags=" << flags << " off=" << off << " b=" << b << " i=" << i << " j=" << j;
          }
        }
    }
}

TEST_P(MaskAttention, SoftmaxOfMaskedScores) {
  const int64_t B = 3, tq = 4, tk = 7;
  std::vector<int32_t> len = {5, 0, 7};
  BiasBuf lb(be, B * 4);
  lb.upload(len.data(), B * 4);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-4, 4);
  for (int policy = 0; policy < 2; ++policy) {
    BiasBuf out(be, (size_t)(B * tq * tk) * esz());
    out.poison();
    ASSERT_EQ(cubias_attention_mask(h, CUBIAS_MASK_PADDING | CUBIAS_MASK_CAUSAL, lb.as<int32_t>(),
                                    B, tq, tk, tk - tq, (cubias_mask_empty_row_t)policy, out.p, dt),
              CUBIAS_STATUS_SUCCESS);
    auto m = bias_values(out, dti, B * tq * tk);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < tq; ++i) {
        std::vector<double> s(tk), z(tk), zs(tk);
        for (auto &x : s) x = ref_round(dti, u(rng));
        const double c = 3.75;
        // The sum as an attention kernel forms it in the dtype, then a fp64 softmax.
        for (int64_t j = 0; j < tk; ++j) {
          double mj = m[(size_t)((b * tq + i) * tk + j)];
          z[j] = ref_round(dti, s[j] + mj);
          zs[j] = s[j] + c + mj;  // a constant added to the row (fp64)
        }
        auto p = ref_softmax(z);
        int64_t seen = 0;
        for (int64_t j = 0; j < tk; ++j) seen += visible(3, len[b], i, j, tk - tq);
        double sum = 0;
        for (double x : p) {
          ASSERT_FALSE(std::isnan(x));
          sum += x;
        }
        EXPECT_NEAR(sum, 1.0, 1e-12);
        if (seen == 0) {
          // Policy EQUAL: s + m rounds to m for |s| <= 4: uniform. Policy ZERO: softmax(s).
          auto ps = ref_softmax(s);
          for (int64_t j = 0; j < tk; ++j)
            EXPECT_NEAR(p[j], policy == 0 ? 1.0 / tk : ps[j], 1e-12) << "b=" << b << " i=" << i;
        } else {
          // Masked keys get no weight; valid keys the softmax over the valid keys alone.
          std::vector<double> sv(s.begin(), s.begin() + seen);
          auto pv = ref_softmax(sv);
          for (int64_t j = 0; j < tk; ++j)
            EXPECT_NEAR(p[j], j < seen ? pv[j] : 0.0, 1e-12) << "b=" << b << " i=" << i;
        }
        // Shift invariance: adding c to every score of the row changes nothing beyond rounding.
        std::vector<double> z0(tk);
        for (int64_t j = 0; j < tk; ++j) z0[j] = s[j] + m[(size_t)((b * tq + i) * tk + j)];
        auto p0 = ref_softmax(z0), pc = ref_softmax(zs);
        for (int64_t j = 0; j < tk; ++j) EXPECT_NEAR(pc[j], p0[j], 1e-12);
      }
  }
}

TEST_P(MaskAttention, BroadcastShapes) {
  // Causal only, B = 1: [1, Tq, Tk] shared by the batch; lengths may be NULL.
  BiasBuf c(be, 3 * 3 * esz());
  c.poison();
  ASSERT_EQ(cubias_attention_mask(h, CUBIAS_MASK_CAUSAL, nullptr, 1, 3, 3, 0,
                                  CUBIAS_MASK_EMPTY_ROW_EQUAL, c.p, dt),
            CUBIAS_STATUS_SUCCESS);
  auto g = bias_values(c, dti, 9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(g[i * 3 + j], j <= i ? 0.0 : mval());
  // Padding only, Tq = 1: [B, 1, Tk] broadcast over queries.
  std::vector<int32_t> len = {2, 4};
  BiasBuf lb(be, 8);
  lb.upload(len.data(), 8);
  BiasBuf p(be, 2 * 4 * esz());
  p.poison();
  ASSERT_EQ(cubias_attention_mask(h, CUBIAS_MASK_PADDING, lb.as<int32_t>(), 2, 1, 4, 0,
                                  CUBIAS_MASK_EMPTY_ROW_EQUAL, p.p, dt),
            CUBIAS_STATUS_SUCCESS);
  g = bias_values(p, dti, 8);
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(g[b * 4 + j], j < len[b] ? 0.0 : mval());
}

TEST_P(MaskAttention, BadInputRefusedNothingWritten) {
  std::vector<int32_t> len = {2, 3};
  BiasBuf lb(be, 8);
  lb.upload(len.data(), 8);
  BiasBuf out(be, 2 * 3 * 4 * 4);
  const int32_t *L = lb.as<int32_t>();
  const auto EQ = CUBIAS_MASK_EMPTY_ROW_EQUAL;
  struct Case {
    const char *what;
    std::function<cubias_status_t()> call;
  };
  std::vector<Case> cases = {
      {"null handle", [&] { return cubias_attention_mask(nullptr, 3, L, 2, 3, 4, 0, EQ, out.p, dt); }},
      {"flags 0", [&] { return cubias_attention_mask(h, 0, L, 2, 3, 4, 0, EQ, out.p, dt); }},
      {"flags 4", [&] { return cubias_attention_mask(h, 4, L, 2, 3, 4, 0, EQ, out.p, dt); }},
      {"padding without lengths", [&] { return cubias_attention_mask(h, 1, nullptr, 2, 3, 4, 0, EQ, out.p, dt); }},
      {"batch 0", [&] { return cubias_attention_mask(h, 3, L, 0, 3, 4, 0, EQ, out.p, dt); }},
      {"tq 0", [&] { return cubias_attention_mask(h, 3, L, 2, 0, 4, 0, EQ, out.p, dt); }},
      {"tk -1", [&] { return cubias_attention_mask(h, 3, L, 2, 3, -1, 0, EQ, out.p, dt); }},
      {"overflow", [&] { return cubias_attention_mask(h, 2, L, INT64_MAX / 2, 3, 4, 0, EQ, out.p, dt); }},
      {"offset", [&] { return cubias_attention_mask(h, 2, L, 2, 3, 4, INT64_MIN, EQ, out.p, dt); }},
      {"policy", [&] { return cubias_attention_mask(h, 3, L, 2, 3, 4, 0, (cubias_mask_empty_row_t)2, out.p, dt); }},
      {"dtype", [&] { return cubias_attention_mask(h, 3, L, 2, 3, 4, 0, EQ, out.p, (cubias_dtype_t)3); }},
      {"null mask", [&] { return cubias_attention_mask(h, 3, L, 2, 3, 4, 0, EQ, nullptr, dt); }},
      {"value null", [&] { return cubias_mask_value(dt, nullptr); }},
      {"value dtype", [&] { double v; return cubias_mask_value((cubias_dtype_t)3, &v); }},
  };
  for (auto &c : cases) {
    out.poison();
    tu::clear_errors(h);  // each case's message is its own
    EXPECT_NE(c.call(), CUBIAS_STATUS_SUCCESS) << c.what;
    EXPECT_TRUE(out.all_poison()) << c.what;
    const bool value = std::string(c.what).rfind("value", 0) == 0;
    tu::expect_error_from(nullptr, value ? "cubias_mask_value" : "cubias_attention_mask", c.what);
  }
}

BACKEND_DTYPE_INSTANTIATE(MaskAttention);
