// cubias_revive_quantile on the handle's stream (GPU only; skips visibly without
// a device): captured into a graph it replays like a direct call, and on a
// non-blocking stream its result is there for a copy on that stream once the
// stream is synchronised (work on another stream would not be ordered before it).
// Oracle: z = -(1..n) * scale per channel, so the revival shift for p_min = 1/20
// is margin + k * scale with k = n / 20, exact in float.
#include <gtest/gtest.h>

#include <vector>

#include "cubias.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace {

#ifdef CUBIAS_HAVE_CUDA
constexpr int64_t kN = 2000, kC = 3;
constexpr double kP = 0.05, kMargin = 0.125;

// The channels' scales, and the bias each must end with.
double scale(int64_t c) { return 1.0 / (double)(1 << c); }
float expected(int64_t c) { return (float)(kMargin + (double)(kN / 20) * scale(c)); }

struct Revival {
  float *dz = nullptr, *db = nullptr;
  cudaStream_t stream = nullptr;
  cubias_handle_t h = nullptr;
  cubias_stats_t s = nullptr;
  cubias_tensor_t v;

  // Data and statistics ready (the device synchronised) on a stream of `flags`.
  void init(unsigned flags, int nbias) {
    std::vector<float> z((size_t)(kN * kC));
    for (int64_t r = 0; r < kN; ++r)
      for (int64_t c = 0; c < kC; ++c)
        z[(size_t)(r * kC + c)] = -(float)(((r * 7919) % kN + 1) * scale(c));
    ASSERT_EQ(cudaMalloc(&dz, z.size() * sizeof(float)), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&db, (size_t)nbias * kC * sizeof(float)), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dz, z.data(), z.size() * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
    ASSERT_EQ(cudaMemset(db, 0, (size_t)nbias * kC * sizeof(float)), cudaSuccess);
    ASSERT_EQ(cudaStreamCreateWithFlags(&stream, flags), cudaSuccess);
    ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_set_stream(h, stream), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_tensor_rows(&v, dz, CUBIAS_DTYPE_F32, kN, kC), 0);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);  // the legacy stream's setup is done
    ASSERT_EQ(cubias_stats_create(h, kC, CUBIAS_ACT_RELU, 0.0f, &s), 0);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), 0) << cubias_get_last_error(h);
  }
  cubias_status_t revive(float *bias) {
    return cubias_revive_quantile(h, s, &v, 1, kP, kMargin, bias, CUBIAS_DTYPE_F32, nullptr);
  }
  ~Revival() {
    if (s) cubias_stats_destroy(s);
    if (h) cubias_destroy(h);
    if (stream) cudaStreamDestroy(stream);
    cudaFree(dz);
    cudaFree(db);
  }
};
#endif

TEST(GraphCaptureCUDA, ReviveQuantileReplaysLikeADirectCall) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  Revival r;
  ASSERT_NO_FATAL_FAILURE(r.init(cudaStreamDefault, 2));
  float *direct = r.db, *graphed = r.db + kC;
  ASSERT_EQ(r.revive(direct), 0) << cubias_get_last_error(r.h);  // the workspace grows here
  ASSERT_EQ(cubias_synchronize(r.h), 0);
  ASSERT_EQ(cudaStreamBeginCapture(r.stream, cudaStreamCaptureModeGlobal), cudaSuccess);
  ASSERT_EQ(r.revive(graphed), 0) << cubias_get_last_error(r.h);
  cudaGraph_t graph;
  ASSERT_EQ(cudaStreamEndCapture(r.stream, &graph), cudaSuccess);
  cudaGraphExec_t exec;
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(exec, r.stream), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(r.stream), cudaSuccess);
  float b[2 * kC];
  ASSERT_EQ(cudaMemcpy(b, r.db, sizeof b, cudaMemcpyDeviceToHost), cudaSuccess);
  for (int64_t c = 0; c < kC; ++c) {
    EXPECT_EQ(b[c], expected(c)) << "direct, channel " << c;
    EXPECT_EQ(b[kC + c], expected(c)) << "graphed, channel " << c;
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
#endif
}

TEST(StreamOrderCUDA, ReviveQuantileResultIsOnTheHandlesStream) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  Revival r;
  ASSERT_NO_FATAL_FAILURE(r.init(cudaStreamNonBlocking, 1));
  ASSERT_EQ(r.revive(r.db), 0) << cubias_get_last_error(r.h);
  float b[kC];
  ASSERT_EQ(cudaMemcpyAsync(b, r.db, sizeof b, cudaMemcpyDeviceToHost, r.stream), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(r.stream), cudaSuccess);
  for (int64_t c = 0; c < kC; ++c) EXPECT_EQ(b[c], expected(c)) << "channel " << c;
#endif
}

}  // namespace
