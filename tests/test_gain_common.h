// Helpers shared by the gain-check tests: a backend parameter (CPU, and a CUDA
// twin that skips visibly without a device) and backend buffers.
#ifndef CUBIAS_TEST_GAIN_COMMON_H
#define CUBIAS_TEST_GAIN_COMMON_H

#include <gtest/gtest.h>
#include <math.h>
#include <string.h>

#include <memory>
#include <random>
#include <vector>

#include "cubias.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

// Memory of the handle's backend: host memory for CPU, device memory for CUDA.
struct GainBuf {
  bool cuda = false;
  void *p = nullptr;
  size_t bytes = 0;
  GainBuf(bool cuda_, size_t n) : cuda(cuda_), bytes(n) {
#ifdef CUBIAS_HAVE_CUDA
    if (cuda) {
      if (cudaMalloc(&p, n) != cudaSuccess) p = nullptr;
      return;
    }
#endif
    p = malloc(n ? n : 1);
  }
  GainBuf(bool cuda_, const void *src, size_t n) : GainBuf(cuda_, n) { upload(src, n); }
  ~GainBuf() {
#ifdef CUBIAS_HAVE_CUDA
    if (cuda) {
      cudaFree(p);
      return;
    }
#endif
    free(p);
  }
  GainBuf(const GainBuf &) = delete;
  GainBuf &operator=(const GainBuf &) = delete;
  void upload(const void *src, size_t n) {
#ifdef CUBIAS_HAVE_CUDA
    if (cuda) {
      cudaMemcpy(p, src, n, cudaMemcpyHostToDevice);
      return;
    }
#endif
    memcpy(p, src, n);
  }
  void download(void *dst, size_t n) const {
#ifdef CUBIAS_HAVE_CUDA
    if (cuda) {
      cudaDeviceSynchronize();
      cudaMemcpy(dst, p, n, cudaMemcpyDeviceToHost);
      return;
    }
#endif
    memcpy(dst, p, n);
  }
};

// Parameterised over backends; the CUDA instance starts with the GPU guard.
class GainBackend : public ::testing::TestWithParam<cubias_backend_t> {
 protected:
  cubias_handle_t h = nullptr;
  bool cuda = false;
  void SetUp() override {
    cuda = GetParam() == CUBIAS_BACKEND_CUDA;
    if (cuda) CUBIAS_REQUIRE_GPU_OR_SKIP();
    ASSERT_EQ(cubias_create(&h, GetParam()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  }
  void TearDown() override {
    if (h) cubias_destroy(h);
  }
  // Accumulate rows [n, C] (f32, host data) into stats.
  void accumulate(cubias_stats_t s, const std::vector<float> &x, int64_t n, int64_t C) {
    GainBuf d(cuda, x.data(), x.size() * sizeof(float));
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, d.p, CUBIAS_DTYPE_F32, n, C), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    ASSERT_EQ(cubias_synchronize(h), CUBIAS_STATUS_SUCCESS);
  }
};

inline std::string gain_backend_name(const ::testing::TestParamInfo<cubias_backend_t> &i) {
  return i.param == CUBIAS_BACKEND_CUDA ? "Cuda" : "Cpu";
}

#define GAIN_INSTANTIATE(Suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                              \
                           ::testing::Values(CUBIAS_BACKEND_CPU, CUBIAS_BACKEND_CUDA),   \
                           gain_backend_name)

#endif
