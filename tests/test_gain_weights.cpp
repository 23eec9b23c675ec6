// Weight statistics fan_in * E[W^2]: all three dtypes, both majors, packed and
// padded leading dimensions (padding poisoned with NaN: never read), several
// chunks, several layers in one call; against the fp64 reference.
#include <cmath>

#include "test_gain_common.h"
#include "ref/gain_ref.h"

namespace {

struct Layer {
  int64_t out, in;
  cubias_weight_layout_t layout;
  int64_t pad;  // ld = line length + pad (pad 0: ld = 0, packed)
};

// Logical W: k/256, k in [-255, 255] \ {0}: exact in f32, f16 and bf16.
std::vector<double> make_w(int64_t out, int64_t in, std::mt19937 &rng) {
  std::uniform_int_distribution<int> k(1, 255), sign(0, 1);
  std::vector<double> w((size_t)(out * in));
  for (auto &v : w) v = (sign(rng) ? -1 : 1) * k(rng) / 256.0;
  return w;
}

// Bytes of W stored in dtype / layout / ld, the padding filled with NaN.
std::vector<uint8_t> store(const std::vector<double> &w, const Layer &L, cubias_dtype_t dt,
                           int64_t *ld_out) {
  const bool row = L.layout == CUBIAS_WEIGHT_ROW_MAJOR;
  const int64_t lines = row ? L.out : L.in, len = row ? L.in : L.out;
  const int64_t ld = len + L.pad;
  *ld_out = L.pad ? ld : 0;
  const size_t es = dt == CUBIAS_DTYPE_F32 ? 4 : 2;
  std::vector<uint8_t> bytes((size_t)(lines * ld) * es);
  auto put = [&](int64_t idx, double v) {
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, 4);
    if (dt == CUBIAS_DTYPE_F32) {
      memcpy(&bytes[idx * 4], &f, 4);
    } else {
      uint16_t b = dt == CUBIAS_DTYPE_BF16 ? (uint16_t)(u >> 16)
                   : v != v                ? (uint16_t)0x7e00
                                           : gain_ref::f16_bits_exact(v);
      memcpy(&bytes[idx * 2], &b, 2);
    }
  };
  for (int64_t k = 0; k < lines * ld; ++k) put(k, NAN);
  for (int64_t o = 0; o < L.out; ++o)
    for (int64_t i = 0; i < L.in; ++i)
      put(row ? o * ld + i : i * ld + o, w[(size_t)(o * L.in + i)]);
  return bytes;
}

