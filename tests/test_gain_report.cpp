// The gain report: predicted gain against closed forms (He/ReLU: chi = 1;
// mean/std = -1: chi = 2 Phi(-1)), the exploding verdict and the recommended
// bias, the measured gain on an MLP whose fp64 forward/backward the test runs,
// and the printer / JSON writer.
#include <stdio.h>

#include "test_gain_common.h"
#include "ref/gain_ref.h"

namespace {

// Stratified N(mu, sigma^2) rows [n, C]: entry (r, c) = mu + sigma * Phi^-1(u),
// u = (r*C + c + 0.5)/(n*C): every channel and the union are stratified, so the
// active fraction is Phi(mu/sigma) to 1/(n*C).
std::vector<float> stratified(int64_t n, int64_t C, double mu, double sigma) {
  std::vector<float> z((size_t)(n * C));
  const double M = (double)(n * C);
  for (int64_t i = 0; i < n * C; ++i)
    z[(size_t)i] = (float)(mu + sigma * gain_ref::normal_quantile((i + 0.5) / M));
  return z;
}

// Rademacher +-1/8 weights, fan_in 128: fan_in * E[W^2] = 2 exactly (He).
std::vector<float> he_pm(int64_t out, int64_t in, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> w((size_t)(out * in));
  for (auto &v : w) v = (rng() & 1) ? 0.125f : -0.125f;
  return w;
}

double frac_pos(const std::vector<float> &z) {
  int64_t k = 0;
  for (float v : z) k += v > 0;
  return (double)k / (double)z.size();
}

// 4 layers 24 -> 32 -> 48 -> 32 -> 16: relu, tanh, leaky relu (0.1), identity,
// with random weights and biases, a batch x of 512 and an output gradient dout.
struct MlpCase {
  static constexpr int L = 4;
  static constexpr int64_t batch = 512;
  gain_ref::Mlp net;
  std::vector<double> x, dout;
  MlpCase() {
    net.width = {24, 32, 48, 32, 16};
    net.act = {CUBIAS_ACT_RELU, CUBIAS_ACT_TANH, CUBIAS_ACT_LEAKY_RELU, CUBIAS_ACT_IDENTITY};
    std::mt19937 rng(77);
    std::normal_distribution<double> nd(0, 1);
    net.w.resize(L);
    net.b.resize(L);
    for (int l = 0; l < L; ++l) {
      int64_t in = net.width[l], out = net.width[l + 1];
      net.w[l].resize((size_t)(in * out));
      for (auto &v : net.w[l]) v = (double)(float)(nd(rng) * sqrt(1.6 / in));
      net.b[l].resize((size_t)out);
      for (auto &v : net.b[l]) v = 0.1 * nd(rng);
    }
    net.slope = {0, 0, (double)0.1f, 0};  // the stats object's slope is 0.1f
    x.resize((size_t)(batch * 24));
    dout.resize((size_t)(batch * 16));
    for (auto &v : x) v = nd(rng);
    for (auto &v : dout) v = nd(rng);
  }
};

// The MLP's report from the library, and the fp64 references per layer: the
// measured gradient gain G, the weight gain and E[phi'^2].
struct MlpReport {
  MlpCase m;
  std::vector<double> G, wg, dphi;
  std::vector<cubias_gain_layer_report_t> rep;
  cubias_gain_summary_t sum;
};

class GainReport : public GainBackend {
 protected:
  std::vector<cubias_stats_t> owned;
  void TearDown() override {
    for (auto s : owned) cubias_stats_destroy(s);
    GainBackend::TearDown();
  }
  cubias_stats_t make(int64_t C, cubias_activation_t a, float p = 0) {
    cubias_stats_t s = nullptr;
    EXPECT_EQ(cubias_stats_create(h, C, a, p, &s), CUBIAS_STATUS_SUCCESS);
    owned.push_back(s);
    return s;
  }
  // L identical ReLU layers of width C (W He +-1/8, fan_in C = 128), every layer's
  // pre-activation statistics over z. Report into rep / sum.
  cubias_status_t relu_stack(int L, const std::vector<float> &z, int64_t n, int64_t C,
                             const cubias_gain_options_t *opt,
                             std::vector<cubias_gain_layer_report_t> *rep,
                             cubias_gain_summary_t *sum) {
    std::vector<float> w = he_pm(C, C, 1);
    GainBuf dw(cuda, w.data(), w.size() * 4);
    GainBuf dz(cuda, z.data(), z.size() * 4);
    cubias_tensor_t tz;
    EXPECT_EQ(cubias_tensor_rows(&tz, dz.p, CUBIAS_DTYPE_F32, n, C), 0);
    std::vector<cubias_gain_layer_t> layers((size_t)L);
    for (int l = 0; l < L; ++l) {
      EXPECT_EQ(cubias_weight_make(&layers[l].weight, dw.p, CUBIAS_DTYPE_F32, C, C,
                                   CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
      layers[l].preact = make(C, CUBIAS_ACT_RELU);
      layers[l].grad = nullptr;
      EXPECT_EQ(cubias_stats_accumulate(h, layers[l].preact, &tz), 0) << cubias_get_last_error(h);
    }
    rep->assign((size_t)L, cubias_gain_layer_report_t());
    memset(rep->data(), 0xFF, L * sizeof(cubias_gain_layer_report_t));
    memset(sum, 0xFF, sizeof *sum);
    return cubias_gain_report(h, L, layers.data(), opt, rep->data(), sum);
  }
  // Layer l's weights (layer 2's column-major with ld = out + 3), its
  // pre-activation and gradient statistics (two batches each, as a training
  // loop would accumulate them) and its fp64 references.
  void add_layer(MlpReport *r, int l, const std::vector<double> &zl, const std::vector<double> &gl,
                 std::vector<std::unique_ptr<GainBuf>> *wbufs, cubias_gain_layer_t *layer) {
    const gain_ref::Mlp &net = r->m.net;
    const int64_t batch = MlpCase::batch, in = net.width[l], out = net.width[l + 1];
    const bool col = l == 2;
    const int64_t ld = col ? out + 3 : 0;
    std::vector<float> wf(col ? (size_t)(in * ld) : (size_t)(in * out), NAN);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        wf[col ? i * ld + o : o * in + i] = (float)net.w[l][o * in + i];
    wbufs->emplace_back(new GainBuf(cuda, wf.data(), wf.size() * 4));
    ASSERT_EQ(cubias_weight_make(&layer->weight, wbufs->back()->p, CUBIAS_DTYPE_F32, out, in,
                                 col ? CUBIAS_WEIGHT_COL_MAJOR : CUBIAS_WEIGHT_ROW_MAJOR, ld), 0);
    layer->preact = make(out, (cubias_activation_t)net.act[l], l == 2 ? 0.1f : 0.0f);
    layer->grad = make(out, CUBIAS_ACT_IDENTITY);
    std::vector<float> zf(zl.begin(), zl.end()), gf(gl.begin(), gl.end());
    const int64_t half = batch / 2;
    std::vector<float> z1(zf.begin(), zf.begin() + half * out), z2(zf.begin() + half * out, zf.end());
    std::vector<float> g1(gf.begin(), gf.begin() + half * out), g2(gf.begin() + half * out, gf.end());
    accumulate(layer->preact, z1, half, out);
    accumulate(layer->preact, z2, batch - half, out);
    accumulate(layer->grad, g1, half, out);
    accumulate(layer->grad, g2, batch - half, out);
    // References from the stored (float) values.
    std::vector<double> gd(gf.begin(), gf.end());
    r->G[l] = gain_ref::mean_sq(gd);
    r->wg[l] = gain_ref::weight_gain(net.w[l], out, in);
    double s = 0;
    for (float v : zf) {
      double y, dy;
      gain_ref::act(net.act[l], (double)0.1f, (double)v, &y, &dy);
      s += dy * dy;
    }
    r->dphi[l] = s / zf.size();
  }
  // The fp64 forward/backward pass, then every layer's statistics and the report.
  void report_mlp(MlpReport *r) {
    const int L = MlpCase::L;
    std::vector<std::vector<double>> z, g;
    gain_ref::mlp_forward_backward(r->m.net, r->m.x, MlpCase::batch, r->m.dout, &z, &g);
    std::vector<std::unique_ptr<GainBuf>> wbufs;
    std::vector<cubias_gain_layer_t> layers((size_t)L);
    r->G.resize(L);
    r->wg.resize(L);
    r->dphi.resize(L);
    for (int l = 0; l < L; ++l) ASSERT_NO_FATAL_FAILURE(add_layer(r, l, z[l], g[l], &wbufs, &layers[l]));
    r->rep.resize((size_t)L);
    memset(r->rep.data(), 0xFF, L * sizeof r->rep[0]);
    ASSERT_EQ(cubias_gain_report(h, L, layers.data(), nullptr, r->rep.data(), &r->sum), 0)
        << cubias_get_last_error(h);
  }
};

TEST_P(GainReport, ReluHeCenteredGaussianIsOne) {
  // z = W x, W ~ N(0, 2/fan_in) (He), x ~ N(0, 1): chi = 1 within sampling error.
  const int64_t C = 256, n = 1024;
  std::mt19937 rng(21);
  std::normal_distribution<double> nd(0, 1);
  std::vector<double> w((size_t)(C * C)), x((size_t)(n * C));
  for (auto &v : w) v = (double)(float)(nd(rng) * sqrt(2.0 / C));
  for (auto &v : x) v = nd(rng);
  std::vector<float> wf(w.begin(), w.end()), z((size_t)(n * C));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < C; ++o) {
      double s = 0;
      for (int64_t i = 0; i < C; ++i) s += w[o * C + i] * x[r * C + i];
      z[r * C + o] = (float)s;
    }
  GainBuf dw(cuda, wf.data(), wf.size() * 4);
  cubias_gain_layer_t layer;
  ASSERT_EQ(cubias_weight_make(&layer.weight, dw.p, CUBIAS_DTYPE_F32, C, C, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
  layer.preact = make(C, CUBIAS_ACT_RELU);
  layer.grad = nullptr;
  accumulate(layer.preact, z, n, C);
  cubias_gain_layer_report_t rep;
  cubias_gain_summary_t sum;
  memset(&rep, 0xFF, sizeof rep);
  ASSERT_EQ(cubias_gain_report(h, 1, &layer, nullptr, &rep, &sum), 0) << cubias_get_last_error(h);

  const double wg = gain_ref::weight_gain(w, C, C), p = frac_pos(z);
  EXPECT_NEAR(rep.weight_gain, wg, 1e-6 * wg);
  EXPECT_NEAR(rep.dphi_sq_mean, p, 1e-12);
  EXPECT_NEAR(rep.chi, wg * p, 1e-6);
  // Sampling error: fan_in*E[W^2] has sd 2 sqrt(2/C^2) (C^2 weights), the active
  // fraction about 0.5/sqrt(n*C); four standard deviations.
  const double sd = sqrt(pow(0.5 * 2 * sqrt(2.0 / (C * C)), 2) + pow(2 * 0.5 / sqrt((double)n * C), 2));
  EXPECT_NEAR(rep.chi, 1.0, 4 * sd);
  EXPECT_EQ(rep.verdict, CUBIAS_GAIN_STABLE);
  EXPECT_EQ(sum.verdict, CUBIAS_GAIN_STABLE);
  EXPECT_TRUE(rep.relu_like);
  // Bias recommendation against the reference: t = Phi^-1(1/wgain), delta = sigma t - mu
  // with the pooled mean and the within-channel sigma.
  double m = 0, v = 0;
  for (int64_t o = 0; o < C; ++o) {
    double s1 = 0, s2 = 0;
    for (int64_t r = 0; r < n; ++r) s1 += z[r * C + o];
    double mc = s1 / n;
    for (int64_t r = 0; r < n; ++r) s2 += (z[r * C + o] - mc) * (z[r * C + o] - mc);
    m += mc / C;
    v += s2 / n / C;
  }
  EXPECT_NEAR(rep.z_mean, m, 1e-6);
  EXPECT_NEAR(rep.z_std, sqrt(v), 1e-6 * sqrt(v));
  const double t = gain_ref::normal_quantile(1.0 / wg);
  EXPECT_NEAR(rep.bias_max_sigma, t, 1e-6);
  EXPECT_NEAR(rep.bias_shift_max, sqrt(v) * t - m, 1e-5);
  EXPECT_TRUE(isnan(rep.pred_ratio) && isnan(rep.measured_ratio) && isnan(rep.grad_sq_mean));
  EXPECT_EQ(rep.verdict_measured, CUBIAS_GAIN_UNKNOWN);
}

TEST_P(GainReport, MeanOverStdMinusOneGivesTwoPhiMinusOne) {
  const int64_t C = 128, n = 1024;
  const int L = 10;
  std::vector<float> z = stratified(n, C, -1.0, 1.0);
  std::vector<cubias_gain_layer_report_t> rep;
  cubias_gain_summary_t sum;
  ASSERT_EQ(relu_stack(L, z, n, C, nullptr, &rep, &sum), 0) << cubias_get_last_error(h);
  const double chi = 2 * gain_ref::normal_cdf(-1.0);  // 0.317311
  EXPECT_NEAR(chi, 0.317311, 1e-6);
  for (int l = 0; l < L; ++l) {
    EXPECT_EQ(rep[l].weight_gain, 2.0);
    EXPECT_NEAR(rep[l].chi, 2 * frac_pos(z), 1e-12);  // exact counting
    EXPECT_NEAR(rep[l].chi, chi, 2e-5);               // stratification error <= 1/(n C)
    EXPECT_NEAR(rep[l].chi_cum, pow(chi, L - l), 1e-3 * pow(chi, L - l));
    EXPECT_EQ(rep[l].verdict, CUBIAS_GAIN_VANISHING);
    // g = 2: chi <= 1 while Phi(mu/sigma) <= 1/2, i.e. t_max = 0, the shift -mu = +1.
    EXPECT_NEAR(rep[l].bias_max_sigma, 0.0, 1e-15);
    EXPECT_NEAR(rep[l].bias_shift_max, 1.0, 1e-3);
  }
  EXPECT_NEAR(sum.chi_total, 1.035e-5, 0.001e-5);
  EXPECT_EQ(sum.verdict, CUBIAS_GAIN_VANISHING);
  EXPECT_EQ(rep[0].verdict_cum, CUBIAS_GAIN_VANISHING);
  EXPECT_EQ(rep[L - 1].verdict_cum, CUBIAS_GAIN_STABLE);  // 0.317 is inside [0.1, 10]
  EXPECT_NEAR(sum.layer_low, pow(10.0, -0.1), 1e-15);
  EXPECT_NEAR(sum.layer_high, pow(10.0, 0.1), 1e-15);
  EXPECT_TRUE(isnan(sum.measured_total));
}

TEST_P(GainReport, PositiveBiasExplodesAndRecommendedShiftRestores) {
  const int64_t C = 128, n = 1024;
  const int L = 50;
  std::vector<float> z = stratified(n, C, 0.25, 1.0);
  std::vector<cubias_gain_layer_report_t> rep;
  cubias_gain_summary_t sum;
  ASSERT_EQ(relu_stack(L, z, n, C, nullptr, &rep, &sum), 0) << cubias_get_last_error(h);
  const double chi = 2 * gain_ref::normal_cdf(0.25);  // 1.1974
  EXPECT_NEAR(rep[0].chi, chi, 2e-5);
  EXPECT_EQ(rep[0].verdict, CUBIAS_GAIN_EXPLODING);
  EXPECT_EQ(sum.verdict, CUBIAS_GAIN_EXPLODING);
  EXPECT_NEAR(sum.chi_total, pow(chi, L), 2e-3 * pow(chi, L));
  const double shift = rep[0].bias_shift_max;
  EXPECT_NEAR(shift, -0.25, 1e-3);
  // Apply the recommended shift to every layer's bias (z moves by delta): chi <= 1
  // up to the stratification error, and the depth is stable.
  for (double target : {1.0, 0.9}) {
    cubias_gain_options_t opt = {0.0, target};
    std::vector<cubias_gain_layer_report_t> r0;
    cubias_gain_summary_t s0;
    ASSERT_EQ(relu_stack(1, z, n, C, &opt, &r0, &s0), 0);
    std::vector<float> z2(z);
    for (auto &v : z2) v = (float)(v + r0[0].bias_shift_max);
    std::vector<cubias_gain_layer_report_t> r2;
    cubias_gain_summary_t s2;
    ASSERT_EQ(relu_stack(L, z2, n, C, &opt, &r2, &s2), 0);
    for (int l = 0; l < L; ++l) EXPECT_LE(r2[l].chi, target + 2e-5) << "layer " << l;
    EXPECT_LE(r2[0].chi, 1.0 + 2e-5);
    EXPECT_EQ(s2.verdict, target == 1.0 ? CUBIAS_GAIN_STABLE : CUBIAS_GAIN_VANISHING);
    if (target == 1.0) {
      EXPECT_EQ(r2[0].verdict, CUBIAS_GAIN_STABLE);
      EXPECT_NEAR(r2[0].bias_shift_max, 0.0, 1e-3);  // already at the limit
    }
  }
}

TEST_P(GainReport, MeasuredGainOnMlpMatchesFp64Pass) {
  MlpReport r;
  ASSERT_NO_FATAL_FAILURE(report_mlp(&r));
  const int L = MlpCase::L;
  const std::vector<double> &G = r.G, &wg = r.wg, &dphi = r.dphi;
  const std::vector<cubias_gain_layer_report_t> &rep = r.rep;
  const gain_ref::Mlp &net = r.m.net;
  for (int l = 0; l < L; ++l) {
    EXPECT_NEAR(rep[l].grad_sq_mean, G[l], 1e-6 * G[l]) << l;
    EXPECT_NEAR(rep[l].weight_gain, wg[l], 1e-6 * wg[l]) << l;
    EXPECT_NEAR(rep[l].dphi_sq_mean, dphi[l], 1e-6 * dphi[l]) << l;
    EXPECT_NEAR(rep[l].chi, wg[l] * dphi[l], 2e-6 * wg[l] * dphi[l]) << l;
    EXPECT_NEAR(rep[l].measured_cum, G[l] / G[L - 1], 2e-6 * G[l] / G[L - 1]) << l;
    if (l < L - 1) {
      const double ratio = G[l] / G[l + 1];
      EXPECT_NEAR(rep[l].measured_ratio, ratio, 2e-6 * ratio) << l;
      const double pr = (double)net.width[l + 2] / net.width[l + 1] * wg[l + 1] * dphi[l];
      EXPECT_NEAR(rep[l].pred_ratio, pr, 2e-6 * pr) << l;
      // The measurement sits beside the prediction: same order of magnitude here.
      EXPECT_GT(rep[l].measured_ratio / rep[l].pred_ratio, 0.5) << l;
      EXPECT_LT(rep[l].measured_ratio / rep[l].pred_ratio, 2.0) << l;
    } else {
      EXPECT_TRUE(isnan(rep[l].measured_ratio) && isnan(rep[l].pred_ratio));
    }
  }
  EXPECT_EQ(rep[0].relu_like, 1);
  EXPECT_EQ(rep[1].relu_like, 0);
  EXPECT_TRUE(isnan(rep[1].bias_max_sigma));
  EXPECT_EQ(rep[2].relu_like, 1);
  EXPECT_NEAR(r.sum.measured_total, G[0] / G[L - 1], 2e-6 * G[0] / G[L - 1]);
  EXPECT_NE(r.sum.verdict_measured, CUBIAS_GAIN_UNKNOWN);
}

// The MLP's report through the printer and the JSON writer (to a FILE* and to
// a buffer); a buffer too small is refused with nothing written.
TEST_P(GainReport, MlpReportPrintsAndWritesJson) {
  MlpReport r;
  ASSERT_NO_FATAL_FAILURE(report_mlp(&r));
  const int L = MlpCase::L;
  const cubias_gain_layer_report_t *rep = r.rep.data();
  FILE *f = tmpfile();
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(cubias_gain_print(f, L, rep, &r.sum), 0);
  ASSERT_EQ(cubias_gain_json_file(f, L, rep, &r.sum), 0);
  long bytes = ftell(f);
  EXPECT_GT(bytes, 500);
  fclose(f);
  size_t len = 0;
  ASSERT_EQ(cubias_gain_json_buffer(nullptr, 0, &len, L, rep, &r.sum), 0);
  std::vector<char> buf(len + 1, 'x');
  ASSERT_EQ(cubias_gain_json_buffer(buf.data(), buf.size(), &len, L, rep, &r.sum), 0);
  std::string js(buf.data());
  EXPECT_EQ(js.size(), len);
  EXPECT_EQ(js.rfind("{\"summary\": {\"n_layers\": 4", 0), 0u);
  EXPECT_NE(js.find("\"activation\": \"tanh\""), std::string::npos);
  EXPECT_NE(js.find("\"measured_ratio\": null"), std::string::npos);  // last layer: NaN -> null
  EXPECT_EQ(js.find("nan"), std::string::npos);
  // Too small: refused, nothing written.
  std::vector<char> small(len, 'x');
  EXPECT_EQ(cubias_gain_json_buffer(small.data(), small.size(), &len, L, rep, &r.sum),
            CUBIAS_STATUS_INVALID_VALUE);
  for (char c : small) ASSERT_EQ(c, 'x');
}

TEST_P(GainReport, PrintedTableIsAligned) {
  const int64_t C = 128, n = 256;
  std::vector<float> z = stratified(n, C, -0.3, 1.0);
  std::vector<cubias_gain_layer_report_t> rep;
  cubias_gain_summary_t sum;
  ASSERT_EQ(relu_stack(3, z, n, C, nullptr, &rep, &sum), 0);
  char *text = nullptr;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  ASSERT_EQ(cubias_gain_print(f, 3, rep.data(), &sum), 0);
  fclose(f);
  std::string s(text, size);
  free(text);
  // Header + 3 rows of equal length, then the summary lines.
  std::vector<std::string> lines;
  size_t a = 0;
  for (size_t b; (b = s.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(s.substr(a, b - a));
  ASSERT_GE(lines.size(), 6u);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(lines[i].size(), lines[0].size()) << lines[i];
  EXPECT_NE(lines[1].find("relu"), std::string::npos);
  EXPECT_NE(s.find("predicted gain over 3 layers"), std::string::npos);
}

}  // namespace

GAIN_INSTANTIATE(GainReport);
