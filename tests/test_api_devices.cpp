// A handle's calls run on the handle's device, whatever device the caller has made
// current since, and leave the caller's device current (two CUDA devices: the
// emulated device has two; a one-GPU machine skips visibly).
#include <gtest/gtest.h>

#include <vector>

#include "util.h"
#include "../kernels/backend.h"  // the handle's device field, for the failing case
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace {

TEST(ApiDevicesCUDA, CallsRunOnTheHandlesDeviceAndRestoreTheCallers) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
#ifdef CUBIAS_HAVE_CUDA
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  if (n < 2) GTEST_SKIP() << "needs two CUDA devices, this machine has " << n;
  const int64_t N = 700, C = 9;
  const std::vector<float> x = tu::normal((size_t)(N * C), 1.5, 2.0, 17);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  cubias_handle_t h = nullptr, hc = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_create(&hc, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  float *dx = nullptr;
  double *dmean = nullptr;
  ASSERT_EQ(cudaMalloc(&dx, x.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dmean, C * sizeof(double)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cubias_tensor_t v, vc;
  ASSERT_EQ(cubias_tensor_rows(&v, dx, CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_tensor_rows(&vc, x.data(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr;
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_RELU, 0.0f, &s), CUBIAS_STATUS_SUCCESS);

  // The caller moves to device 1; every call below must still run on device 0.
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  EXPECT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  EXPECT_EQ(cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, dmean), CUBIAS_STATUS_SUCCESS)
      << cubias_get_last_error(h);
  std::vector<cubias_channel_stats_t> got(C);
  EXPECT_EQ(cubias_stats_read(h, s, got.data()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  int current = -1;
  ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
  EXPECT_EQ(current, 1) << "the caller's device was not restored";
  {
    tu::Stats sc(hc, C, ref::RELU);
    ASSERT_EQ(cubias_stats_accumulate(hc, sc, &vc), CUBIAS_STATUS_SUCCESS);
    tu::Tol parity;
    parity.mean_rtol = parity.mean_std = parity.var_rtol = parity.phi_rtol = 1e-6;
    parity.phi_atol = 1e-9;
    tu::expect_matches_lib(got, tu::read(hc, sc, C), parity, "handle on device 0, caller on 1");
  }
  EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
  EXPECT_EQ(current, 1);
  EXPECT_EQ(cubias_destroy(hc), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  cudaFree(dx);
  cudaFree(dmean);
#endif
}

// A statistics object whose handle's device cannot be made current: its destroy
// reports that (it used to return the status of the stream sync that followed,
// SUCCESS), with the backend's text under the call's name, and still frees it.
TEST(ApiDevicesCUDA, StatsDestroyReportsADeviceItCannotEnter) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr;
  ASSERT_EQ(cubias_stats_create(h, 5, CUBIAS_ACT_RELU, 0.0f, &s), CUBIAS_STATUS_SUCCESS);
  const int device = h->device;
  h->device = 99;  // no machine has a device 99: cudaSetDevice refuses it
  EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_CUDA_ERROR);
  const std::string msg = cubias_get_last_error(h);
  EXPECT_EQ(msg.rfind("cubias_stats_destroy: cannot make the handle's device 99 current", 0), 0u)
      << msg;
  EXPECT_EQ(msg, cubias_get_last_error(nullptr));
  h->device = device;
  EXPECT_EQ(h->live_stats, 0);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
}

}  // namespace
