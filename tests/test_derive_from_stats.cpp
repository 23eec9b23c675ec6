// Tests of the bias derivations I (centering, normalisation, post-activation and
// symmetric shifts, revival) on both backends, the written buffers in f32, f16 and bf16, against tests/ref/derive_from_stats_ref (an
// independent fp64 reference) and closed forms.
#include <gtest/gtest.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>

#include <random>
#include <string>
#include <vector>

#include "cubias.h"
#include "derive_from_stats_ref.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace {

size_t dsize(int dt) { return dt == 0 ? 4 : 2; }

// A handle and buffers on one backend (host memory for the CPU, device memory
// for CUDA), with uploads and downloads.
struct Env {
  cubias_backend_t be;
  cubias_handle_t h = nullptr;
  std::vector<void *> bufs;
  explicit Env(cubias_backend_t b) : be(b) {}
  bool init() { return cubias_create(&h, be) == CUBIAS_STATUS_SUCCESS; }
  ~Env() {
    for (void *p : bufs) {
#ifdef CUBIAS_HAVE_CUDA
      if (be == CUBIAS_BACKEND_CUDA) {
        cudaFree(p);
        continue;
      }
#endif
      free(p);
    }
    if (h) cubias_destroy(h);
  }
  void *alloc(size_t bytes) {
    void *p = nullptr;
#ifdef CUBIAS_HAVE_CUDA
    if (be == CUBIAS_BACKEND_CUDA) {
      if (cudaMalloc(&p, bytes) != cudaSuccess) return nullptr;
      bufs.push_back(p);
      return p;
    }
#endif
    p = malloc(bytes);
    bufs.push_back(p);
    return p;
  }
  void *upload(const void *src, size_t bytes) {
    void *p = alloc(bytes);
    put(p, src, bytes);
    return p;
  }
  void put(void *dst, const void *src, size_t bytes) {
#ifdef CUBIAS_HAVE_CUDA
    if (be == CUBIAS_BACKEND_CUDA) {
      cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
      return;
    }
#endif
    memcpy(dst, src, bytes);
  }
  void get(void *dst, const void *src, size_t bytes) {
    cubias_synchronize(h);
#ifdef CUBIAS_HAVE_CUDA
    if (be == CUBIAS_BACKEND_CUDA) {
      cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
      return;
    }
#endif
    memcpy(dst, src, bytes);
  }
  template <class T>
  std::vector<T> fetch(const void *src, size_t n) {
    std::vector<T> v(n);
    get(v.data(), src, n * sizeof(T));
    return v;
  }
  std::vector<uint8_t> bytes(const void *src, size_t n) { return fetch<uint8_t>(src, n); }
  // Statistics of a float tensor (outer, C, inner) accumulated in `splits` batches over outer.
  cubias_stats_t stats_of(const std::vector<float> &x, int64_t outer, int64_t C, int64_t inner,
                          cubias_activation_t act = CUBIAS_ACT_IDENTITY, float slope = 0.f,
                          int splits = 1) {
    cubias_stats_t s = nullptr;
    if (cubias_stats_create(h, C, act, slope, &s)) return nullptr;
    const float *d = (const float *)upload(x.data(), x.size() * 4);
    int64_t o0 = 0;
    for (int k = 0; k < splits; ++k) {
      int64_t o1 = outer * (k + 1) / splits;
      cubias_tensor_t v;
      cubias_tensor_make(&v, d + o0 * C * inner, CUBIAS_DTYPE_F32, o1 - o0, C, inner);
      if (cubias_stats_accumulate(h, s, &v)) return nullptr;
      o0 = o1;
    }
    return s;
  }
};

// Host bias vector in dtype from values already representable.
std::vector<uint8_t> encode_all(const std::vector<double> &v, int dt) {
  std::vector<uint8_t> b(v.size() * dsize(dt));
  for (size_t i = 0; i < v.size(); ++i) dref::encode(b.data(), dt, (int64_t)i, dref::round_to(v[i], dt));
  return b;
}
std::vector<double> decode_all(const std::vector<uint8_t> &b, int dt) {
  std::vector<double> v(b.size() / dsize(dt));
  for (size_t i = 0; i < v.size(); ++i) v[i] = dref::decode(b.data(), dt, (int64_t)i);
  return v;
}

// |got - want| <= atol + rtol |want| with rtol one unit in the last place of dt.
void expect_close(double got, double want, int dt, double atol, const std::string &what) {
  double tol = atol + dref::ulp(want, dt) + 1e-12 * fabs(want);
  EXPECT_LE(fabs(got - want), tol) << what << ": got " << got << " want " << want;
}

std::vector<float> normal_data(std::mt19937_64 &g, int64_t outer, int64_t C, int64_t inner,
                               const std::vector<double> &mu, const std::vector<double> &sd) {
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<float> x((size_t)(outer * C * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < inner; ++i)
        x[(size_t)((o * C + c) * inner + i)] = (float)(mu[c] + sd[c] * n(g));
  return x;
}

// A weight matrix with values representable in dt, stored in layout with ld,
// and its dense row-major double copy.
struct Weight {
  std::vector<double> dense;  // [out * in]
  std::vector<uint8_t> stored;
  cubias_weight_t w;
};
Weight make_weight(std::mt19937_64 &g, int64_t out, int64_t in, int dt, bool col, int64_t pad) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Weight W;
  W.dense.resize((size_t)(out * in));
  int64_t ld = (col ? out : in) + pad;
  int64_t major = col ? in : out;
  W.stored.assign((size_t)(major * ld) * dsize(dt), 0xAB);
  for (int64_t j = 0; j < out; ++j)
    for (int64_t i = 0; i < in; ++i) {
      double v = dref::round_to(u(g), dt);
      W.dense[(size_t)(j * in + i)] = v;
      dref::encode(W.stored.data(), dt, col ? i * ld + j : j * ld + i, v);
    }
  W.w.data = nullptr;
  W.w.dtype = (cubias_dtype_t)dt;
  W.w.layout = col ? CUBIAS_WEIGHT_COL_MAJOR : CUBIAS_WEIGHT_ROW_MAJOR;
  W.w.out = out;
  W.w.in = in;
  W.w.ld = pad ? ld : 0;
  return W;
}

const cubias_dtype_t kDtypes[3] = {CUBIAS_DTYPE_F32, CUBIAS_DTYPE_F16, CUBIAS_DTYPE_BF16};

class DeriveFromStats : public ::testing::TestWithParam<std::tuple<cubias_backend_t, int>> {
 protected:
  cubias_backend_t be() const { return std::get<0>(GetParam()); }
  int bdt() const { return std::get<1>(GetParam()); }
  void SetUp() override {
    if (be() == CUBIAS_BACKEND_CUDA) CUBIAS_REQUIRE_GPU_OR_SKIP();
  }
};

#define MAKE_ENV(env)                                                  \
  Env env(be());                                                       \
  ASSERT_TRUE(env.init()) << cubias_get_last_error(nullptr)

// ---- centering from input ------------------------------------------------

