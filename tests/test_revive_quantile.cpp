// cubias_revive_quantile reads p_min as the decimal a user writes: with
// p_min * n a whole number in decimal (0.05 * 100 = 5), k is that number, not
// one more because the binary p_min lies a hair above the decimal. The oracle
// is integer arithmetic on p_min = num / den: k = ceil(num * n / den).
#include <algorithm>
#include <random>
#include <vector>

#include "util.h"

namespace {

struct RankCase {
  int64_t num, den;  // p_min = num / den, passed to the library as the double num / den
  int64_t n;         // finite entries per channel
};

// ceil(num * n / den) in integers: the smallest k with k / n >= p_min.
int64_t exact_k(const RankCase &c) { return (c.num * c.n + c.den - 1) / c.den; }

class ReviveQuantileDecimal : public tu::BackendTest {};

TEST_P(ReviveQuantileDecimal, SmallestShiftMeetingDecimalPMin) {
  const RankCase cases[] = {
      {5, 100, 100},  {5, 100, 20},   {5, 100, 2000}, {1, 10, 30},   {1, 10, 10},
      {1, 10, 70},    {1, 100, 700},  {1, 100, 100},  {7, 100, 100}, {3, 10, 10},
      {29, 100, 100}, {57, 100, 100}, {5, 100, 101},  {1, 10, 31},   {1, 100, 99},
      {1, 1, 40},
  };
  const int64_t C = 2;  // channel 0: z = -1 .. -n, channel 1: z = -0.25 .. -0.25 n
  const double margin = 0.125;  // below both channels' spacing: exactly k entries end up active
  for (const RankCase &rc : cases) {
    const double p = (double)rc.num / (double)rc.den;  // the double a user's 0.05 becomes
    const int64_t n = rc.n, k = exact_k(rc);
    SCOPED_TRACE(::testing::Message() << "p_min " << rc.num << "/" << rc.den << " n " << n
                                      << " k " << k);
    std::vector<int64_t> order((size_t)n);
    for (int64_t i = 0; i < n; ++i) order[(size_t)i] = i + 1;
    std::shuffle(order.begin(), order.end(), std::mt19937_64((uint64_t)(n * 131 + rc.num)));
    std::vector<float> z((size_t)(n * C));
    for (int64_t r = 0; r < n; ++r) {
      z[(size_t)(r * C + 0)] = -(float)order[(size_t)r];
      z[(size_t)(r * C + 1)] = -0.25f * (float)order[(size_t)r];
    }
    tu::Buffer dz(be(), z.size() * sizeof(float));
    dz.upload(z.data(), z.size() * sizeof(float));
    cubias_tensor_t view;
    ASSERT_EQ(cubias_tensor_rows(&view, dz.get(), CUBIAS_DTYPE_F32, n, C), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, C, CUBIAS_ACT_RELU);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &view), CUBIAS_STATUS_SUCCESS);
    const float b0[2] = {0.0f, 0.0f};
    tu::Buffer db(be(), sizeof b0);
    db.upload(b0, sizeof b0);
    ASSERT_EQ(cubias_revive_quantile(h, s, &view, 1, p, margin, db.get(), CUBIAS_DTYPE_F32,
                                     nullptr),
              CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    float b[2];
    db.download(b, sizeof b);
    // q = -k (channel 0) and -k/4 (channel 1): shift margin - q, exact in f32.
    EXPECT_EQ(b[0], (float)(margin + (double)k));
    EXPECT_EQ(b[1], (float)(margin + 0.25 * (double)k));
    for (int64_t c = 0; c < C; ++c) {
      int64_t active = 0;
      for (int64_t r = 0; r < n; ++r) active += (double)z[(size_t)(r * C + c)] + b[c] > 0.0;
      EXPECT_EQ(active, k) << "channel " << c;
      // Minimal: k entries meet p_min (k * den >= num * n), k - 1 do not.
      EXPECT_GE(active * rc.den, rc.num * n) << "channel " << c;
      EXPECT_LT((active - 1) * rc.den, rc.num * n) << "channel " << c;
    }
  }
}

CUBIAS_INSTANTIATE_BACKENDS(ReviveQuantileDecimal);

}  // namespace
