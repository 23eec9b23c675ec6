// The benchmarks' host-side helpers (bench/host_bench.h): the checks that decide
// whether a GPU result may be timed, the ulp they measure in, the CPU floor's read
// loop and the median. Oracles: closed forms (powers of two, exact float sums).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "../bench/host_bench.h"

TEST(BenchHost, SameBitsNamesTheFirstDifferingElement) {
  std::vector<float> a = {1.0f, -0.0f, 3.5f}, b = a;
  bench::Check c = bench::same_bits(a.data(), b.data(), 12, 4);
  EXPECT_TRUE(c.ok) << c.what;
  EXPECT_EQ(c.what, "bit for bit (3 values)");
  b[1] = 0.0f;  // equal as numbers, not as bits
  c = bench::same_bits(a.data(), b.data(), 12, 4);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.what.find("element 1 "), std::string::npos) << c.what;
}

TEST(BenchHost, UlpOfFloatIsTheSpacingAtTheValue) {
  EXPECT_EQ(bench::ulp_f32(1.0), std::ldexp(1.0, -23));
  EXPECT_EQ(bench::ulp_f32(-3.0), std::ldexp(1.0, -22));
  EXPECT_EQ(bench::ulp_f32(0.0), std::ldexp(1.0, -149));
  EXPECT_EQ(bench::ulp_f32(std::ldexp(1.0, 100)), std::ldexp(1.0, 77));
  EXPECT_TRUE(std::isinf(bench::ulp_f32(1e39)));  // beyond float's range
}

TEST(BenchHost, WithinHoldsAtTheToleranceAndFailsBeyondIt) {
  const std::vector<float> want = {1.0f, 2.0f, NAN};
  std::vector<float> got = {std::nextafter(1.0f, 2.0f), 2.0f, NAN};  // one ulp off, equal, both NaN
  const auto one_ulp = [&](size_t i) { return bench::ulp_f32(want[i]); };
  bench::Check c = bench::within(got, want, one_ulp, "1 ulp");
  EXPECT_TRUE(c.ok) << c.what;
  EXPECT_NE(c.what.find("worst 1.00"), std::string::npos) << c.what;
  got[0] = std::nextafter(got[0], 2.0f);  // two ulps
  c = bench::within(got, want, one_ulp, "1 ulp");
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.what.find("element 0:"), std::string::npos) << c.what;
  got[0] = 1.0f, got[2] = 0.0f;  // a NaN on one side only
  EXPECT_FALSE(bench::within(got, want, one_ulp, "1 ulp").ok);
  EXPECT_FALSE(bench::within(std::vector<float>(2), want, one_ulp, "1 ulp").ok) << "sizes differ";
}

TEST(BenchHost, BothNeedsBothChecks) {
  const bench::Check yes{true, "a"}, no{false, "b"};
  EXPECT_TRUE(bench::both(yes, yes).ok);
  EXPECT_EQ(bench::both(yes, yes).what, "a; a");
  EXPECT_FALSE(bench::both(yes, no).ok);
  EXPECT_EQ(bench::both(yes, no).what, "b");
  EXPECT_FALSE(bench::both(no, yes).ok);
}

// The planted defect of --plant moves a value far outside every tolerance of the
// benchmark: of 1.0f it makes +Inf, of 0.5 (double) 2^1023 * 1.0, of int64 1 a
// number above 2^62.
TEST(BenchHost, PlantedDefectFailsEveryCheck) {
  std::vector<float> f = {1.0f};
  bench::plant_defect(f.data(), 4);
  EXPECT_TRUE(std::isinf(f[0]));
  std::vector<double> d = {0.5};
  bench::plant_defect(d.data(), 8);
  EXPECT_GT(std::fabs(d[0]), 1e300);
  int64_t n = 1;
  bench::plant_defect(&n, 8);
  EXPECT_EQ(n, (int64_t)1 + ((int64_t)1 << 62));
  const std::vector<float> want = {1.0f};
  EXPECT_FALSE(bench::within(want, f, [](size_t) { return 1e-3; }, "").ok);
}

TEST(BenchHost, ReadLoopSumsEveryFloatTailIncluded) {
  for (int64_t n : {0, 1, 15, 16, 17, 1000, 4099}) {
    std::vector<float> x((size_t)n, 1.0f);
    EXPECT_EQ(bench::read_sum(x.data(), n), (float)n) << n;
  }
}

TEST(BenchHost, MedianIsTheUpperMiddleValue) {
  EXPECT_EQ(bench::median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(bench::median({4.0, 1.0, 3.0, 2.0}), 3.0);
  EXPECT_TRUE(std::isnan(bench::median({})));
}
