// Gate targets and optimistic value heads (gate targets, optimistic value heads) and the zeroed
// relative-position tables, against closed forms and tests/ref.
#include "test_prior_support.h"
#include "util.h"

class PriorValues : public BackendDtypeTest {};

TEST_P(PriorValues, GateTargetIsLogit) {
  for (double g0 : {0.5, 0.9, 0.1, 1e-4, 0.999}) {
    BiasBuf out(be, 11 * esz());
    out.poison();
    ASSERT_EQ(cubias_gate_target(h, g0, 11, out.p, dt), CUBIAS_STATUS_SUCCESS);
    const double ref = ref_logit(g0);
    for (double v : bias_values(out, dti, 11)) {
      ASSERT_NEAR(v, ref, bias_tol(dti, ref)) << g0;
      if (g0 == 0.5) ASSERT_EQ(v, 0.0);
    }
  }
}

TEST_P(PriorValues, OptimisticValue) {
  BiasBuf out(be, 5 * esz());
  out.poison();
  double v = 0;
  ASSERT_EQ(cubias_optimistic_value(h, 1.0, 0.99, CUBIAS_HORIZON_INFINITE, 5, out.p, dt, &v),
            CUBIAS_STATUS_SUCCESS);
  EXPECT_NEAR(v, 100.0, 1e-10);
  for (double x : bias_values(out, dti, 5)) EXPECT_NEAR(x, 100.0, bias_tol(dti, 100.0));
  // Finite horizons against summation of gamma^t.
  struct C { double r, g; int64_t H; } cs[] = {{1, 0.99, 10}, {2.5, 0.9, 1}, {-1, 0.5, 30},
                                               {3, 0.0, 5}, {1, 0.999, 1000}, {1, 0.9, 0}};
  for (auto c : cs) {
    out.poison();
    ASSERT_EQ(cubias_optimistic_value(h, c.r, c.g, (double)c.H, 5, out.p, dt, &v),
              CUBIAS_STATUS_SUCCESS);
    double ref = ref_optimistic_sum(c.r, c.g, c.H);
    EXPECT_NEAR(v, ref, 1e-10 * (1 + fabs(ref))) << c.g << " " << c.H;
    for (double x : bias_values(out, dti, 5)) EXPECT_NEAR(x, ref, bias_tol(dti, ref, 1e-10));
  }
}

TEST_P(PriorValues, RelativePositionTableZeroed) {
  BiasBuf out(be, 1000 * esz());
  out.poison();
  ASSERT_EQ(cubias_relpos_bias_zero(h, out.p, 1000, dt), CUBIAS_STATUS_SUCCESS);
  for (double x : bias_values(out, dti, 1000)) ASSERT_EQ(x, 0.0);
}

TEST_P(PriorValues, BadInputRefusedNothingWritten) {
  BiasBuf out(be, 8 * 4);
  const cubias_dtype_t bad = (cubias_dtype_t)3;  // in the enum's range, not a dtype
  struct Case {
    const char *what;
    std::function<cubias_status_t()> call;
  };
  std::vector<Case> cases = {
      {"gate null handle", [&] { return cubias_gate_target(nullptr, 0.5, 8, out.p, dt); }},
      {"gate g0 0", [&] { return cubias_gate_target(h, 0.0, 8, out.p, dt); }},
      {"gate g0 1", [&] { return cubias_gate_target(h, 1.0, 8, out.p, dt); }},
      {"gate g0 nan", [&] { return cubias_gate_target(h, NAN, 8, out.p, dt); }},
      {"gate n", [&] { return cubias_gate_target(h, 0.5, 0, out.p, dt); }},
      {"gate null", [&] { return cubias_gate_target(h, 0.5, 8, nullptr, dt); }},
      {"gate dtype", [&] { return cubias_gate_target(h, 0.5, 8, out.p, bad); }},
      {"opt null handle", [&] { return cubias_optimistic_value(nullptr, 1, 0.9, -1, 8, out.p, dt, nullptr); }},
      {"opt gamma 1", [&] { return cubias_optimistic_value(h, 1, 1.0, -1, 8, out.p, dt, nullptr); }},
      {"opt gamma neg", [&] { return cubias_optimistic_value(h, 1, -0.1, -1, 8, out.p, dt, nullptr); }},
      {"opt rmax inf", [&] { return cubias_optimistic_value(h, INFINITY, 0.9, -1, 8, out.p, dt, nullptr); }},
      {"opt horizon nan", [&] { return cubias_optimistic_value(h, 1, 0.9, NAN, 8, out.p, dt, nullptr); }},
      {"opt n", [&] { return cubias_optimistic_value(h, 1, 0.9, -1, -3, out.p, dt, nullptr); }},
      {"opt null", [&] { return cubias_optimistic_value(h, 1, 0.9, -1, 8, nullptr, dt, nullptr); }},
      {"opt dtype", [&] { return cubias_optimistic_value(h, 1, 0.9, -1, 8, out.p, bad, nullptr); }},
      {"opt overflows f16", [&] { return cubias_optimistic_value(h, 1, 0.99999, -1, 8, out.p, CUBIAS_DTYPE_F16, nullptr); }},
      {"relpos null", [&] { return cubias_relpos_bias_zero(h, nullptr, 8, dt); }},
      {"relpos n", [&] { return cubias_relpos_bias_zero(h, out.p, 0, dt); }},
      {"relpos dtype", [&] { return cubias_relpos_bias_zero(h, out.p, 8, bad); }},
  };
  auto call_of = [](const std::string &what) {  // the call a case makes, by its name's prefix
    return what.rfind("gate", 0) == 0  ? "cubias_gate_target"
           : what.rfind("opt", 0) == 0 ? "cubias_optimistic_value"
                                       : "cubias_relpos_bias_zero";
  };
  for (auto &c : cases) {
    out.poison();
    tu::clear_errors(h);  // each case's message is its own
    EXPECT_NE(c.call(), CUBIAS_STATUS_SUCCESS) << c.what;
    EXPECT_TRUE(out.all_poison()) << c.what;
    tu::expect_error_from(nullptr, call_of(c.what), c.what);
  }
}

BACKEND_DTYPE_INSTANTIATE(PriorValues);
