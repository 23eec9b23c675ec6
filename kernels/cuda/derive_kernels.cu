// CUDA backend of the bias derivations I. Statistics are read straight from
// the accumulator's device state (kernels/derive_math.h finalises a channel);
// everything is enqueued on the handle's stream; scratch comes from the
// handle's workspace; integer atomics only (counts), so results repeat bit
// for bit. The matrix-vector products of centering from input and of the
// post-activation shift run in cuBLAS (Dgemv on W converted to double, in row
// blocks that bound the workspace).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../backend.h"
#include "../weight_view.h"
#include "../derive_math.h"
#include "cuda_util.cuh"

namespace {

constexpr int kBlock = 256;
// Doubles of W converted per cuBLAS call (32 MB of workspace at most, or one row).
constexpr int64_t kGemvBlockDoubles = (int64_t)1 << 22;





#define GRID_STRIDE(i, n)                                                           \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);         \
       i += (int64_t)gridDim.x * blockDim.x)

__device__ __forceinline__ cubias_final_t final_at(const void *state, int64_t C, int64_t c,
                                                   int act, float slope) {
  return cubias_derive_final(state, C, c, act, slope);
}

// ---- centering from input, post-activation shift ------------------------------

// v[c * spatial + k] for every k < spatial: the columns of channel c.
__global__ void vec_kernel(const void *state, int64_t C, int act, float slope, int kind,
                           int64_t spatial, double *v, double *report) {
  GRID_STRIDE(c, C) {
    cubias_final_t f = final_at(state, C, c, act, slope);
    const double vc = cubias_derive_vec(kind, &f, act, slope, report ? report + c : nullptr, C);
    for (int64_t k = 0; k < spatial; ++k) CUBIAS_ST(v, c * spatial + k, vc);
  }
}

__global__ void fill_kernel(double *y, int64_t n, double t) {
  GRID_STRIDE(i, n) CUBIAS_ST(y, i, t);
}

// Rows [r0, r0 + R) of W into a packed double block: row-major [R, in] for a
// row-major W, column-major [R, in] (lda = R) for a column-major one.
__global__ void convert_kernel(const void *W, int dtype, int col, int64_t ld, int64_t in,
                               int64_t r0, int64_t R, double *A) {
  GRID_STRIDE(e, R * in) {
    int64_t j, i;
    if (col) {
      i = e / R;
      j = e - i * R;
    } else {
      j = e / in;
      i = e - j * in;
    }
    CUBIAS_ST(A, e, (double)cubias_load_as(W, dtype, cubias_derive_widx(col, ld, r0 + j, i)));
  }
}

__global__ void store_kernel(const double *y, int64_t n, void *bias, int bdt) {
  GRID_STRIDE(i, n) cubias_store_as(bias, bdt, i, (float)CUBIAS_LD(y, i));
}

// ---- centering from pre-activation --------------------------------------

__global__ void center_preact_kernel(const void *state, int64_t C, int act, float slope, double t,
                                     void *bias, int bdt) {
  GRID_STRIDE(c, C) {
    cubias_final_t f = final_at(state, C, c, act, slope);
    if (!(f.count > 0.0)) continue;
    double b = (double)cubias_load_as(bias, bdt, c);
    cubias_store_as(bias, bdt, c, (float)(b - (f.mean - t)));
  }
}

// ---- data-dependent normalisation ---------------------------------------

__global__ void norm_channel_kernel(const void *state, int64_t C, int act, float slope, double sc,
                                    double t, void *bias, int bdt, double *factor,
                                    unsigned long long *skipped) {
  GRID_STRIDE(j, C) {
    cubias_final_t f = final_at(state, C, j, act, slope);
    double k = cubias_derive_norm_factor(&f, sc);
    CUBIAS_ST(factor, j, k);
    if (k == 0.0) {
      if (skipped) atomicAdd(skipped, 1ull);
      continue;
    }
    if (bias) {
      double b = (double)cubias_load_as(bias, bdt, j);
      cubias_store_as(bias, bdt, j, (float)(k * (b - f.mean) + t));
    }
  }
}

__global__ void norm_weight_kernel(void *W, int dtype, int col, int64_t ld, int64_t out,
                                   int64_t in, const double *factor) {
  GRID_STRIDE(e, out * in) {
    int64_t j, i;
    if (col) {
      i = e / out;
      j = e - i * out;
    } else {
      j = e / in;
      i = e - j * in;
    }
    double k = CUBIAS_LD(factor, j);
    if (k == 0.0) continue;
    int64_t w = cubias_derive_widx(col, ld, j, i);
    cubias_store_as(W, dtype, w, (float)(k * (double)cubias_load_as(W, dtype, w)));
  }
}

