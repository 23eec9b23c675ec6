// bench_kernels' two places to run: host memory timed by the clock against a
// read loop (CPU), device memory timed by CUDA events against the device copy
// (GPU, built with CUDA only; bench/timed_pass.h does the timing).
#include <cstdlib>

#include "bench_kernels.h"
#ifdef CUBIAS_BENCH_CUDA
#include "timed_pass.h"
#endif

namespace bench {
namespace {

class CpuMem : public Mem {
 public:
  explicit CpuMem(size_t floor_bytes) : floor_(floor_bytes / sizeof(float) + 16, 1.0f) {}
  ~CpuMem() override { release(); }
  int release() override {
    for (void *p : owned_) free(p);
    owned_.clear();
    return 0;
  }
  void *alloc(size_t bytes) override {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p) owned_.push_back(p);
    return p;
  }
  bool put(void *dst, const void *host, size_t bytes) override { return memcpy(dst, host, bytes), true; }
  bool get(void *host, const void *src, size_t bytes) override { return memcpy(host, src, bytes), true; }
  bool copy(void *dst, const void *src, size_t bytes) override { return memcpy(dst, src, bytes), true; }
  // Rounds: prepare, the read loop (which also evicts the pass's inputs from the
  // caches: it reads at least twice the last-level cache), then the timed pass, back
  // to back, so that each ratio compares runs made under the same conditions (a
  // shared machine's bandwidth drifts); medians over the rounds, after one warm-up round.
  Timed time(int reps, double bytes, const Step &prepare, const Step &pass) override {
    std::vector<double> t_pass, t_floor, pct;
    volatile float sink = 0.0f;
    for (int r = 0; r <= reps; ++r) {
      if (!prepare()) return {NAN, NAN, NAN, "the untimed preparation returned a failure"};
      double t0 = now_s();
      sink = sink + read_sum(floor_.data(), (int64_t)floor_.size());
      const double gbs = 4.0 * (double)floor_.size() / (now_s() - t0) / 1e9;
      t0 = now_s();
      if (!pass()) return {NAN, NAN, NAN, "the timed pass returned a failure"};
      const double ms = (now_s() - t0) * 1e3, floor_ms = bytes / gbs / 1e6;
      if (r == 0) continue;
      t_pass.push_back(ms), t_floor.push_back(floor_ms), pct.push_back(100.0 * floor_ms / ms);
      gbs_.push_back(gbs);
    }
    return {median(t_pass), median(t_floor), median(pct), ""};
  }
  std::string floor_text() const override {
    if (gbs_.empty()) return "read loop: not measured (no case was timed)";
    char buf[128];
    snprintf(buf, sizeof buf, "read loop over %.1f MB: %.1f GB/s (median of this run's rounds)",
             4.0 * (double)floor_.size() / 1e6, median(gbs_));
    return buf;
  }

 private:
  std::vector<float> floor_;
  std::vector<void *> owned_;
  std::vector<double> gbs_;
};

#ifdef CUBIAS_BENCH_CUDA
class GpuMem : public Mem {
 public:
  ~GpuMem() override { release(); }
  int release() override {
    for (void *p : owned_) released_(cudaFree(p), "cudaFree");
    owned_.clear();
    return released_.errors;
  }
  bool init(size_t copy_bytes, size_t flush_bytes, std::string *why) {
    int dev = 0;
    cudaDeviceProp prop;
    cudaError_t e = cudaGetDevice(&dev);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, dev);
    if (e != cudaSuccess) return *why = cudaGetErrorString(e), false;
    flush_bytes_ = flush_bytes;
    flush_ = alloc(flush_bytes);
    void *src = alloc(copy_bytes), *dst = alloc(copy_bytes);
    if (!flush_ || !src || !dst) return *why = "cudaMalloc of the flush and copy buffers failed", false;
    if (cudaMemset(src, 1, copy_bytes) != cudaSuccess) return *why = "cudaMemset failed", false;
    const char *error = nullptr;
    copy_gbs_ = copy_gbs(9, flush_, flush_bytes_, dst, src, copy_bytes, &error);
    if (error) return *why = error, false;
    char buf[256];
    snprintf(buf, sizeof buf, "%s (sm_%d%d): device copy of %.1f MB: %.1f GB/s (read+write)", prop.name,
             prop.major, prop.minor, (double)copy_bytes / 1e6, copy_gbs_);
    text_ = buf;
    return true;
  }
  void *alloc(size_t bytes) override {
    void *p = nullptr;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) return nullptr;
    owned_.push_back(p);
    return p;
  }
  bool put(void *dst, const void *host, size_t bytes) override {
    return cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice) == cudaSuccess;
  }
  bool get(void *host, const void *src, size_t bytes) override {
    return cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
  }
  bool copy(void *dst, const void *src, size_t bytes) override {
    return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, nullptr) == cudaSuccess;
  }
  Timed time(int reps, double bytes, const Step &prepare, const Step &pass) override {
    const Timing t = time_pass(reps, flush_, flush_bytes_, prepare, pass);
    if (t.error) return {NAN, NAN, NAN, t.error};
    const double floor_ms = bytes / copy_gbs_ / 1e6;
    return {t.ms, floor_ms, 100.0 * floor_ms / t.ms, ""};
  }
  std::string floor_text() const override { return text_; }

 private:
  void *flush_ = nullptr;
  size_t flush_bytes_ = 0;
  double copy_gbs_ = NAN;
  std::string text_;
  std::vector<void *> owned_;
  ReleaseLog released_;
};
#endif

}  // namespace

std::unique_ptr<Mem> make_cpu_mem(size_t floor_bytes) { return std::unique_ptr<Mem>(new CpuMem(floor_bytes)); }

std::unique_ptr<Mem> make_gpu_mem(size_t copy_bytes, size_t flush_bytes, std::string *why) {
#ifdef CUBIAS_BENCH_CUDA
  std::unique_ptr<GpuMem> m(new GpuMem);
  if (!m->init(copy_bytes, flush_bytes, why)) return nullptr;
  return std::unique_ptr<Mem>(m.release());
#else
  (void)copy_bytes, (void)flush_bytes;
  *why = "this build has no CUDA";
  return nullptr;
#endif
}

}  // namespace bench
