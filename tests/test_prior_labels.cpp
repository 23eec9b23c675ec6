// Class priors: class priors from labels (device histogram), from given priors, a
// single prior, and regression targets, against tests/ref/priors_gates_masks_ref.
#include <random>

#include "test_prior_support.h"
#include "util.h"

class PriorLabels : public BackendDtypeTest {};

template <class T>
static std::vector<T> skewed_labels(int64_t n, int64_t K, int64_t absent, unsigned seed,
                                    std::vector<int64_t> &counts) {
  std::mt19937_64 rng(seed);
  std::vector<double> w((size_t)K);
  for (int64_t k = 0; k < K; ++k) w[(size_t)k] = k == absent ? 0.0 : 1.0 / (1.0 + (double)k);
  std::discrete_distribution<int64_t> d(w.begin(), w.end());
  std::vector<T> y((size_t)n);
  counts.assign((size_t)K, 0);
  for (auto &v : y) {
    v = (T)d(rng);
    counts[(size_t)v]++;
  }
  return y;
}

TEST_P(PriorLabels, SoftmaxFromLabelsMatchesReference) {
  for (int idx64 = 0; idx64 < 2; ++idx64) {
    for (int64_t K : {37, 3001}) {  // shared-memory and global histograms
      const int64_t n = 20000;
      std::vector<int64_t> counts;
      BiasBuf labels(be, (size_t)n * (idx64 ? 8 : 4));
      if (idx64) {
        auto y = skewed_labels<int64_t>(n, K, 5, 11 + (unsigned)K, counts);
        labels.upload(y.data(), y.size() * 8);
      } else {
        auto y = skewed_labels<int32_t>(n, K, 5, 11 + (unsigned)K, counts);
        labels.upload(y.data(), y.size() * 4);
      }
      ASSERT_EQ(counts[5], 0);  // an absent class: smoothing must keep it finite
      for (int anchor = 0; anchor < 3; ++anchor) {
        for (double alpha : {CUBIAS_PRIOR_ALPHA_DEFAULT, 0.5}) {
          BiasBuf out(be, (size_t)K * esz());
          out.poison();
          int64_t bad = -1;
          ASSERT_EQ(cubias_prior_softmax_from_labels(
                        h, labels.p, idx64 ? CUBIAS_INDEX_INT64 : CUBIAS_INDEX_INT32, n, K, alpha,
                        (cubias_prior_anchor_t)anchor, 3, out.p, dt, &bad),
                    CUBIAS_STATUS_SUCCESS)
              << cubias_get_last_error(h);
          EXPECT_EQ(bad, 0);
          auto ref = ref_softmax_prior(counts, alpha, anchor, 3);
          auto got = bias_values(out, dti, K);
          for (int64_t k = 0; k < K; ++k)
            ASSERT_NEAR(got[(size_t)k], ref[(size_t)k], bias_tol(dti, ref[(size_t)k], 1e-12))
                << "k=" << k << " anchor=" << anchor << " K=" << K;
          if (anchor == 1) EXPECT_EQ(got[3], 0.0);
        }
      }
    }
  }
}