// ---- symmetric shift ----------------------------------------------------

__global__ void sym_init_kernel(const void *state, int64_t C, int act, float slope, double *ctr,
                                double *hw, double *best) {
  GRID_STRIDE(c, C) {
    cubias_final_t f = final_at(state, C, c, act, slope);
    CUBIAS_ST(ctr, c, f.count > 0.0 ? -0.5 * (f.max + f.min) : NAN);
    CUBIAS_ST(hw, c, f.count > 0.0 ? 0.5 * (f.max - f.min) : NAN);
    CUBIAS_ST(best, c, NAN);
  }
}

// One block per (chunk j, channel c), pair = j * C + c: K + 1 sums (the last counts
// entries), written to partials[pair * (K + 1) + q]. Thread t sums entries e0 + t,
// e0 + t + kBlock, ... in turn, then a fixed tree (t takes t + off, off = kBlock/2 .. 1)
// per sum: the same order on every run. The candidates go in groups of kSymGroup a
// walk over the chunk (two walks for 17): all K sums live at once, across the libm
// calls, took 170 registers (one block per SM); a group takes 74-78 on sm_75 ...
// sm_120 for one more read of the chunk in this compute-bound pass (the same sums
// in the same order, so the same bits).
constexpr int kSymGroup = 9;

template <class Tree>
__device__ __forceinline__ void sym_tree_store(Tree &tree, double v, double *out) {
  const int t = threadIdx.x;
  tree[t] = v;
  __syncthreads();
  for (int off = kBlock / 2; off > 0; off >>= 1) {
    if (t < off) tree[t] += tree[t + off];
    __syncthreads();
  }
  if (t == 0) CUBIAS_ST(out, 0, tree[0]);
  __syncthreads();
}

__global__ void __launch_bounds__(kBlock)
    sym_partials_kernel(cubias_tensor_t x, cubias_plan_t plan, int act, const double *ctr,
                        const double *hw, double *partials) {
  const int K = CUBIAS_SYM_K;
  CUBIAS_SHARED(double, tree, [kBlock]);
  const int64_t C = x.channels, pair = blockIdx.x, j = pair / C, c = pair - j * C;
  const double cc = CUBIAS_LD(ctr, c), w = CUBIAS_LD(hw, c);
  const int64_t e0 = j * plan.chunk + threadIdx.x, e1 = min(plan.per_channel, (j + 1) * plan.chunk);
  double *p = partials + (size_t)pair * (K + 1);
  double count = 0.0;
#pragma unroll 1
  for (int q0 = 0; q0 < K; q0 += kSymGroup) {
    double sums[kSymGroup], shift[kSymGroup];
#pragma unroll
    for (int g = 0; g < kSymGroup; ++g) {
      sums[g] = 0.0;
      shift[g] = q0 + g < K ? cubias_derive_sym_candidate(cc, w, q0 + g) : 0.0;
    }
    if (w >= 0.0) {  // uniform over the block
      for (int64_t e = e0; e < e1; e += kBlock) {
        const int64_t o = e / x.inner, i = e - o * x.inner;
        const float v = cubias_load_as(x.data, (int)x.dtype, (o * C + c) * x.inner + i);
        if (!cubias_isfinite_f(v)) continue;
#pragma unroll
        for (int g = 0; g < kSymGroup; ++g)
          if (q0 + g < K) sums[g] += cubias_derive_dphi(act, (double)v + shift[g]);
        if (q0 == 0) count += 1.0;
      }
    }
#pragma unroll 1
    for (int g = 0; g < kSymGroup && q0 + g < K; ++g) sym_tree_store(tree, sums[g], &p[q0 + g]);
  }
  sym_tree_store(tree, count, &p[K]);
}

__global__ void sym_reduce_kernel(const double *partials, int64_t nchunks, int64_t C,
                                  double *acc) {
  const int K1 = CUBIAS_SYM_K + 1;
  GRID_STRIDE(t, C * K1) {
    const int64_t c = t / K1, q = t - c * K1;
    double a = CUBIAS_LD(acc, t);
    for (int64_t j = 0; j < nchunks; ++j) a += CUBIAS_LD(partials, (size_t)(j * C + c) * K1 + q);
    CUBIAS_ST(acc, t, a);
  }
}

