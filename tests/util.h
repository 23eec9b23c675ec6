// Shared helpers of the cubias test suite: backend-parameterised fixtures,
// backend memory, test data, layouts, and comparisons against tests/ref.
#ifndef CUBIAS_TEST_UTIL_H
#define CUBIAS_TEST_UTIL_H

#include <gtest/gtest.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "cubias.h"
#include "gpu_guard.h"
#include "ref_stats.h"

namespace tu {

// ---- backends ---------------------------------------------------------------

const char *backend_name(cubias_backend_t be);
std::string backend_param_name(const ::testing::TestParamInfo<cubias_backend_t> &info);

// A test parameterised over backends. SetUp skips the CUDA instance visibly
// (CUBIAS_REQUIRE_GPU_OR_SKIP) where no device answers, then creates `h`.
class BackendTest : public ::testing::TestWithParam<cubias_backend_t> {
 protected:
  void SetUp() override;
  void TearDown() override;
  cubias_backend_t be() const { return GetParam(); }
  cubias_handle_t h = nullptr;
};

#define CUBIAS_INSTANTIATE_BACKENDS(Suite)                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                             \
                           ::testing::Values(CUBIAS_BACKEND_CPU, CUBIAS_BACKEND_CUDA), \
                           tu::backend_param_name)

// Memory of a backend: 64-byte aligned host memory for CPU, cudaMalloc for CUDA.
class Buffer {
 public:
  Buffer(cubias_backend_t be, size_t bytes);
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  void *get() const { return p_; }
  char *bytes() const { return (char *)p_; }
  size_t size() const { return n_; }
  void upload(const void *src, size_t bytes, size_t offset = 0);
  void download(void *dst, size_t bytes, size_t offset = 0) const;
  std::vector<unsigned char> all() const;
  void fill(unsigned char byte);

 private:
  cubias_backend_t be_;
  void *p_ = nullptr;
  size_t n_ = 0;
};

// RAII for a stats object (destroyed before its handle by scope order).
struct Stats {
  cubias_stats_t s = nullptr;
  Stats() = default;
  Stats(cubias_handle_t h, int64_t channels, int act, float slope = 0.0f);
  ~Stats();
  Stats(const Stats &) = delete;
  Stats &operator=(const Stats &) = delete;
  operator cubias_stats_t() const { return s; }
};

// ---- data ---------------------------------------------------------------------

// n values of N(mean, sd^2) from std::mt19937_64 (deterministic for a seed).
std::vector<float> normal(size_t n, double mean, double sd, uint64_t seed);
// Host bytes of x in dtype (0 f32, 1 f16, 2 bf16), rounded by the reference's encoders.
std::vector<unsigned char> encode(const std::vector<float> &x, int dtype);
const char *dtype_name(int dtype);

// ---- layouts --------------------------------------------------------------------

enum Layout { ROWS = 0, NCHW = 1, NHWC = 2, TND = 3 };
constexpr int kNumLayouts = 4;
const char *layout_name(int layout);

// A view of `entries` values per channel and `channels` channels in a layout,
// made through the library's helper for that layout. The factorisation of
// `entries` into (n, h, w) or (t, n) is fixed and exercises both the
// row path (inner == 1) and the plane path (inner > 1).
struct Shape {
  int64_t outer, channels, inner;
  std::string text;
};
Shape layout_shape(int layout, int64_t entries, int64_t channels);
cubias_status_t make_view(cubias_tensor_t *view, int layout, const void *data, int dtype,
                          int64_t entries, int64_t channels);

// ---- library calls ----------------------------------------------------------------

// Read every channel (asserts success inside).
std::vector<cubias_channel_stats_t> read(cubias_handle_t h, cubias_stats_t s, int64_t channels);
// Raw exported partial state (host copy).
std::vector<unsigned char> export_bytes(cubias_handle_t h, cubias_stats_t s,
                                        cubias_backend_t be);

// ---- comparisons ----------------------------------------------------------------------

// |got - want| <= atol + rtol*|want|; NaN want requires NaN got.
bool close(double got, double want, double atol, double rtol);

struct Tol {
  double mean_rtol = 1e-7, mean_std = 1e-6;  // |d mean| <= mean_rtol*|mean| + mean_std*std
  double var_rtol = 1e-5;                    // |d var| <= var_rtol*var (also var_unbiased)
  double phi_rtol = 1e-6, phi_atol = 1e-7;   // phi moments; atol scaled by rms(phi) for E[phi]
  bool check_phi = true;
};

// Check every channel against the reference: counts, min, max exact; moments
// within tol. At most a few failures are printed per call; returns the count.
int expect_matches_ref(const std::vector<cubias_channel_stats_t> &got,
                       const std::vector<ref::Channel> &want, const Tol &tol,
                       const std::string &what);
// got vs another library result, within the same bounds (want's std as scale).
int expect_matches_lib(const std::vector<cubias_channel_stats_t> &got,
                       const std::vector<cubias_channel_stats_t> &want, const Tol &tol,
                       const std::string &what);
// Bitwise equality of two result arrays (NaN patterns included).
bool bitwise_equal(const std::vector<cubias_channel_stats_t> &a,
                   const std::vector<cubias_channel_stats_t> &b);
// The documented empty state: counts 0 (nonfinite may be set) and NaN everywhere else.
void expect_empty_channel(const cubias_channel_stats_t &s, int64_t nonfinite,
                          const std::string &what);

// Last-error text of a failed call: non-empty, and naming `where` when given.
void expect_error_text(cubias_handle_t h, const char *where);
// Forget the thread's (and h's) last error, so that a check after the next
// call sees only what that call recorded.
void clear_errors(cubias_handle_t h = nullptr);
// The last error (of h, or of the thread with NULL) begins with "call: ".
void expect_error_from(cubias_handle_t h, const char *call, const std::string &what = "");

}  // namespace tu

#endif