TEST_P(DeriveFromStats, CenterFromInputMatchesReferenceAndCentres) {
  MAKE_ENV(env);
  std::mt19937_64 g(11 + bdt());
  const int64_t N = 700, in = 24, out = 10;
  std::vector<double> mu(in), sd(in);
  for (int64_t i = 0; i < in; ++i) mu[i] = -3.0 + 0.25 * i, sd[i] = 0.5 + 0.1 * i;
  std::vector<float> x = normal_data(g, N, in, 1, mu, sd);
  cubias_stats_t s = env.stats_of(x, N, in, 1, CUBIAS_ACT_IDENTITY, 0.f, 3);
  ASSERT_NE(s, nullptr) << cubias_get_last_error(env.h);
  auto m = dref::moments(x, N, in, 1);
  std::vector<double> mux(in);
  for (int64_t i = 0; i < in; ++i) mux[i] = m[i].mean;
  for (int wdt = 0; wdt < 3; ++wdt)
    for (int col = 0; col < 2; ++col)
      for (int pad = 0; pad < 2; ++pad)
        for (int use_t = 0; use_t < 2; ++use_t) {
          Weight W = make_weight(g, out, in, wdt, col, pad * 3);
          W.w.data = env.upload(W.stored.data(), W.stored.size());
          void *b = env.alloc(out * dsize(bdt()));
          std::vector<uint8_t> poison(out * dsize(bdt()), 0xFF);
          env.put(b, poison.data(), poison.size());
          double t = 0.75;
          ASSERT_EQ(cubias_center_from_input(env.h, s, &W.w, use_t ? &t : nullptr, b,
                                             (cubias_dtype_t)bdt()),
                    CUBIAS_STATUS_SUCCESS)
              << cubias_get_last_error(env.h);
          std::vector<double> got = decode_all(env.bytes(b, poison.size()), bdt());
          double tt = use_t ? t : 0.0;
          std::vector<double> want = dref::t_minus_Wv(W.dense, out, in, mux, tt);
          for (int64_t j = 0; j < out; ++j) {
            // the statistics engine's means carry ~2e-9 relative error (float runs)
            double atol = 0;
            for (int64_t i = 0; i < in; ++i)
              atol += 5e-9 * fabs(W.dense[j * in + i]) * (fabs(mu[i]) + 3 * sd[i]);
            expect_close(got[j], want[j], bdt(), atol, "b[" + std::to_string(j) + "]");
            // centering: the pre-activation W x + b has mean t over the data
            long double zs = 0;
            for (int64_t n = 0; n < N; ++n) {
              long double z = got[j];
              for (int64_t i = 0; i < in; ++i) z += W.dense[j * in + i] * (long double)x[n * in + i];
              zs += z;
            }
            expect_close((double)(zs / N), tt, bdt(), 1e-9 + atol + dref::ulp(want[j], bdt()),
                         "mean z[" + std::to_string(j) + "]");
          }
          // W untouched
          EXPECT_EQ(env.bytes(W.w.data, W.stored.size()), W.stored);
        }
  cubias_stats_destroy(s);
}

TEST_P(DeriveFromStats, CenterFromInputRecurrentTND) {
  MAKE_ENV(env);
  std::mt19937_64 g(5);
  const int64_t T = 6, Nb = 9, D = 7, H = 5;
  std::vector<double> mu(D), sd(D, 1.0);
  for (int64_t i = 0; i < D; ++i) mu[i] = 0.5 * i - 1.0;
  std::vector<float> x = normal_data(g, T * Nb, D, 1, mu, sd);
  cubias_stats_t s = nullptr;
  ASSERT_EQ(cubias_stats_create(env.h, D, CUBIAS_ACT_IDENTITY, 0.f, &s), 0);
  const float *d = (const float *)env.upload(x.data(), x.size() * 4);
  // two sequence chunks [3, N, D] each, viewed with cubias_tensor_tnd
  for (int k = 0; k < 2; ++k) {
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_tnd(&v, d + k * 3 * Nb * D, CUBIAS_DTYPE_F32, 3, Nb, D), 0);
    ASSERT_EQ(cubias_stats_accumulate(env.h, s, &v), 0);
  }
  Weight W = make_weight(g, H, D, 0, false, 0);  // W_x [4H..] style: rows = gates*hidden
  W.w.data = env.upload(W.stored.data(), W.stored.size());
  void *b = env.alloc(H * dsize(bdt()));
  ASSERT_EQ(cubias_center_from_input(env.h, s, &W.w, nullptr, b, (cubias_dtype_t)bdt()), 0)
      << cubias_get_last_error(env.h);
  auto m = dref::moments(x, T * Nb, D, 1);
  std::vector<double> mux(D);
  for (int64_t i = 0; i < D; ++i) mux[i] = m[i].mean;
  std::vector<double> want = dref::t_minus_Wv(W.dense, H, D, mux, 0.0);
  std::vector<double> got = decode_all(env.bytes(b, H * dsize(bdt())), bdt());
  for (int64_t j = 0; j < H; ++j) expect_close(got[j], want[j], bdt(), 1e-7, "b_rnn");
  cubias_stats_destroy(s);
}

// W larger than one cuBLAS row block of the CUDA path (4M doubles): two blocks.
TEST_P(DeriveFromStats, CenterFromInputSpansRowBlocks) {
  MAKE_ENV(env);
  std::mt19937_64 g(13);
  const int64_t N = 64, in = 1100, out = 4000;
  std::vector<double> mu(in), sd(in, 1.0);
  for (int64_t i = 0; i < in; ++i) mu[i] = 0.001 * (i % 97) - 0.05;
  std::vector<float> x = normal_data(g, N, in, 1, mu, sd);
  cubias_stats_t s = env.stats_of(x, N, in, 1);
  ASSERT_NE(s, nullptr);
  auto m = dref::moments(x, N, in, 1);
  std::vector<double> mux(in);
  for (int64_t i = 0; i < in; ++i) mux[i] = m[i].mean;
  for (int col = 0; col < 2; ++col) {
    Weight W = make_weight(g, out, in, 2, col, 0);
    W.w.data = env.upload(W.stored.data(), W.stored.size());
    std::vector<uint8_t> poison(out * dsize(bdt()), 0xFF);
    void *b = env.upload(poison.data(), poison.size());
    ASSERT_EQ(cubias_center_from_input(env.h, s, &W.w, nullptr, b, (cubias_dtype_t)bdt()), 0)
        << cubias_get_last_error(env.h);
    std::vector<double> want = dref::t_minus_Wv(W.dense, out, in, mux, 0.0);
    std::vector<double> got = decode_all(env.bytes(b, poison.size()), bdt());
    for (int64_t j = 0; j < out; ++j) {
      double atol = 0;
      for (int64_t i = 0; i < in; ++i) atol += 5e-9 * fabs(W.dense[j * in + i]) * (fabs(mu[i]) + 3);
      expect_close(got[j], want[j], bdt(), atol, "b[" + std::to_string(j) + "]");
      if (HasFailure()) return;
    }
  }
  cubias_stats_destroy(s);
}

// ---- centering from pre-activation ---------------------------------------

