// End-to-end tests of the tool's derivation commands (center, prior, gates,
// optimism, mask) and of `stats --weights`, on generated .npy files, against
// closed forms or fp64 computations done here. Each runs on the CPU backend
// and, as a GPU twin, on CUDA (skipped where no device answers).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "gpu_guard.h"

namespace {

using clitest::CliRun;
using clitest::Npy;
using clitest::read_npy;
using clitest::write_npy;

bool exists(const std::string &p) {
  FILE *f = fopen(p.c_str(), "rb");
  if (f) fclose(f);
  return f != nullptr;
}

class CliDerive : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "cuda") CUBIAS_REQUIRE_GPU_OR_SKIP();
  }
  // Runs the tool on this test's backend.
  CliRun run(const std::string &args) { return clitest::run(args + " --backend " + GetParam()); }
  // `name` in this test's own folder, removed when the test ends.
  std::string path(const std::string &name) const { return dir_.path(name); }
  // A failing run: exit 2, one clear line mentioning `expect`, `out` not written.
  void expect_usage_error(const std::string &args, const std::string &expect,
                          const std::string &out = "") {
    if (!out.empty()) remove(out.c_str());
    CliRun r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(expect), std::string::npos) << args << "\n" << r.out;
    EXPECT_EQ(r.out.find("cubias: "), 0u) << r.out;
    if (!out.empty()) EXPECT_FALSE(exists(out)) << args;
  }

 private:
  clitest::ScratchDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CliDerive, ::testing::Values("cpu", "cuda"),
                         [](const auto &i) { return i.param; });

// ---- center -----------------------------------------------------------------

TEST_P(CliDerive, CenterMatchesMinusWMuRowsAndNchw) {
  const int N = 400, C = 5, O = 3;
  std::mt19937 g(11);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> x(N * C), W(O * C);
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c) x[i * C + c] = nd(g) * (1 + c) + 3.0f * (c - 2) + 0.5f;
  for (float &w : W) w = nd(g);
  const std::string xf = path("cx.npy"), wf = path("cw.npy"), bf = path("cb.npy");
  write_npy(xf, "<f4", "(400, 5)", x.data(), x.size() * 4);
  write_npy(wf, "<f4", "(3, 5)", W.data(), W.size() * 4);
  remove(bf.c_str());
  CliRun r = run("center " + xf + " --weights " + wf + " --out " + bf + " --target 0.25");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Npy b = read_npy(bf);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.descr, "<f4");
  ASSERT_EQ(b.shape, std::vector<long long>({O}));
  for (int j = 0; j < O; ++j) {
    double ref = 0.25;
    for (int c = 0; c < C; ++c) {
      double mu = 0;
      for (int i = 0; i < N; ++i) mu += x[i * C + c];
      ref -= W[j * C + c] * (mu / N);
    }
    EXPECT_NEAR(b.f32(j), ref, 1e-6 + 1e-6 * std::fabs(ref)) << j;
  }
  // nchw [20, 5, 4] (channel axis 1, mean over N and the 4 positions); f16 output.
  const std::string x3 = path("cx3.npy");
  write_npy(x3, "<f4", "(20, 5, 20)", x.data(), x.size() * 4);
  r = run("center " + x3 + " --layout nchw --weights " + wf + " --out " + bf + " --dtype f16");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(bf);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.descr, "<f2");
  ASSERT_EQ(b.shape, std::vector<long long>({O}));
  for (int j = 0; j < O; ++j) {
    double ref = 0;
    for (int c = 0; c < C; ++c) {
      double mu = 0;
      for (int n = 0; n < 20; ++n)
        for (int k = 0; k < 20; ++k) mu += x[(n * C + c) * 20 + k];
      ref -= W[j * C + c] * (mu / 400);
    }
    EXPECT_NEAR(clitest::half_to_double(b.f16_bits(j)), ref, 1e-5 + std::fabs(ref) / 1024) << j;
  }
}

