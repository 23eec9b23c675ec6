// The hot path checks each pointer once: cubias_stats_accumulate asks the CUDA
// runtime about the tensor's memory exactly once per call (it asked twice), also
// while the stream is being captured, where the query is legal and the capture
// stays usable. Counted on the emulated device (tests/emu); a real GPU skips it.
#include <gtest/gtest.h>

#include <vector>

#include "util.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif
#ifdef CUBIAS_EMU
#include "cubias_emu/api.h"
#endif

namespace {

TEST(ApiPointerChecksCUDA, AccumulateQueriesTheTensorOnceAlsoUnderCapture) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifndef CUBIAS_EMU
  GTEST_SKIP() << "counts the runtime's pointer queries: on the emulated device only";
#else
  const int64_t N = 300, C = 6;
  const std::vector<float> x = tu::normal((size_t)(N * C), 0.0, 1.0, 21);
  float *dx = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, x.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_set_stream(h, stream), CUBIAS_STATUS_SUCCESS);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, dx, CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  {
    tu::Stats s(h, C, ref::RELU);
    ASSERT_EQ(cubias_reserve_workspace(h, &v), CUBIAS_STATUS_SUCCESS);
    long long before = cubias_emu_pointer_queries();
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    EXPECT_EQ(cubias_emu_pointer_queries() - before, 1);

    cudaGraph_t graph;
    ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal), cudaSuccess);
    before = cubias_emu_pointer_queries();
    EXPECT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    EXPECT_EQ(cubias_emu_pointer_queries() - before, 1);
    ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
    cudaGraphExec_t exec;
    ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    EXPECT_EQ(tu::read(h, s, C)[0].count, 2 * N);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
  cudaStreamDestroy(stream);
  cudaFree(dx);
#endif
}

}  // namespace
