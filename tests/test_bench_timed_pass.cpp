// The GPU benchmarks' timing, copy floor and release accounting (bench/timed_pass.h, issue 13
// item 7): a statistics pass that fails yields an error and no time (never an
// impossible bandwidth), and a failing release is counted. GPU only (the
// emulated device in CI); skips visibly without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cubias.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>

#include "../bench/timed_pass.h"

namespace {

const size_t kFlush = 1 << 16;  // small: the test's flush buffer, not the L2's size
const int kReps = 3;

// A CUDA handle, a flush buffer and an f32 tensor [N, C] of device data.
struct PassData {
  static constexpr int64_t N = 64, C = 8;
  cubias_handle_t h = nullptr;
  void *flush = nullptr;
  float *x = nullptr;
  cubias_tensor_t v{};
  void SetUp() {
    ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cudaMalloc(&flush, kFlush), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&x, N * C * sizeof(float)), cudaSuccess);
    std::vector<float> hx(N * C);
    for (size_t i = 0; i < hx.size(); ++i) hx[i] = (float)(i % 7) - 2.0f;
    ASSERT_EQ(cudaMemcpy(x, hx.data(), hx.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(cubias_tensor_make(&v, x, CUBIAS_DTYPE_F32, N, C, 1), CUBIAS_STATUS_SUCCESS);
  }
  ~PassData() {
    if (h) EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(cudaFree(flush), cudaSuccess);
    EXPECT_EQ(cudaFree(x), cudaSuccess);
  }
};

}  // namespace
#endif

// The pass the benchmark times, on statistics the tensor does not fit (more
// channels than the tensor has): refused, so no time, and the pass stops there.
TEST(BenchTimedPassCUDA, AFailingStatisticsPassYieldsAnErrorNotATime) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  cubias_stats_t st = nullptr;
  ASSERT_EQ(cubias_stats_create(b.h, PassData::C + 1, CUBIAS_ACT_RELU, 0.0f, &st), CUBIAS_STATUS_SUCCESS);
  int runs = 0;
  const bench::Timing t = bench::time_pass(kReps, b.flush, kFlush, [&] {
    ++runs;
    return bench::stats_pass(b.h, st, &b.v);
  });
  EXPECT_NE(t.error, nullptr);
  EXPECT_TRUE(std::isnan(t.ms)) << "a failing pass was timed: " << t.ms << " ms";
  EXPECT_EQ(runs, 1) << "the timing went on after the pass failed";
  EXPECT_EQ(cubias_stats_destroy(st), CUBIAS_STATUS_SUCCESS);
#endif
}

// A pass that fails on a later repetition (warm-up and the first run succeed)
// yields no time either: the median of the runs before it would hide it.
TEST(BenchTimedPassCUDA, APassFailingOnALaterRunYieldsNoTime) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  int runs = 0;
  const bench::Timing t = bench::time_pass(kReps, b.flush, kFlush, [&] { return ++runs <= 2; });
  EXPECT_NE(t.error, nullptr);
  EXPECT_TRUE(std::isnan(t.ms)) << "a failing pass was timed: " << t.ms << " ms";
  EXPECT_EQ(runs, 3);
#endif
}

// The same pass on statistics that fit: a time, and the pass really ran (reset
// then one accumulate: the statistics hold exactly one batch).
TEST(BenchTimedPassCUDA, ASucceedingStatisticsPassIsTimed) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  cubias_stats_t st = nullptr;
  ASSERT_EQ(cubias_stats_create(b.h, PassData::C, CUBIAS_ACT_RELU, 0.0f, &st), CUBIAS_STATUS_SUCCESS);
  int runs = 0;
  const bench::Timing t = bench::time_pass(kReps, b.flush, kFlush, [&] {
    ++runs;
    return bench::stats_pass(b.h, st, &b.v);
  });
  EXPECT_EQ(t.error, nullptr) << t.error;
  EXPECT_TRUE(std::isfinite(t.ms) && t.ms >= 0.0) << t.ms;
  EXPECT_EQ(runs, kReps + 1);  // warm-up and the timed runs
  std::vector<cubias_channel_stats_t> out(PassData::C);
  ASSERT_EQ(cubias_stats_read(b.h, st, out.data()), CUBIAS_STATUS_SUCCESS);
  for (const cubias_channel_stats_t &c : out) EXPECT_EQ(c.count, PassData::N);
  EXPECT_EQ(cubias_stats_destroy(st), CUBIAS_STATUS_SUCCESS);
