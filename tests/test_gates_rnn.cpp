// Recurrent gates: recurrent gate biases in the PyTorch, Keras and cuDNN layouts, the
// constant, retention and chrono schemes, and the report.
#include <memory>
#include <random>

#include "test_prior_support.h"
#include "util.h"
#include "../kernels/philox.h"  // the Philox under test, for its known answers

// Random123's kat_vectors, the three philox4x32 10 lines (ctr[4] key[2] -> out[4]).
static const uint32_t kKat[3][10] = {
    {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
     0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
     0x94fdcceb, 0x5001e420, 0x24126ea1}};

TEST(GatesPhilox, KnownAnswersLibraryAndReference) {
  for (auto &v : kKat) {
    uint32_t out[4], ref[4];
    cubias_philox4x32_10(v, v + 4, out);
    ref_philox(v, v + 4, ref);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(out[i], v[6 + i]);
      EXPECT_EQ(ref[i], v[6 + i]);
    }
  }
}

class GatesRnn : public BackendDtypeTest {
 protected:
  // A buffer of n elements filled with a sentinel pattern (finite, distinct).
  std::vector<double> sentinel(int64_t n) {
    std::vector<double> v((size_t)n);
    for (int64_t i = 0; i < n; ++i) v[(size_t)i] = ref_round(dti, 100.0 + (double)(i % 97) * 0.25);
    return v;
  }
  void upload_values(BiasBuf &b, const std::vector<double> &v) {
    std::vector<unsigned char> raw(v.size() * esz());
    for (size_t i = 0; i < v.size(); ++i) {
      double x = v[i];
      if (dti == 0) {
        float f = (float)x;
        memcpy(raw.data() + 4 * i, &f, 4);
      } else {  // exact: every value here is representable in the dtype
        uint16_t u;
        if (dti == 2) {
          float f = (float)x;
          uint32_t w;
          memcpy(&w, &f, 4);
          u = (uint16_t)(w >> 16);
        } else {
          double a = fabs(x);
          int e;
          double f = frexp(a, &e);  // a = f 2^e
          int E = e - 1 + 15;
          u = a == 0 ? 0
              : E >= 1 ? (uint16_t)((E << 10) | (int)llround((2 * f - 1) * 1024))
                       : (uint16_t)llround(ldexp(a, 24));
          if (x < 0) u |= 0x8000;
        }
        EXPECT_EQ(ref_decode(dti, &u, 0), x);
        memcpy(raw.data() + 2 * i, &u, 2);
      }
    }
    b.upload(raw.data(), raw.size());
  }
};

// PyTorch flat layout of the reference: offsets of b_ih of (layer, dir).
static int64_t pt_bias_ih(int64_t G, int64_t in, int64_t H, int64_t L, int dirs, int64_t l, int d,
                          int64_t *total) {
  int64_t off = 0, found = -1;
  for (int64_t ll = 0; ll < L; ++ll)
    for (int dd = 0; dd < dirs; ++dd) {
      int64_t inl = ll == 0 ? in : H * dirs;
      off += G * H * inl + G * H * H;
      if (ll == l && dd == d) found = off;
      off += 2 * G * H;
    }
  *total = off;
  return found;
}

TEST_P(GatesRnn, PytorchLstmConstantEffectiveOne) {
  const int64_t G = 4, in = 5, H = 7, L = 2;
  const int dirs = 2;
  int64_t total;
  pt_bias_ih(G, in, H, L, dirs, 0, 0, &total);
  auto init = sentinel(total);
  BiasBuf buf(be, (size_t)total * esz());
  upload_values(buf, init);
  cubias_gate_config_t cfg;
  ASSERT_EQ(cubias_gate_config_default(&cfg), CUBIAS_STATUS_SUCCESS);
  cubias_gate_report_t rep;
  ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, buf.p, dt, total, in, H, L, 1, &cfg,
                                         &rep),
            CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  auto got = bias_values(buf, dti, total);
  std::vector<double> want = init;
  for (int64_t l = 0; l < L; ++l)
    for (int d = 0; d < dirs; ++d) {
      int64_t t2, bih = pt_bias_ih(G, in, H, L, dirs, l, d, &t2), bhh = bih + G * H;
      for (int64_t j = 0; j < H; ++j) {
        want[(size_t)(bih + H + j)] = 1.0;  // forget gate, b_ih
        want[(size_t)(bhh + H + j)] = 0.0;  // forget gate, b_hh: effective sum 1, not 2
      }
    }
  for (int64_t i = 0; i < total; ++i) ASSERT_EQ(got[(size_t)i], want[(size_t)i]) << "i=" << i;
  EXPECT_EQ(rep.units, L * dirs * H);
  EXPECT_EQ(rep.bias_min, 1.0);
  EXPECT_EQ(rep.bias_max, 1.0);
  EXPECT_NEAR(rep.gate_mean, 0.731059, 5e-7);
  EXPECT_NEAR(rep.retention_mean, 0.043604, 5e-7);
  EXPECT_NEAR(rep.retention_mean, pow(ref_sigmoid(1.0), 10), 1e-12);
}

