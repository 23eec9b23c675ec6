// Centering a convolution from its input statistics (cubias_center_conv_from_input):
// b_j = t - sum_{c,u,v} W[j, c, u, v] mu_c, checked against a reference convolution
// in fp64 on both backends: with circular padding every output position reads every
// tap, so each output channel's mean is t; with zero padding the border moves the
// mean by about the share of taps that read padding, as the header states.
#include <gtest/gtest.h>
#include <math.h>

#include <string>
#include <vector>

#include "util.h"

namespace {

constexpr int64_t kN = 3, kC = 3, kH = 9, kW = 8, kOut = 4, kKh = 3, kKw = 3;
constexpr int64_t kArea = kKh * kKw;

// The input NCHW [kN, kC, kH, kW]: channel c offset by 2c - 1.5 so that mu matters.
std::vector<float> input() {
  std::vector<float> x = tu::normal((size_t)(kN * kC * kH * kW), 0.0, 1.0, 91);
  for (int64_t n = 0; n < kN; ++n)
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t p = 0; p < kH * kW; ++p) x[(size_t)((n * kC + c) * kH * kW + p)] += 2.0f * c - 1.5f;
  return x;
}

double at(const std::vector<float> &x, int64_t n, int64_t c, int64_t y, int64_t z) {
  return x[(size_t)(((n * kC + c) * kH + y) * kW + z)];
}

// Mean over every output position of output channel j of W * x + b (cross-correlation
// as in PyTorch), padding `pad` with zeros, or circular when circ.
double conv_mean(const std::vector<float> &x, const std::vector<float> &w, double b, int64_t j,
                 int64_t pad, bool circ) {
  const int64_t Ho = circ ? kH : kH + 2 * pad - kKh + 1, Wo = circ ? kW : kW + 2 * pad - kKw + 1;
  double sum = 0.0;
  for (int64_t n = 0; n < kN; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox) {
        double acc = b;
        for (int64_t c = 0; c < kC; ++c)
          for (int64_t u = 0; u < kKh; ++u)
            for (int64_t v = 0; v < kKw; ++v) {
              int64_t y = oy + u - (circ ? kKh / 2 : pad), z = ox + v - (circ ? kKw / 2 : pad);
              if (circ) {
                y = (y % kH + kH) % kH;
                z = (z % kW + kW) % kW;
              } else if (y < 0 || y >= kH || z < 0 || z >= kW) {
                continue;  // zero padding
              }
              acc += (double)w[(size_t)(((j * kC + c) * kKh + u) * kKw + v)] * at(x, n, c, y, z);
            }
        sum += acc;
      }
  return sum / (double)(kN * Ho * Wo);
}