TEST_P(PriorLabels, OutOfRangeLabelsRefusedAndCounted) {
  const int64_t n = 1000, K = 10;
  std::vector<int32_t> y((size_t)n);
  for (int64_t i = 0; i < n; ++i) y[(size_t)i] = (int32_t)(i % K);
  y[3] = -1;
  y[500] = 10;
  y[999] = 1 << 30;
  BiasBuf labels(be, y.size() * 4);
  labels.upload(y.data(), y.size() * 4);
  BiasBuf out(be, (size_t)K * esz());
  out.poison();
  int64_t bad = 0;
  EXPECT_EQ(cubias_prior_softmax_from_labels(h, labels.p, CUBIAS_INDEX_INT32, n, K, 1.0,
                                             CUBIAS_PRIOR_MEAN_ZERO, 0, out.p, dt, &bad),
            CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(bad, 3);
  EXPECT_NE(std::string(cubias_get_last_error(h)).find("3 labels"), std::string::npos)
      << cubias_get_last_error(h);
  EXPECT_TRUE(out.all_poison());
}

TEST_P(PriorLabels, SigmoidFromMultiHotMatchesReference) {
  const int64_t n = 517, K = 13;
  std::mt19937_64 rng(7);
  std::vector<uint8_t> t((size_t)(n * K));
  std::vector<int64_t> counts((size_t)K, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < K; ++k) {
      // class k positive with probability k/(K+3); class 0 never, class K-1 often
      uint8_t v = (double)(rng() % 1000) / 1000.0 < (double)k / (K + 3) ? 1 : 0;
      t[(size_t)(i * K + k)] = v;
      counts[(size_t)k] += v;
    }
  BiasBuf tb(be, t.size());
  tb.upload(t.data(), t.size());
  BiasBuf out(be, (size_t)K * esz());
  out.poison();
  int64_t bad = -1;
  ASSERT_EQ(cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), n, K, 0.5, out.p, dt, &bad),
            CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  EXPECT_EQ(bad, 0);
  auto ref = ref_sigmoid_prior(counts, n, 0.5);
  auto got = bias_values(out, dti, K);
  for (int64_t k = 0; k < K; ++k)
    ASSERT_NEAR(got[(size_t)k], ref[(size_t)k], bias_tol(dti, ref[(size_t)k])) << "k=" << k;

  // An entry that is neither 0 nor 1: refused, counted, nothing written.
  t[17] = 2;
  t[40] = 255;
  tb.upload(t.data(), t.size());
  out.poison();
  EXPECT_EQ(cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), n, K, 0.5, out.p, dt, &bad),
            CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(bad, 2);
  EXPECT_TRUE(out.all_poison());
}

TEST_P(PriorLabels, SinglePriorRetinaNet) {
  BiasBuf out(be, 9 * esz());
  out.poison();
  ASSERT_EQ(cubias_prior_single(h, 0.01, 9, out.p, dt), CUBIAS_STATUS_SUCCESS);
  for (double v : bias_values(out, dti, 9)) EXPECT_NEAR(v, -4.595120, bias_tol(dti, 4.595120, 5e-7));
}

TEST_P(PriorLabels, UniformSoftmaxPriorGivesLnKCrossEntropy) {
  const int64_t K = 1000;
  std::vector<double> pri((size_t)K, 1.0 / K);
  for (int anchor = 0; anchor < 3; ++anchor) {
    BiasBuf out(be, (size_t)K * esz());
    out.poison();
    ASSERT_EQ(cubias_prior_softmax_from_probs(h, pri.data(), K, (cubias_prior_anchor_t)anchor, 0,
                                              out.p, dt),
              CUBIAS_STATUS_SUCCESS);
    // Zero weights: the logits are the biases; cross-entropy of any label.
    auto b = bias_values(out, dti, K);
    auto p = ref_softmax(b);
    for (int64_t y : {0, 17, 999}) EXPECT_NEAR(-log(p[(size_t)y]), 6.907755, 5e-7);
  }
}

TEST_P(PriorLabels, GivenPriorsMatchReference) {
  const int64_t K = 6;
  double pri[K] = {0.5, 0.2, 0.1, 0.1, 0.05, 0.05};
  double scaled[K];
  for (int k = 0; k < K; ++k) scaled[k] = 3.0 * pri[k];  // normalised by the library
  std::vector<int64_t> c(K);
  for (int k = 0; k < K; ++k) c[k] = (int64_t)llround(pri[k] * 1000);
  for (int anchor = 0; anchor < 3; ++anchor) {
    BiasBuf out(be, K * esz());
    out.poison();
    ASSERT_EQ(cubias_prior_softmax_from_probs(h, scaled, K, (cubias_prior_anchor_t)anchor, 2,
                                              out.p, dt),
              CUBIAS_STATUS_SUCCESS);
    auto ref = ref_softmax_prior(c, 0.0, anchor, 2);  // counts proportional to the priors
    auto got = bias_values(out, dti, K);
    for (int k = 0; k < K; ++k) EXPECT_NEAR(got[k], ref[k], bias_tol(dti, ref[k], 1e-12));
  }
  BiasBuf out(be, K * esz());
  out.poison();
  ASSERT_EQ(cubias_prior_sigmoid_from_probs(h, pri, K, out.p, dt), CUBIAS_STATUS_SUCCESS);
  auto got = bias_values(out, dti, K);
  for (int k = 0; k < K; ++k) EXPECT_NEAR(got[k], ref_logit(pri[k]), bias_tol(dti, ref_logit(pri[k])));
}