__global__ void sym_select_kernel(const double *acc, int64_t C, double *ctr, double *hw,
                                  double *best) {
  const int K = CUBIAS_SYM_K;
  GRID_STRIDE(c, C) {
    const double *a = acc + (size_t)c * (K + 1);
    if (!(CUBIAS_LD(hw, c) >= 0.0) || !(CUBIAS_LD(a, K) > 0.0)) {
      CUBIAS_ST(hw, c, NAN);
      continue;
    }
    double cc = CUBIAS_LD(ctr, c), w = CUBIAS_LD(hw, c), b;
    cubias_derive_sym_select(a, CUBIAS_LD(a, K), &cc, &w, &b);
    CUBIAS_ST(ctr, c, cc);
    CUBIAS_ST(hw, c, w);
    CUBIAS_ST(best, c, b);
  }
}

__global__ void sym_finish_kernel(int64_t C, const double *ctr, const double *hw,
                                  const double *best, void *bias, int bdt, double *report) {
  GRID_STRIDE(c, C) {
    cubias_derive_sym_finish(C, c, ctr, hw, best, bias, bdt, report);
  }
}

// ---- dead-unit revival --------------------------------------------------

__device__ __forceinline__ void count_dead(const cubias_final_t &f, double b0, double b1,
                                           unsigned long long *dead) {
  if (!dead) return;
  if (f.count > 0.0 && f.positive == 0.0) atomicAdd(&dead[0], 1ull);
  if (f.count > 0.0 && f.max + (b1 - b0) <= 0.0) atomicAdd(&dead[1], 1ull);
}

__global__ void revive_constant_kernel(const void *state, int64_t C, int act, float slope,
                                       double value, int all, void *bias, int bdt,
                                       unsigned long long *dead) {
  GRID_STRIDE(c, C) {
    cubias_final_t f = final_at(state, C, c, act, slope);
    const bool was = f.count > 0.0 && f.positive == 0.0;
    double b0 = (double)cubias_load_as(bias, bdt, c), b1 = b0;
    if (all || was) {
      cubias_store_as(bias, bdt, c, (float)value);
      b1 = (double)cubias_load_as(bias, bdt, c);
    }
    count_dead(f, b0, b1, dead);
  }
}

