// The CPU engine's exp, normal cdf, tanh, sigmoid, GELU and SiLU on lanes
// (kernels/smooth_lanes.h) against std::exp / erfc / tanh in double, in units in the last place of the
// float result; and the SIMD-lane forms against the scalar ones, bit for bit
// (the engine mixes both within one accumulator).
#define CUBIAS_CPU_SIMD 1
#pragma GCC diagnostic ignored "-Wpsabi"  // vector lanes wider than this build's registers
#include "../kernels/smooth_lanes.h"

#include <math.h>
#include <string.h>

#include <random>
#include <vector>

#include "util.h"

namespace {

// |got - want| in float ulps at want.
double ulps(float got, double want) {
  const float w = (float)want;
  const double ulp = (double)nextafterf(fabsf(w), INFINITY) - (double)fabsf(w);
  return fabs((double)got - want) / (ulp > 0 ? ulp : 1e-45);
}

// Arguments spread over [lo, hi): a dense grid plus every float near 0.
std::vector<float> sweep(float lo, float hi) {
  std::vector<float> xs;
  for (float x = lo; x < hi; x += (hi - lo) / 400000.0f) xs.push_back(x);
  for (float x = 1e-30f; x < 1e-2f; x *= 1.01f) xs.push_back(x), xs.push_back(-x);
  xs.push_back(0.0f);
  xs.push_back(-0.0f);
  return xs;
}

double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
float tanh_lane(float x) { return cubias_tanh_lane<float, int>(x); }
float exp_lane(float x) { return cubias_exp_lane<float, int>(x); }
float ncdf_lane(float x) { return cubias_ncdf_lane<float, int>(x); }
double ncdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
double gelu(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
double gelu_grad(double x) { return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2 * M_PI); }

TEST(LaneMath, WithinAFewUlpsOfDouble) {
  double e = 0, t = 0, s = 0, q = 0, ds = 0, c = 0, g = 0, dg = 0;
  for (float x : sweep(-87.0f, 88.0f)) e = fmax(e, ulps(exp_lane(x), exp((double)x)));
  for (float x : sweep(-20.0f, 20.0f)) {
    t = fmax(t, ulps(tanh_lane(x), tanh((double)x)));
    float y, dy;
    cubias_smooth_lane<CUBIAS_HD_SIGMOID, float, int>(x, y, dy);
    s = fmax(s, ulps(y, sigmoid(x)));
    ds = fmax(ds, fabs(dy - sigmoid(x) * (1 - sigmoid(x))));
    cubias_smooth_lane<CUBIAS_HD_SILU, float, int>(x, y, dy);
    q = fmax(q, ulps(y, x * sigmoid(x)));
    if (ncdf(x) > 1e-37) c = fmax(c, fabs(ncdf_lane(x) - ncdf(x)) / ncdf(x));
    cubias_smooth_lane<CUBIAS_HD_GELU, float, int>(x, y, dy);
    g = fmax(g, fabs(y - gelu(x)) / fmax(fabs(gelu(x)), 1e-30) * (fabs(gelu(x)) > 1e-30));
    dg = fmax(dg, fabs(dy - gelu_grad(x)));
  }
  EXPECT_LE(e, 1.5) << "exp";
  EXPECT_LE(t, 2.0) << "tanh";
  EXPECT_LE(s, 3.0) << "sigmoid";
  EXPECT_LE(q, 3.0) << "SiLU";
  EXPECT_LE(c, 6e-7) << "normal cdf, relative";
  EXPECT_LE(g, 6e-7) << "GELU, relative";
  EXPECT_LE(dg, 3e-7) << "GELU'";
  EXPECT_LE(ds, 1e-7) << "sigmoid'";
}

TEST(LaneMath, SaturatesWithoutOverflowOrNaN) {
  EXPECT_EQ(tanh_lane(1e30f), 1.0f);
  EXPECT_EQ(tanh_lane(-1e30f), -1.0f);
  EXPECT_EQ(exp_lane(89.0f), INFINITY);
  EXPECT_EQ(exp_lane(-1e30f), 0.0f);
  float y, dy;
  cubias_smooth_lane<CUBIAS_HD_SIGMOID, float, int>(-1e30f, y, dy);
  EXPECT_TRUE(y >= 0.0f && y < 1e-37f && isfinite(dy));
  cubias_smooth_lane<CUBIAS_HD_SILU, float, int>(1e30f, y, dy);
  EXPECT_EQ(y, 1e30f);
  for (float x : {-3e38f, -1e30f, 1e30f, 3e38f}) {
    cubias_smooth_lane<CUBIAS_HD_SILU, float, int>(x, y, dy);
    EXPECT_TRUE(isfinite(y) && isfinite(dy)) << "SiLU " << x;
    EXPECT_EQ(dy, x > 0 ? 1.0f : 0.0f) << "SiLU' " << x;
    cubias_smooth_lane<CUBIAS_HD_GELU, float, int>(x, y, dy);
    EXPECT_EQ(y, x > 0 ? x : 0.0f) << "GELU " << x;
    EXPECT_EQ(dy, x > 0 ? 1.0f : 0.0f) << "GELU' " << x;
  }
}

// Vector lanes give the scalar bits for every lane.
template <int ACT>
void expect_vector_is_scalar(const std::vector<float> &xs) {
  constexpr int W = CUBIAS_CPU_LANES;
  for (size_t i = 0; i + W <= xs.size(); i += W) {
    cubias_vf v, y, dy;
    memcpy(&v, &xs[i], sizeof v);
    cubias_smooth_lane<ACT, cubias_vf, cubias_vi>(v, y, dy);
    for (int k = 0; k < W; ++k) {
      float sy, sdy;
      cubias_smooth_lane<ACT, float, int>(xs[i + k], sy, sdy);
      ASSERT_EQ(memcmp(&sy, &y[k], 4), 0) << "act " << ACT << " x = " << xs[i + k];
      ASSERT_EQ(memcmp(&sdy, &dy[k], 4), 0) << "act " << ACT << " x = " << xs[i + k];
    }
  }
}

TEST(LaneMath, VectorLanesMatchScalarBitForBit) {
  const std::vector<float> xs = tu::normal(4096, 0.0, 6.0, 5);
  expect_vector_is_scalar<CUBIAS_HD_TANH>(xs);
  expect_vector_is_scalar<CUBIAS_HD_SIGMOID>(xs);
  expect_vector_is_scalar<CUBIAS_HD_SILU>(xs);
  expect_vector_is_scalar<CUBIAS_HD_GELU>(xs);
}

}  // namespace