TEST_P(PriorLabels, RegressionBiasIsTargetMean) {
  const int64_t n = 3000, C = 5;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> y((size_t)(n * C));
  double off[C] = {1e3, -2.5, 0.25, 7.0, 0.0};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < C; ++c)
      y[(size_t)(i * C + c)] = c == 4 ? NAN : (float)(off[c] + 3.0 * nd(rng));  // channel 4: no data
  BiasBuf yb(be, y.size() * 4);
  yb.upload(y.data(), y.size() * 4);
  cubias_stats_t s;
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_IDENTITY, 0, &s), CUBIAS_STATUS_SUCCESS);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, yb.p, CUBIAS_DTYPE_F32, n, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
  BiasBuf out(be, C * esz());
  out.poison();
  ASSERT_EQ(cubias_prior_regression_from_stats(h, s, out.p, dt), CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  auto got = bias_values(out, dti, C);
  for (int64_t c = 0; c < C; ++c) {
    double m = 0;
    for (int64_t i = 0; i < n; ++i) m += y[(size_t)(i * C + c)];
    m = c == 4 ? 0.0 : m / n;
    EXPECT_NEAR(got[(size_t)c], m, bias_tol(dti, m, 1e-9)) << "c=" << c;
  }
  cubias_stats_destroy(s);
}

