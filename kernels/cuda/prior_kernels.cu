// CUDA side of "Bias derivations II", class priors and the shared writers: constant
// fill, double -> dtype conversion, label histograms and prior biases.
// Integer atomics only: counts (and so the biases) repeat bit for bit.
#include <cuda_runtime.h>

#include "../backend.h"
#include "../backend.h"
#include "../dtype.h"
#include "../prior_math.h"
#include "cuda_util.cuh"

namespace {

constexpr int kBlock = 256;
// Label histograms privatised in shared memory up to this many bins (16 KiB).
constexpr int64_t kSharedBins = 2048;




__global__ void fill_kernel(void *out, int dtype, int64_t n, float v) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    cubias_store_as(out, dtype, i, v);
}

__global__ void from_doubles_kernel(const double *vals, int64_t n, double nan_value, void *out,
                                    int dtype) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    cubias_store_as(out, dtype, i, (float)cubias_dtype_saturate(dtype, CUBIAS_LD(vals, i), nan_value));
}

template <class T>
__global__ void count_labels_shared(const T *labels, int64_t n, int64_t K,
                                    unsigned long long *counts) {
  CUBIAS_SHARED(unsigned long long, bins, [kSharedBins + 1]);
  for (int64_t k = threadIdx.x; k <= K; k += blockDim.x) bins[k] = 0;
  __syncthreads();
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t y = (int64_t)CUBIAS_LD(labels, i);
    atomicAdd(&bins[(y >= 0 && y < K) ? y : K], 1ull);
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k <= K; k += blockDim.x)
    if (bins[k]) atomicAdd(counts + k, (unsigned long long)bins[k]);
}

template <class T>
__global__ void count_labels_global(const T *labels, int64_t n, int64_t K,
                                    unsigned long long *counts) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t y = (int64_t)CUBIAS_LD(labels, i);
    atomicAdd(&counts[(y >= 0 && y < K) ? y : K], 1ull);
  }
}

// Thread (column k, row slice blockIdx.y): coalesced across k.
__global__ void count_multihot_kernel(const uint8_t *t, int64_t n, int64_t K, int64_t rows_per,
                                      unsigned long long *counts) {
  const int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= K) return;
  const int64_t r0 = (int64_t)blockIdx.y * rows_per;
  const int64_t r1 = min(n, r0 + rows_per);
  unsigned long long ones = 0, bad = 0;
  for (int64_t r = r0; r < r1; ++r) {
    uint8_t v = CUBIAS_LD(t, r * K + k);
    ones += v == 1;
    bad += v > 1;
  }
  if (CUBIAS_EMU_PLANT(3)) {  // planted defect (tests/emu): the row slices race
    if (ones) CUBIAS_PLAIN_ADD(&counts[k], ones);
    if (bad) CUBIAS_PLAIN_ADD(&counts[K], bad);
    return;
  }
  if (ones) atomicAdd(&counts[k], ones);
  if (bad) atomicAdd(&counts[K], bad);
}

// One block of kFinishThreads: the anchor constant by a fixed-order reduction, then all
// K biases. The bound caps its registers at 64, so that the block fits an SM's 65536 on
// every architecture (without it the launch could fail for want of registers).
constexpr int kFinishThreads = 1024;
__global__ void __launch_bounds__(kFinishThreads)
    softmax_finish_kernel(const unsigned long long *counts, int64_t K, int64_t n, double alpha,
                          int anchor, int64_t pin, void *out, int dtype) {
  CUBIAS_SHARED(double, part, [kFinishThreads]);
  CUBIAS_SHARED(double, shift, );
  if (anchor == 0) {
    double s = 0.0;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) s += cubias_prior_log_count(CUBIAS_LD(counts, k), alpha);
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
      if ((int)threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
      __syncthreads();
    }
    if (threadIdx.x == 0) shift = part[0] / (double)K;
  } else if (threadIdx.x == 0) {
    shift = anchor == 1 ? cubias_prior_log_count(CUBIAS_LD(counts, pin), alpha)
                        : log((double)n + (double)K * alpha);
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    double b = (anchor == 1 && k == pin) ? 0.0 : cubias_prior_log_count(CUBIAS_LD(counts, k), alpha) - shift;
    cubias_store_as(out, dtype, k, (float)b);
  }
}

__global__ void sigmoid_finish_kernel(const unsigned long long *counts, int64_t K, int64_t n,
                                      double alpha, void *out, int dtype) {
  for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < K;
       k += (int64_t)gridDim.x * blockDim.x)
    cubias_store_as(out, dtype, k, (float)cubias_sigmoid_prior(CUBIAS_LD(counts, k), n, alpha));
}

}  // namespace

