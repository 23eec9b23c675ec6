// Shared helpers of the cubias test suite (see util.h).
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <sstream>

#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace tu {

const char *backend_name(cubias_backend_t be) {
  switch (be) {
    case CUBIAS_BACKEND_CPU: return "CPU";
    case CUBIAS_BACKEND_CUDA: return "CUDA";
    default: return "AUTO";
  }
}

std::string backend_param_name(const ::testing::TestParamInfo<cubias_backend_t> &info) {
  return backend_name(info.param);
}

void BackendTest::SetUp() {
  if (be() == CUBIAS_BACKEND_CUDA) CUBIAS_REQUIRE_GPU_OR_SKIP();
  ASSERT_EQ(cubias_create(&h, be()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  cubias_backend_t got;
  ASSERT_EQ(cubias_get_backend(h, &got), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(got, be());
}

void BackendTest::TearDown() {
  // (The handle's own message is freed with it: after a device fault, destroy
  // fails and the thread's last error says why.)
  if (h) {
    const cubias_status_t st = cubias_destroy(h);
    EXPECT_EQ(st, CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  }
  h = nullptr;
}

// ---- Buffer -------------------------------------------------------------------------

Buffer::Buffer(cubias_backend_t be, size_t bytes) : be_(be), n_(bytes) {
  const size_t alloc = bytes ? bytes : 64;
  if (be_ == CUBIAS_BACKEND_CUDA) {
#ifdef CUBIAS_HAVE_CUDA
    if (cudaMalloc(&p_, alloc) != cudaSuccess) {
      p_ = nullptr;
      ADD_FAILURE() << "cudaMalloc(" << alloc << ") failed";
    }
#else
    ADD_FAILURE() << "CUDA buffer requested in a build without CUDA";
#endif
  } else {
    if (posix_memalign(&p_, 64, (alloc + 63) / 64 * 64) != 0) {
      p_ = nullptr;
      ADD_FAILURE() << "posix_memalign(" << alloc << ") failed";
    }
  }
}

Buffer::~Buffer() {
  if (!p_) return;
#ifdef CUBIAS_HAVE_CUDA
  if (be_ == CUBIAS_BACKEND_CUDA) {
    cudaFree(p_);
    return;
  }
#endif
  free(p_);
}

void Buffer::upload(const void *src, size_t bytes, size_t offset) {
  ASSERT_LE(offset + bytes, n_);
  if (!p_ || !bytes) return;
#ifdef CUBIAS_HAVE_CUDA
  if (be_ == CUBIAS_BACKEND_CUDA) {
    ASSERT_EQ(cudaMemcpy((char *)p_ + offset, src, bytes, cudaMemcpyHostToDevice), cudaSuccess);
    return;
  }
#endif
  memcpy((char *)p_ + offset, src, bytes);
}

void Buffer::download(void *dst, size_t bytes, size_t offset) const {
  ASSERT_LE(offset + bytes, n_);
  if (!p_ || !bytes) return;
#ifdef CUBIAS_HAVE_CUDA
  if (be_ == CUBIAS_BACKEND_CUDA) {
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dst, (char *)p_ + offset, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
    return;
  }
#endif
  memcpy(dst, (char *)p_ + offset, bytes);
}

std::vector<unsigned char> Buffer::all() const {
  std::vector<unsigned char> v(n_);
  download(v.data(), n_);
  return v;
}

void Buffer::fill(unsigned char byte) {
  std::vector<unsigned char> v(n_, byte);
  upload(v.data(), n_);
}

// ---- Stats ------------------------------------------------------------------------------

Stats::Stats(cubias_handle_t h, int64_t channels, int act, float slope) {
  cubias_status_t st = cubias_stats_create(h, channels, (cubias_activation_t)act, slope, &s);
  EXPECT_EQ(st, CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  if (st) s = nullptr;
}

Stats::~Stats() {
  if (s) EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_SUCCESS);
}

// ---- data ---------------------------------------------------------------------------------

std::vector<float> normal(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (float)dist(gen);
  return x;
}

std::vector<unsigned char> encode(const std::vector<float> &x, int dtype) {
  std::vector<unsigned char> out(x.size() * ref::dtype_bytes(dtype));
  if (dtype == ref::F32) {
    memcpy(out.data(), x.data(), out.size());
    return out;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t b = dtype == ref::F16 ? ref::double_to_f16(x[i]) : ref::double_to_bf16(x[i]);
    memcpy(&out[2 * i], &b, 2);
  }
  return out;
}

const char *dtype_name(int dtype) {
  return dtype == 0 ? "f32" : dtype == 1 ? "f16" : dtype == 2 ? "bf16" : "unknown";
}

// ---- layouts --------------------------------------------------------------------------------

const char *layout_name(int layout) {
  static const char *names[kNumLayouts] = {"rows[N,D]", "NCHW", "NHWC", "[T,N,D]"};
  return layout >= 0 && layout < kNumLayouts ? names[layout] : "unknown";
}

static int64_t largest_divisor_at_most(int64_t n, double limit) {
  int64_t best = 1;
  for (int64_t d = 1; d <= n && (double)d <= limit + 1e-9; ++d)
    if (n % d == 0) best = d;
  return best;
}

namespace {
struct Dims {
  int64_t n, h, w, t;
};
// entries = n*h*w (images) and = t*n (sequences); small counts go to the
// spatial axis so that NCHW takes the plane path (inner > 1).
Dims factor(int64_t entries) {
  Dims d;
  d.n = largest_divisor_at_most(entries, cbrt((double)entries));
  int64_t hw = entries / d.n;
  d.h = largest_divisor_at_most(hw, sqrt((double)hw));
  d.w = hw / d.h;
  d.t = largest_divisor_at_most(entries, sqrt((double)entries));
  return d;
}
}  // namespace

Shape layout_shape(int layout, int64_t entries, int64_t channels) {
  Dims d = factor(entries);
  std::ostringstream os;
  Shape s;
  s.channels = channels;
  switch (layout) {
    case NCHW:
      s.outer = d.n, s.inner = d.h * d.w;
      os << "NCHW[" << d.n << "," << channels << "," << d.h << "," << d.w << "]";
      break;
    case NHWC:
      s.outer = entries, s.inner = 1;
      os << "NHWC[" << d.n << "," << d.h << "," << d.w << "," << channels << "]";
      break;
    case TND:
      s.outer = entries, s.inner = 1;
      os << "TND[" << d.t << "," << entries / d.t << "," << channels << "]";
      break;
    default:
      s.outer = entries, s.inner = 1;
      os << "rows[" << entries << "," << channels << "]";
  }
  s.text = os.str();
  return s;
}

cubias_status_t make_view(cubias_tensor_t *view, int layout, const void *data, int dtype,
                          int64_t entries, int64_t channels) {
  Dims d = factor(entries);
  const cubias_dtype_t dt = (cubias_dtype_t)dtype;
  switch (layout) {
    case NCHW: return cubias_tensor_nchw(view, data, dt, d.n, channels, d.h, d.w);
    case NHWC: return cubias_tensor_nhwc(view, data, dt, d.n, d.h, d.w, channels);
    case TND: return cubias_tensor_tnd(view, data, dt, d.t, entries / d.t, channels);
    default: return cubias_tensor_rows(view, data, dt, entries, channels);
  }
}

// ---- library calls ---------------------------------------------------------------------------

std::vector<cubias_channel_stats_t> read(cubias_handle_t h, cubias_stats_t s, int64_t channels) {
  std::vector<cubias_channel_stats_t> out((size_t)channels);
  cubias_status_t st = cubias_stats_read(h, s, out.data());
  EXPECT_EQ(st, CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  return out;
}

std::vector<unsigned char> export_bytes(cubias_handle_t h, cubias_stats_t s, cubias_backend_t be) {
  size_t bytes = 0;
  EXPECT_EQ(cubias_stats_export_size(s, &bytes), CUBIAS_STATUS_SUCCESS);
  Buffer buf(be, bytes);
  EXPECT_EQ(cubias_stats_export(h, s, buf.get()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  return buf.all();
}

// ---- comparisons -------------------------------------------------------------------------------

bool close(double got, double want, double atol, double rtol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= atol + rtol * fabs(want);
}

namespace {
// The fields of a result, whichever side it comes from.
struct Fields {
  int64_t count, nonfinite, positive;
  double mean, var, var_unbiased, min, max, active_fraction, phi_mean, phi_sq_mean, dphi_sq_mean;
};
Fields fields(const cubias_channel_stats_t &s) {
  return {s.count, s.nonfinite, s.positive, s.mean, s.var, s.var_unbiased, s.min, s.max,
          s.active_fraction, s.phi_mean, s.phi_sq_mean, s.dphi_sq_mean};
}
Fields fields(const ref::Channel &s) {
  return {s.count, s.nonfinite, s.positive, s.mean, s.var, s.var_unbiased, s.min, s.max,
          s.active_fraction, s.phi_mean, s.phi_sq_mean, s.dphi_sq_mean};
}

bool same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

// Compare one channel; returns a description of the first mismatch, "" if none.
std::string compare(const Fields &g, const Fields &w, const Tol &tol) {
  std::ostringstream os;
  os.precision(17);
  auto bad = [&](const char *name, double got, double want, double allowed) {
    os << name << ": got " << got << ", want " << want << " (allowed " << allowed << ")";
    return os.str();
  };
  if (g.count != w.count) return bad("count", (double)g.count, (double)w.count, 0);
  if (g.nonfinite != w.nonfinite) return bad("nonfinite", (double)g.nonfinite, (double)w.nonfinite, 0);
  if (g.positive != w.positive) return bad("positive", (double)g.positive, (double)w.positive, 0);
  if (w.count == 0) {
    const double all[] = {g.mean, g.var, g.var_unbiased, g.min, g.max, g.active_fraction,
                          g.phi_mean, g.phi_sq_mean, g.dphi_sq_mean};
    for (double v : all)
      if (!isnan(v)) return bad("empty channel field (want NaN)", v, NAN, 0);
    return "";
  }
  if (!same_double(g.min, w.min)) return bad("min", g.min, w.min, 0);
  if (!same_double(g.max, w.max)) return bad("max", g.max, w.max, 0);
  const double sd = sqrt(w.var);
  double a = tol.mean_std * sd;
  if (!close(g.mean, w.mean, a, tol.mean_rtol)) return bad("mean", g.mean, w.mean, a + tol.mean_rtol * fabs(w.mean));
  if (!close(g.var, w.var, 0, tol.var_rtol)) return bad("var", g.var, w.var, tol.var_rtol * w.var);
  if (!close(g.var_unbiased, w.var_unbiased, 0, tol.var_rtol))
    return bad("var_unbiased", g.var_unbiased, w.var_unbiased, tol.var_rtol * fabs(w.var_unbiased));
  if (!close(g.active_fraction, w.active_fraction, 0, 1e-15))
    return bad("active_fraction", g.active_fraction, w.active_fraction, 0);
  if (tol.check_phi) {
    const double phi_var = w.phi_sq_mean - w.phi_mean * w.phi_mean;
    a = tol.phi_atol + 1e-6 * sqrt(phi_var > 0 ? phi_var : 0);
    if (!close(g.phi_mean, w.phi_mean, a, tol.phi_rtol))
      return bad("phi_mean", g.phi_mean, w.phi_mean, a + tol.phi_rtol * fabs(w.phi_mean));
    if (!close(g.phi_sq_mean, w.phi_sq_mean, tol.phi_atol, tol.phi_rtol))
      return bad("phi_sq_mean", g.phi_sq_mean, w.phi_sq_mean, tol.phi_atol + tol.phi_rtol * fabs(w.phi_sq_mean));
    if (!close(g.dphi_sq_mean, w.dphi_sq_mean, tol.phi_atol, tol.phi_rtol))
      return bad("dphi_sq_mean", g.dphi_sq_mean, w.dphi_sq_mean, tol.phi_atol + tol.phi_rtol * fabs(w.dphi_sq_mean));
  }
  return "";
}

template <class W>
int expect_matches(const std::vector<cubias_channel_stats_t> &got, const std::vector<W> &want,
                   const Tol &tol, const std::string &what) {
  if (got.size() != want.size()) {
    ADD_FAILURE() << what << ": " << got.size() << " channels, want " << want.size();
    return 1;
  }
  int failures = 0;
  for (size_t c = 0; c < got.size(); ++c) {
    std::string why = compare(fields(got[c]), fields(want[c]), tol);
    if (why.empty()) continue;
    if (++failures <= 4) ADD_FAILURE() << what << ": channel " << c << ": " << why;
  }
  if (failures > 4) ADD_FAILURE() << what << ": " << failures << " channels differ in all";
  return failures;
}
}  // namespace

int expect_matches_ref(const std::vector<cubias_channel_stats_t> &got,
                       const std::vector<ref::Channel> &want, const Tol &tol,
                       const std::string &what) {
  return expect_matches(got, want, tol, what);
}

int expect_matches_lib(const std::vector<cubias_channel_stats_t> &got,
                       const std::vector<cubias_channel_stats_t> &want, const Tol &tol,
                       const std::string &what) {
  return expect_matches(got, want, tol, what);
}

bool bitwise_equal(const std::vector<cubias_channel_stats_t> &a,
                   const std::vector<cubias_channel_stats_t> &b) {
  return a.size() == b.size() &&
         (a.empty() || memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
}

void expect_empty_channel(const cubias_channel_stats_t &s, int64_t nonfinite,
                          const std::string &what) {
  EXPECT_EQ(s.count, 0) << what;
  EXPECT_EQ(s.positive, 0) << what;
  EXPECT_EQ(s.nonfinite, nonfinite) << what;
  const double all[] = {s.mean, s.var, s.var_unbiased, s.min, s.max, s.active_fraction,
                        s.phi_mean, s.phi_sq_mean, s.dphi_sq_mean};
  for (double v : all) EXPECT_TRUE(isnan(v)) << what << ": field is " << v << ", want NaN";
}

void clear_errors(cubias_handle_t h) { cubias_clear_last_error(h); }

void expect_error_from(cubias_handle_t h, const char *call, const std::string &what) {
  const std::string msg = cubias_get_last_error(h);
  EXPECT_EQ(msg.rfind(std::string(call) + ": ", 0), 0u)
      << what << ": the last error '" << msg << "' does not begin with '" << call << ": '";
}

void expect_error_text(cubias_handle_t h, const char *where) {
  const char *msg = cubias_get_last_error(h);
  ASSERT_NE(msg, nullptr);
  EXPECT_STRNE(msg, "") << "no last-error text";
  if (where)
    EXPECT_EQ(std::string(msg).rfind(std::string(where) + ": ", 0), 0u)
        << "last error '" << msg << "' does not begin with " << where;
}

}  // namespace tu