TEST_P(DeriveFromStats, CenterFromPreactInPlace) {
  MAKE_ENV(env);
  std::mt19937_64 g(7);
  const int64_t N = 300, C = 9, inner = 4;  // NCHW-like
  std::vector<double> mu(C), sd(C);
  for (int64_t c = 0; c < C; ++c) mu[c] = 2.0 - 0.6 * c, sd[c] = 0.3 + 0.2 * c;
  std::vector<float> z = normal_data(g, N, C, inner, mu, sd);
  cubias_stats_t s = env.stats_of(z, N, C, inner, CUBIAS_ACT_RELU, 0.f, 2);
  ASSERT_NE(s, nullptr);
  std::vector<double> b0(C);
  for (int64_t c = 0; c < C; ++c) b0[c] = dref::round_to(0.125 * c - 0.5, bdt());
  std::vector<uint8_t> hb = encode_all(b0, bdt());
  void *b = env.upload(hb.data(), hb.size());
  double t = -0.25;
  ASSERT_EQ(cubias_center_from_preact(env.h, s, &t, b, (cubias_dtype_t)bdt()), 0)
      << cubias_get_last_error(env.h);
  std::vector<double> got = decode_all(env.bytes(b, hb.size()), bdt());
  auto m = dref::moments(z, N, C, inner);
  for (int64_t c = 0; c < C; ++c) {
    double want = b0[c] - (m[c].mean - t);
    expect_close(got[c], want, bdt(), 1e-9, "b");
    // the shifted pre-activation z - b0 + b has mean t
    expect_close(m[c].mean - b0[c] + got[c], t, bdt(), 1e-9 + dref::ulp(want, bdt()), "mean");
  }
  cubias_stats_destroy(s);
}

// A NaN bias stays NaN and is stored as the dtype's canonical NaN (kernels/dtype.h:
// CUDA's rule, one rule on both backends), whatever the sign and payload it came with.
TEST_P(DeriveFromStats, CenterFromPreactStoresNaNCanonical) {
  MAKE_ENV(env);
  std::mt19937_64 g(5);
  const int64_t N = 40, C = 6;
  std::vector<double> mu(C, 1.0), sd(C, 0.5);
  std::vector<float> z = normal_data(g, N, C, 1, mu, sd);
  cubias_stats_t s = env.stats_of(z, N, C, 1);
  ASSERT_NE(s, nullptr);
  // Channels 0-4 hold NaNs of every kind (sign, quiet/signalling, payload), 5 a number.
  const uint32_t f32_nans[] = {0xffc00000u, 0x7f800001u, 0xffa5a5a5u, 0x7fc00001u, 0xffffffffu};
  const uint16_t h_nans[] = {0xfe00u, 0x7c01u, 0xfd55u, 0x7e01u, 0xffffu};
  const uint16_t b_nans[] = {0xffc0u, 0x7f81u, 0xffa5u, 0x7fc1u, 0xffffu};
  std::vector<uint8_t> hb(C * dsize(bdt()));
  for (int64_t c = 0; c < C; ++c) {
    if (bdt() == 0) {
      const float one = 1.0f;
      memcpy(&hb[c * 4], c < 5 ? (const void *)&f32_nans[c] : (const void *)&one, 4);
    } else {
      const uint16_t one = bdt() == 1 ? 0x3c00u : 0x3f80u;
      const uint16_t v = c < 5 ? (bdt() == 1 ? h_nans[c] : b_nans[c]) : one;
      memcpy(&hb[c * 2], &v, 2);
    }
  }
  void *b = env.upload(hb.data(), hb.size());
  double t = 0.0;
  ASSERT_EQ(cubias_center_from_preact(env.h, s, &t, b, (cubias_dtype_t)bdt()), 0)
      << cubias_get_last_error(env.h);
  std::vector<uint8_t> got = env.bytes(b, hb.size());
  for (int64_t c = 0; c < 5; ++c) {
    if (bdt() == 0) {
      uint32_t u;
      memcpy(&u, &got[c * 4], 4);
      EXPECT_EQ(u, 0x7fffffffu) << "channel " << c << std::hex << ": bits " << u;
    } else {
      uint16_t u;
      memcpy(&u, &got[c * 2], 2);
      EXPECT_EQ(u, 0x7fffu) << "channel " << c << std::hex << ": bits " << u;
    }
  }
  EXPECT_FALSE(std::isnan(decode_all(got, bdt())[5]));
  cubias_stats_destroy(s);
}

// ---- data-dependent normalisation ----------------------------------------

TEST_P(DeriveFromStats, NormalizeFromPreact) {
  MAKE_ENV(env);
  std::mt19937_64 g(3);
  const int64_t N = 512, in = 8, out = 6;
  const double s_target = 1.5, t_target = 0.25;
  std::vector<double> mu(in, 0.3), sd(in, 2.0);
  std::vector<float> x = normal_data(g, N, in, 1, mu, sd);
  for (int wdt = 0; wdt < 3; ++wdt)
    for (int col = 0; col < 2; ++col) {
      Weight W = make_weight(g, out, in, wdt, col, col);
      // row 2 all zero: constant pre-activation, sigma = 0 -> skipped
      for (int64_t i = 0; i < in; ++i) {
        W.dense[2 * in + i] = 0.0;
        int64_t ld = W.w.ld ? W.w.ld : (col ? out : in);
        dref::encode(W.stored.data(), wdt, col ? i * ld + 2 : 2 * ld + i, 0.0);
      }
      std::vector<double> b0(out);
      for (int64_t j = 0; j < out; ++j) b0[j] = dref::round_to(0.5 - 0.25 * j, bdt());
      // z = W x + b0 in double, rounded to float for the statistics
      std::vector<float> z((size_t)(N * out));
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < out; ++j) {
          double a = b0[j];
          for (int64_t i = 0; i < in; ++i) a += W.dense[j * in + i] * x[n * in + i];
          z[n * out + j] = (float)a;
        }
      cubias_stats_t s = env.stats_of(z, N, out, 1);
      ASSERT_NE(s, nullptr);
      auto m = dref::moments(z, N, out, 1);
      W.w.data = env.upload(W.stored.data(), W.stored.size());
      std::vector<uint8_t> hb = encode_all(b0, bdt());
      void *b = env.upload(hb.data(), hb.size());
      int64_t *skipped = (int64_t *)env.alloc(8);
      ASSERT_EQ(cubias_normalize_from_preact(env.h, s, s_target, t_target, &W.w, b,
                                             (cubias_dtype_t)bdt(), skipped),
                0)
          << cubias_get_last_error(env.h);
      EXPECT_EQ(env.fetch<int64_t>(skipped, 1)[0], 1);
      std::vector<double> gb = decode_all(env.bytes(b, hb.size()), bdt());
      std::vector<uint8_t> ws = env.bytes(W.w.data, W.stored.size());
      int64_t ld = W.w.ld ? W.w.ld : (col ? out : in);
      for (int64_t j = 0; j < out; ++j) {
        if (j == 2) {
          EXPECT_EQ(gb[j], b0[j]);  // untouched
          continue;
        }
        double k = s_target / m[j].std;
        expect_close(gb[j], k * (b0[j] - m[j].mean) + t_target, bdt(), 1e-7, "b");
        // new pre-activation on the same x: mean t, std s (up to the rounding of W, b)
        std::vector<double> zn(N);
        for (int64_t i = 0; i < in; ++i) {
          double w = dref::decode(ws.data(), wdt, col ? i * ld + j : j * ld + i);
          expect_close(w, k * W.dense[j * in + i], wdt, 1e-8, "W");
        }
        long double sum = 0, sq = 0;
        for (int64_t n = 0; n < N; ++n) {
          double a = gb[j];
          for (int64_t i = 0; i < in; ++i)
            a += dref::decode(ws.data(), wdt, col ? i * ld + j : j * ld + i) * x[n * in + i];
          zn[n] = a;
          sum += a;
        }
        double mean = (double)(sum / N);
        for (int64_t n = 0; n < N; ++n) sq += (zn[n] - mean) * (zn[n] - mean);
        double sdev = sqrt((double)(sq / N));
        double rel = wdt == 0 && bdt() == 0 ? 1e-5 : (wdt == 2 || bdt() == 2 ? 2e-2 : 3e-3);
        EXPECT_NEAR(mean, t_target, rel * 8) << "mean of normalised z, row " << j;
        EXPECT_NEAR(sdev, s_target, rel * s_target * 2) << "std of normalised z, row " << j;
      }
      // the skipped row of W is untouched
      for (int64_t i = 0; i < in; ++i)
        EXPECT_EQ(dref::decode(ws.data(), wdt, col ? i * ld + 2 : 2 * ld + i), 0.0);
      cubias_stats_destroy(s);
    }
}