// One block per (chunk j, channel c) of the statistics plan: the block counts its
// entries' digits in shared memory and adds each non-empty bin to the channel's
// global histogram once (integer counts: the order does not matter).
__global__ void __launch_bounds__(kBlock)
    radix_hist_kernel(cubias_tensor_t x, cubias_plan_t plan, int pass, const uint32_t *prefix,
                      unsigned long long *hist) {
  CUBIAS_SHARED(unsigned int, bins, [CUBIAS_RADIX_BINS]);
  for (int b = threadIdx.x; b < CUBIAS_RADIX_BINS; b += blockDim.x) bins[b] = 0u;
  __syncthreads();
  const int64_t C = x.channels, j = blockIdx.x / C, c = blockIdx.x - j * C;
  const int64_t e1 = min(plan.per_channel, (j + 1) * plan.chunk);
  const uint32_t pf = CUBIAS_LD(prefix, c);
  for (int64_t e = j * plan.chunk + threadIdx.x; e < e1; e += blockDim.x) {
    const int64_t o = e / x.inner, i = e - o * x.inner;
    const float v = cubias_load_as(x.data, (int)x.dtype, (o * C + c) * x.inner + i);
    if (!cubias_isfinite_f(v)) continue;
    const uint32_t key = cubias_derive_key(v);
    if (!cubias_derive_radix_match(key, pf, pass)) continue;
    unsigned int *bin = &bins[cubias_derive_radix_digit(key, pass)];
    if (CUBIAS_EMU_PLANT(4)) CUBIAS_PLAIN_ADD(bin, 1u);  // planted defect (tests/emu)
    else atomicAdd(bin, 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < CUBIAS_RADIX_BINS; b += blockDim.x)
    if (bins[b]) atomicAdd(hist + (size_t)c * CUBIAS_RADIX_BINS + b, (unsigned long long)bins[b]);
}

__global__ void radix_step_kernel(const unsigned long long *hist, int64_t C, int pass, double p,
                                  uint32_t *prefix, int64_t *rank) {
  GRID_STRIDE(c, C) {
    const unsigned long long *hc = hist + (size_t)c * CUBIAS_RADIX_BINS;
    if (pass == 0) {
      unsigned long long n = 0;
      for (int d = 0; d < CUBIAS_RADIX_BINS; ++d) n += CUBIAS_LD(hc, d);
      CUBIAS_ST(prefix, c, 0u);
      CUBIAS_ST(rank, c, n ? cubias_derive_rank(p, (int64_t)n) : 0);
    }
    if (CUBIAS_LD(rank, c) > 0) {
      uint32_t pf = CUBIAS_LD(prefix, c);
      int64_t r = CUBIAS_LD(rank, c);
      cubias_derive_radix_step(hc, pass, &pf, &r);
      CUBIAS_ST(prefix, c, pf);
      CUBIAS_ST(rank, c, r);
    }
  }
}

__global__ void revive_quantile_kernel(const void *state, int64_t C, int act, float slope,
                                       const uint32_t *prefix, const int64_t *rank, double margin,
                                       void *bias, int bdt, unsigned long long *dead) {
  GRID_STRIDE(c, C) {
    cubias_final_t f = final_at(state, C, c, act, slope);
    double b0 = (double)cubias_load_as(bias, bdt, c), b1 = b0;
    if (CUBIAS_LD(rank, c) > 0) {
      double d = cubias_derive_revive_shift(cubias_derive_unkey(CUBIAS_LD(prefix, c)), margin);
      if (d > 0.0) b1 = cubias_derive_store_ceil(bias, bdt, c, b0 + d);
    }
    count_dead(f, b0, b1, dead);
  }
}

// Workspace carving: 256-byte aligned slices, each a buffer of its own to the
// emulated device (cubias_slices) while the carver lives.
struct Carver {
  char *base;
  cubias_slices sl;
  size_t off = 0;
  template <class T>
  T *take(size_t n) {
    T *p = (T *)(base + off);
    sl.mark(p, n * sizeof(T));
    off += (n * sizeof(T) + 255) / 256 * 256;
    return p;
  }
};

size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

cubias_status_t get_blas(cubias_handle_t h, cublasHandle_t *out) {
  if (!h->blas) {
    cublasHandle_t b = nullptr;
    cublasStatus_t s = cublasCreate(&b);
    if (s != CUBLAS_STATUS_SUCCESS)
      return cubias_backend_fail(h, CUBIAS_STATUS_CUBLAS_ERROR, "cublasCreate failed: %s",
                         cublasGetStatusString(s));
    h->blas = b;
  }
  cublasHandle_t b = (cublasHandle_t)h->blas;
  cublasStatus_t s = cublasSetStream(b, stream_of(h));
  if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetPointerMode(b, CUBLAS_POINTER_MODE_HOST);
  if (s != CUBLAS_STATUS_SUCCESS)
    return cubias_backend_fail(h, CUBIAS_STATUS_CUBLAS_ERROR, "cublasSetStream failed: %s",
                       cublasGetStatusString(s));
  *out = b;
  return CUBIAS_STATUS_SUCCESS;
}

}  // namespace

void cubias_cuda_blas_destroy(cubias_handle_t h) {
  if (h && h->blas) {
    cublasDestroy((cublasHandle_t)h->blas);
    h->blas = nullptr;
  }
}

