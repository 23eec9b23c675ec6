// The GPU benchmarks' timing loop, copy-bandwidth floor and release accounting
// (bench_stats_gpu, bench_kernels), in a header so that
// tests/test_bench_timed_pass.cpp runs them (on a GPU or the emulated device):
// a pass that fails is never timed as a bandwidth, a release that fails is counted.
// Plain C++ (no kernels), so the host compiler builds the test.
#ifndef CUBIAS_BENCH_TIMED_PASS_H
#define CUBIAS_BENCH_TIMED_PASS_H

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "cubias.h"

namespace bench {

// The median milliseconds of a pass, or, when the pass or a CUDA call failed,
// NAN and why (error is NULL on success).
struct Timing {
  double ms;
  const char *error;
};

// Times pass() (returns true on success) over `reps` runs after one warm-up,
// prepare() (untimed; e.g. restoring the input of an in-place pass) then
// `flush` overwritten (untimed: L2 flushed) before each run. The first failure
// ends the timing: no time is reported for a pass that did not run to the end.
template <class Prepare, class Pass>
Timing time_pass(int reps, void *flush, size_t flush_bytes, Prepare &&prepare, Pass &&pass) {
  static const char *const kPassFailed = "the timed pass returned a failure";
  static const char *const kPrepareFailed = "the untimed preparation returned a failure";
  cudaEvent_t a = nullptr, b = nullptr;
  cudaError_t e = cudaEventCreate(&a);
  if (e == cudaSuccess) e = cudaEventCreate(&b);
  const char *error = e != cudaSuccess ? cudaGetErrorString(e)
                      : !prepare()     ? kPrepareFailed
                      : !pass()        ? kPassFailed
                                       : nullptr;
  std::vector<float> ms;
  for (int r = 0; r < reps && !error; ++r) {
    float m = 0.0f;
    if (!prepare()) {
      error = kPrepareFailed;
    } else if ((e = cudaMemsetAsync(flush, r & 0xff, flush_bytes, nullptr)) != cudaSuccess ||
               (e = cudaEventRecord(a, nullptr)) != cudaSuccess) {
      error = cudaGetErrorString(e);
    } else if (!pass()) {
      error = kPassFailed;
    } else if ((e = cudaEventRecord(b, nullptr)) != cudaSuccess || (e = cudaEventSynchronize(b)) != cudaSuccess ||
               (e = cudaEventElapsedTime(&m, a, b)) != cudaSuccess) {
      error = cudaGetErrorString(e);
    }
    ms.push_back(m);
  }
  if (a) cudaEventDestroy(a);
  if (b) cudaEventDestroy(b);
  if (error || ms.empty()) return {NAN, error ? error : "no repetition timed"};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], nullptr};
}

// The same without a preparation step.
template <class Pass>
Timing time_pass(int reps, void *flush, size_t flush_bytes, Pass &&pass) {
  return time_pass(reps, flush, flush_bytes, [] { return true; }, pass);
}

// The device-to-device copy of `bytes` from src to dst, timed as above: its
// bandwidth, bytes read + written per second (GB = 1e9), is the floor every
// pass is held to. NAN and why (error) when a CUDA call failed.
inline double copy_gbs(int reps, void *flush, size_t flush_bytes, void *dst, const void *src, size_t bytes,
                       const char **error) {
  const Timing t = time_pass(reps, flush, flush_bytes, [&] {
    return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, nullptr) == cudaSuccess;
  });
  *error = t.error;
  return t.error ? NAN : 2.0 * (double)bytes / (t.ms * 1e-3) / 1e9;
}

// The statistics pass the benchmark times: reset, then one accumulate; true
// when both succeed.
inline bool stats_pass(cubias_handle_t h, cubias_stats_t st, const cubias_tensor_t *v) {
  return cubias_stats_reset(h, st) == CUBIAS_STATUS_SUCCESS &&
         cubias_stats_accumulate(h, st, v) == CUBIAS_STATUS_SUCCESS;
}

// Errors of releases (cudaFree, cublasDestroy, ...): each one printed and
// counted; the benchmark's exit status says so.
struct ReleaseLog {
  int errors = 0;
  void operator()(bool ok, const char *what, const char *why) {
    if (!ok) fprintf(stderr, "bench: %s failed: %s\n", what, why), ++errors;
  }
  void operator()(cudaError_t e, const char *what) { (*this)(e == cudaSuccess, what, cudaGetErrorString(e)); }
};

}  // namespace bench

#endif
