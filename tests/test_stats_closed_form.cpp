// Closed forms on z ~ N(0, sigma^2), N = 10^6 (one channel, and the same data as
// 4 channels of 250000), each within 5 standard errors:
//   E[ReLU(z)]   = sigma / sqrt(2 pi)
//   Var[ReLU(z)] = sigma^2 (1/2 - 1/(2 pi))     (phi_sq_mean - phi_mean^2)
//   P(z > 0)     = 1/2                          (active_fraction, E[ReLU'^2])
//   E[z] = 0, Var[z] = sigma^2.
// Standard errors of the estimators over n iid samples, Y = ReLU(z), m = E[Y]:
//   SE(mean of Y) = sqrt(Var Y / n);  SE(fraction) = sqrt(p (1 - p) / n);
//   SE(population variance of Y) = sqrt((mu4 - v^2) / n) with v = Var Y and
//   mu4 = E[(Y - m)^4] = E[Y^4] - 4 m E[Y^3] + 6 m^2 E[Y^2] - 3 m^4, where
//   E[Y^k] = sigma^k E[|Z|^k] / 2: E[Y^2] = sigma^2 / 2, E[Y^3] = sigma^3 sqrt(2/pi),
//   E[Y^4] = 3 sigma^4 / 2.  For z itself: SE(mean) = sigma/sqrt(n),
//   SE(var) = sigma^2 sqrt(2/n).
// The data comes from cuRAND's host generator (no GPU needed) when cubias is
// built with CUDA; otherwise from std::mt19937_64 + std::normal_distribution,
// which the test reports.
#include <math.h>

#include <iostream>

#include "util.h"

#ifdef CUBIAS_HAVE_CUDA
#include <curand.h>
#endif

namespace {

// n normal values with standard deviation sigma; `source` names the generator.
std::vector<float> gaussian(size_t n, float sigma, unsigned long long seed, std::string *source) {
  std::vector<float> x(n);
#ifdef CUBIAS_HAVE_CUDA
  curandGenerator_t g;
  if (curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10) == CURAND_STATUS_SUCCESS) {
    bool ok = curandSetPseudoRandomGeneratorSeed(g, seed) == CURAND_STATUS_SUCCESS &&
              curandGenerateNormal(g, x.data(), n, 0.0f, sigma) == CURAND_STATUS_SUCCESS;
    curandDestroyGenerator(g);
    if (ok) {
      *source = "cuRAND host generator (Philox4_32_10)";
      return x;
    }
  }
  ADD_FAILURE() << "cuRAND's host generator failed in a CUDA build";
#endif
  *source = "std::mt19937_64 + std::normal_distribution (built without CUDA: no cuRAND)";
  return tu::normal(n, 0.0, sigma, seed);
}

class StatsClosedForm : public tu::BackendTest {};

TEST_P(StatsClosedForm, ReluMomentsOfGaussian) {
  const size_t n_total = 1000000;  // even, as curandGenerateNormal requires
  for (float sigma : {1.0f, 2.5f}) {
    std::string source;
    const std::vector<float> z = gaussian(n_total, sigma, 20240601ull + (unsigned long long)(sigma * 10), &source);
    std::cout << "[ closed-form data ] " << source << ", sigma " << sigma << "\n";
    tu::Buffer buf(be(), z.size() * 4);
    buf.upload(z.data(), z.size() * 4);
    for (int64_t C : {1, 4}) {
      SCOPED_TRACE("sigma " + std::to_string(sigma) + ", channels " + std::to_string(C));
      const int64_t N = (int64_t)n_total / C;
      cubias_tensor_t v;
      ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
      tu::Stats s(h, C, ref::RELU);
      ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
      const auto r = tu::read(h, s, C);
      const double sg = sigma, n = (double)N, pi = M_PI;
      const double m = sg / sqrt(2 * pi);                         // E[ReLU]
      const double ey2 = sg * sg / 2, ey3 = sg * sg * sg * sqrt(2 / pi), ey4 = 1.5 * pow(sg, 4);
      const double v_relu = sg * sg * (0.5 - 1 / (2 * pi));       // = ey2 - m^2
      const double mu4 = ey4 - 4 * m * ey3 + 6 * m * m * ey2 - 3 * pow(m, 4);
      const double se_mean = sqrt(v_relu / n);
      const double se_var = sqrt((mu4 - v_relu * v_relu) / n);
      const double se_frac = sqrt(0.25 / n);
      ASSERT_NEAR(v_relu, ey2 - m * m, 1e-12);
      for (int64_t c = 0; c < C; ++c) {
        const cubias_channel_stats_t &q = r[c];
        EXPECT_EQ(q.count, N);
        EXPECT_EQ(q.nonfinite, 0);
        EXPECT_NEAR(q.phi_mean, m, 5 * se_mean) << "E[ReLU]";
        EXPECT_NEAR(q.phi_sq_mean - q.phi_mean * q.phi_mean, v_relu, 5 * se_var) << "Var[ReLU]";
        EXPECT_NEAR(q.active_fraction, 0.5, 5 * se_frac) << "active fraction";
        EXPECT_EQ(q.dphi_sq_mean, q.active_fraction) << "ReLU'^2 is the active indicator";
        EXPECT_NEAR(q.mean, 0.0, 5 * sg / sqrt(n)) << "E[z]";
        EXPECT_NEAR(q.var, sg * sg, 5 * sg * sg * sqrt(2 / n)) << "Var[z]";
        // Sanity of the bound itself: 5 SE is a tight band, not a tautology.
        EXPECT_LT(5 * se_mean, 0.05 * m);
        EXPECT_LT(5 * se_var, 0.05 * v_relu);
      }
    }
  }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsClosedForm);

}  // namespace
