// Statistics over the whole finite range of each dtype (issue 14, item 1):
// huge values whose deviations, squares or phi^2 overflow float, tiny and
// subnormal ones whose squares underflow it, and both mixed in one channel,
// against the independent fp64 reference (tests/ref) in every layout, dtype
// and activation. Bounds (README, "Numerics"): counts, min and max exact;
//   |mean - ref| <= 1e-7*|ref| + 1e-6*std,  |var - ref| <= 1e-5*var;
//   phi moments within 1e-6 relative (identity: E[x^2] = var + mean^2, 1e-5)
//   plus 1e-44 absolute (identity, ReLU, leaky ReLU) or 1e-7 (tanh, sigmoid,
//   GELU, SiLU: their float forms).
#include <float.h>
#include <math.h>

#include <functional>
#include <random>
#include <sstream>

#include "util.h"

namespace {

// The finite range of a dtype and a scale for "tiny" data whose squares
// underflow float (f16 has none: its smallest values square to 3.6e-15).
struct Range {
  double max, min_subnormal, tiny;
};
Range range_of(int dtype) {
  if (dtype == ref::F16) return {65504.0, ldexp(1.0, -24), 1e-4};
  if (dtype == ref::BF16) return {ldexp(255.0, 120), ldexp(1.0, -133), 1e-30};
  return {(double)FLT_MAX, ldexp(1.0, -149), 1e-30};
}

// A distribution over the dtype's range: value i from the generator.
struct Dist {
  const char *name;
  std::function<double(const Range &, std::mt19937_64 &, size_t)> draw;
};

double gauss(std::mt19937_64 &g) { return std::normal_distribution<double>(0.0, 1.0)(g); }
double unif(std::mt19937_64 &g) { return std::uniform_real_distribution<double>(0.0, 1.0)(g); }
double sign(std::mt19937_64 &g) { return g() & 1 ? 1.0 : -1.0; }

const Dist kDists[] = {
    // Deviations up to 2 * max: x - p, its square and sums of 16 overflow float.
    {"huge", [](const Range &r, std::mt19937_64 &g, size_t) { return gauss(g) * r.max / 3; }},
    {"huge offset", [](const Range &r, std::mt19937_64 &g, size_t) { return (0.5 + 0.5 * unif(g)) * r.max; }},
    {"+-max", [](const Range &r, std::mt19937_64 &g, size_t) { return sign(g) * r.max * (g() % 8 ? 1.0 : 0.999); }},
    // The issue's example, repeated: [3e38, 3e38, -3e38, 1e38] scaled to the range.
    {"issue", [](const Range &r, std::mt19937_64 &, size_t i) {
       const double v[4] = {3, 3, -3, 1};
       return v[i % 4] * r.max / 3.4;
     }},
    // Deviations near 1e-30 (f32, bf16): squares below float's smallest subnormal.
    {"tiny", [](const Range &r, std::mt19937_64 &g, size_t) { return gauss(g) * r.tiny; }},
    {"tiny offset", [](const Range &r, std::mt19937_64 &g, size_t) { return r.tiny * (1 + 1e-2 * gauss(g)); }},
    {"subnormal", [](const Range &r, std::mt19937_64 &g, size_t) { return gauss(g) * r.min_subnormal * 200; }},
    // Every binade from the smallest subnormal to the largest value, 5% zeros.
    {"mixed", [](const Range &r, std::mt19937_64 &g, size_t) {
       if (g() % 20 == 0) return 0.0;
       const double lo = log2(r.min_subnormal), hi = log2(r.max);
       return sign(g) * exp2(lo + (hi - lo) * unif(g));
     }},
    // Mostly exact zeros (runs of them around a zero pivot), a few tiny values.
    {"sparse tiny", [](const Range &r, std::mt19937_64 &g, size_t) { return g() % 10 ? 0.0 : gauss(g) * r.tiny; }},
    {"sparse tiny positive", [](const Range &r, std::mt19937_64 &g, size_t) { return g() % 10 ? 0.0 : fabs(gauss(g)) * r.tiny; }},
    // Huge and tiny entries side by side.
    {"huge and tiny", [](const Range &r, std::mt19937_64 &g, size_t i) { return i % 3 ? gauss(g) * r.tiny : gauss(g) * r.max / 3; }},
};

// n values of a distribution, clamped to the dtype's finite range, as floats
// that tu::encode rounds to the dtype (every one stays finite).
std::vector<float> draw(const Dist &d, int dtype, size_t n, uint64_t seed) {
  const Range r = range_of(dtype);
  std::mt19937_64 g(seed);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    double v = d.draw(r, g, i);
    v = v > r.max ? r.max : v < -r.max ? -r.max : v;
    x[i] = (float)v;
  }
  return x;
}