#endif
}

// Releases: cudaFree of a pointer that is not device memory fails and is counted
// (as is any failed release given as a flag, cublasDestroy's); successful
// ones are not.
TEST(BenchTimedPassCUDA, AFailingReleaseIsCounted) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  bench::ReleaseLog released;
  void *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 256), cudaSuccess);
  released(cudaFree(d), "cudaFree");
  released(cudaFree(nullptr), "cudaFree");
  released(true, "cublasDestroy", "");
  EXPECT_EQ(released.errors, 0);
  std::vector<char> host(256);
  released(cudaFree(host.data()), "cudaFree");  // a host pointer: cudaErrorInvalidValue
  (void)cudaGetLastError();                     // leave no error behind
  EXPECT_EQ(released.errors, 1);
  released(false, "cublasDestroy", "CUBLAS_STATUS_NOT_INITIALIZED");
  EXPECT_EQ(released.errors, 2);
#endif
}

// The untimed preparation (bench_kernels restores in-place inputs with it): it runs
// before the warm-up and before each timed run, in turn with the pass.
TEST(BenchTimedPassCUDA, PreparationRunsBeforeEveryRun) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  std::string order;
  const bench::Timing t = bench::time_pass(
      kReps, b.flush, kFlush, [&] { return order += 'p', true; }, [&] { return order += 'r', true; });
  EXPECT_EQ(t.error, nullptr) << t.error;
  EXPECT_TRUE(std::isfinite(t.ms) && t.ms >= 0.0) << t.ms;
  EXPECT_EQ(order, "prprprpr");  // warm-up and kReps timed runs, each prepared
#endif
}

// A preparation that fails (on the second run here) ends the timing without a time,
// and the pass does not run unprepared.
TEST(BenchTimedPassCUDA, AFailingPreparationYieldsNoTime) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  int prepared = 0, runs = 0;
  const bench::Timing t = bench::time_pass(
      kReps, b.flush, kFlush, [&] { return ++prepared < 2; }, [&] { return ++runs, true; });
  EXPECT_NE(t.error, nullptr);
  EXPECT_TRUE(std::isnan(t.ms)) << "an unprepared pass was timed: " << t.ms << " ms";
  EXPECT_EQ(prepared, 2);
  EXPECT_EQ(runs, 1);
#endif
}

// The copy floor: a positive, finite bandwidth of bytes read + written, and the copy
// really happened.
TEST(BenchTimedPassCUDA, CopyBandwidthCopies) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  PassData b;
  ASSERT_NO_FATAL_FAILURE(b.SetUp());
  float *dst = nullptr;
  const size_t bytes = PassData::N * PassData::C * sizeof(float);
  ASSERT_EQ(cudaMalloc(&dst, bytes), cudaSuccess);
  const char *error = "not set";
  const double gbs = bench::copy_gbs(kReps, b.flush, kFlush, dst, b.x, bytes, &error);
  EXPECT_EQ(error, nullptr) << error;
  EXPECT_TRUE(std::isfinite(gbs) && gbs > 0.0) << gbs;
  std::vector<float> got(PassData::N * PassData::C);
  ASSERT_EQ(cudaMemcpy(got.data(), dst, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], (float)(i % 7) - 2.0f) << i;
  EXPECT_EQ(cudaFree(dst), cudaSuccess);
#endif
}