class GainWeights : public GainBackend {
 protected:
  // Runs cubias_weight_gain over `layers` in dtype dt; returns the outputs.
  std::vector<double> run(const std::vector<Layer> &layers, cubias_dtype_t dt,
                          std::vector<double> *ref, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::unique_ptr<GainBuf>> bufs;
    std::vector<cubias_weight_t> views;
    ref->clear();
    for (const Layer &L : layers) {
      std::vector<double> w = make_w(L.out, L.in, rng);
      ref->push_back(gain_ref::weight_gain(w, L.out, L.in));
      int64_t ld;
      std::vector<uint8_t> bytes = store(w, L, dt, &ld);
      bufs.emplace_back(new GainBuf(cuda, bytes.data(), bytes.size()));
      cubias_weight_t v;
      EXPECT_EQ(cubias_weight_make(&v, bufs.back()->p, dt, L.out, L.in, L.layout, ld),
                CUBIAS_STATUS_SUCCESS)
          << cubias_get_last_error(nullptr);
      views.push_back(v);
    }
    const int n = (int)layers.size();
    std::vector<double> poison((size_t)n, NAN), got((size_t)n);
    GainBuf out(cuda, poison.data(), n * sizeof(double));
    EXPECT_EQ(cubias_weight_gain(h, n, views.data(), (double *)out.p), CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    EXPECT_EQ(cubias_synchronize(h), CUBIAS_STATUS_SUCCESS);
    out.download(got.data(), n * sizeof(double));
    return got;
  }
};

const std::vector<Layer> kShapes(cubias_weight_layout_t lay, int64_t pad) {
  // 1 chunk; odd sizes; 150000 entries = 37 chunks of 4096; 1 x 1.
  return {{37, 53, lay, pad}, {300, 500, lay, pad}, {1, 1, lay, pad}, {64, 4097, lay, pad}};
}

TEST_P(GainWeights, AllDtypesBothMajorsMatchReference) {
  const cubias_dtype_t dts[] = {CUBIAS_DTYPE_F32, CUBIAS_DTYPE_F16, CUBIAS_DTYPE_BF16};
  const cubias_weight_layout_t lays[] = {CUBIAS_WEIGHT_ROW_MAJOR, CUBIAS_WEIGHT_COL_MAJOR};
  uint32_t seed = 11;
  for (cubias_dtype_t dt : dts)
    for (cubias_weight_layout_t lay : lays)
      for (int64_t pad : {0, 7}) {
        std::vector<double> ref;
        std::vector<double> got = run(kShapes(lay, pad), dt, &ref, seed++);
        for (size_t l = 0; l < got.size(); ++l) {
          // Squares of k/256 are exact in float; float runs of 16 sums round
          // at ~6e-8 relative each, folded in fp64.
          EXPECT_NEAR(got[l], ref[l], 1e-6 * fabs(ref[l]))
              << "dtype " << dt << " layout " << lay << " pad " << pad << " layer " << l;
        }
      }
}

TEST_P(GainWeights, DeterministicAndLayoutInvariant) {
  // The same W in both majors gives fan_in*E[W^2] to rounding; the same call twice
  // gives the same bits.
  std::vector<double> r1, r2, r3;
  std::vector<double> a = run(kShapes(CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_DTYPE_F32, &r1, 5);
  std::vector<double> b = run(kShapes(CUBIAS_WEIGHT_ROW_MAJOR, 0), CUBIAS_DTYPE_F32, &r2, 5);
  std::vector<double> c = run(kShapes(CUBIAS_WEIGHT_COL_MAJOR, 3), CUBIAS_DTYPE_F32, &r3, 5);
  for (size_t l = 0; l < a.size(); ++l) {
    EXPECT_EQ(memcmp(&a[l], &b[l], sizeof(double)), 0) << l;
    EXPECT_NEAR(a[l], c[l], 1e-6 * fabs(r1[l])) << l;
  }
}

TEST_P(GainWeights, HeInitialisedIsTwo) {
  // +-1/8 with fan_in = 128: fan_in * E[W^2] = 128 / 64 = 2 exactly.
  const int64_t out = 96, in = 128;
  std::vector<float> w((size_t)(out * in));
  std::mt19937 rng(3);
  for (auto &v : w) v = (rng() & 1) ? 0.125f : -0.125f;
  GainBuf d(cuda, w.data(), w.size() * 4);
  cubias_weight_t v;
  ASSERT_EQ(cubias_weight_make(&v, d.p, CUBIAS_DTYPE_F32, out, in, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
  double poison = NAN, got;
  GainBuf o(cuda, &poison, sizeof poison);
  ASSERT_EQ(cubias_weight_gain(h, 1, &v, (double *)o.p), CUBIAS_STATUS_SUCCESS);
  o.download(&got, sizeof got);
  EXPECT_EQ(got, 2.0);
}

TEST_P(GainWeights, MagnitudesFloatCannotSquare) {
  // Squares beyond FLT_MAX (|w| ~ 1e21, up to FLT_MAX itself) or below FLT_MIN (|w| ~ 1e-24,
  // subnormal weights) are redone in double: the gain is right to fp64 rounding, not +Inf
  // or 0. Mixed: ordinary weights with one huge entry in every 997. Zero weights give 0.
  const int64_t out = 40, in = 1000;  // 10 chunks: several runs a lane
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> k(1, 255), sign(0, 1);
  const double scales[] = {std::ldexp(1.0, 70), 1.3e38 / 256, std::ldexp(1.0, -80), 1e-40, 1.0, 0.0};
  for (double scale : scales)
    for (int mixed : {0, 1}) {
      if (mixed && scale != 1.0) continue;
      std::vector<float> w((size_t)(out * in));
      std::vector<double> wd(w.size());
      for (size_t i = 0; i < w.size(); ++i) {
        double v = (sign(rng) ? -1 : 1) * k(rng) / 256.0 * scale;
        if (mixed && i % 997 == 5) v *= 3e25;
        w[i] = (float)v;
        wd[i] = (double)w[i];  // the stored value (1e-40 is subnormal in float)
      }
      const double ref = gain_ref::weight_gain(wd, out, in);
      GainBuf d(cuda, w.data(), w.size() * 4);
      cubias_weight_t v;
      ASSERT_EQ(cubias_weight_make(&v, d.p, CUBIAS_DTYPE_F32, out, in, CUBIAS_WEIGHT_ROW_MAJOR, 0), 0);
      double poison = NAN, got;
      GainBuf o(cuda, &poison, sizeof poison);
      ASSERT_EQ(cubias_weight_gain(h, 1, &v, (double *)o.p), CUBIAS_STATUS_SUCCESS)
          << cubias_get_last_error(h);
      o.download(&got, sizeof got);
      if (scale == 0.0) {
        EXPECT_EQ(got, 0.0);
      } else {
        ASSERT_TRUE(std::isfinite(ref) && ref > 0.0) << scale;
        EXPECT_NEAR(got, ref, 1e-6 * ref) << "scale " << scale << " mixed " << mixed;
      }
    }
}

#ifdef CUBIAS_HAVE_CUDA
// The GPU gives the CPU backend's bits (same plan, lanes and trees).
TEST(GainWeightsParity, CudaEqualsCpuBitForBit) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t hc, hg;
  ASSERT_EQ(cubias_create(&hc, CUBIAS_BACKEND_CPU), 0);
  ASSERT_EQ(cubias_create(&hg, CUBIAS_BACKEND_CUDA), 0);
  std::mt19937 rng(9);
  for (cubias_dtype_t dt : {CUBIAS_DTYPE_F32, CUBIAS_DTYPE_F16, CUBIAS_DTYPE_BF16}) {
    Layer L{700, 900, CUBIAS_WEIGHT_COL_MAJOR, 5};
    std::normal_distribution<double> nd(0, 0.05);
    std::vector<double> w((size_t)(L.out * L.in));
    for (auto &x : w) x = nd(rng);
    // Random (not exactly representable) values: quantise through f32/bf16 only.
    if (dt == CUBIAS_DTYPE_F16)
      for (auto &x : w) x = round(x * 4096) / 4096;
    int64_t ld;
    std::vector<uint8_t> bytes = store(w, L, dt, &ld);
    GainBuf dc(false, bytes.data(), bytes.size()), dg(true, bytes.data(), bytes.size());
    cubias_weight_t vc, vg;
    ASSERT_EQ(cubias_weight_make(&vc, dc.p, dt, L.out, L.in, L.layout, ld), 0);
    ASSERT_EQ(cubias_weight_make(&vg, dg.p, dt, L.out, L.in, L.layout, ld), 0);
    double rc = NAN, rg = NAN;
    GainBuf og(true, &rg, sizeof rg);
    ASSERT_EQ(cubias_weight_gain(hc, 1, &vc, &rc), 0);
    ASSERT_EQ(cubias_weight_gain(hg, 1, &vg, (double *)og.p), 0) << cubias_get_last_error(hg);
    og.download(&rg, sizeof rg);
    EXPECT_EQ(memcmp(&rc, &rg, sizeof rc), 0) << "dtype " << dt << ": " << rc << " vs " << rg;
  }
  cubias_destroy(hc);
  cubias_destroy(hg);
}
#endif

}  // namespace

GAIN_INSTANTIATE(GainWeights);