TEST_P(PriorLabels, BadInputRefusedNothingWritten) {
  const int64_t n = 8, K = 4;
  std::vector<int32_t> y = {0, 1, 2, 3, 0, 1, 2, 3};
  BiasBuf labels(be, 32);
  labels.upload(y.data(), 32);
  std::vector<uint8_t> t(n * K, 0);
  BiasBuf tb(be, t.size());
  tb.upload(t.data(), t.size());
  double pri[K] = {0.25, 0.25, 0.25, 0.25};
  double badpri[K] = {0.25, 0.0, 0.25, 0.5};
  double badsig[K] = {0.25, 1.0, 0.25, 0.5};
  BiasBuf out(be, K * 4);
  const cubias_dtype_t bad = (cubias_dtype_t)3;  // in the enum's range, not a dtype
  struct Case {
    const char *what;
    std::function<cubias_status_t()> call;
  };
  cubias_stats_t s;
  ASSERT_EQ(cubias_stats_create(h, K, CUBIAS_ACT_IDENTITY, 0, &s), CUBIAS_STATUS_SUCCESS);
  cubias_handle_t other;
  ASSERT_EQ(cubias_create(&other, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s_other;
  ASSERT_EQ(cubias_stats_create(other, K, CUBIAS_ACT_IDENTITY, 0, &s_other), CUBIAS_STATUS_SUCCESS);
  const auto I32 = CUBIAS_INDEX_INT32;
  const auto MZ = CUBIAS_PRIOR_MEAN_ZERO;
  std::vector<Case> cases = {
      {"labels null handle", [&] { return cubias_prior_softmax_from_labels(nullptr, labels.p, I32, n, K, 1, MZ, 0, out.p, dt, nullptr); }},
      {"labels null labels", [&] { return cubias_prior_softmax_from_labels(h, nullptr, I32, n, K, 1, MZ, 0, out.p, dt, nullptr); }},
      {"labels null bias", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, 1, MZ, 0, nullptr, dt, nullptr); }},
      {"labels index type", [&] { return cubias_prior_softmax_from_labels(h, labels.p, (cubias_index_type_t)5, n, K, 1, MZ, 0, out.p, dt, nullptr); }},
      {"labels n", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, 0, K, 1, MZ, 0, out.p, dt, nullptr); }},
      {"labels K", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, 0, 1, MZ, 0, out.p, dt, nullptr); }},
      {"labels alpha 0", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, 0, MZ, 0, out.p, dt, nullptr); }},
      {"labels alpha nan", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, NAN, MZ, 0, out.p, dt, nullptr); }},
      {"labels anchor", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, 1, (cubias_prior_anchor_t)3, 0, out.p, dt, nullptr); }},
      {"labels pin", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, 1, CUBIAS_PRIOR_PIN_CLASS, K, out.p, dt, nullptr); }},
      {"labels dtype", [&] { return cubias_prior_softmax_from_labels(h, labels.p, I32, n, K, 1, MZ, 0, out.p, bad, nullptr); }},
      {"targets null", [&] { return cubias_prior_sigmoid_from_targets(h, nullptr, n, K, 1, out.p, dt, nullptr); }},
      {"targets n", [&] { return cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), -1, K, 1, out.p, dt, nullptr); }},
      {"targets overflow", [&] { return cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), INT64_MAX / 2, K, 1, out.p, dt, nullptr); }},
      {"targets alpha", [&] { return cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), n, K, -1, out.p, dt, nullptr); }},
      {"targets dtype", [&] { return cubias_prior_sigmoid_from_targets(h, tb.as<uint8_t>(), n, K, 1, out.p, bad, nullptr); }},
      {"probs null", [&] { return cubias_prior_softmax_from_probs(h, nullptr, K, MZ, 0, out.p, dt); }},
      {"probs zero prior", [&] { return cubias_prior_softmax_from_probs(h, badpri, K, MZ, 0, out.p, dt); }},
      {"probs pin", [&] { return cubias_prior_softmax_from_probs(h, pri, K, CUBIAS_PRIOR_PIN_CLASS, -1, out.p, dt); }},
      {"probs bias null", [&] { return cubias_prior_softmax_from_probs(h, pri, K, MZ, 0, nullptr, dt); }},
      {"sig probs 1.0", [&] { return cubias_prior_sigmoid_from_probs(h, badsig, K, out.p, dt); }},
      {"sig probs K", [&] { return cubias_prior_sigmoid_from_probs(h, pri, 0, out.p, dt); }},
      {"sig probs dtype", [&] { return cubias_prior_sigmoid_from_probs(h, pri, K, out.p, bad); }},
      {"single 0", [&] { return cubias_prior_single(h, 0.0, K, out.p, dt); }},
      {"single 1", [&] { return cubias_prior_single(h, 1.0, K, out.p, dt); }},
      {"single nan", [&] { return cubias_prior_single(h, NAN, K, out.p, dt); }},
      {"single n", [&] { return cubias_prior_single(h, 0.1, 0, out.p, dt); }},
      {"single null", [&] { return cubias_prior_single(h, 0.1, K, nullptr, dt); }},
      {"regression null stats", [&] { return cubias_prior_regression_from_stats(h, nullptr, out.p, dt); }},
      {"regression other handle", [&] { return cubias_prior_regression_from_stats(h, s_other, out.p, dt); }},
      {"regression null bias", [&] { return cubias_prior_regression_from_stats(h, s, nullptr, dt); }},
      {"regression dtype", [&] { return cubias_prior_regression_from_stats(h, s, out.p, bad); }},
  };
  auto call_of = [](const std::string &what) {  // the call a case makes, by its name's prefix
    const std::pair<const char *, const char *> calls[] = {
        {"labels", "cubias_prior_softmax_from_labels"},
        {"targets", "cubias_prior_sigmoid_from_targets"},
        {"probs", "cubias_prior_softmax_from_probs"},
        {"sig probs", "cubias_prior_sigmoid_from_probs"},
        {"single", "cubias_prior_single"},
        {"regression", "cubias_prior_regression_from_stats"}};
    for (const auto &c : calls)
      if (what.rfind(std::string(c.first) + " ", 0) == 0) return c.second;
    return "?";
  };
  for (auto &c : cases) {
    out.poison();
    tu::clear_errors(h);  // each case's message is its own
    cubias_status_t st = c.call();
    EXPECT_NE(st, CUBIAS_STATUS_SUCCESS) << c.what;
    EXPECT_TRUE(out.all_poison()) << c.what;
    tu::expect_error_from(nullptr, call_of(c.what), c.what);
  }
  cubias_stats_destroy(s_other);
  cubias_destroy(other);
  cubias_stats_destroy(s);
}

BACKEND_DTYPE_INSTANTIATE(PriorLabels);