// ---- post-activation shift -----------------------------------------------

TEST(DeriveFromStatsGaussian, ClosedFormValues) {
  double m, v, d;
  ASSERT_EQ(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, 0.0, 1.0, &m, &v, &d), 0);
  EXPECT_NEAR(m, 0.398942, 5e-7);
  EXPECT_NEAR(m, 1.0 / sqrt(2 * M_PI), 1e-15);
  EXPECT_NEAR(v, 0.340845, 5e-7);
  EXPECT_NEAR(d, 0.5, 1e-15);
  ASSERT_EQ(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, 0.1, 1.0, &m, &v, &d), 0);
  EXPECT_NEAR(m, 0.450935, 5e-7);
  EXPECT_NEAR(d, 0.460172, 5e-7);
  // sigma/sqrt(2 pi) at mu = 0, any sigma
  ASSERT_EQ(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, 0.0, 3.0, &m, nullptr, nullptr), 0);
  EXPECT_NEAR(m, 3.0 / sqrt(2 * M_PI), 1e-14);
  // against quadrature: ReLU, leaky, identity; several mu, sigma
  const double cases[][3] = {{0, 0.3, 1.7}, {0, -2.0, 0.5}, {0.1, 0.4, 2.0}, {0.01, -0.3, 1.0},
                             {1.0, 1.5, 0.7}, {0.2, 5.0, 1.0}};
  for (auto &cs : cases) {
    cubias_activation_t act = cs[0] == 0 ? CUBIAS_ACT_RELU
                              : cs[0] == 1.0 ? CUBIAS_ACT_IDENTITY
                                             : CUBIAS_ACT_LEAKY_RELU;
    double rm, rv, rd;
    dref::gauss_leaky_quad(cs[0], cs[1], cs[2], &rm, &rv, &rd);
    ASSERT_EQ(cubias_gaussian_act_moments(act, cs[0], cs[1], cs[2], &m, &v, &d), 0);
    EXPECT_NEAR(m, rm, 1e-8 * (1 + fabs(rm))) << cs[0] << " " << cs[1] << " " << cs[2];
    EXPECT_NEAR(v, rv, 1e-8 * (1 + fabs(rv)));
    if (act != CUBIAS_ACT_IDENTITY) EXPECT_NEAR(d, rd, 1e-14);
  }
  // sigma = 0: a point mass
  ASSERT_EQ(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, -1.0, 0.0, &m, &v, &d), 0);
  EXPECT_EQ(m, 0.0);
  EXPECT_EQ(v, 0.0);
  EXPECT_EQ(d, 1.0);
  // bad input
  m = 42;
  // Each refusal checked fresh: its own message, naming the call.
  auto refused = [](cubias_status_t got, cubias_status_t want) {
    EXPECT_EQ(got, want);
    const char *msg = cubias_get_last_error(nullptr);
    EXPECT_EQ(strncmp(msg, "cubias_gaussian_act_moments: ", 29), 0) << msg;
    cubias_clear_last_error(nullptr);
  };
  cubias_clear_last_error(nullptr);
  refused(cubias_gaussian_act_moments(CUBIAS_ACT_TANH, 0, 0, 1, &m, &v, &d),
          CUBIAS_STATUS_NOT_SUPPORTED);
  refused(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, 0, -1, &m, &v, &d),
          CUBIAS_STATUS_INVALID_VALUE);
  refused(cubias_gaussian_act_moments(CUBIAS_ACT_RELU, 0, NAN, 1, &m, &v, &d),
          CUBIAS_STATUS_INVALID_VALUE);
  refused(cubias_gaussian_act_moments(CUBIAS_ACT_LEAKY_RELU, INFINITY, 0, 1, &m, &v, &d),
          CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(m, 42);
}

TEST_P(DeriveFromStats, PostactShiftMeasuredAndGaussian) {
  MAKE_ENV(env);
  std::mt19937_64 g(17);
  const int64_t N = 4096, C = 12, out = 5;
  std::vector<double> mu(C), sd(C);
  for (int64_t c = 0; c < C; ++c) mu[c] = -1.0 + 0.2 * c, sd[c] = 0.5 + 0.1 * c;
  std::vector<float> z = normal_data(g, N, C, 1, mu, sd);
  // channel 3: skewed (exponential), far from Gaussian
  std::exponential_distribution<double> ex(1.0);
  for (int64_t n = 0; n < N; ++n) z[n * C + 3] = (float)(ex(g) - 1.0);
  auto m = dref::moments(z, N, C, 1);
  for (int leaky = 0; leaky < 2; ++leaky) {
    const double a = leaky ? 0.1 : 0.0;
    cubias_stats_t s = env.stats_of(z, N, C, 1, leaky ? CUBIAS_ACT_LEAKY_RELU : CUBIAS_ACT_RELU,
                                    (float)a, 2);
    ASSERT_NE(s, nullptr);
    std::vector<double> meas(C), mvar(C), gm(C), gv(C);
    for (int64_t c = 0; c < C; ++c) {
      std::vector<double> v = dref::channel(z, N, C, 1, c);
      long double s1 = 0, s2 = 0;
      for (double q : v) {
        double y = q > 0 ? q : a * q;
        s1 += y;
        s2 += y * y;
      }
      meas[c] = (double)(s1 / v.size());
      mvar[c] = (double)(s2 / v.size()) - meas[c] * meas[c];
      double dd;
      dref::gauss_leaky_quad(a, m[c].mean, m[c].std, &gm[c], &gv[c], &dd);
    }
    for (int src = 0; src < 2; ++src) {
      Weight W = make_weight(g, out, C, src, src == 1, 0);
      W.w.data = env.upload(W.stored.data(), W.stored.size());
      std::vector<uint8_t> poison(out * dsize(bdt()), 0xFF);
      void *b = env.upload(poison.data(), poison.size());
      double *rep = (double *)env.alloc(4 * C * 8);
      std::vector<double> nanv(4 * C, NAN);
      env.put(rep, nanv.data(), nanv.size() * 8);
      double t = 0.1;
      ASSERT_EQ(cubias_postact_shift(env.h, s, (cubias_postact_source_t)src, &W.w, &t, b,
                                     (cubias_dtype_t)bdt(), rep),
                0)
          << cubias_get_last_error(env.h);
      std::vector<double> want = dref::t_minus_Wv(W.dense, out, C, src ? gm : meas, t);
      std::vector<double> got = decode_all(env.bytes(b, out * dsize(bdt())), bdt());
      for (int64_t j = 0; j < out; ++j) expect_close(got[j], want[j], bdt(), 1e-7, "b_next");
      std::vector<double> r = env.fetch<double>(rep, 4 * C);
      for (int64_t c = 0; c < C; ++c) {
        EXPECT_NEAR(r[c], meas[c] - gm[c], 1e-7) << c;
        EXPECT_NEAR(r[C + c], mvar[c] - gv[c], 1e-7) << c;
        EXPECT_NEAR(r[2 * C + c], gm[c], 1e-7) << c;
        EXPECT_NEAR(r[3 * C + c], gv[c], 1e-7) << c;
      }
      // the skewed channel is the least Gaussian one
      for (int64_t c = 0; c < C; ++c)
        if (c != 3) EXPECT_LT(fabs(r[c]), fabs(r[3])) << c;
      if (src == 0) {
        // next layer's pre-activation W relu(z) + b has mean t (measured mode)
        for (int64_t j = 0; j < out; ++j) {
          long double acc = 0;
          for (int64_t n = 0; n < N; ++n) {
            long double y = got[j];
            for (int64_t c = 0; c < C; ++c) {
              double q = z[n * C + c];
              y += W.dense[j * C + c] * (q > 0 ? q : a * q);
            }
            acc += y;
          }
          expect_close((double)(acc / N), t, bdt(), 1e-7 + dref::ulp(want[j], bdt()), "mean");
        }
      }
    }
    cubias_stats_destroy(s);
  }
}