TEST_P(GatesRnn, PytorchGruRetentionTarget) {
  const int64_t G = 3, in = 4, H = 6, L = 3;
  int64_t total;
  pt_bias_ih(G, in, H, L, 1, 0, 0, &total);
  auto init = sentinel(total);
  BiasBuf buf(be, (size_t)total * esz());
  upload_values(buf, init);
  cubias_gate_config_t cfg;
  cubias_gate_config_default(&cfg);
  cfg.scheme = CUBIAS_GATE_RETENTION;
  cfg.retention = 0.5;
  cfg.steps = 20;
  cfg.zero_other_gates = 1;
  cubias_gate_report_t rep;
  ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_GRU, buf.p, dt, total, in, H, L, 0, &cfg,
                                         &rep),
            CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  const double b = ref_logit(pow(0.5, 1.0 / 20));  // sigma(b)^20 = 0.5
  auto got = bias_values(buf, dti, total);
  std::vector<double> want = init;
  for (int64_t l = 0; l < L; ++l) {
    int64_t t2, bih = pt_bias_ih(G, in, H, L, 1, l, 0, &t2), bhh = bih + G * H;
    for (int64_t e = 0; e < G * H; ++e) want[(size_t)(bih + e)] = want[(size_t)(bhh + e)] = 0.0;
    for (int64_t j = 0; j < H; ++j) want[(size_t)(bih + H + j)] = b;  // z: gate 1 of r,z,n
  }
  for (int64_t i = 0; i < total; ++i)
    ASSERT_NEAR(got[(size_t)i], want[(size_t)i], bias_tol(dti, want[(size_t)i])) << "i=" << i;
  EXPECT_NEAR(rep.bias_mean, b, bias_tol(dti, b));
  // The report describes the stored value: exact for f32 to 1e-6, looser in 16 bits.
  EXPECT_NEAR(rep.retention_mean, 0.5, dti == 0 ? 1e-5 : 0.05);
  EXPECT_NEAR(rep.retention_mean, pow(ref_sigmoid(got[(size_t)(pt_bias_ih(G, in, H, L, 1, 0, 0, &total) + H)]), 20), 1e-12);
}