cubias_status_t cubias_cuda_derive_gemv(cubias_handle_t h, cubias_stats_t s, int kind,
                                        const cubias_weight_t *W, int64_t spatial, double t,
                                        void *bias, int bdt, double *report, void *ws,
                                        size_t *ws_bytes) {
  const char *where = "b = t - W v";  // the front adds the call's name
  const int64_t in = W->in, out = W->out, ld = cubias_weight_ld(W);
  const int col = W->layout == CUBIAS_WEIGHT_COL_MAJOR;
  int64_t R = kGemvBlockDoubles / in;
  if (R < 1) R = 1;
  if (R > out) R = out;
  if (!ws) return cubias_workspace_answer(ws_bytes, aligned(in * 8) + aligned(out * 8) + aligned(R * in * 8));
  cublasHandle_t blas = nullptr;
  cubias_status_t st = get_blas(h, &blas);
  if (st) return st;
  Carver cv{(char *)ws, {stream_of(h)}};
  double *v = cv.take<double>(in), *y = cv.take<double>(out), *A = cv.take<double>(R * in);
  cudaStream_t stm = stream_of(h);
  cubias_launch<vec_kernel>(grid_for(s->channels), kBlock, 0, stm, s->state, s->channels, s->act,
                            s->slope, kind, spatial, v, report);
  cubias_launch<fill_kernel>(grid_for(out), kBlock, 0, stm, y, out, t);
  if ((st = launched(h, where))) return st;
  const double minus_one = -1.0, one = 1.0;
  for (int64_t r0 = 0; r0 < out; r0 += R) {
    const int64_t rb = r0 + R <= out ? R : out - r0;
    cubias_launch<convert_kernel>(grid_for(rb * in), kBlock, 0, stm, W->data, (int)W->dtype, col,
                                  ld, in, r0, rb, A);
    if ((st = launched(h, where))) return st;
    cublasStatus_t bs =
        col ? cublasDgemv(blas, CUBLAS_OP_N, (int)rb, (int)in, &minus_one, A, (int)rb, v, 1, &one,
                          y + r0, 1)
            : cublasDgemv(blas, CUBLAS_OP_T, (int)in, (int)rb, &minus_one, A, (int)in, v, 1, &one,
                          y + r0, 1);
    if (bs != CUBLAS_STATUS_SUCCESS)
      return cubias_backend_fail(h, CUBIAS_STATUS_CUBLAS_ERROR, "%s: cublasDgemv failed: %s", where,
                         cublasGetStatusString(bs));
  }
  cubias_launch<store_kernel>(grid_for(out), kBlock, 0, stm, y, out, bias, bdt);
  return launched(h, where);
}

cubias_status_t cubias_cuda_derive_center_preact(cubias_handle_t h, cubias_stats_t s, double t,
                                                 void *bias, int bdt) {
  cubias_launch<center_preact_kernel>(grid_for(s->channels), kBlock, 0, stream_of(h), s->state,
                                      s->channels, s->act, s->slope, t, bias, bdt);
  return launched(h, "cubias_center_from_preact");
}

cubias_status_t cubias_cuda_derive_normalize(cubias_handle_t h, cubias_stats_t s, double sc,
                                             double t, const cubias_weight_t *W, void *bias,
                                             int bdt, int64_t *skipped, void *ws,
                                             size_t *ws_bytes) {
  const char *where = "cubias_normalize_from_preact";
  const int64_t C = s->channels;
  if (!ws) return cubias_workspace_answer(ws_bytes, aligned(C * 8));
  cubias_status_t st;
  cudaStream_t stm = stream_of(h);
  if (skipped && (st = cuda_ok(h, cudaMemsetAsync(skipped, 0, 8, stm), where))) return st;
  double *factor = (double *)ws;
  cubias_slices sl{stm};
  sl.mark(factor, C * 8);
  cubias_launch<norm_channel_kernel>(grid_for(C), kBlock, 0, stm, s->state, C, s->act, s->slope, sc,
                                     t, bias, bdt, factor, (unsigned long long *)skipped);
  cubias_launch<norm_weight_kernel>(grid_for(W->out * W->in), kBlock, 0, stm, W->data,
                                    (int)W->dtype, W->layout == CUBIAS_WEIGHT_COL_MAJOR,
                                    cubias_weight_ld(W), W->out, W->in, factor);
  return launched(h, where);
}

cubias_status_t cubias_cuda_derive_symmetric(cubias_handle_t h, int act, cubias_stats_t s,
                                             const cubias_tensor_t *z, int64_t nz, void *bias,
                                             int bdt, double *report, void *ws,
                                             size_t *ws_bytes) {
  const char *where = "cubias_symmetric_shift";
  const int64_t C = s->channels;
  const int K1 = CUBIAS_SYM_K + 1;
  int64_t max_partials = 0;
  for (int64_t k = 0; k < nz; ++k) {
    cubias_plan_t plan = cubias_make_plan(z[k].outer, C, z[k].inner);
    if (plan.nchunks * C > max_partials) max_partials = plan.nchunks * C;
  }
  if (!ws)
    return cubias_workspace_answer(
        ws_bytes, 3 * aligned(C * 8) + aligned(C * K1 * 8) + aligned(max_partials * K1 * 8));
  cubias_status_t st;
  Carver cv{(char *)ws, {stream_of(h)}};
  double *ctr = cv.take<double>(C), *hw = cv.take<double>(C), *best = cv.take<double>(C);
  double *acc = cv.take<double>(C * K1), *partials = cv.take<double>(max_partials * K1);
  cudaStream_t stm = stream_of(h);
  cubias_launch<sym_init_kernel>(grid_for(C), kBlock, 0, stm, s->state, C, s->act, s->slope, ctr,
                                 hw, best);
  for (int pass = 0; pass < CUBIAS_SYM_PASSES; ++pass) {
    if ((st = cuda_ok(h, cudaMemsetAsync(acc, 0, C * K1 * 8, stm), where))) return st;
    for (int64_t k = 0; k < nz; ++k) {
      cubias_plan_t plan = cubias_make_plan(z[k].outer, C, z[k].inner);
      if (plan.nchunks * C == 0) continue;
      cubias_launch<sym_partials_kernel>((unsigned)(plan.nchunks * C), kBlock, 0, stm, z[k], plan,
                                         act, ctr, hw, partials);
      cubias_launch<sym_reduce_kernel>(grid_for(C * K1), kBlock, 0, stm, partials, plan.nchunks, C,
                                       acc);
    }
    cubias_launch<sym_select_kernel>(grid_for(C), kBlock, 0, stm, acc, C, ctr, hw, best);
    if ((st = launched(h, where))) return st;
  }
  cubias_launch<sym_finish_kernel>(grid_for(C), kBlock, 0, stm, C, ctr, hw, best, bias, bdt,
                                   report);
  return launched(h, where);
}

