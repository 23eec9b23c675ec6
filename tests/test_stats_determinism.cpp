// Determinism (two runs bit-identical, on each backend) and the GPU twins'
// parity with the CPU backend: every layout and dtype, channel counts and
// plane sizes that are not multiples of the vector width (C = 3, 5, 1001;
// H*W = 49), and a misaligned base pointer (data + 1 element).
#include <string.h>

#include <sstream>

#include "util.h"

namespace {

// A shape for each layout with awkward sizes: views made by the helpers.
struct Odd {
  int layout;
  int64_t a, b;  // rows: N; NCHW/NHWC: n (H = W = 7); TND: T, N
};
const Odd kOdd[] = {{tu::ROWS, 1237, 0}, {tu::NCHW, 5, 0}, {tu::NHWC, 5, 0}, {tu::TND, 13, 7}};

int64_t odd_entries(const Odd &o) {
  switch (o.layout) {
    case tu::NCHW:
    case tu::NHWC: return o.a * 49;
    case tu::TND: return o.a * o.b;
    default: return o.a;
  }
}

cubias_tensor_t odd_view(const Odd &o, const void *p, int dtype, int64_t C) {
  cubias_tensor_t v;
  const cubias_dtype_t dt = (cubias_dtype_t)dtype;
  cubias_status_t st;
  switch (o.layout) {
    case tu::NCHW: st = cubias_tensor_nchw(&v, p, dt, o.a, C, 7, 7); break;
    case tu::NHWC: st = cubias_tensor_nhwc(&v, p, dt, o.a, 7, 7, C); break;
    case tu::TND: st = cubias_tensor_tnd(&v, p, dt, o.a, o.b, C); break;
    default: st = cubias_tensor_rows(&v, p, dt, o.a, C); break;
  }
  EXPECT_EQ(st, CUBIAS_STATUS_SUCCESS);
  return v;
}

// Accumulate x (already on the backend at p) into a fresh accumulator; results
// and the exported partial state.
struct RunResult {
  std::vector<cubias_channel_stats_t> stats;
  std::vector<unsigned char> state;
};
RunResult run_once(cubias_handle_t h, cubias_backend_t be, const cubias_tensor_t &v, int act,
             int batches) {
  tu::Stats s(h, v.channels, act, 0.05f);
  RunResult r;
  if (!s.s) return r;
  // Optionally in batches along the outer axis (same split every run).
  const int64_t elem = (int64_t)ref::dtype_bytes(v.dtype) * v.channels * v.inner;
  int64_t first = 0;
  for (int k = 0; k < batches; ++k) {
    int64_t n = k + 1 == batches ? v.outer - first : v.outer / batches;
    cubias_tensor_t part = v;
    part.data = (const char *)v.data + first * elem;
    part.outer = n;
    EXPECT_EQ(cubias_stats_accumulate(h, s, &part), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    first += n;
  }
  r.stats = tu::read(h, s, v.channels);
  r.state = tu::export_bytes(h, s, be);
  return r;
}

class StatsDeterminism : public tu::BackendTest {};

TEST_P(StatsDeterminism, TwoRunsAreBitIdentical) {
  int k = 0;
  for (const Odd &o : kOdd)
    for (int64_t C : {3, 1001})
      for (int dtype = 0; dtype < 3; ++dtype, ++k) {
        const int act = k % ref::kNumActs;
        const int64_t n = odd_entries(o) * C;
        const auto bytes = tu::encode(tu::normal((size_t)n, 0.5, 2.0, 40 + k), dtype);
        tu::Buffer buf(be(), bytes.size());
        buf.upload(bytes.data(), bytes.size());
        const cubias_tensor_t v = odd_view(o, buf.get(), dtype, C);
        std::ostringstream what;
        what << tu::layout_name(o.layout) << " C=" << C << " " << tu::dtype_name(dtype) << " "
             << ref::act_name(act);
        SCOPED_TRACE(what.str());
        for (int batches : {1, 3}) {
          const RunResult a = run_once(h, be(), v, act, batches), b = run_once(h, be(), v, act, batches);
          EXPECT_TRUE(tu::bitwise_equal(a.stats, b.stats)) << batches << " batch(es): results differ";
          EXPECT_TRUE(a.state == b.state) << batches << " batch(es): exported states differ";
        }
      }
}

// A large single channel (many chunks, all threads) and a wide tensor.
TEST_P(StatsDeterminism, LargeInputsAreBitIdentical) {
  struct Big {
    int64_t n, c;
  };
  for (const Big &g : {Big{2000003, 1}, Big{3001, 333}}) {
    const std::vector<float> x = tu::normal((size_t)(g.n * g.c), 1e4, 1.0, 8);
    tu::Buffer buf(be(), x.size() * 4);
    buf.upload(x.data(), x.size() * 4);
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), CUBIAS_DTYPE_F32, g.n, g.c), CUBIAS_STATUS_SUCCESS);
    const RunResult a = run_once(h, be(), v, ref::SIGMOID, 1), b = run_once(h, be(), v, ref::SIGMOID, 1);
    EXPECT_TRUE(tu::bitwise_equal(a.stats, b.stats));
    EXPECT_TRUE(a.state == b.state);
  }
}