TEST_P(DeriveFromStats, PostactShiftSmoothMeasuredWithoutReport) {
  MAKE_ENV(env);
  std::mt19937_64 g(23);
  const int64_t N = 256, C = 4, out = 3;
  std::vector<float> z = normal_data(g, N, C, 1, {0.1, -0.2, 0.5, 1.0}, {1, 1, 2, 0.5});
  cubias_stats_t s = env.stats_of(z, N, C, 1, CUBIAS_ACT_TANH);
  ASSERT_NE(s, nullptr);
  Weight W = make_weight(g, out, C, 0, false, 0);
  W.w.data = env.upload(W.stored.data(), W.stored.size());
  void *b = env.alloc(out * dsize(bdt()));
  ASSERT_EQ(cubias_postact_shift(env.h, s, CUBIAS_POSTACT_MEASURED, &W.w, nullptr, b,
                                 (cubias_dtype_t)bdt(), nullptr),
            0);
  std::vector<double> e(C);
  for (int64_t c = 0; c < C; ++c) {
    long double a = 0;
    for (int64_t n = 0; n < N; ++n) a += tanh((double)z[n * C + c]);
    e[c] = (double)(a / N);
  }
  std::vector<double> want = dref::t_minus_Wv(W.dense, out, C, e, 0.0);
  std::vector<double> got = decode_all(env.bytes(b, out * dsize(bdt())), bdt());
  for (int64_t j = 0; j < out; ++j) expect_close(got[j], want[j], bdt(), 1e-6, "b_next tanh");
  cubias_stats_destroy(s);
}

// ---- symmetric shift -----------------------------------------------------

TEST_P(DeriveFromStats, SymmetricShift) {
  MAKE_ENV(env);
  std::mt19937_64 g(29);
  const int64_t N = 600, C = 4;
  std::vector<float> z((size_t)(N * C));
  std::normal_distribution<double> nd(0.0, 1.0);
  std::exponential_distribution<double> ex(1.0);
  for (int64_t n = 0; n < N; n += 2) {
    double a = 1.3 * nd(g);
    z[n * C + 0] = (float)a;  // centred symmetric: +a and -a
    z[(n + 1) * C + 0] = (float)-a;
    for (int k = 0; k < 2; ++k) {
      z[(n + k) * C + 1] = (float)(0.7 + 0.5 * nd(g));
      z[(n + k) * C + 2] = (float)(ex(g) - 0.2);
      z[(n + k) * C + 3] = (float)(-2.0 + 3.0 * nd(g));
    }
  }
  for (int act = 0; act < 2; ++act) {
    cubias_activation_t a = act ? CUBIAS_ACT_SIGMOID : CUBIAS_ACT_TANH;
    cubias_stats_t s = env.stats_of(z, N, C, 1);
    ASSERT_NE(s, nullptr);
    std::vector<double> b0 = {0.5, -0.25, 1.0, 0.0};
    for (double &v : b0) v = dref::round_to(v, bdt());
    std::vector<uint8_t> hb = encode_all(b0, bdt());
    void *b = env.upload(hb.data(), hb.size());
    double *rep = (double *)env.alloc(2 * C * 8);
    // the data in two tensors (two batches)
    const float *dz = (const float *)env.upload(z.data(), z.size() * 4);
    cubias_tensor_t views[2];
    ASSERT_EQ(cubias_tensor_rows(&views[0], dz, CUBIAS_DTYPE_F32, 250, C), 0);
    ASSERT_EQ(cubias_tensor_rows(&views[1], dz + 250 * C, CUBIAS_DTYPE_F32, N - 250, C), 0);
    ASSERT_EQ(cubias_symmetric_shift(env.h, a, s, views, 2, b, (cubias_dtype_t)bdt(), rep), 0)
        << cubias_get_last_error(env.h);
    std::vector<double> r = env.fetch<double>(rep, 2 * C);
    std::vector<double> got = decode_all(env.bytes(b, hb.size()), bdt());
    for (int64_t c = 0; c < C; ++c) {
      std::vector<double> v = dref::channel(z, N, C, 1, c);
      double d, e;
      dref::sym_opt(v, act ? dref::dphi_sigmoid : dref::dphi_tanh, &d, &e);
      EXPECT_NEAR(r[C + c], d, 1e-5) << "delta, channel " << c << " act " << act;
      EXPECT_NEAR(r[c], e, 1e-12) << "E[phi'], channel " << c;
      if (c == 0) EXPECT_NEAR(r[C + c], 0.0, 1e-6) << "centred symmetric data";
      expect_close(got[c], b0[c] + r[C + c], bdt(), 1e-12, "b + delta");
    }
    cubias_stats_destroy(s);
  }
}

// ---- dead-unit revival ---------------------------------------------------

