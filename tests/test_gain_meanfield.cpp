// Mean-field helpers (host-only) against closed forms and the independent
// Simpson-rule reference; the normal quantile of kernels/gain_math.h against
// bisection on erfc.
#include <gtest/gtest.h>
#include <math.h>

#include "cubias.h"
#include "../kernels/gain_math.h"
#include "ref/gain_ref.h"

namespace {

TEST(GainMeanField, TanhCriticalSigmaW2AtSigmaB2_005) {
  double sw2 = 0;
  ASSERT_EQ(cubias_meanfield_critical(CUBIAS_ACT_TANH, 0, 0.05, &sw2), CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(nullptr);
  EXPECT_NEAR(sw2, 1.761, 1e-3);  // the published edge of chaos (Schoenholz et al. 2017)
  const double ref = gain_ref::meanfield_critical(CUBIAS_ACT_TANH, 0, 0.05, 1.5, 2.0);
  EXPECT_NEAR(sw2, ref, 1e-7);
  cubias_meanfield_t mf;
  ASSERT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, sw2, 0.05, &mf), 0);
  EXPECT_NEAR(mf.chi1, 1.0, 1e-10);
  EXPECT_TRUE(mf.converged);
}

TEST(GainMeanField, ReluClosedForms) {
  // E[relu(sqrt(q) z)^2] = q/2, E[relu'^2] = 1/2: q* = sb2 / (1 - sw2/2), chi_1 = sw2/2.
  for (double sw2 : {1.0, 1.5, 1.9}) {
    cubias_meanfield_t mf;
    ASSERT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_RELU, 0, sw2, 0.1, &mf), 0);
    EXPECT_NEAR(mf.q_star, 0.1 / (1 - sw2 / 2), 1e-12 * mf.q_star);
    EXPECT_NEAR(mf.chi1, sw2 / 2, 1e-14);
    EXPECT_NEAR(mf.depth_scale, -1 / log(sw2 / 2), 1e-9 * fabs(mf.depth_scale));
    EXPECT_TRUE(mf.converged);
  }
  cubias_meanfield_t mf;
  ASSERT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_RELU, 0, 3.0, 0.1, &mf), 0);
  EXPECT_EQ(mf.q_star, INFINITY);  // diverges
  EXPECT_NEAR(mf.chi1, 1.5, 1e-14);
  EXPECT_LT(mf.depth_scale, 0);  // explosion
  double c;
  ASSERT_EQ(cubias_meanfield_critical(CUBIAS_ACT_RELU, 0, 0.0, &c), 0);
  EXPECT_NEAR(c, 2.0, 1e-9);
  ASSERT_EQ(cubias_meanfield_critical(CUBIAS_ACT_LEAKY_RELU, 0.2f, 0.0, &c), 0);
  const double s = 0.2f;
  EXPECT_NEAR(c, 2.0 / (1 + s * s), 1e-9);  // chi_1 = sw2 (1 + s^2)/2
  ASSERT_EQ(cubias_meanfield_critical(CUBIAS_ACT_IDENTITY, 0, 0.3, &c), 0);
  EXPECT_NEAR(c, 1.0, 1e-9);
}

TEST(GainMeanField, MomentsMatchSimpsonReference) {
  const cubias_activation_t acts[] = {CUBIAS_ACT_TANH, CUBIAS_ACT_SIGMOID, CUBIAS_ACT_GELU,
                                      CUBIAS_ACT_SILU, CUBIAS_ACT_RELU, CUBIAS_ACT_LEAKY_RELU};
  for (cubias_activation_t a : acts)
    for (double q : {0.01, 0.5, 1.0, 3.0}) {
      double p2, d2, r2, rd2;
      ASSERT_EQ(cubias_meanfield_moments(a, 0.1f, q, &p2, &d2), 0);
      gain_ref::meanfield_moments(a, a == CUBIAS_ACT_LEAKY_RELU ? (double)0.1f : 0, q, &r2, &rd2);
      EXPECT_NEAR(p2, r2, 1e-9 * (1 + r2)) << a << " q " << q;
      EXPECT_NEAR(d2, rd2, 1e-9 * (1 + rd2)) << a << " q " << q;
    }
}