// data + 1 element: every layout and dtype still matches the reference.
TEST_P(StatsDeterminism, MisalignedBasePointer) {
  for (const Odd &o : kOdd)
    for (int dtype = 0; dtype < 3; ++dtype) {
      const int64_t C = 5;
      const size_t es = ref::dtype_bytes(dtype);
      const int64_t n = odd_entries(o) * C;
      const auto bytes = tu::encode(tu::normal((size_t)n, 1e4, 1.0, 60 + dtype), dtype);
      tu::Buffer buf(be(), bytes.size() + es);
      buf.upload(bytes.data(), bytes.size(), es);
      const cubias_tensor_t v = odd_view(o, buf.bytes() + es, dtype, C);
      std::ostringstream what;
      what << "misaligned " << tu::layout_name(o.layout) << " " << tu::dtype_name(dtype);
      tu::Stats s(h, C, ref::SILU);
      ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
      const auto want = ref::stats(bytes.data(), dtype, v.outer, C, v.inner, ref::SILU, 0);
      tu::expect_matches_ref(tu::read(h, s, C), want, tu::Tol(), what.str());
    }
}

// The CPU backend's OpenMP thread count never changes a result: every
// (chunk, channel) partial is computed by one task and merged in a fixed order.
// omp_* are declared weak so that the test links whether or not the library
// was built with OpenMP (it then skips).
extern "C" void omp_set_num_threads(int) __attribute__((weak));
extern "C" int omp_get_max_threads(void) __attribute__((weak));