class CenterConv : public tu::BackendTest {
 protected:
  // Biases for W [kOut, kC, kKh, kKw] on the NCHW input x, target t.
  std::vector<float> center(const std::vector<float> &x, const std::vector<float> &w, double t) {
    tu::Buffer dx(be(), x.size() * 4), dw(be(), w.size() * 4), db(be(), kOut * 4);
    dx.upload(x.data(), x.size() * 4);
    dw.upload(w.data(), w.size() * 4);
    db.fill(0xFF);  // poisoned: every entry must be written
    tu::Stats s(h, kC, CUBIAS_ACT_IDENTITY);
    cubias_tensor_t v;
    EXPECT_EQ(cubias_tensor_nchw(&v, dx.get(), CUBIAS_DTYPE_F32, kN, kC, kH, kW), CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    cubias_weight_t W;
    EXPECT_EQ(cubias_weight_make(&W, dw.get(), CUBIAS_DTYPE_F32, kOut, kC * kArea,
                                 CUBIAS_WEIGHT_ROW_MAJOR, 0),
              CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(cubias_center_conv_from_input(h, s, &W, kArea, &t, db.get(), CUBIAS_DTYPE_F32),
              CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    std::vector<float> b(kOut);
    db.download(b.data(), kOut * 4);
    return b;
  }
};

TEST_P(CenterConv, OutputMeanIsTheTargetWhereEveryTapReadsTheInput) {
  const std::vector<float> x = input(), w = tu::normal((size_t)(kOut * kC * kArea), 0.0, 0.3, 92);
  const double t = 0.25;
  const std::vector<float> b = center(x, w, t);
  for (int64_t j = 0; j < kOut; ++j) {
    ASSERT_TRUE(isfinite(b[j])) << "bias " << j << " not written";
    // Circular padding: every input pixel under every tap once, so the mean is exact.
    const double circ = conv_mean(x, w, b[j], j, 0, true);
    EXPECT_NEAR(circ, t, 1e-6 + 1e-6 * fabs(b[j])) << "channel " << j;
    // The closed form, in fp64 from the data.
    double sum = 0.0;
    for (int64_t c = 0; c < kC; ++c) {
      double mu = 0.0;
      for (int64_t n = 0; n < kN; ++n)
        for (int64_t y = 0; y < kH; ++y)
          for (int64_t z = 0; z < kW; ++z) mu += at(x, n, c, y, z);
      mu /= (double)(kN * kH * kW);
      for (int64_t k = 0; k < kArea; ++k) sum += (double)w[(size_t)((j * kC + c) * kArea + k)] * mu;
    }
    EXPECT_NEAR(b[j], t - sum, 1e-6 + 1e-6 * fabs(t - sum)) << "channel " << j;
  }
}

TEST_P(CenterConv, ZeroPaddingMovesTheMeanByTheShareOfPaddedTaps) {
  // Constant channels (mu_c everywhere): a tap inside the input reads mu_c, a tap in
  // the padding 0, so the "same" zero-padded output mean is exactly
  // t - sum W[j,c,u,v] f_uv mu_c, f_uv = 1 - (1 - |u-1|/kH)(1 - |v-1|/kW) the share of
  // output positions where tap (u, v) reads padding (the header's border effect).
  std::vector<float> x((size_t)(kN * kC * kH * kW));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.25f * (float)((i / (kH * kW)) % kC) - 1.0f;
  const std::vector<float> w = tu::normal((size_t)(kOut * kC * kArea), 0.0, 0.3, 95);
  const double t = -0.5;
  const std::vector<float> b = center(x, w, t);
  for (int64_t j = 0; j < kOut; ++j) {
    double border = 0.0, sum = 0.0;
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t u = 0; u < kKh; ++u)
        for (int64_t v = 0; v < kKw; ++v) {
          const double f = 1.0 - (1.0 - fabs(u - 1.0) / kH) * (1.0 - fabs(v - 1.0) / kW);
          const double wmu = (double)w[(size_t)(((j * kC + c) * kKh + u) * kKw + v)] * (1.25 * c - 1.0);
          border += f * wmu;
          sum += wmu;
        }
    EXPECT_GT(fabs(border), 1e-3 * fabs(sum)) << "channel " << j;
    const double padded = conv_mean(x, w, b[j], j, 1, false);
    EXPECT_NEAR(padded, t - border, 1e-6 + 1e-6 * fabs(sum)) << "channel " << j;
    EXPECT_NEAR(conv_mean(x, w, b[j], j, 0, true), t, 1e-6 + 1e-6 * fabs(sum)) << "channel " << j;
  }
}

TEST_P(CenterConv, KernelAreaOneIsCenterFromInput) {
  const std::vector<float> x = input(), w = tu::normal((size_t)(kOut * kC), 0.0, 0.5, 93);
  tu::Buffer dx(be(), x.size() * 4), dw(be(), w.size() * 4), b1(be(), kOut * 4), b2(be(), kOut * 4);
  dx.upload(x.data(), x.size() * 4);
  dw.upload(w.data(), w.size() * 4);
  b1.fill(0xFF);
  b2.fill(0x7F);
  tu::Stats s(h, kC, CUBIAS_ACT_IDENTITY);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_nchw(&v, dx.get(), CUBIAS_DTYPE_F32, kN, kC, kH, kW), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
  cubias_weight_t W;
  ASSERT_EQ(cubias_weight_make(&W, dw.get(), CUBIAS_DTYPE_F32, kOut, kC, CUBIAS_WEIGHT_ROW_MAJOR, 0),
            CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_center_conv_from_input(h, s, &W, 1, nullptr, b1.get(), CUBIAS_DTYPE_F32),
            CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_center_from_input(h, s, &W, nullptr, b2.get(), CUBIAS_DTYPE_F32),
            CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(b1.all(), b2.all());
}

TEST_P(CenterConv, BadKernelAreaWritesNothing) {
  const std::vector<float> x = input(), w = tu::normal((size_t)(kOut * kC * kArea), 0.0, 0.3, 94);
  tu::Buffer dx(be(), x.size() * 4), dw(be(), w.size() * 4), db(be(), kOut * 4);
  dx.upload(x.data(), x.size() * 4);
  dw.upload(w.data(), w.size() * 4);
  db.fill(0xAB);
  const std::vector<unsigned char> before = db.all();
  tu::Stats s(h, kC, CUBIAS_ACT_IDENTITY);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_nchw(&v, dx.get(), CUBIAS_DTYPE_F32, kN, kC, kH, kW), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
  cubias_weight_t W;
  ASSERT_EQ(cubias_weight_make(&W, dw.get(), CUBIAS_DTYPE_F32, kOut, kC * kArea,
                               CUBIAS_WEIGHT_ROW_MAJOR, 0),
            CUBIAS_STATUS_SUCCESS);
  const struct {
    int64_t area;
    cubias_status_t want;
    const char *says;
  } cases[] = {{0, CUBIAS_STATUS_INVALID_VALUE, "kernel_area is 0"},
               {-9, CUBIAS_STATUS_INVALID_VALUE, "kernel_area is -9"},
               {4, CUBIAS_STATUS_SHAPE_MISMATCH, "times kernel_area 4"},
               {1, CUBIAS_STATUS_SHAPE_MISMATCH, "the input statistics 3 channels"},
               {27, CUBIAS_STATUS_SHAPE_MISMATCH, "times kernel_area 27"}};
  for (const auto &k : cases) {
    tu::clear_errors(h);
    EXPECT_EQ(cubias_center_conv_from_input(h, s, &W, k.area, nullptr, db.get(), CUBIAS_DTYPE_F32),
              k.want)
        << k.area;
    const std::string msg = cubias_get_last_error(h);
    EXPECT_EQ(msg.rfind("cubias_center_conv_from_input: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(k.says), std::string::npos) << msg;
    EXPECT_EQ(db.all(), before) << "kernel_area " << k.area << " wrote the bias";
  }
}

CUBIAS_INSTANTIATE_BACKENDS(CenterConv);

}  // namespace