// The GPU's division by a count (kernels/host_device.h): from any reciprocal estimate
// within 2^-20 (the hardware's is about 2^-23), the refinement gives IEEE a / n bit for
// bit, for counts up to 2^53 and numerators over the normal range of both signs.
TEST(LaneMath, DivisionByACountRefinesToTheIeeeQuotient) {
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> mant(1.0, 2.0), pert(-1.0, 1.0);
  std::uniform_int_distribution<int> expo(-900, 900), bits(0, 52);
  size_t wrong = 0, total = 0;
  for (int i = 0; i < 200000; ++i) {
    const double n = (double)(1 + (rng() >> (11 + bits(rng))));  // 1 .. 2^53 (shift <= 63)
    const double a = ((rng() & 1) ? -1.0 : 1.0) * ldexp(mant(rng), expo(rng));
    const double y0 = (1.0 / n) * (1.0 + ldexp(pert(rng), -20));
    const double got = cubias_div_refine(a, n, y0), want = a / n;
    wrong += memcmp(&got, &want, sizeof got) != 0;
    ++total;
  }
  for (double n : {1.0, 2.0, 3.0, 7.0, 16.0, 1e6, 9007199254740992.0})  // exact cases
    for (double a : {0.0, -0.0, 1.0, 3.0, -5.5, 1e300, 1e-200}) {
      const double got = cubias_div_refine(a, n, (1.0 / n) * (1.0 - ldexp(1.0, -21)));
      const double want = a / n;
      EXPECT_EQ(memcmp(&got, &want, sizeof got), 0) << a << " / " << n << ": " << got;
    }
  // As the GPU's run mean takes it: the float quotient through the double one.
  size_t fwrong = 0;
  for (int i = 0; i < 100000; ++i) {
    const float s1 = (float)(((rng() & 1) ? -1.0 : 1.0) * ldexp(mant(rng), expo(rng) % 120));
    const int n = 1 + (int)(rng() % 16);
    const float got = (float)cubias_div_refine((double)s1, (double)n,
                                               (1.0 / n) * (1.0 + ldexp(pert(rng), -20)));
    const float want = s1 / (float)n;
    fwrong += memcmp(&got, &want, sizeof got) != 0;
  }
  EXPECT_EQ(wrong, 0u) << "of " << total;
  EXPECT_EQ(fwrong, 0u) << "float quotients of 100000";
}

