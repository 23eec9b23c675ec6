// CUDA-graph capture: accumulation and on-device reads enqueue no hidden
// synchronisation or allocation once the workspace is reserved, so they can be
// captured into a graph and replayed (GPU only; skips visibly without a device).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cubias.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#ifdef CUBIAS_HAVE_CUDA
// Reserve the workspace for v, let the handle's stream drain, start capturing it.
static void reserve_and_capture(cubias_handle_t h, cudaStream_t stream, const cubias_tensor_t *v) {
  ASSERT_EQ(cubias_reserve_workspace(h, v), 0);
  ASSERT_EQ(cubias_synchronize(h), 0);
  ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal), cudaSuccess);
}
#endif

TEST(GraphCaptureCUDA, AccumulateAndWriteFieldReplayLikeDirectCalls) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  const int64_t N = 3000, C = 96;
  std::vector<float> hx(N * C);
  for (size_t i = 0; i < hx.size(); ++i) hx[i] = (float)((i * 2654435761u) % 1000) * 0.01f - 3.0f;
  float *dx = nullptr;
  double *dmean = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, hx.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dmean, C * sizeof(double)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, hx.data(), hx.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  cubias_handle_t h;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_set_stream(h, stream), CUBIAS_STATUS_SUCCESS);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, dx, CUBIAS_DTYPE_F32, N, C), 0);
  cubias_stats_t graphed, direct;
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_RELU, 0.0f, &graphed), 0);
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_RELU, 0.0f, &direct), 0);
  ASSERT_NO_FATAL_FAILURE(reserve_and_capture(h, stream, &v));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  ASSERT_EQ(cubias_stats_accumulate(h, graphed, &v), 0) << cubias_get_last_error(h);
  ASSERT_EQ(cubias_stats_write_field(h, graphed, CUBIAS_FIELD_MEAN, dmean), 0);
  ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  for (int rep = 0; rep < 2; ++rep) {
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    ASSERT_EQ(cubias_stats_accumulate(h, direct, &v), 0);
  }
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  std::vector<cubias_channel_stats_t> a(C), b(C);
  std::vector<double> mean(C);
  ASSERT_EQ(cubias_stats_read(h, graphed, a.data()), 0);
  ASSERT_EQ(cubias_stats_read(h, direct, b.data()), 0);
  ASSERT_EQ(cudaMemcpy(mean.data(), dmean, C * sizeof(double), cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(0, memcmp(a.data(), b.data(), sizeof(cubias_channel_stats_t) * C));
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_EQ(a[c].count, 2 * N);
    EXPECT_EQ(mean[c], a[c].mean);
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cubias_stats_destroy(graphed);
  cubias_stats_destroy(direct);
  cubias_destroy(h);
  cudaStreamDestroy(stream);
  cudaFree(dx);
  cudaFree(dmean);
#endif
}

// A captured graph replays into the workspace it captured: a later call that outgrows
// the workspace must not free it, and growth during the capture is refused (it would
// allocate inside the capture) without spoiling the capture.
TEST(GraphCaptureCUDA, WorkspaceGrowthNeverFreesWhatAGraphReplaysInto) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  const int64_t N = 2000, C = 24, NB = 4000, CB = 640;
  std::vector<float> hx(NB * CB);
  for (size_t i = 0; i < hx.size(); ++i) hx[i] = (float)((i * 2654435761u) % 1000) * 0.01f - 4.0f;
  float *dx = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, hx.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, hx.data(), hx.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  cubias_handle_t h;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_set_stream(h, stream), CUBIAS_STATUS_SUCCESS);
  cubias_tensor_t small, big;
  ASSERT_EQ(cubias_tensor_rows(&small, dx, CUBIAS_DTYPE_F32, N, C), 0);
  ASSERT_EQ(cubias_tensor_rows(&big, dx, CUBIAS_DTYPE_F32, NB, CB), 0);
  cubias_stats_t graphed, direct, wide;
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_IDENTITY, 0.0f, &graphed), 0);
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_IDENTITY, 0.0f, &direct), 0);
  ASSERT_EQ(cubias_stats_create(h, CB, CUBIAS_ACT_IDENTITY, 0.0f, &wide), 0);
  ASSERT_NO_FATAL_FAILURE(reserve_and_capture(h, stream, &small));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  ASSERT_EQ(cubias_stats_accumulate(h, graphed, &small), 0) << cubias_get_last_error(h);
  EXPECT_EQ(cubias_stats_accumulate(h, wide, &big), CUBIAS_STATUS_NOT_SUPPORTED);
  EXPECT_NE(strstr(cubias_get_last_error(h), "captured"), nullptr) << cubias_get_last_error(h);
  ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);

  // Outside the capture the workspace grows; the captured one must stay alive.
  ASSERT_EQ(cubias_stats_accumulate(h, wide, &big), 0) << cubias_get_last_error(h);
  for (int rep = 0; rep < 2; ++rep) {
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    ASSERT_EQ(cubias_stats_accumulate(h, direct, &small), 0);
  }
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  std::vector<cubias_channel_stats_t> a(C), b(C);
  ASSERT_EQ(cubias_stats_read(h, graphed, a.data()), 0);
  ASSERT_EQ(cubias_stats_read(h, direct, b.data()), 0);
  EXPECT_EQ(0, memcmp(a.data(), b.data(), sizeof(cubias_channel_stats_t) * C));
  EXPECT_EQ(a[0].count, 2 * N);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cubias_stats_destroy(graphed);
  cubias_stats_destroy(direct);
  cubias_stats_destroy(wide);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
  cudaStreamDestroy(stream);
  cudaFree(dx);
#endif
}