TEST_P(DeriveFromStats, ReviveConstant) {
  MAKE_ENV(env);
  const int64_t N = 64, C = 5;
  std::vector<float> z((size_t)(N * C));
  std::mt19937_64 g(31);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int64_t n = 0; n < N; ++n) {
    z[n * C + 0] = (float)(u(g) - 0.5);  // alive
    z[n * C + 1] = (float)(-0.05 - u(g));  // dead, max near -0.05: revived by 0.1 from b0 = -0.5
    z[n * C + 2] = (float)(-5.0 - u(g));   // dead, stays dead with b0 = 0
    z[n * C + 3] = NAN;                    // no data: not counted
    z[n * C + 4] = (float)(u(g) + 0.1);    // alive
  }
  cubias_stats_t s = env.stats_of(z, N, C, 1, CUBIAS_ACT_RELU);
  ASSERT_NE(s, nullptr);
  std::vector<double> b0 = {0.25, -0.5, 0.0, 0.75, -0.125};
  for (int all = 0; all < 2; ++all) {
    std::vector<uint8_t> hb = encode_all(b0, bdt());
    void *b = env.upload(hb.data(), hb.size());
    int64_t *dead = (int64_t *)env.alloc(16);
    ASSERT_EQ(cubias_revive_constant(env.h, s, CUBIAS_REVIVE_DEFAULT_BIAS, all, b,
                                     (cubias_dtype_t)bdt(), dead),
              0)
        << cubias_get_last_error(env.h);
    std::vector<double> got = decode_all(env.bytes(b, hb.size()), bdt());
    double v = dref::round_to(0.1, bdt());
    for (int64_t c = 0; c < C; ++c) {
      bool was_dead = c == 1 || c == 2;
      EXPECT_EQ(got[c], (all || was_dead) ? v : dref::round_to(b0[c], bdt())) << c;
    }
    std::vector<int64_t> d = env.fetch<int64_t>(dead, 2);
    EXPECT_EQ(d[0], 2);
    // after: channel 2 is still dead; with all = 1 channel 0 (shift -0.15) and 4 (+0.225) stay alive
    EXPECT_EQ(d[1], 1);
  }
  cubias_stats_destroy(s);
}

TEST_P(DeriveFromStats, ReviveQuantileExact) {
  MAKE_ENV(env);
  const int64_t N = 400, C = 6;
  std::vector<float> z((size_t)(N * C));
  std::mt19937_64 g(37);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (int64_t n = 0; n < N; ++n) {
    z[n * C + 0] = (float)(nd(g) - 3.0);                 // mostly negative
    z[n * C + 1] = (float)(-1.0 - fabs(nd(g)));         // dead
    z[n * C + 2] = (float)((n % 7) * 0.25 - 1.0);        // many ties
    z[n * C + 3] = n % 2 ? -0.0f : (float)(-1e-30 * (n % 5));  // zeros, -0, tiny negatives
    z[n * C + 4] = (float)(nd(g) + 2.0);                 // already active: no shift
    z[n * C + 5] = n % 3 ? (float)(nd(g) - 1.0) : NAN;   // non-finite entries skipped
  }
  const double margin = 1.0 / 64;
  for (double p : {0.25, 0.5, 1.0}) {
    for (int bf = 0; bf < 2; ++bf) {  // data as f32, or as bf16 (values rounded first)
      std::vector<float> zz = z;
      if (bf)
        for (float &f : zz) f = std::isfinite(f) ? (float)dref::round_to(f, 2) : f;
      cubias_stats_t s = env.stats_of(zz, N, C, 1, CUBIAS_ACT_RELU);
      ASSERT_NE(s, nullptr);
      std::vector<double> b0 = {0.5, -0.25, 0.0, 0.125, 1.0, -1.0};
      std::vector<uint8_t> hb = encode_all(b0, bdt());
      void *b = env.upload(hb.data(), hb.size());
      int64_t *dead = (int64_t *)env.alloc(16);
      cubias_tensor_t views[2];
      if (bf) {
        std::vector<uint16_t> h16(zz.size());
        for (size_t i = 0; i < zz.size(); ++i) dref::encode(h16.data(), 2, (int64_t)i, zz[i]);
        const uint16_t *d16 = (const uint16_t *)env.upload(h16.data(), h16.size() * 2);
        ASSERT_EQ(cubias_tensor_rows(&views[0], d16, CUBIAS_DTYPE_BF16, 150, C), 0);
        ASSERT_EQ(cubias_tensor_rows(&views[1], d16 + 150 * C, CUBIAS_DTYPE_BF16, N - 150, C), 0);
      } else {
        const float *d32 = (const float *)env.upload(zz.data(), zz.size() * 4);
        ASSERT_EQ(cubias_tensor_rows(&views[0], d32, CUBIAS_DTYPE_F32, 150, C), 0);
        ASSERT_EQ(cubias_tensor_rows(&views[1], d32 + 150 * C, CUBIAS_DTYPE_F32, N - 150, C), 0);
      }
      ASSERT_EQ(cubias_revive_quantile(env.h, s, views, 2, p, margin, b, (cubias_dtype_t)bdt(),
                                       dead),
                0)
          << cubias_get_last_error(env.h);
      std::vector<double> got = decode_all(env.bytes(b, hb.size()), bdt());
      int64_t dead_before = 0;
      for (int64_t c = 0; c < C; ++c) {
        std::vector<double> v = dref::channel(zz, N, C, 1, c);
        long double pk = (long double)p * v.size();
        int64_t k = (int64_t)ceill(pk);
        double q = dref::kth_largest(v, k);
        double delta = q > 0 ? 0.0 : margin - q;
        double b0r = dref::round_to(b0[c], bdt());
        bool dead_c = *std::max_element(v.begin(), v.end()) <= 0;
        dead_before += dead_c;
        if (delta == 0.0) {
          EXPECT_EQ(got[c], b0r) << "channel " << c << " p " << p;
        } else {
          EXPECT_GE(got[c], b0r + delta) << "rounded up, channel " << c;
          EXPECT_LE(got[c], b0r + delta + dref::ulp(b0r + delta, bdt()) * 1.0001) << c;
        }
        int64_t active = 0;
        for (double a : v) active += a + (got[c] - b0r) > 0;
        EXPECT_GE((double)active, p * v.size() - 1e-9) << "active fraction, channel " << c;
      }
      std::vector<int64_t> d = env.fetch<int64_t>(dead, 2);
      EXPECT_EQ(d[0], dead_before);
      EXPECT_EQ(d[1], 0);
      cubias_stats_destroy(s);
    }
  }
}

// ---- bad input: every entry point, a clear status, nothing written ----------------