TEST_P(GatesRnn, ChronoPytorchLstmRangeSignAndSeed) {
  const int64_t G = 4, in = 3, H = 64, L = 2;
  const int dirs = 2;
  int64_t total;
  pt_bias_ih(G, in, H, L, dirs, 0, 0, &total);
  BiasBuf buf(be, (size_t)total * esz());
  upload_values(buf, sentinel(total));
  cubias_gate_config_t cfg;
  cubias_gate_config_default(&cfg);
  cfg.scheme = CUBIAS_GATE_CHRONO;
  cfg.t_max = 784;
  cfg.seed = 0x123456789abcdefull;
  cfg.zero_other_gates = 1;
  cubias_gate_report_t rep;
  ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, buf.p, dt, total, in, H, L, 1, &cfg,
                                         &rep),
            CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  auto got = bias_values(buf, dti, total);
  const double hi = log(783.0);
  EXPECT_NEAR(hi, 6.663133, 5e-7);
  double mn = 1e9, mx = -1e9;
  for (int64_t l = 0; l < L; ++l)
    for (int d = 0; d < dirs; ++d) {
      int64_t t2, bih = pt_bias_ih(G, in, H, L, dirs, l, d, &t2), bhh = bih + G * H;
      for (int64_t j = 0; j < H; ++j) {
        double ref = ref_chrono(cfg.seed, l * dirs + d, j, 784);
        ASSERT_GE(ref, 0.0);
        ASSERT_LT(ref, hi);
        double bf = got[(size_t)(bih + H + j)], bi = got[(size_t)(bih + j)];
        ASSERT_NEAR(bf, ref, bias_tol(dti, ref)) << "l=" << l << " d=" << d << " j=" << j;
        ASSERT_EQ(bi, -bf);                              // b_i = -b_f
        ASSERT_GE(bf, 0.0);
        ASSERT_LE(bf, ref_round(dti, hi));              // [0, ln 783] after rounding
        mn = std::min(mn, bf), mx = std::max(mx, bf);
        for (int g : {2, 3}) ASSERT_EQ(got[(size_t)(bih + g * H + j)], 0.0);
        for (int g = 0; g < 4; ++g) ASSERT_EQ(got[(size_t)(bhh + g * H + j)], 0.0);
      }
    }
  EXPECT_GT(mx - mn, 3.0);  // spread over the range, not a constant
  EXPECT_EQ(rep.bias_min, mn);
  EXPECT_EQ(rep.bias_max, mx);
  EXPECT_EQ(rep.units, L * dirs * H);
  // The same seed again: identical bytes; another seed: different.
  auto first = buf.download();
  ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, buf.p, dt, total, in, H, L, 1, &cfg,
                                         nullptr),
            CUBIAS_STATUS_SUCCESS);
  EXPECT_TRUE(first == buf.download());
  cfg.seed += 1;
  ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, buf.p, dt, total, in, H, L, 1, &cfg,
                                         nullptr),
            CUBIAS_STATUS_SUCCESS);
  EXPECT_FALSE(first == buf.download());
}

TEST_P(GatesRnn, KerasLstmOneVectorGruTwoVectors) {
  const int64_t H = 9;
  {
    BiasBuf b(be, 4 * H * esz());
    auto init = sentinel(4 * H);
    upload_values(b, init);
    cubias_gate_config_t cfg;
    cubias_gate_config_default(&cfg);
    cfg.value = 2.0;
    ASSERT_EQ(cubias_rnn_gate_bias_keras(h, CUBIAS_RNN_LSTM, b.p, dt, H, 1, &cfg, nullptr),
              CUBIAS_STATUS_SUCCESS);
    auto got = bias_values(b, dti, 4 * H);
    for (int64_t e = 0; e < 4 * H; ++e)
      ASSERT_EQ(got[(size_t)e], (e >= H && e < 2 * H) ? 2.0 : init[(size_t)e]) << e;  // i,f,c,o
  }
  {
    BiasBuf b(be, 6 * H * esz());
    auto init = sentinel(6 * H);
    upload_values(b, init);
    cubias_gate_config_t cfg;
    cubias_gate_config_default(&cfg);
    cubias_gate_report_t rep;
    ASSERT_EQ(cubias_rnn_gate_bias_keras(h, CUBIAS_RNN_GRU, b.p, dt, H, 2, &cfg, &rep),
              CUBIAS_STATUS_SUCCESS);
    auto got = bias_values(b, dti, 6 * H);
    for (int64_t e = 0; e < 6 * H; ++e) {
      double want = e < H ? 1.0 : (e >= 3 * H && e < 4 * H) ? 0.0 : init[(size_t)e];  // z,r,h x2
      ASSERT_EQ(got[(size_t)e], want) << e;
    }
    EXPECT_NEAR(rep.gate_mean, 0.731059, 5e-7);
  }
}