// A convolution kernel [out, in, kh, kw] (issue 20: it was refused): b_j = t -
// sum_{c,u,v} W[j,c,u,v] mu_c from NCHW inputs; its in must be the input channels.
TEST_P(CliDerive, CenterTakesAConvolutionKernel) {
  const int N = 6, C = 5, P = 12, O = 3, K = 2 * 3;
  std::mt19937 g(12);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> x(N * C * P), W(O * C * K);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int k = 0; k < P; ++k) x[(n * C + c) * P + k] = nd(g) + 1.5f * c - 2.0f;
  for (float &w : W) w = nd(g);
  const std::string xf = path("ccx.npy"), wf = path("ccw.npy"), bf = path("ccb.npy");
  write_npy(xf, "<f4", "(6, 5, 3, 4)", x.data(), x.size() * 4);
  write_npy(wf, "<f4", "(3, 5, 2, 3)", W.data(), W.size() * 4);
  remove(bf.c_str());
  CliRun r = run("center " + xf + " --layout nchw --weights " + wf + " --out " + bf +
                 " --target -0.5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("x 6 kernel taps"), std::string::npos) << r.out;
  Npy b = read_npy(bf);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({O}));
  for (int j = 0; j < O; ++j) {
    double ref = -0.5;
    for (int c = 0; c < C; ++c) {
      double mu = 0;
      for (int n = 0; n < N; ++n)
        for (int k = 0; k < P; ++k) mu += x[(n * C + c) * P + k];
      for (int k = 0; k < K; ++k) ref -= W[(j * C + c) * K + k] * (mu / (N * P));
    }
    EXPECT_NEAR(b.f32(j), ref, 1e-6 + 1e-6 * std::fabs(ref)) << j;
  }
  const std::string w4 = path("ccw4.npy");
  write_npy(w4, "<f4", "(3, 4, 2, 3)", W.data(), 3 * 4 * 6 * 4);
  expect_usage_error("center " + xf + " --layout nchw --weights " + w4 + " --out " + bf,
                     "W must be [out, 5, kh, ...]", bf);
}

TEST_P(CliDerive, CenterRejectsBadInputs) {
  std::vector<float> x(40, 1.5f);
  std::vector<int32_t> wi(8, 1);
  const std::string xf = path("cbx.npy"), out = path("cb_out.npy");
  write_npy(xf, "<f4", "(10, 4)", x.data(), 160);
  const std::string w23 = path("cw23.npy"), wint = path("cwint.npy"), w1 = path("cw1.npy");
  write_npy(w23, "<f4", "(2, 3)", x.data(), 24);
  write_npy(wint, "<i4", "(2, 4)", wi.data(), 32);
  write_npy(w1, "<f4", "(4,)", x.data(), 16);
  const std::string base = "center " + xf + " --out " + out + " --weights ";
  expect_usage_error(base + w23, "input channels", out);
  expect_usage_error(base + wint, "float32 or float16", out);
  expect_usage_error(base + w1, "[out, in]", out);
  const std::string wtr = path("cwtr.npy");
  write_npy(wtr, "<f4", "(2, 4)", x.data(), 20);  // 5 of 8 floats
  expect_usage_error(base + wtr, "truncated", out);
  expect_usage_error("center " + xf + " --weights " + w1, "--out", "");
  expect_usage_error("center " + xf + " --out " + out, "--weights", out);
  expect_usage_error("center " + w1 + " --layout tnc --weights " + w23 + " --out " + out,
                     "3 dimensions", out);
  std::vector<int32_t> xi(40, 1);
  const std::string xint = path("cbxint.npy");
  write_npy(xint, "<i4", "(10, 4)", xi.data(), 160);
  expect_usage_error("center " + xint + " --weights " + w23 + " --out " + out, "float32", out);
}

// ---- prior ------------------------------------------------------------------