TEST(StatsThreads, CpuResultsIndependentOfThreadCount) {
  if (!omp_set_num_threads || !omp_get_max_threads)
    GTEST_SKIP() << "OpenMP runtime not loaded: the CPU backend is single-threaded";
  const int saved = omp_get_max_threads();
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  {
    struct Big {
      int layout;
      int64_t n, c;
    };
    for (const Big &g : {Big{tu::ROWS, 300007, 3}, Big{tu::NCHW, 1000, 7}, Big{tu::ROWS, 2001, 517}}) {
      const std::vector<float> x = tu::normal((size_t)(g.n * g.c), 1e4, 1.0, 12);
      cubias_tensor_t v;
      if (g.layout == tu::NCHW)
        ASSERT_EQ(cubias_tensor_nchw(&v, x.data(), CUBIAS_DTYPE_F32, g.n / 10, g.c, 10, 1), CUBIAS_STATUS_SUCCESS);
      else
        ASSERT_EQ(cubias_tensor_rows(&v, x.data(), CUBIAS_DTYPE_F32, g.n, g.c), CUBIAS_STATUS_SUCCESS);
      std::vector<unsigned char> first;
      for (int threads : {1, 2, 3, 5}) {
        omp_set_num_threads(threads);
        ASSERT_EQ(omp_get_max_threads(), threads);
        const RunResult r = run_once(h, CUBIAS_BACKEND_CPU, v, ref::TANH, 2);
        if (first.empty())
          first = r.state;
        else
          EXPECT_TRUE(r.state == first) << threads << " threads change the result (" << g.n << "x" << g.c << ")";
      }
    }
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

CUBIAS_INSTANTIATE_BACKENDS(StatsDeterminism);

// ---- GPU twins: parity with the CPU backend ---------------------------------------------

// The CUDA backend against the CPU backend on the same bytes: counts, min, max
// exact, every moment within 1e-6 relative (the design promises rounding-level
// agreement), and both against the reference. Aligned and data + 1 element.
TEST(StatsGpuParity, MatchesCpuEveryLayoutDtypeAndOddSize) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t hc = nullptr, hg = nullptr;
  ASSERT_EQ(cubias_create(&hc, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_create(&hg, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  tu::Tol parity;
  parity.mean_rtol = 1e-6;
  parity.mean_std = 1e-6;
  parity.var_rtol = 1e-6;
  parity.phi_rtol = 1e-6;
  parity.phi_atol = 1e-9;
  int k = 0;
  for (const Odd &o : kOdd)
    for (int64_t C : {3, 5, 1001})
      for (int dtype = 0; dtype < 3; ++dtype)
        for (int offset : {0, 1}) {
          const int act = k++ % ref::kNumActs;
          const size_t es = ref::dtype_bytes(dtype);
          const int64_t n = odd_entries(o) * C;
          const auto bytes = tu::encode(tu::normal((size_t)n, k % 2 ? 1e4 : 0.0, 1.0, 70 + k), dtype);
          tu::Buffer bc(CUBIAS_BACKEND_CPU, bytes.size() + es), bg(CUBIAS_BACKEND_CUDA, bytes.size() + es);
          bc.upload(bytes.data(), bytes.size(), offset * es);
          bg.upload(bytes.data(), bytes.size(), offset * es);
          const cubias_tensor_t vc = odd_view(o, bc.bytes() + offset * es, dtype, C);
          const cubias_tensor_t vg = odd_view(o, bg.bytes() + offset * es, dtype, C);
          std::ostringstream what;
          what << tu::layout_name(o.layout) << " C=" << C << " " << tu::dtype_name(dtype) << " "
               << ref::act_name(act) << (offset ? " data+1" : "");
          SCOPED_TRACE(what.str());
          const RunResult rc = run_once(hc, CUBIAS_BACKEND_CPU, vc, act, 1);
          const RunResult rg = run_once(hg, CUBIAS_BACKEND_CUDA, vg, act, 1);
          const RunResult rg2 = run_once(hg, CUBIAS_BACKEND_CUDA, vg, act, 1);
          const auto want = ref::stats(bytes.data(), dtype, vc.outer, C, vc.inner, act, 0.05);
          tu::expect_matches_ref(rg.stats, want, tu::Tol(), what.str() + " GPU vs ref");
          tu::expect_matches_lib(rg.stats, rc.stats, parity, what.str() + " GPU vs CPU");
          EXPECT_TRUE(tu::bitwise_equal(rg.stats, rg2.stats)) << "GPU runs differ";
          if (::testing::Test::HasFailure()) break;
        }
  EXPECT_EQ(cubias_destroy(hc), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(hg), CUBIAS_STATUS_SUCCESS);
}

// An exported CUDA state imports into a CPU accumulator (the format is the
// same on both sides) and gives the CPU's numbers.
TEST(StatsGpuParity, ExportFromGpuImportsOnCpu) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t hc = nullptr, hg = nullptr;
  ASSERT_EQ(cubias_create(&hc, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_create(&hg, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  {
    const int64_t N = 4096, C = 7;
    const std::vector<float> x = tu::normal((size_t)(N * C), 3.0, 1.5, 5);
    tu::Buffer bc(CUBIAS_BACKEND_CPU, x.size() * 4), bg(CUBIAS_BACKEND_CUDA, x.size() * 4);
    bc.upload(x.data(), x.size() * 4);
    bg.upload(x.data(), x.size() * 4);
    cubias_tensor_t vc, vg;
    ASSERT_EQ(cubias_tensor_rows(&vc, bc.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_tensor_rows(&vg, bg.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    tu::Stats sc(hc, C, ref::TANH), sg(hg, C, ref::TANH), imp(hc, C, ref::TANH);
    ASSERT_EQ(cubias_stats_accumulate(hc, sc, &vc), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(hg, sg, &vg), CUBIAS_STATUS_SUCCESS);
    const auto state = tu::export_bytes(hg, sg, CUBIAS_BACKEND_CUDA);
    tu::Buffer host(CUBIAS_BACKEND_CPU, state.size());
    host.upload(state.data(), state.size());
    ASSERT_EQ(cubias_stats_import_merge(hc, imp, host.get()), CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(hc);
    tu::Tol parity;
    parity.mean_rtol = parity.mean_std = parity.var_rtol = parity.phi_rtol = 1e-6;
    parity.phi_atol = 1e-9;
    tu::expect_matches_lib(tu::read(hc, imp, C), tu::read(hc, sc, C), parity, "GPU export on CPU");
  }
  EXPECT_EQ(cubias_destroy(hc), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(hg), CUBIAS_STATUS_SUCCESS);
}

}  // namespace