TEST_P(GatesRnn, CudnnLinLayerIds) {
  const int64_t H = 33, nld = 2;
  // LSTM, double bias: ids 0..7, each H entries, separate allocations.
  std::vector<std::unique_ptr<BiasBuf>> bufs;
  std::vector<cubias_cudnn_rnn_biases_t> layers(nld);
  auto init = sentinel(H);
  for (int64_t ld = 0; ld < nld; ++ld)
    for (int id = 0; id < 8; ++id) {
      bufs.emplace_back(new BiasBuf(be, H * esz()));
      upload_values(*bufs.back(), init);
      layers[ld].d_lin_bias[id] = bufs.back()->p;
    }
  cubias_gate_config_t cfg;
  cubias_gate_config_default(&cfg);
  cfg.scheme = CUBIAS_GATE_CHRONO;
  cfg.t_max = 50;
  cfg.seed = 9;
  ASSERT_EQ(cubias_rnn_gate_bias_cudnn(h, CUBIAS_RNN_LSTM, layers.data(), nld, H, dt, &cfg,
                                       nullptr),
            CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  for (int64_t ld = 0; ld < nld; ++ld)
    for (int id = 0; id < 8; ++id) {
      auto got = bias_values(*bufs[(size_t)(ld * 8 + id)], dti, H);
      for (int64_t j = 0; j < H; ++j) {
        double ref = ref_chrono(9, ld, j, 50);
        double want = id == 1 ? ref : id == 0 ? -ref : (id == 4 || id == 5) ? 0.0 : init[(size_t)j];
        ASSERT_NEAR(got[(size_t)j], want, bias_tol(dti, want)) << "ld=" << ld << " id=" << id;
      }
    }
  // GRU, single recurrent bias (ids 3..5 only): the update gate is id 4.
  cubias_cudnn_rnn_biases_t gl;
  memset(&gl, 0, sizeof gl);
  BiasBuf r(be, H * esz()), z(be, H * esz()), n(be, H * esz());
  for (BiasBuf *b : {&r, &z, &n}) upload_values(*b, init);
  gl.d_lin_bias[3] = r.p, gl.d_lin_bias[4] = z.p, gl.d_lin_bias[5] = n.p;
  cubias_gate_config_default(&cfg);
  ASSERT_EQ(cubias_rnn_gate_bias_cudnn(h, CUBIAS_RNN_GRU, &gl, 1, H, dt, &cfg, nullptr),
            CUBIAS_STATUS_SUCCESS);
  auto gz = bias_values(z, dti, H), gr = bias_values(r, dti, H);
  for (int64_t j = 0; j < H; ++j) {
    ASSERT_EQ(gz[(size_t)j], 1.0);
    ASSERT_EQ(gr[(size_t)j], init[(size_t)j]);
  }
}

TEST_P(GatesRnn, BadInputRefusedNothingWritten) {
  const int64_t H = 4;
  int64_t total;
  pt_bias_ih(4, 2, H, 1, 1, 0, 0, &total);
  BiasBuf buf(be, (size_t)total * 4);
  cubias_gate_config_t ok, c;
  cubias_gate_config_default(&ok);
  cubias_cudnn_rnn_biases_t cl;
  memset(&cl, 0, sizeof cl);
  cl.d_lin_bias[1] = buf.p;  // forget (input side) only
  cubias_cudnn_rnn_biases_t none;
  memset(&none, 0, sizeof none);
  const auto LSTM = CUBIAS_RNN_LSTM;
  auto with = [&](std::function<void(cubias_gate_config_t &)> f) {
    c = ok;
    f(c);
    return &c;
  };
  struct Case {
    const char *what;
    std::function<cubias_status_t()> call;
  };
  std::vector<Case> cases = {
      {"pt null handle", [&] { return cubias_rnn_gate_bias_pytorch(nullptr, LSTM, buf.p, dt, total, 2, H, 1, 0, &ok, nullptr); }},
      {"pt null params", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, nullptr, dt, total, 2, H, 1, 0, &ok, nullptr); }},
      {"pt total", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total - 1, 2, H, 1, 0, &ok, nullptr); }},
      {"pt cell", [&] { return cubias_rnn_gate_bias_pytorch(h, (cubias_rnn_cell_t)3, buf.p, dt, total, 2, H, 1, 0, &ok, nullptr); }},
      {"pt hidden", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, 0, 1, 0, &ok, nullptr); }},
      {"pt layers", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 0, 0, &ok, nullptr); }},
      {"pt bidir", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 2, &ok, nullptr); }},
      {"pt dtype", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, (cubias_dtype_t)3, total, 2, H, 1, 0, &ok, nullptr); }},
      {"pt null cfg", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, nullptr, nullptr); }},
      {"cfg scheme", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.scheme = (cubias_gate_scheme_t)3; }), nullptr); }},
      {"cfg value inf", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.value = INFINITY; }), nullptr); }},
      {"cfg value over f16", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, CUBIAS_DTYPE_F16, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.value = 1e5; }), nullptr); }},
      {"cfg retention 1", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.scheme = CUBIAS_GATE_RETENTION; x.retention = 1.0; }), nullptr); }},
      {"cfg retention L", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.scheme = CUBIAS_GATE_RETENTION; x.steps = 0.5; }), nullptr); }},
      {"cfg chrono tmax", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.scheme = CUBIAS_GATE_CHRONO; x.t_max = 1.5; }), nullptr); }},
      {"cfg steps nan", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.steps = NAN; }), nullptr); }},
      {"cfg zero flag", [&] { return cubias_rnn_gate_bias_pytorch(h, LSTM, buf.p, dt, total, 2, H, 1, 0, with([](cubias_gate_config_t &x) { x.zero_other_gates = 2; }), nullptr); }},
      {"keras null", [&] { return cubias_rnn_gate_bias_keras(h, LSTM, nullptr, dt, H, 1, &ok, nullptr); }},
      {"keras vectors", [&] { return cubias_rnn_gate_bias_keras(h, LSTM, buf.p, dt, H, 3, &ok, nullptr); }},
      {"keras hidden", [&] { return cubias_rnn_gate_bias_keras(h, LSTM, buf.p, dt, -2, 1, &ok, nullptr); }},
      {"cudnn null layers", [&] { return cubias_rnn_gate_bias_cudnn(h, LSTM, nullptr, 1, H, dt, &ok, nullptr); }},
      {"cudnn count", [&] { return cubias_rnn_gate_bias_cudnn(h, LSTM, &cl, 0, H, dt, &ok, nullptr); }},
      {"cudnn no forget vector", [&] { return cubias_rnn_gate_bias_cudnn(h, LSTM, &none, 1, H, dt, &ok, nullptr); }},
      {"cudnn chrono no input vector", [&] { return cubias_rnn_gate_bias_cudnn(h, LSTM, &cl, 1, H, dt, with([](cubias_gate_config_t &x) { x.scheme = CUBIAS_GATE_CHRONO; x.t_max = 10; }), nullptr); }},
      {"config default null", [&] { return cubias_gate_config_default(nullptr); }},
  };
  auto call_of = [](const std::string &what) {  // the call a case makes, by its name's prefix
    return what.rfind("keras", 0) == 0 ? "cubias_rnn_gate_bias_keras"
           : what.rfind("cudnn", 0) == 0 ? "cubias_rnn_gate_bias_cudnn"
           : what.rfind("config", 0) == 0 ? "cubias_gate_config_default"
                                          : "cubias_rnn_gate_bias_pytorch";
  };
  for (auto &k : cases) {
    buf.poison();
    tu::clear_errors(h);  // each case's message is its own
    EXPECT_NE(k.call(), CUBIAS_STATUS_SUCCESS) << k.what;
    EXPECT_TRUE(buf.all_poison()) << k.what;
    tu::expect_error_from(nullptr, call_of(k.what), k.what);
  }
}