cubias_status_t cubias_cuda_fill(cubias_handle_t h, void *d_out, int dtype, int64_t n,
                                    float value) {
  cubias_launch<fill_kernel>(grid_for(n), kBlock, 0, stream_of(h), d_out, dtype, n, value);
  return launched(h, "cubias fill kernel");
}

cubias_status_t cubias_cuda_store_doubles(cubias_handle_t h, const double *d_vals, int64_t n,
                                            double nan_value, void *d_out, int dtype) {
  cubias_launch<from_doubles_kernel>(grid_for(n), kBlock, 0, stream_of(h), d_vals, n, nan_value,
                                     d_out, dtype);
  return launched(h, "cubias conversion kernel");
}

cubias_status_t cubias_cuda_prior_count_labels(cubias_handle_t h, const void *d_labels, int idx64,
                                               int64_t n, int64_t K, uint64_t *d_counts) {
  cudaError_t e = cudaMemsetAsync(d_counts, 0, (size_t)(K + 1) * sizeof(uint64_t), stream_of(h));
  if (e != cudaSuccess)
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaMemsetAsync failed: %s",
                       cudaGetErrorString(e));
  unsigned long long *c = (unsigned long long *)d_counts;
  const unsigned g = grid_for(n, 1024);
  // (CUBIAS_EMU_PLANT(8): twice the bins the shared array holds, an overrun into
  // the shared memory past it.)
  if (K <= (CUBIAS_EMU_PLANT(8) ? 2 : 1) * kSharedBins) {
    if (idx64)
      cubias_launch<count_labels_shared<int64_t>>(g, kBlock, 0, stream_of(h),
                                                  (const int64_t *)d_labels, n, K, c);
    else
      cubias_launch<count_labels_shared<int32_t>>(g, kBlock, 0, stream_of(h),
                                                  (const int32_t *)d_labels, n, K, c);
  } else {
    if (idx64)
      cubias_launch<count_labels_global<int64_t>>(g, kBlock, 0, stream_of(h),
                                                  (const int64_t *)d_labels, n, K, c);
    else
      cubias_launch<count_labels_global<int32_t>>(g, kBlock, 0, stream_of(h),
                                                  (const int32_t *)d_labels, n, K, c);
  }
  return launched(h, "cubias label histogram");
}

cubias_status_t cubias_cuda_prior_count_multihot(cubias_handle_t h, const uint8_t *d_t,
                                                 int64_t n, int64_t K, uint64_t *d_counts) {
  cudaError_t e = cudaMemsetAsync(d_counts, 0, (size_t)(K + 1) * sizeof(uint64_t), stream_of(h));
  if (e != cudaSuccess)
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaMemsetAsync failed: %s",
                       cudaGetErrorString(e));
  const int64_t gx = (K + kBlock - 1) / kBlock;
  if (gx > 0x7fffffff)
    return cubias_backend_fail(h, CUBIAS_STATUS_NOT_SUPPORTED, "multi-hot prior: too many classes");
  // Row slices: enough blocks to fill the device, at least 64 rows each.
  int64_t slices = (4096 + gx - 1) / gx;
  int64_t max_slices = (n + 63) / 64;
  if (slices > max_slices) slices = max_slices;
  if (slices > 65535) slices = 65535;
  if (slices < 1) slices = 1;
  const int64_t rows_per = (n + slices - 1) / slices;
  slices = (n + rows_per - 1) / rows_per;
  dim3 grid((unsigned)gx, (unsigned)slices);
  cubias_launch<count_multihot_kernel>(grid, kBlock, 0, stream_of(h), d_t, n, K, rows_per,
                                       (unsigned long long *)d_counts);
  return launched(h, "cubias multi-hot histogram");
}

cubias_status_t cubias_cuda_prior_finish(cubias_handle_t h, const uint64_t *d_counts, int64_t K,
                                         int64_t n, int sigmoid, double alpha, int anchor,
                                         int64_t pin, void *d_out, int dtype) {
  const unsigned long long *c = (const unsigned long long *)d_counts;
  if (sigmoid)
    cubias_launch<sigmoid_finish_kernel>(grid_for(K), kBlock, 0, stream_of(h), c, K, n, alpha,
                                         d_out, dtype);
  else
    cubias_launch<softmax_finish_kernel>(1, kFinishThreads, 0, stream_of(h), c, K, n, alpha,
                                         anchor, pin, d_out, dtype);
  return launched(h, "cubias prior kernel");
}