// One backend's stats objects, W and buffers poisoned before every bad call:
// each case checks its status, that the message names its call, and that the
// bias, the counts, the report and W keep every byte.
class DeriveBadInput : public DeriveFromStats {
 protected:
  DeriveBadInput() : env(be()), other(be()) {}
  void SetUp() override {
    DeriveFromStats::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(env.init()) << cubias_get_last_error(nullptr);
    ASSERT_TRUE(other.init());
    std::mt19937_64 g(41);
    std::vector<float> z = normal_data(g, N, C, 1, {0, 1, 2, 3}, {1, 1, 1, 1});
    s = env.stats_of(z, N, C, 1, CUBIAS_ACT_RELU);
    s_tanh = env.stats_of(z, N, C, 1, CUBIAS_ACT_TANH);
    s_other = other.stats_of(z, N, C, 1, CUBIAS_ACT_RELU);
    ASSERT_TRUE(s && s_tanh && s_other);
    bd = (cubias_dtype_t)bdt();
    b = env.upload(poison.data(), poison.size());
    W = make_weight(g, 3, C, 0, false, 0);  // [3, C]: W x for x_stats
    wbytes = W.stored;
    W.w.data = env.upload(W.stored.data(), W.stored.size());
    Wn = make_weight(g, C, C, 0, false, 0);  // [C, C] for normalisation
    Wn.w.data = env.upload(Wn.stored.data(), Wn.stored.size());
    const float *dz = (const float *)env.upload(z.data(), z.size() * 4);
    ASSERT_EQ(cubias_tensor_rows(&v, dz, CUBIAS_DTYPE_F32, N, C), 0);
    ASSERT_EQ(cubias_tensor_rows(&vbad, dz, CUBIAS_DTYPE_F32, N / 2, C / 2), 0);
    cnt = (int64_t *)env.alloc(16);
    env.put(cnt, cpoison.data(), 16);
    rep = (double *)env.alloc(4 * C * 8);
    env.put(rep, rpoison.data(), rpoison.size());
    cubias_clear_last_error(env.h);  // each case is checked on a fresh message (cleared below)
  }
  void TearDown() override {
    for (cubias_stats_t x : {s, s_tanh, s_other})
      if (x) cubias_stats_destroy(x);
  }
  template <class F>
  cubias_weight_t bad_w(F mutate) {
    cubias_weight_t w = W.w;
    mutate(w);
    return w;
  }
  void expect(cubias_status_t got, cubias_status_t want, const char *what) {
    // The call each case makes, by the first word of its name.
    static const std::pair<const char *, const char *> calls[] = {
        {"center_in", "cubias_center_from_input"}, {"center_pre", "cubias_center_from_preact"},
        {"norm", "cubias_normalize_from_preact"},  {"postact", "cubias_postact_shift"},
        {"sym", "cubias_symmetric_shift"},         {"const", "cubias_revive_constant"},
        {"quant", "cubias_revive_quantile"}};
    ++checked;
    EXPECT_EQ(got, want) << what << ": " << cubias_get_last_error(env.h);
    const std::string w = what, msg = cubias_get_last_error(nullptr);
    const char *call = nullptr;
    for (const auto &c : calls)
      if (w.substr(0, w.find(' ')) == c.first) call = c.second;
    if (!call) ADD_FAILURE() << what << ": which call?";
    else EXPECT_EQ(msg.rfind(std::string(call) + ": ", 0), 0u) << what << ": " << msg;
    cubias_clear_last_error(env.h);
    EXPECT_EQ(env.bytes(b, poison.size()), poison) << what << " wrote the bias";
    EXPECT_EQ(env.bytes(cnt, 16), cpoison) << what << " wrote the counts";
    EXPECT_EQ(env.bytes(rep, rpoison.size()), rpoison) << what << " wrote the report";
    EXPECT_EQ(env.bytes(W.w.data, wbytes.size()), wbytes) << what << " wrote W";
  }

  static constexpr int64_t N = 32, C = 4;
  static constexpr cubias_status_t INV = CUBIAS_STATUS_INVALID_VALUE,
                                   SHP = CUBIAS_STATUS_SHAPE_MISMATCH;
  Env env, other;
  cubias_stats_t s = nullptr, s_tanh = nullptr, s_other = nullptr;
  cubias_dtype_t bd = CUBIAS_DTYPE_F32;
  std::vector<uint8_t> poison = std::vector<uint8_t>(C * 4, 0xFF);
  std::vector<uint8_t> cpoison = std::vector<uint8_t>(16, 0xEE);
  std::vector<uint8_t> rpoison = std::vector<uint8_t>(4 * C * 8, 0xEE);
  void *b = nullptr;
  Weight W, Wn;
  std::vector<uint8_t> wbytes;
  cubias_tensor_t v, vbad;
  double nan_t = NAN;
  int64_t *cnt = nullptr;
  double *rep = nullptr;
  int checked = 0;  // cases run; each test says how many it has
};

TEST_P(DeriveBadInput, CenterFromInputWritesNothing) {
  expect(cubias_center_from_input(nullptr, s, &W.w, nullptr, b, bd), INV, "center_in NULL handle");
  expect(cubias_center_from_input(env.h, nullptr, &W.w, nullptr, b, bd), INV, "center_in NULL stats");
  expect(cubias_center_from_input(env.h, s_other, &W.w, nullptr, b, bd),
         CUBIAS_STATUS_HANDLE_MISMATCH, "center_in foreign stats");
  expect(cubias_center_from_input(env.h, s, nullptr, nullptr, b, bd), INV, "center_in NULL W");
  cubias_weight_t w1 = bad_w([](cubias_weight_t &w) { w.in = 5; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), SHP, "center_in W.in");
  w1 = bad_w([](cubias_weight_t &w) { w.ld = 2; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), INV, "center_in ld");
  w1 = bad_w([](cubias_weight_t &w) { w.layout = (cubias_weight_layout_t)7; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), INV, "center_in layout");
  w1 = bad_w([](cubias_weight_t &w) { w.dtype = (cubias_dtype_t)9; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), INV, "center_in W dtype");
  w1 = bad_w([](cubias_weight_t &w) { w.out = 0; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), INV, "center_in out 0");
  w1 = bad_w([](cubias_weight_t &w) { w.data = nullptr; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), INV, "center_in W data NULL");
  w1 = bad_w([](cubias_weight_t &w) { w.ld = INT64_MAX / 2; });
  expect(cubias_center_from_input(env.h, s, &w1, nullptr, b, bd), CUBIAS_STATUS_OVERFLOW,
         "center_in ld overflow");
  expect(cubias_center_from_input(env.h, s, &W.w, &nan_t, b, bd), INV, "center_in NaN t");
  expect(cubias_center_from_input(env.h, s, &W.w, nullptr, nullptr, bd), INV, "center_in NULL b");
  expect(cubias_center_from_input(env.h, s, &W.w, nullptr, b, (cubias_dtype_t)3), INV,
         "center_in bias dtype");
  EXPECT_EQ(checked, 14);
}

TEST_P(DeriveBadInput, CenterFromPreactWritesNothing) {
  expect(cubias_center_from_preact(nullptr, s, nullptr, b, bd), INV, "center_pre NULL handle");
  expect(cubias_center_from_preact(env.h, nullptr, nullptr, b, bd), INV, "center_pre NULL stats");
  expect(cubias_center_from_preact(env.h, s, &nan_t, b, bd), INV, "center_pre NaN t");
  expect(cubias_center_from_preact(env.h, s, nullptr, nullptr, bd), INV, "center_pre NULL b");
  expect(cubias_center_from_preact(env.h, s, nullptr, b, (cubias_dtype_t)-1), INV, "center_pre dtype");
  EXPECT_EQ(checked, 5);
}

TEST_P(DeriveBadInput, NormalizeFromPreactWritesNothing) {
  expect(cubias_normalize_from_preact(nullptr, s, 1, 0, &Wn.w, b, bd, cnt), INV, "norm NULL handle");
  expect(cubias_normalize_from_preact(env.h, s, 0.0, 0, &Wn.w, b, bd, cnt), INV, "norm s = 0");
  expect(cubias_normalize_from_preact(env.h, s, INFINITY, 0, &Wn.w, b, bd, cnt), INV, "norm s inf");
  expect(cubias_normalize_from_preact(env.h, s, 1, NAN, &Wn.w, b, bd, cnt), INV, "norm t NaN");
  expect(cubias_normalize_from_preact(env.h, s, 1, 0, &W.w, b, bd, cnt), SHP, "norm W.out");
  expect(cubias_normalize_from_preact(env.h, s, 1, 0, nullptr, b, bd, cnt), INV, "norm NULL W");
  expect(cubias_normalize_from_preact(env.h, s, 1, 0, &Wn.w, b, (cubias_dtype_t)5, cnt), INV,
         "norm bias dtype");
  EXPECT_EQ(checked, 7);
}

