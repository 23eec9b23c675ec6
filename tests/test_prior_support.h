// Test helpers for the "Bias derivations II" suites: backend buffers, poison,
// the (backend, dtype) parameter grid. Not a reference: no math here.
#ifndef CUBIAS_TEST_PRIOR_SUPPORT_H
#define CUBIAS_TEST_PRIOR_SUPPORT_H

#include <gtest/gtest.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "cubias.h"
#include "priors_gates_masks_ref.h"
#include "gpu_guard.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

// A buffer on a backend: host memory (CPU) or device memory (CUDA).
struct BiasBuf {
  cubias_backend_t be;
  size_t bytes;
  void *p = nullptr;
  BiasBuf(cubias_backend_t backend, size_t n) : be(backend), bytes(n ? n : 1) {
    if (be == CUBIAS_BACKEND_CPU) {
      p = malloc(bytes);
    } else {
#ifdef CUBIAS_HAVE_CUDA
      if (cudaMalloc(&p, bytes) != cudaSuccess) p = nullptr;
#endif
    }
  }
  ~BiasBuf() {
    if (be == CUBIAS_BACKEND_CPU) free(p);
#ifdef CUBIAS_HAVE_CUDA
    else if (p) cudaFree(p);
#endif
  }
  BiasBuf(const BiasBuf &) = delete;
  BiasBuf &operator=(const BiasBuf &) = delete;
  template <class T> T *as() { return (T *)p; }
  void upload(const void *src, size_t n) {
    if (be == CUBIAS_BACKEND_CPU) {
      memcpy(p, src, n);
    } else {
#ifdef CUBIAS_HAVE_CUDA
      cudaDeviceSynchronize();
      cudaMemcpy(p, src, n, cudaMemcpyHostToDevice);
#endif
    }
  }
  std::vector<unsigned char> download() const {
    std::vector<unsigned char> out(bytes);
    if (be == CUBIAS_BACKEND_CPU) {
      memcpy(out.data(), p, bytes);
    } else {
#ifdef CUBIAS_HAVE_CUDA
      cudaDeviceSynchronize();
      cudaMemcpy(out.data(), p, bytes, cudaMemcpyDeviceToHost);
#endif
    }
    return out;
  }
  // 0xFF bytes: NaN in f32, f16 and bf16.
  void poison() {
    std::vector<unsigned char> ff(bytes, 0xFF);
    upload(ff.data(), bytes);
  }
  bool all_poison() const {
    for (unsigned char c : download())
      if (c != 0xFF) return false;
    return true;
  }
};

inline size_t bias_bytes(int dtype) { return dtype == 0 ? 4 : 2; }

// Decoded values of the first n elements of a buffer of dtype.
inline std::vector<double> bias_values(const BiasBuf &b, int dtype, int64_t n) {
  std::vector<unsigned char> raw = b.download();
  std::vector<double> v((size_t)n);
  for (int64_t i = 0; i < n; ++i) v[(size_t)i] = ref_decode(dtype, raw.data(), i);
  return v;
}

// |got - ref| <= atol + rtol |ref|, rtol one ulp of the dtype (the value is
// rounded once from fp64), atol covering f16 subnormals and fp64 noise near 0.
inline double bias_tol(int dtype, double ref, double extra_atol = 0.0) {
  double atol = (dtype == 1 ? ldexp(1.0, -24) : 1e-12) + extra_atol;
  return atol + ref_rel_ulp(dtype) * fabs(ref);
}

typedef std::tuple<cubias_backend_t, cubias_dtype_t> BackendDtype;

inline std::string backend_dtype_name(const testing::TestParamInfo<BackendDtype> &info) {
  static const char *dt[] = {"F32", "F16", "BF16"};
  return std::string(std::get<0>(info.param) == CUBIAS_BACKEND_CPU ? "Cpu" : "Gpu") +
         dt[(int)std::get<1>(info.param)];
}

// Fixture: a handle on the parameter's backend (GPU cases skip without a device).
class BackendDtypeTest : public testing::TestWithParam<BackendDtype> {
 protected:
  cubias_handle_t h = nullptr;
  cubias_backend_t be = CUBIAS_BACKEND_CPU;
  cubias_dtype_t dt = CUBIAS_DTYPE_F32;
  int dti = 0;
  void SetUp() override {
    be = std::get<0>(GetParam());
    dt = std::get<1>(GetParam());
    dti = (int)dt;
    if (be == CUBIAS_BACKEND_CUDA) CUBIAS_REQUIRE_GPU_OR_SKIP();
    ASSERT_EQ(cubias_create(&h, be), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(nullptr);
  }
  void TearDown() override {
    if (h) cubias_destroy(h);
  }
  size_t esz() const { return bias_bytes(dti); }
};

#define BACKEND_DTYPE_INSTANTIATE(Suite)                                                              \
  INSTANTIATE_TEST_SUITE_P(                                                                \
      Backends, Suite,                                                                     \
      testing::Combine(testing::Values(CUBIAS_BACKEND_CPU, CUBIAS_BACKEND_CUDA),           \
                       testing::Values(CUBIAS_DTYPE_F32, CUBIAS_DTYPE_F16, CUBIAS_DTYPE_BF16)), \
      backend_dtype_name)

#endif