// The same seed gives the same chrono biases, byte for byte, on both backends
// (cuRAND's curand_Philox4x32_10 on the device, kernels/philox.h's on the host).
TEST(GatesChronoParity, SameSeedSameBytesOnCpuAndGpu) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  const int64_t G = 4, in = 8, H = 257, L = 2;
  int64_t total;
  pt_bias_ih(G, in, H, L, 2, 0, 0, &total);
  cubias_gate_config_t cfg;
  cubias_gate_config_default(&cfg);
  cfg.scheme = CUBIAS_GATE_CHRONO;
  cfg.t_max = 784;
  cfg.seed = 42;
  for (int dt = 0; dt < 3; ++dt) {
    std::vector<unsigned char> bytes[2];
    for (int k = 0; k < 2; ++k) {
      cubias_backend_t be = k ? CUBIAS_BACKEND_CUDA : CUBIAS_BACKEND_CPU;
      cubias_handle_t h;
      ASSERT_EQ(cubias_create(&h, be), CUBIAS_STATUS_SUCCESS);
      BiasBuf buf(be, (size_t)total * bias_bytes(dt));
      buf.poison();
      ASSERT_EQ(cubias_rnn_gate_bias_pytorch(h, CUBIAS_RNN_LSTM, buf.p, (cubias_dtype_t)dt, total,
                                             in, H, L, 1, &cfg, nullptr),
                CUBIAS_STATUS_SUCCESS)
          << cubias_get_last_error(h);
      ASSERT_EQ(cubias_synchronize(h), CUBIAS_STATUS_SUCCESS);
      bytes[k] = buf.download();
      cubias_destroy(h);
    }
    EXPECT_TRUE(bytes[0] == bytes[1]) << "dtype " << dt;
  }
}

BACKEND_DTYPE_INSTANTIATE(GatesRnn);