// phi moments: exact arithmetic on x for identity, ReLU and leaky ReLU (1e-44:
// float's subnormal rounding, 2^-150 an entry); the smooth activations'
// float forms keep their own absolute accuracy (1 - tanh^2 near |x| = 10 is
// 1e-8 off), the bound of the other suites (tu::Tol).
tu::Tol tol_for(int act) {
  tu::Tol t;
  if (act == ref::IDENTITY || act == ref::RELU || act == ref::LEAKY) t.phi_atol = 1e-44;
  if (act == ref::IDENTITY) t.phi_rtol = t.var_rtol;  // E[x^2] = var + mean^2
  return t;
}

class StatsExtremeValues : public tu::BackendTest {
 protected:
  // Accumulates `bytes` viewed as (entries, channels) in `layout` and checks
  // every channel against the reference.
  void check(const std::vector<unsigned char> &bytes, int dtype, int layout, int64_t entries,
             int64_t C, int act, float slope, const std::string &what) {
    tu::Buffer buf(be(), bytes.size());
    buf.upload(bytes.data(), bytes.size());
    const tu::Shape sh = tu::layout_shape(layout, entries, C);
    const std::string full = what + " " + sh.text + " " + ref::act_name(act);
    SCOPED_TRACE(full);
    cubias_tensor_t v;
    ASSERT_EQ(tu::make_view(&v, layout, buf.get(), dtype, entries, C), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, C, act, slope);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    const auto want = ref::stats(bytes.data(), dtype, sh.outer, C, sh.inner, act, slope);
    for (const ref::Channel &c : want) ASSERT_EQ(c.nonfinite, 0) << "test data must be finite";
    tu::expect_matches_ref(tu::read(h, s, C), want, tol_for(act), full);
  }
};

// The issue's two arrays, float32 [4, 1].
TEST_P(StatsExtremeValues, IssueExamples) {
  const std::vector<float> a = {3e38f, 3e38f, -3e38f, 1e38f}, b = {-3e38f, 1, 2, 3};
  for (const auto &x : {a, b}) {
    tu::Buffer buf(be(), 16);
    buf.upload(x.data(), 16);
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), CUBIAS_DTYPE_F32, 4, 1), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, 1, ref::IDENTITY);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
    const auto got = tu::read(h, s, 1);
    const auto want = ref::stats(x.data(), ref::F32, 4, 1, 1, ref::IDENTITY, 0);
    tu::expect_matches_ref(got, want, tu::Tol(), "issue example");
    const double mean = ((double)x[0] + x[1] + x[2] + x[3]) / 4;
    EXPECT_NEAR(got[0].mean, mean, 1e-7 * fabs(mean));
    EXPECT_TRUE(isfinite(got[0].var) && got[0].var > 0) << got[0].var;
  }
}

// Every distribution, dtype, layout and activation; sizes with one entry,
// leftover SIMD lanes (19 channels) and runs across planes.
TEST_P(StatsExtremeValues, MatchesReferenceOverTheFiniteRange) {
  struct Size {
    int64_t n, c;
  };
  const Size sizes[] = {{1, 5}, {37, 19}, {2000, 3}};
  int seed = 0;
  for (const Dist &d : kDists)
    for (int dtype = 0; dtype < 3; ++dtype)
      for (const Size &z : sizes) {
        const auto bytes = tu::encode(draw(d, dtype, (size_t)(z.n * z.c), 1000 + seed++), dtype);
        for (int layout = 0; layout < tu::kNumLayouts; ++layout)
          for (int act = 0; act < ref::kNumActs; ++act) {
            check(bytes, dtype, layout, z.n, z.c, act, act == ref::LEAKY ? 0.1f : 0.0f,
                  std::string(d.name) + " " + tu::dtype_name(dtype));
            if (::testing::Test::HasFailure()) return;  // one broken case is enough output
          }
      }
}

// Leaky ReLU with a slope above 1 takes phi(x) = slope * x beyond FLT_MAX
// for finite x; E[phi] and E[phi^2] stay finite and right.
TEST_P(StatsExtremeValues, LeakySlopeBeyondFloatRange) {
  const std::vector<float> x = draw(kDists[0], ref::F32, 3000, 7);
  const auto bytes = tu::encode(x, ref::F32);
  for (int layout = 0; layout < tu::kNumLayouts; ++layout)
    check(bytes, ref::F32, layout, 1000, 3, ref::LEAKY, 4.0f, "huge f32, slope 4");
}