TEST(GainMeanField, TanhFixedPointMatchesReference) {
  for (double sw2 : {0.8, 1.5, 2.5, 4.0}) {
    cubias_meanfield_t mf;
    ASSERT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, sw2, 0.05, &mf), 0);
    const double q = gain_ref::meanfield_qstar(CUBIAS_ACT_TANH, 0, sw2, 0.05, 400);
    EXPECT_NEAR(mf.q_star, q, 1e-9 * q) << sw2;
    EXPECT_NEAR(mf.chi1, gain_ref::meanfield_chi1(CUBIAS_ACT_TANH, 0, sw2, 0.05), 1e-9) << sw2;
    EXPECT_TRUE(mf.converged);
    // Ordered (chi_1 < 1) below the critical 1.761, chaotic above.
    EXPECT_EQ(mf.chi1 < 1.0, sw2 < 1.761) << sw2;
    EXPECT_EQ(mf.depth_scale > 0, sw2 < 1.761) << sw2;
  }
}

TEST(GainMeanField, BadInputRefused) {
  cubias_meanfield_t mf;
  mf.q_star = -7;
  EXPECT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, 0.0, 0.05, &mf), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_NE(std::string(cubias_get_last_error(nullptr)).find("sigma_w2"), std::string::npos);
  EXPECT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, NAN, 0.05, &mf), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, 1.0, -1.0, &mf), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_meanfield_fixed_point((cubias_activation_t)42, 0, 1.0, 0.0, &mf), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_meanfield_fixed_point(CUBIAS_ACT_TANH, 0, 1.0, 0.0, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(mf.q_star, -7);  // untouched
  double c = -7;
  EXPECT_EQ(cubias_meanfield_critical(CUBIAS_ACT_TANH, 0, INFINITY, &c), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_meanfield_critical(CUBIAS_ACT_LEAKY_RELU, NAN, 0.0, &c), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(c, -7);
  EXPECT_EQ(cubias_meanfield_moments(CUBIAS_ACT_TANH, 0, -1.0, &c, nullptr), CUBIAS_STATUS_INVALID_VALUE);
}

TEST(GainQuantile, MatchesBisectionOnErfc) {
  for (double p : {1e-300, 1e-100, 1e-10, 1e-3, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97575,
                   0.999, 1 - 1e-10}) {
    const double x = cubias_normal_quantile(p), r = gain_ref::normal_quantile(p);
    EXPECT_NEAR(x, r, 1e-13 * (1 + fabs(r))) << p;
  }
  EXPECT_EQ(cubias_normal_quantile(0.5), 0.0);
  EXPECT_EQ(cubias_normal_quantile(0.0), -INFINITY);
  EXPECT_EQ(cubias_normal_quantile(1.0), INFINITY);
  EXPECT_TRUE(isnan(cubias_normal_quantile(1.5)));
  EXPECT_TRUE(isnan(cubias_normal_quantile(NAN)));
  // Symmetry to rounding.
  for (double p : {1e-8, 0.01, 0.2, 0.4}) EXPECT_NEAR(cubias_normal_quantile(p), -cubias_normal_quantile(1 - p), 1e-9);
}

TEST(GainQuantile, LargestBiasFormula) {
  // ReLU, g = 2, target 1: p_max = 1/2, t = 0. g = 1: every bias works (+inf).
  EXPECT_EQ(cubias_gain_tmax(2.0, 0.0, 1.0), 0.0);
  EXPECT_EQ(cubias_gain_tmax(1.0, 0.0, 1.0), INFINITY);
  EXPECT_NEAR(cubias_gain_tmax(2.2, 0.0, 1.0), gain_ref::normal_quantile(1 / 2.2), 1e-13);
  // Leaky slope 0.5, g = 4: dead units alone give 4 * 0.25 = 1 = target: p_max = 0.
  EXPECT_TRUE(isnan(cubias_gain_tmax(4.0, 0.25, 1.0)));
  EXPECT_NEAR(cubias_gain_tmax(3.0, 0.25, 1.0), gain_ref::normal_quantile((1 / 3.0 - 0.25) / 0.75), 1e-13);
}

}  // namespace
