// bench_stats_gpu's timing loop and release accounting, in a header so that
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
// `flush` overwritten untimed before each run (L2 flushed). The first failure
// ends the timing: no time is reported for a pass that did not run to the end.
template <class Pass>
Timing time_pass(int reps, void *flush, size_t flush_bytes, Pass &&pass) {
  static const char *const kPassFailed = "the timed pass returned a failure";
  cudaEvent_t a = nullptr, b = nullptr;
  cudaError_t e = cudaEventCreate(&a);
  if (e == cudaSuccess) e = cudaEventCreate(&b);
  const char *error = e != cudaSuccess ? cudaGetErrorString(e) : pass() ? nullptr : kPassFailed;
  std::vector<float> ms;
  for (int r = 0; r < reps && !error; ++r) {
    float m = 0.0f;
    if ((e = cudaMemsetAsync(flush, r & 0xff, flush_bytes, nullptr)) != cudaSuccess ||
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
    if (!ok) fprintf(stderr, "bench_stats_gpu: %s failed: %s\n", what, why), ++errors;
  }
  void operator()(cudaError_t e, const char *what) { (*this)(e == cudaSuccess, what, cudaGetErrorString(e)); }
};

}  // namespace bench

#endif