TEST_P(DeriveBadInput, PostactShiftWritesNothing) {
  expect(cubias_postact_shift(nullptr, s, CUBIAS_POSTACT_MEASURED, &W.w, nullptr, b, bd, rep), INV,
         "postact NULL handle");
  expect(cubias_postact_shift(env.h, s, (cubias_postact_source_t)4, &W.w, nullptr, b, bd, rep), INV,
         "postact source");
  expect(cubias_postact_shift(env.h, s_tanh, CUBIAS_POSTACT_GAUSSIAN, &W.w, nullptr, b, bd, nullptr),
         CUBIAS_STATUS_NOT_SUPPORTED, "postact Gaussian tanh");
  expect(cubias_postact_shift(env.h, s_tanh, CUBIAS_POSTACT_MEASURED, &W.w, nullptr, b, bd, rep),
         CUBIAS_STATUS_NOT_SUPPORTED, "postact tanh report");
  cubias_weight_t w1 = bad_w([](cubias_weight_t &w) { w.in = 3; });
  expect(cubias_postact_shift(env.h, s, CUBIAS_POSTACT_MEASURED, &w1, nullptr, b, bd, rep), SHP,
         "postact W.in");
  expect(cubias_postact_shift(env.h, s, CUBIAS_POSTACT_GAUSSIAN, &W.w, &nan_t, b, bd, rep), INV,
         "postact NaN t");
  expect(cubias_postact_shift(env.h, s, CUBIAS_POSTACT_GAUSSIAN, &W.w, nullptr, nullptr, bd, rep),
         INV, "postact NULL b");
  EXPECT_EQ(checked, 7);
}

TEST_P(DeriveBadInput, SymmetricShiftWritesNothing) {
  expect(cubias_symmetric_shift(nullptr, CUBIAS_ACT_TANH, s, &v, 1, b, bd, rep), INV, "sym NULL handle");
  expect(cubias_symmetric_shift(env.h, CUBIAS_ACT_RELU, s, &v, 1, b, bd, rep), INV, "sym ReLU");
  expect(cubias_symmetric_shift(env.h, CUBIAS_ACT_TANH, s, nullptr, 1, b, bd, rep), INV, "sym NULL z");
  expect(cubias_symmetric_shift(env.h, CUBIAS_ACT_TANH, s, &v, 0, b, bd, rep), INV, "sym 0 tensors");
  expect(cubias_symmetric_shift(env.h, CUBIAS_ACT_TANH, s, &vbad, 1, b, bd, rep), SHP, "sym channels");
  expect(cubias_symmetric_shift(env.h, CUBIAS_ACT_TANH, s, &v, 1, nullptr, bd, rep), INV, "sym NULL b");
  EXPECT_EQ(checked, 6);
}

TEST_P(DeriveBadInput, ReviveConstantWritesNothing) {
  expect(cubias_revive_constant(nullptr, s, 0.1, 0, b, bd, cnt), INV, "const NULL handle");
  expect(cubias_revive_constant(env.h, nullptr, 0.1, 1, b, bd, cnt), INV, "const NULL stats");
  expect(cubias_revive_constant(env.h, s, 0.0, 0, b, bd, cnt), INV, "const value 0");
  expect(cubias_revive_constant(env.h, s, -0.1, 0, b, bd, cnt), INV, "const value < 0");
  expect(cubias_revive_constant(env.h, s, NAN, 0, b, bd, cnt), INV, "const value NaN");
  expect(cubias_revive_constant(env.h, s, 0.1, 0, nullptr, bd, cnt), INV, "const NULL b");
  EXPECT_EQ(checked, 6);
}

TEST_P(DeriveBadInput, ReviveQuantileWritesNothing) {
  expect(cubias_revive_quantile(nullptr, s, &v, 1, 0.5, 0.01, b, bd, cnt), INV, "quant NULL handle");
  expect(cubias_revive_quantile(env.h, s, &v, 1, 0.0, 0.01, b, bd, cnt), INV, "quant p 0");
  expect(cubias_revive_quantile(env.h, s, &v, 1, 1.5, 0.01, b, bd, cnt), INV, "quant p > 1");
  expect(cubias_revive_quantile(env.h, s, &v, 1, NAN, 0.01, b, bd, cnt), INV, "quant p NaN");
  expect(cubias_revive_quantile(env.h, s, &v, 1, 0.5, 0.0, b, bd, cnt), INV, "quant margin 0");
  expect(cubias_revive_quantile(env.h, s, &vbad, 1, 0.5, 0.01, b, bd, cnt), SHP, "quant channels");
  expect(cubias_revive_quantile(env.h, s, &v, -1, 0.5, 0.01, b, bd, cnt), INV, "quant n < 0");
  expect(cubias_revive_quantile(env.h, s, &v, 1, 0.5, 0.01, b, (cubias_dtype_t)4, cnt), INV,
         "quant dtype");
  EXPECT_EQ(checked, 8);
}

#ifdef CUBIAS_HAVE_CUDA
// CUDA only: host memory handed to the CUDA backend is refused, nothing written.
TEST(DeriveFromStatsGpu, HostPointerRefused) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  Env env(CUBIAS_BACKEND_CUDA);
  ASSERT_TRUE(env.init());
  std::vector<float> z(64 * 2, 1.0f);
  cubias_stats_t s = env.stats_of(z, 64, 2, 1);
  ASSERT_NE(s, nullptr);
  float hb[2] = {3.0f, 4.0f};
  EXPECT_EQ(cubias_center_from_preact(env.h, s, nullptr, hb, CUBIAS_DTYPE_F32),
            CUBIAS_STATUS_WRONG_MEMORY);
  EXPECT_EQ(hb[0], 3.0f);
  cubias_stats_destroy(s);
}
#endif

std::string name_of(const ::testing::TestParamInfo<DeriveFromStats::ParamType> &i) {
  const char *dt[3] = {"f32", "f16", "bf16"};
  const char *cuda = "Cuda_";
#ifdef CUBIAS_EMU
  // Planted defect 12 (tests/emu/README.md): the CUDA instances misnamed "gpu_*", which
  // the registry of GPU twins (tests/emu/gpu_twins.txt) does not select.
  const char *plant = getenv("CUBIAS_EMU_PLANT");
  if (plant && !strcmp(plant, "12")) cuda = "gpu_";
#endif
  return std::string(std::get<0>(i.param) == CUBIAS_BACKEND_CUDA ? cuda : "Cpu_") +
         dt[std::get<1>(i.param)];
}

INSTANTIATE_TEST_SUITE_P(Backends, DeriveFromStats,
                         ::testing::Combine(::testing::Values(CUBIAS_BACKEND_CPU, CUBIAS_BACKEND_CUDA),
                                            ::testing::Values(0, 1, 2)),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Backends, DeriveBadInput,
                         ::testing::Combine(::testing::Values(CUBIAS_BACKEND_CPU, CUBIAS_BACKEND_CUDA),
                                            ::testing::Values(0, 1, 2)),
                         name_of);

}  // namespace