TEST_P(CliDerive, PriorSingleAndFromLabels) {
  const std::string out = path("prior.npy");
  CliRun r = run("prior --pi 0.01 --classes 3 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Npy b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({3}));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(b.f32(k), -4.595120, 1e-6);

  // int32 labels in [0, 4), class 3 never seen: Laplace smoothing keeps it finite.
  const int N = 1000, K = 4;
  std::vector<int32_t> lab(N);
  std::mt19937 g(5);
  for (int i = 0; i < N; ++i) lab[i] = (g() % 10) < 6 ? 0 : (g() % 2 ? 1 : 2);
  double cnt[K] = {0, 0, 0, 0};
  for (int v : lab) cnt[v] += 1;
  const std::string lf = path("labels.npy");
  write_npy(lf, "<i4", "(1000,)", lab.data(), N * 4);
  r = run("prior " + lf + " --classes 4 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({K}));
  double lp[K], mean = 0;
  for (int k = 0; k < K; ++k) mean += (lp[k] = std::log((cnt[k] + 1) / (N + K * 1.0))) / K;
  for (int k = 0; k < K; ++k) EXPECT_NEAR(b.f32(k), lp[k] - mean, 2e-6) << k;
  // int64, K from the largest label (3 classes), alpha 0.5, log_prob and pin:1.
  std::vector<int64_t> l64(lab.begin(), lab.end());
  const std::string l64f = path("labels64.npy");
  write_npy(l64f, "<i8", "(1000,)", l64.data(), N * 8);
  r = run("prior " + l64f + " --alpha 0.5 --anchor log_prob --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({3}));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(b.f32(k), std::log((cnt[k] + 0.5) / (N + 1.5)), 2e-6);
  r = run("prior " + l64f + " --anchor pin:1 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.f32(1), 0.0f);
  EXPECT_NEAR(b.f32(0), std::log((cnt[0] + 1) / (cnt[1] + 1)), 2e-6);

  // Multi-hot uint8 [N, 3] -> sigmoid prior per class.
  std::vector<uint8_t> mh(N * 3);
  double c3[3] = {0, 0, 0};
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < 3; ++k) c3[k] += (mh[i * 3 + k] = (g() % 100) < (k == 0 ? 2u : 30u * k));
  const std::string mf = path("multihot.npy");
  write_npy(mf, "|u1", "(1000, 3)", mh.data(), mh.size());
  r = run("prior " + mf + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({3}));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(b.f32(k), std::log((c3[k] + 1) / (N - c3[k] + 1)), 2e-6);
  const std::string bf = path("multihot_b1.npy");
  write_npy(bf, "|b1", "(1000, 3)", mh.data(), mh.size());
  r = run("prior " + bf + " --out " + out + " --dtype f16");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.descr, "<f2");
  for (int k = 0; k < 3; ++k) {
    const double ref = std::log((c3[k] + 1) / (N - c3[k] + 1));
    EXPECT_NEAR(clitest::half_to_double(b.f16_bits(k)), ref, std::fabs(ref) / 1024) << k;
  }
}

TEST_P(CliDerive, PriorRejectsBadInputs) {
  const std::string out = path("prior_bad.npy");
  std::vector<int32_t> lab = {0, 1, 2, 3, 4, 4, -1, 0};
  const std::string lf = path("plab.npy");
  write_npy(lf, "<i4", "(8,)", lab.data(), 32);
  expect_usage_error("prior " + lf + " --classes 4 --out " + out, "3 label(s) outside [0, 4)", out);
  std::vector<float> fl(8, 1.0f);
  const std::string ff = path("pfl.npy"), r2 = path("plab2.npy"), mh = path("pmh.npy");
  write_npy(ff, "<f4", "(8,)", fl.data(), 32);
  expect_usage_error("prior " + ff + " --out " + out, "int32/int64", out);
  write_npy(r2, "<i4", "(4, 2)", lab.data(), 32);
  expect_usage_error("prior " + r2 + " --out " + out, "shape [N]", out);
  std::vector<uint8_t> m = {0, 1, 2, 1, 0, 0};
  write_npy(mh, "|u1", "(2, 3)", m.data(), 6);
  expect_usage_error("prior " + mh + " --out " + out, "other than 0 or 1", out);
  expect_usage_error("prior " + mh + " --classes 4 --out " + out, "--classes", out);
  expect_usage_error("prior " + lf + " --classes 5", "--out", "");
  expect_usage_error("prior --pi 1.5 --out " + out, "--pi", out);
  expect_usage_error("prior " + lf + " --classes 5 --anchor median --out " + out, "--anchor", out);
  expect_usage_error("prior " + lf + " --classes 5 --anchor pin:7 --out " + out, "pin:K", out);
  expect_usage_error("prior --out " + out, "labels", out);
}

// ---- gates ------------------------------------------------------------------

TEST_P(CliDerive, GatesKerasAndPytorchLayouts) {
  const std::string out = path("gates.npy");
  const int H = 5;
  CliRun r = run("gates --cell lstm --hidden 5 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0.731059"), std::string::npos) << r.out;   // sigma(1)
  EXPECT_NE(r.out.find("0.043604"), std::string::npos) << r.out;   // sigma(1)^10
  EXPECT_NE(r.out.find("retention over 10 steps"), std::string::npos) << r.out;
  Npy b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({4 * H}));
  for (int i = 0; i < 4 * H; ++i) EXPECT_EQ(b.f32(i), (i >= H && i < 2 * H) ? 1.0f : 0.0f) << i;
  // GRU (z, r, h), two vectors: the input-side one holds the whole value.
  r = run("gates --cell gru --hidden 5 --vectors 2 --value 2 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({2, 3 * H}));
  for (int i = 0; i < 6 * H; ++i) EXPECT_EQ(b.f32(i), i < H ? 2.0f : 0.0f) << i;

  // PyTorch nn.LSTM(3, 4, num_layers=2, bidirectional=True), retention 0.5 over 20 steps.
  r = run("gates --cell lstm --hidden 4 --format pytorch --input 3 --layers 2 --bidirectional "
          "--scheme retention --retention 0.5 --steps 20 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0.500000"), std::string::npos) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({4, 2, 16}));
  const double g = std::pow(0.5, 1.0 / 20), bf = std::log(g / (1 - g));
  for (int row = 0; row < 4; ++row)
    for (int v = 0; v < 2; ++v)
      for (int i = 0; i < 16; ++i) {
        const float got = b.f32((row * 2 + v) * 16 + i);
        if (v == 0 && i >= 4 && i < 8)
          EXPECT_NEAR(got, bf, 1e-6 * std::fabs(bf)) << row << " " << i;
        else
          EXPECT_EQ(got, 0.0f) << row << " " << v << " " << i;
      }
  // Chrono: b_f = ln u in [0, ln(T - 1)), b_i = -b_f.
  r = run("gates --cell lstm --hidden 8 --format pytorch --input 2 --scheme chrono --tmax 50 "
          "--seed 7 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({1, 2, 32}));
  for (int j = 0; j < 8; ++j) {
    EXPECT_GE(b.f32(8 + j), 0.0f);
    EXPECT_LT(b.f32(8 + j), std::log(49.0) + 1e-6);
    EXPECT_EQ(b.f32(j), -b.f32(8 + j));
  }
}

