// CUDA kernels of the gain check: the weight statistics fan_in*E[W^2] and the
// per-layer pooling of statistics fields. Same plan, lanes and trees as the
// CPU backend (kernels/gain_math.h); no atomics, bit-reproducible.
#include <cuda_runtime.h>

#include "../backend.h"
#include "../gain_math.h"
#include "cuda_util.cuh"

#ifdef CUBIAS_EMU
inline void cubias_emu_pointers(const cubias_wplan_t &, cubias_emu::PtrList &) {}
#endif

namespace {

constexpr int kLanes = CUBIAS_GAIN_LANES;

// Shared-memory form of cubias_gain_tree (same order of additions).
template <class Sm>
__device__ __forceinline__ void block_tree(Sm &&sm) {
  const int t = threadIdx.x;
  for (int off = kLanes >> 1; off >= 1; off >>= 1) {
    __syncthreads();
    if (t < off) sm[t] += sm[t + off];
  }
  __syncthreads();
}

// Block j: chunk j of the weight, one lane per thread.
__global__ void __launch_bounds__(kLanes)
    weight_chunks_kernel(const void *w, int dtype, cubias_wplan_t p, double *partials) {
  CUBIAS_SHARED(double, sm, [kLanes]);
  sm[threadIdx.x] = cubias_wplan_lane(w, dtype, &p, blockIdx.x, threadIdx.x);
  block_tree(sm);
  if (threadIdx.x == 0) CUBIAS_ST(partials, blockIdx.x, sm[0]);
}

// One thread folds the partials in the fixed order of cubias_gain_fold_chunks
// (at most 1024 doubles: negligible next to the pass over W).
__global__ void weight_fold_kernel(const double *partials, cubias_wplan_t p, int64_t fan_in,
                                   double *out) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  double s = cubias_gain_fold_chunks(partials, p.nchunks);
  CUBIAS_ST(out, 0, (double)fan_in * (s / (double)p.n));
}

__global__ void __launch_bounds__(kLanes)
    pool_kernel(const double *count, const double *mean, const double *var, const double *dphi,
                int64_t C, double *out) {
  CUBIAS_SHARED(double, sm, [CUBIAS_GAIN_POOL][kLanes]);
  double v[CUBIAS_GAIN_POOL];
  cubias_gain_pool_lane(count, mean, var, dphi, C, threadIdx.x, v);
#pragma unroll
  for (int k = 0; k < CUBIAS_GAIN_POOL; ++k) sm[k][threadIdx.x] = v[k];
  for (int k = 0; k < CUBIAS_GAIN_POOL; ++k) {
    block_tree(sm[k]);
    if (threadIdx.x == 0) CUBIAS_ST(out, k, sm[k][0]);
  }
}


}  // namespace

cubias_status_t cubias_cuda_weight_gain(cubias_handle_t h, const cubias_weight_t *w,
                                        double *partials, double *out) {
  const cubias_wplan_t p = cubias_wplan_of(w);
  cudaStream_t st = stream_of(h);
  cubias_slices sl{st};
  sl.mark(partials, (size_t)p.nchunks * sizeof(double));
  cubias_launch<weight_chunks_kernel>((unsigned)p.nchunks, kLanes, 0, st, w->data, (int)w->dtype, p,
                                      partials);
  cubias_status_t r = launched(h, "cubias_weight_gain");
  if (r) return r;
  cubias_launch<weight_fold_kernel>(1, 32, 0, st, partials, p, w->in, out);
  return launched(h, "cubias_weight_gain (fold)");
}

cubias_status_t cubias_cuda_gain_pool(cubias_handle_t h, const double *count, const double *mean,
                                      const double *var, const double *dphi, int64_t C,
                                      double *out) {
  cubias_launch<pool_kernel>(1, kLanes, 0, stream_of(h), count, mean, var, dphi, C, out);
  return launched(h, "cubias_gain_report (pool)");
}