cubias_status_t cubias_cuda_derive_revive_constant(cubias_handle_t h, cubias_stats_t s,
                                                   double value, int all, void *bias, int bdt,
                                                   int64_t *dead) {
  const char *where = "cubias_revive_constant";
  cudaStream_t stm = stream_of(h);
  cubias_status_t st;
  if (dead && (st = cuda_ok(h, cudaMemsetAsync(dead, 0, 16, stm), where))) return st;
  cubias_launch<revive_constant_kernel>(grid_for(s->channels), kBlock, 0, stm, s->state,
                                        s->channels, s->act, s->slope, value, all, bias, bdt,
                                        (unsigned long long *)dead);
  return launched(h, where);
}

cubias_status_t cubias_cuda_derive_revive_quantile(cubias_handle_t h, cubias_stats_t s,
                                                   const cubias_tensor_t *z, int64_t nz, double p,
                                                   double margin, void *bias, int bdt,
                                                   int64_t *dead, void *ws, size_t *ws_bytes) {
  const char *where = "cubias_revive_quantile";
  const int64_t C = s->channels;
  // Planted defect 6 (tests/emu): the revival's work on the legacy stream.
  cudaStream_t stm = CUBIAS_EMU_PLANT(6) ? (cudaStream_t)0 : stream_of(h);
  const size_t hist_bytes = (size_t)C * CUBIAS_RADIX_BINS * 8;
  if (!ws) return cubias_workspace_answer(ws_bytes, aligned(hist_bytes) + aligned(C * 4) + aligned(C * 8));
  cubias_status_t st;
  Carver cv{(char *)ws, {stream_of(h)}};
  unsigned long long *hist = cv.take<unsigned long long>((size_t)C * CUBIAS_RADIX_BINS);
  uint32_t *prefix = cv.take<uint32_t>(C);
  int64_t *rank = cv.take<int64_t>(C);
  for (int pass = 0; pass < CUBIAS_RADIX_PASSES; ++pass) {
    if ((st = cuda_ok(h, cudaMemsetAsync(hist, 0, hist_bytes, stm), where))) return st;
    if (pass == 0 && (st = cuda_ok(h, cudaMemsetAsync(prefix, 0, C * 4, stm), where))) return st;
    for (int64_t k = 0; k < nz; ++k) {
      const cubias_plan_t plan = cubias_make_plan(z[k].outer, C, z[k].inner);
      if (plan.nchunks * C > 0)
        cubias_launch<radix_hist_kernel>((unsigned)(plan.nchunks * C),
                                         CUBIAS_EMU_PLANT(9) ? 2 * kBlock : kBlock, 0, stm, z[k],
                                         plan, pass, prefix, hist);
    }
    cubias_launch<radix_step_kernel>(grid_for(C), kBlock, 0, stm, hist, C, pass, p, prefix, rank);
    if ((st = launched(h, where))) return st;
  }
  if (dead && (st = cuda_ok(h, cudaMemsetAsync(dead, 0, 16, stm), where))) return st;
  cubias_launch<revive_quantile_kernel>(grid_for(C), kBlock, 0, stm, s->state, C, s->act, s->slope,
                                        prefix, rank, margin, bias, bdt,
                                        (unsigned long long *)dead);
  return launched(h, where);
}