TEST_P(CliDerive, GatesRejectBadOptions) {
  const std::string out = path("gates_bad.npy");
  expect_usage_error("gates --hidden 4 --out " + out, "--cell", out);
  expect_usage_error("gates --cell rnn --hidden 4 --out " + out, "--cell", out);
  expect_usage_error("gates --cell lstm --out " + out, "--hidden", out);
  expect_usage_error("gates --cell lstm --hidden 0 --out " + out, "--hidden", out);
  expect_usage_error("gates --cell lstm --hidden 4", "--out", "");
  expect_usage_error("gates --cell lstm --hidden 4 --format pytorch --out " + out, "--input", out);
  expect_usage_error("gates --cell lstm --hidden 4 --format onnx --out " + out, "--format", out);
  expect_usage_error("gates --cell lstm --hidden 4 --scheme chrono --out " + out, "--tmax", out);
  expect_usage_error("gates --cell gru --hidden 4 --layers 2 --out " + out, "pytorch", out);
  // A library refusal (retention outside (0, 1)) is exit 1 with cubias's message.
  remove(out.c_str());
  CliRun r = run("gates --cell lstm --hidden 4 --scheme retention --retention 1.5 --out " + out);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("cubias_rnn_gate_bias_keras"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

// ---- optimism ---------------------------------------------------------------

TEST_P(CliDerive, OptimismClosedForm) {
  const std::string out = path("opt.npy");
  CliRun r = run("optimism --rmax 1 --gamma 0.99 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Npy b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({1}));
  EXPECT_NEAR(b.f32(0), 100.0, 1e-4);
  r = run("optimism --rmax 2 --gamma 0.9 --horizon 10 --actions 4 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  b = read_npy(out);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.shape, std::vector<long long>({4}));
  const double ref = 2 * (1 - std::pow(0.9, 10)) / 0.1;
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(b.f32(i), ref, 1e-6 * ref);
  expect_usage_error("optimism --rmax 1 --gamma 1 --out " + out, "--gamma", out);
  expect_usage_error("optimism --gamma 0.5 --out " + out, "--rmax", out);
  expect_usage_error("optimism --rmax 1 --gamma 0.5", "--out", "");
  expect_usage_error("optimism --rmax 1 --gamma 0.5 --horizon -3 --out " + out, "--horizon", out);
  expect_usage_error("optimism --rmax 1 --gamma 0.5 --actions 0 --out " + out, "--actions", out);
}

// ---- mask -------------------------------------------------------------------

TEST_P(CliDerive, MaskValuesAndShapes) {
  const std::string out = path("mask.npy"), lf = path("lens.npy");
  const int B = 3, TQ = 4, TK = 6;
  const int64_t lens[B] = {3, 6, 0};
  write_npy(lf, "<i8", "(3,)", lens, sizeof lens);
  for (const char *dt : {"f32", "f16"}) {
    for (const char *empty : {"equal", "zero"}) {
      CliRun r = run("mask --lengths " + lf + " --tq 4 --tk 6 --causal --offset 1 --empty-row " +
                     empty + " --dtype " + dt + " --out " + out);
      ASSERT_EQ(r.exit_code, 0) << r.out;
      const bool f16 = std::string(dt) == "f16";
      EXPECT_NE(r.out.find(f16 ? "-32752" : "-1.7014117e+38"), std::string::npos) << r.out;
      Npy m = read_npy(out);
      ASSERT_TRUE(m.ok);
      EXPECT_EQ(m.descr, f16 ? "<f2" : "<f4");
      ASSERT_EQ(m.shape, std::vector<long long>({B, TQ, TK}));
      for (int b = 0; b < B; ++b)
        for (int i = 0; i < TQ; ++i) {
          bool any = false;
          for (int j = 0; j < TK; ++j) any |= j < lens[b] && j <= i + 1;
          for (int j = 0; j < TK; ++j) {
            const bool visible = j < lens[b] && j <= i + 1;
            const bool zero = visible || (!any && std::string(empty) == "zero");
            const size_t k = (size_t)(b * TQ + i) * TK + j;
            if (f16)
              EXPECT_EQ(m.f16_bits(k), zero ? 0u : 0xF7FFu) << b << i << j;  // -32752
            else
              EXPECT_EQ(m.f32(k), zero ? 0.0f : -1.7014117331926443e38f) << b << i << j;
          }
        }
    }
  }
  // Causal only, bottom-right (offset TK - TQ = 1), the same for each of B = 2.
  CliRun r = run("mask --batch 2 --tq 2 --tk 3 --causal --offset 1 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Npy m = read_npy(out);
  ASSERT_TRUE(m.ok);
  ASSERT_EQ(m.shape, std::vector<long long>({2, 2, 3}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_EQ(m.f32((b * 2 + i) * 3 + j), j <= i + 1 ? 0.0f : -1.7014117331926443e38f);
}

TEST_P(CliDerive, MaskRejectsBadInputs) {
  const std::string out = path("mask_bad.npy");
  std::vector<float> fl(3, 2.0f);
  std::vector<int32_t> li = {1, 2, 3, 4};
  const std::string ff = path("mlf.npy"), l2 = path("ml2.npy"), l4 = path("ml4.npy");
  write_npy(ff, "<f4", "(3,)", fl.data(), 12);
  write_npy(l2, "<i4", "(2, 2)", li.data(), 16);
  write_npy(l4, "<i4", "(4,)", li.data(), 16);
  expect_usage_error("mask --lengths " + ff + " --tq 2 --tk 2 --out " + out, "int32 or int64", out);
  expect_usage_error("mask --lengths " + l2 + " --tq 2 --tk 2 --out " + out, "shape [B]", out);
  expect_usage_error("mask --lengths " + l4 + " --batch 3 --tq 2 --tk 2 --out " + out, "--batch 3",
                     out);
  expect_usage_error("mask --batch 1 --tq 2 --tk 2 --causal", "--out", "");
  expect_usage_error("mask --batch 1 --tq 2 --tk 2 --out " + out, "nothing to mask", out);
  expect_usage_error("mask --batch 1 --tk 2 --out " + out, "--tq", out);
  expect_usage_error("mask --batch 1 --tq 2 --tk 2 --dtype bf16 --out " + out, "--dtype", out);
  expect_usage_error("mask --batch 1 --tq 2 --tk 2 --offset 1 --out " + out, "--causal", out);
  expect_usage_error("mask --batch 1 --tq 2 --tk 0 --out " + out, "--tk", out);
  expect_usage_error("mask --batch 1 --tq 2 --tk 2 --empty-row nan --out " + out, "--empty-row", out);
  const std::string l0 = path("ml0.npy");
  write_npy(l0, "<i4", "(0,)", li.data(), 0);
  expect_usage_error("mask --lengths " + l0 + " --tq 2 --tk 2 --causal --out " + out, "no lengths", out);
}

// ---- stats --weights: the gain verdict ---------------------------------------

double json_number_after(const std::string &s, const std::string &key) {
  size_t k = s.find("\"" + key + "\": ");
  if (k == std::string::npos) return NAN;
  return strtod(s.c_str() + k + key.size() + 4, nullptr);
}

TEST_P(CliDerive, StatsWeightsGivesTheGain) {
  // z [N, C] centred Gaussian, W [C, C] He (std sqrt(2 / C)): chi ~ 1.
  const int N = 2000, C = 32;
  std::mt19937 g(21);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> z(N * C), W(C * C);
  for (float &v : z) v = nd(g);
  for (float &w : W) w = nd(g) * std::sqrt(2.0f / C);
  const std::string zf = path("gz.npy"), wf = path("gw.npy");
  write_npy(zf, "<f4", "(2000, 32)", z.data(), z.size() * 4);
  write_npy(wf, "<f4", "(32, 32)", W.data(), W.size() * 4);
  CliRun r = run("stats " + zf + " --act relu --weights " + wf + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  double w2 = 0, pos = 0;
  for (float w : W) w2 += (double)w * w;
  for (float v : z) pos += v > 0;
  const double weight_gain = C * w2 / (C * C), dphi = pos / (N * C), chi = weight_gain * dphi;
  const size_t at = r.out.find("\"gain\"");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string gj = r.out.substr(at);
  // (the library sums runs of 16 float squares before folding them into fp64)
  EXPECT_NEAR(json_number_after(gj, "weight_gain"), weight_gain, 1e-6 * weight_gain);
  EXPECT_NEAR(json_number_after(gj, "dphi_sq_mean"), dphi, 1e-12);
  EXPECT_NEAR(json_number_after(gj, "chi"), chi, 1e-6 * chi);
  EXPECT_EQ(json_number_after(gj, "fan_in"), C);
  EXPECT_NEAR(chi, 1.0, 0.2);  // He weights on centred inputs
  const double lo = std::pow(10.0, -1.0 / 20), hi = std::pow(10.0, 1.0 / 20);
  const std::string verdict = chi < lo ? "vanishing" : chi > hi ? "exploding" : "stable";
  EXPECT_NE(gj.find("\"verdict\": \"" + verdict + "\""), std::string::npos) << gj;
  EXPECT_NEAR(json_number_after(gj, "layer_high"), hi, 1e-12);
  // The recommended shift keeps chi <= 1 under the Gaussian model: finite here.
  EXPECT_TRUE(std::isfinite(json_number_after(gj, "bias_shift_max"))) << gj;
  // Doubling W quadruples the weight gain: exploding, and the shift is negative.
  for (float &w : W) w *= 2;
  write_npy(wf, "<f4", "(32, 32)", W.data(), W.size() * 4);
  r = run("stats " + zf + " --act relu --weights " + wf);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("verdict: exploding"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("add at most -"), std::string::npos) << r.out;
  // Wrong shapes and dtypes.
  const std::string w16 = path("gw_mis.npy"), wi = path("gw_int.npy"), w1 = path("gw_r1.npy");
  write_npy(w16, "<f4", "(16, 32)", W.data(), 16 * 32 * 4);
  write_npy(wi, "<i4", "(32, 32)", W.data(), W.size() * 4);
  write_npy(w1, "<f4", "(32,)", W.data(), 32 * 4);
  expect_usage_error("stats " + zf + " --weights " + w16, "out = 16");
  expect_usage_error("stats " + zf + " --weights " + wi, "float32 or float16");
  expect_usage_error("stats " + zf + " --weights " + w1, "[out, in]");
  expect_usage_error("stats " + zf + " --depth 3", "--weights");
}

TEST(CliDeriveHelp, EveryCommandHasHelp) {
  for (const char *c : {"center", "prior", "gates", "optimism", "mask", "stats"}) {
    CliRun r = clitest::run(std::string(c) + " --help");
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("usage: cubias " + std::string(c)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("example"), std::string::npos) << c;
  }
  CliRun r = clitest::run("help");
  for (const char *c : {"center", "prior", "gates", "optimism", "mask"})
    EXPECT_NE(r.out.find(c), std::string::npos) << c;
}

}  // namespace