// Ordinary data with huge values at a few places: on the CUDA backend the few blocks
// holding them are recomputed with the double redo among many that are not (blocks
// of one redo batch flagged and not, in every layout).
TEST_P(StatsExtremeValues, FewExtremeBlocksAmongOrdinaryOnes) {
  const int64_t entries = 4096, C = 24;
  std::mt19937 rng(23);
  std::normal_distribution<float> normal(3.0f, 1.0f);
  std::vector<float> x((size_t)(entries * C));
  for (auto &v : x) v = normal(rng);
  for (size_t i : {(size_t)77, x.size() / 2 + 5, x.size() - 3}) x[i] = 3e37f;
  const auto bytes = tu::encode(x, ref::F32);
  for (int layout = 0; layout < tu::kNumLayouts; ++layout)
    for (int act : {ref::IDENTITY, ref::RELU})
      check(bytes, ref::F32, layout, entries, C, act, 0.0f, "three huge entries");
}

// Streaming: a batch of huge positive values, then huge negative ones, one
// accumulator; and the same batches in two accumulators merged, directly and
// through export / import.
TEST_P(StatsExtremeValues, StreamingAndMergeOfHugeBatches) {
  const int64_t N = 500, C = 3;
  for (int dtype = 0; dtype < 3; ++dtype) {
    SCOPED_TRACE(tu::dtype_name(dtype));
    std::vector<float> a = draw(kDists[1], dtype, (size_t)(N * C), 21), b = a;
    for (float &v : b) v = -v;
    b[0] = 1.0f;
    const auto ba = tu::encode(a, dtype), bb = tu::encode(b, dtype);
    tu::Buffer bufa(be(), ba.size()), bufb(be(), bb.size());
    bufa.upload(ba.data(), ba.size());
    bufb.upload(bb.data(), bb.size());
    cubias_tensor_t va, vb;
    ASSERT_EQ(cubias_tensor_rows(&va, bufa.get(), (cubias_dtype_t)dtype, N, C), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_tensor_rows(&vb, bufb.get(), (cubias_dtype_t)dtype, N, C), CUBIAS_STATUS_SUCCESS);
    const auto want = ref::stats({{ba.data(), dtype, N, C, 1}, {bb.data(), dtype, N, C, 1}}, ref::RELU, 0);
    tu::Stats both(h, C, ref::RELU), sa(h, C, ref::RELU), sb(h, C, ref::RELU), sc(h, C, ref::RELU);
    ASSERT_EQ(cubias_stats_accumulate(h, both, &va), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, both, &vb), CUBIAS_STATUS_SUCCESS);
    tu::expect_matches_ref(tu::read(h, both, C), want, tol_for(ref::RELU), "two batches");
    ASSERT_EQ(cubias_stats_accumulate(h, sa, &va), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, sb, &vb), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, sc, &va), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_merge(h, sa, sb), CUBIAS_STATUS_SUCCESS);
    tu::expect_matches_ref(tu::read(h, sa, C), want, tol_for(ref::RELU), "merged");
    size_t n = 0;
    ASSERT_EQ(cubias_stats_export_size(sb, &n), CUBIAS_STATUS_SUCCESS);
    tu::Buffer ex(be(), n);
    ASSERT_EQ(cubias_stats_export(h, sb, ex.get()), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_import_merge(h, sc, ex.get()), CUBIAS_STATUS_SUCCESS);
    tu::expect_matches_ref(tu::read(h, sc, C), want, tol_for(ref::RELU), "exported and imported");
  }
}

// NaN and +-Inf among huge and tiny finite values: counted apart, the rest right.
TEST_P(StatsExtremeValues, NonFiniteAmongExtremes) {
  const int64_t N = 600, C = 19;
  for (int d : {0, 7}) {
    std::vector<float> x = draw(kDists[d], ref::F32, (size_t)(N * C), 31 + d);
    for (size_t i = 5; i < x.size(); i += 41) x[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    tu::Buffer buf(be(), x.size() * 4);
    buf.upload(x.data(), x.size() * 4);
    for (int layout = 0; layout < tu::kNumLayouts; ++layout)
      for (int act : {ref::IDENTITY, ref::RELU, ref::GELU}) {
        const tu::Shape sh = tu::layout_shape(layout, N, C);
        const std::string what = std::string(kDists[d].name) + " with NaN/Inf " + sh.text + " " + ref::act_name(act);
        cubias_tensor_t v;
        ASSERT_EQ(tu::make_view(&v, layout, buf.get(), ref::F32, N, C), CUBIAS_STATUS_SUCCESS);
        tu::Stats s(h, C, act);
        ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
        tu::expect_matches_ref(tu::read(h, s, C), ref::stats(x.data(), ref::F32, sh.outer, C, sh.inner, act, 0),
                               tol_for(act), what);
      }
  }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsExtremeValues);

}  // namespace
