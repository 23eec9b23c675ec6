// Bad input to the gain check: each entry point refuses with a clear status and
// message, and writes nothing.
#include "test_gain_common.h"

namespace {

class GainErrors : public GainBackend {
 protected:
  std::vector<cubias_stats_t> owned;
  void TearDown() override {
    for (auto s : owned) cubias_stats_destroy(s);
    GainBackend::TearDown();
  }
  cubias_stats_t make(int64_t C, cubias_activation_t a = CUBIAS_ACT_RELU) {
    cubias_stats_t s = nullptr;
    EXPECT_EQ(cubias_stats_create(h, C, a, 0, &s), 0);
    owned.push_back(s);
    return s;
  }
  bool contains(const char *what) {
    return strstr(cubias_get_last_error(h), what) != nullptr;
  }
};

bool untouched(const std::vector<cubias_gain_layer_report_t> &r) {
  const uint8_t *b = (const uint8_t *)r.data();
  for (size_t i = 0; i < r.size() * sizeof r[0]; ++i)
    if (b[i] != 0xFF) return false;
  return true;
}

TEST_P(GainErrors, ReportRefusesBadInput) {
  const int64_t C = 16;
  std::vector<float> w((size_t)(C * C), 0.1f), z((size_t)(64 * C));
  for (size_t i = 0; i < z.size(); ++i) z[i] = (float)((int)(i % 7) - 3);
  GainBuf dw(cuda, w.data(), w.size() * 4);
  cubias_gain_layer_t L[2];
  for (int l = 0; l < 2; ++l) {
    ASSERT_EQ(cubias_weight_make(&L[l].weight, dw.p, CUBIAS_DTYPE_F32, C, C, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
    L[l].preact = make(C);
    L[l].grad = nullptr;
    accumulate(L[l].preact, z, 64, C);
  }
  std::vector<cubias_gain_layer_report_t> rep(2);
  cubias_gain_summary_t sum;
  auto poison = [&] { memset(rep.data(), 0xFF, 2 * sizeof rep[0]); };
  poison();
  ASSERT_EQ(cubias_gain_report(h, 2, L, nullptr, rep.data(), &sum), 0) << cubias_get_last_error(h);

  // Empty layer list.
  poison();
  EXPECT_EQ(cubias_gain_report(h, 0, L, nullptr, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_TRUE(contains("empty"));
  EXPECT_EQ(cubias_gain_report(h, 2, nullptr, nullptr, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_report(h, 2, L, nullptr, nullptr, &sum), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_report(nullptr, 2, L, nullptr, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_TRUE(untouched(rep));

  // Fan-in mismatch: layer 1's fan_in 24 is not a multiple of layer 0's 16 channels.
  std::vector<float> w2((size_t)(C * 24), 0.1f);
  GainBuf dw2(cuda, w2.data(), w2.size() * 4);
  cubias_gain_layer_t bad[2] = {L[0], L[1]};
  ASSERT_EQ(cubias_weight_make(&bad[1].weight, dw2.p, CUBIAS_DTYPE_F32, C, 24, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
  EXPECT_EQ(cubias_gain_report(h, 2, bad, nullptr, rep.data(), &sum), CUBIAS_STATUS_SHAPE_MISMATCH);
  EXPECT_TRUE(contains("fan-in mismatch"));
  // Pre-activation channels != out.
  cubias_gain_layer_t bad2 = L[0];
  bad2.preact = make(C + 1);
  EXPECT_EQ(cubias_gain_report(h, 1, &bad2, nullptr, rep.data(), &sum), CUBIAS_STATUS_SHAPE_MISMATCH);
  // Grad channels != out.
  cubias_gain_layer_t bad3 = L[0];
  bad3.grad = make(C - 1, CUBIAS_ACT_IDENTITY);
  EXPECT_EQ(cubias_gain_report(h, 1, &bad3, nullptr, rep.data(), &sum), CUBIAS_STATUS_SHAPE_MISMATCH);
  // Missing preact statistics.
  cubias_gain_layer_t bad4 = L[0];
  bad4.preact = nullptr;
  EXPECT_EQ(cubias_gain_report(h, 1, &bad4, nullptr, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_TRUE(untouched(rep));

  // Statistics with no finite values: never accumulated, or only NaN/Inf seen.
  cubias_gain_layer_t empty = L[0];
  empty.preact = make(C);
  EXPECT_EQ(cubias_gain_report(h, 1, &empty, nullptr, rep.data(), &sum), CUBIAS_STATUS_NO_DATA);
  EXPECT_TRUE(contains("no finite value"));
  std::vector<float> junk((size_t)(8 * C));
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = i % 2 ? NAN : INFINITY;
  accumulate(empty.preact, junk, 8, C);
  EXPECT_EQ(cubias_gain_report(h, 1, &empty, nullptr, rep.data(), &sum), CUBIAS_STATUS_NO_DATA);
  cubias_gain_layer_t nograd = L[0];
  nograd.grad = make(C, CUBIAS_ACT_IDENTITY);
  accumulate(nograd.grad, junk, 8, C);
  EXPECT_EQ(cubias_gain_report(h, 1, &nograd, nullptr, rep.data(), &sum), CUBIAS_STATUS_NO_DATA);
  EXPECT_TRUE(contains("gradient statistics"));
  EXPECT_TRUE(untouched(rep));

  // Options.
  cubias_gain_options_t opt = {0.5, 0};
  EXPECT_EQ(cubias_gain_report(h, 2, L, &opt, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  opt = {0, -1};
  EXPECT_EQ(cubias_gain_report(h, 2, L, &opt, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);
  opt = {NAN, 0};
  EXPECT_EQ(cubias_gain_report(h, 2, L, &opt, rep.data(), &sum), CUBIAS_STATUS_INVALID_VALUE);

  // Statistics from another handle.
  cubias_handle_t h2;
  ASSERT_EQ(cubias_create(&h2, CUBIAS_BACKEND_CPU), 0);
  cubias_stats_t foreign;
  ASSERT_EQ(cubias_stats_create(h2, C, CUBIAS_ACT_RELU, 0, &foreign), 0);
  cubias_gain_layer_t other = L[0];
  other.preact = foreign;
  EXPECT_EQ(cubias_gain_report(h, 1, &other, nullptr, rep.data(), &sum), CUBIAS_STATUS_HANDLE_MISMATCH);
  cubias_stats_destroy(foreign);
  cubias_destroy(h2);
  EXPECT_TRUE(untouched(rep));
}

TEST_P(GainErrors, WeightEntryPointsRefuseBadInput) {
  std::vector<float> w(64, 0.5f);
  GainBuf dw(cuda, w.data(), w.size() * 4);
  cubias_weight_t v, keep;
  memset(&v, 0xAB, sizeof v);
  keep = v;
  EXPECT_EQ(cubias_weight_make(&v, nullptr, CUBIAS_DTYPE_F32, 8, 8, CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, (cubias_dtype_t)9, 8, 8, CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, 0, 8, CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, 8, 8, (cubias_weight_layout_t)5, 0), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, 8, 8, CUBIAS_WEIGHT_ROW_MAJOR, 7), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_NE(strstr(cubias_get_last_error(nullptr), "ld = 7"), nullptr);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, 8, 4, CUBIAS_WEIGHT_COL_MAJOR, 5), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, (int64_t)1 << 40, (int64_t)1 << 40, CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_STATUS_OVERFLOW);
  EXPECT_EQ(memcmp(&v, &keep, sizeof v), 0);

  ASSERT_EQ(cubias_weight_make(&v, dw.p, CUBIAS_DTYPE_F32, 8, 8, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
  double poison = -7;
  GainBuf out(cuda, &poison, sizeof poison);
  EXPECT_EQ(cubias_weight_gain(h, 0, &v, (double *)out.p), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_gain(h, 1, nullptr, (double *)out.p), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_weight_gain(h, 1, &v, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  cubias_weight_t bad = v;
  bad.ld = 3;
  EXPECT_EQ(cubias_weight_gain(h, 1, &bad, (double *)out.p), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_TRUE(strstr(cubias_get_last_error(h), "layer 0") != nullptr);
  double got;
  out.download(&got, sizeof got);
  EXPECT_EQ(got, -7);
}

TEST(GainPrintErrors, PrinterAndJsonRefuseBadInput) {
  cubias_gain_layer_report_t r;
  memset(&r, 0, sizeof r);
  size_t len;
  EXPECT_EQ(cubias_gain_print(nullptr, 1, &r, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_print(stdout, 0, &r, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_print(stdout, 1, nullptr, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_json_file(nullptr, 1, &r, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_json_buffer(nullptr, 0, nullptr, 1, &r, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_gain_json_buffer(nullptr, 10, &len, 1, &r, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_STREQ(cubias_gain_verdict_string(CUBIAS_GAIN_EXPLODING), "exploding");
  EXPECT_STREQ(cubias_gain_verdict_string((cubias_gain_verdict_t)99), "unknown");
}

}  // namespace

GAIN_INSTANTIATE(GainErrors);
