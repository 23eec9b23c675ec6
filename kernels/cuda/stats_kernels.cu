// CUDA kernels of the statistics engine and their launchers.
//
// accumulate = one fused pass (rows_kernel or planes_kernel) writing one partial
// per (chunk, channel) to the handle's workspace, then merge_partials_kernel
// folding the partials in the fixed order of kernels/plan.h into the state.
// No float atomics: every result repeats bit for bit.
#include <cuda_runtime.h>
#include <limits.h>

#include "../backend.h"
#include "../accumulate.h"
#include "../dispatch.h"
#include "../finalize.h"
#include "cuda_util.cuh"
#include "stats_launch.h"

namespace {

constexpr int kBlock = CUBIAS_STATS_BLOCK;
// Blocks per SM for ptxas's register budget: rows 2 (at most 128 registers, the
// budget cmake/kernel_resources.sh enforces on every architecture), planes 3. Two
// things kept the rows kernels over it on sm_100/sm_120 (150+ registers, or spills):
//  - the double redo of a run float cannot hold (kernels/accumulate.h). The hot
//    kernels fold every run in float and only flag a block holding such a run; the
//    redo kernel launched right after (redo_flagged) recomputes flagged blocks with
//    the redo. The redo kernels do work only for such data (|x| ~ 4e18 and up, or
//    spreads below ~1e-19);
//  - IEEE division calls a slow-path subroutine, and the lanes live across that
//    call (the block's merge tree; the redo kernels' float folds) spilled:
//    cubias_div_count divides without a call (kernels/host_device.h, lanes.h).
#define CUBIAS_STATS_MIN_BLOCKS_ROWS 2
#define CUBIAS_STATS_MIN_BLOCKS_PLANES 3

template <int BYTES> struct VecOf;
template <> struct VecOf<16> { typedef uint4 type; };
template <> struct VecOf<8> { typedef uint2 type; };
template <> struct VecOf<4> { typedef unsigned int type; };
template <> struct VecOf<2> { typedef unsigned short type; };

// One aligned load of V elements. The pass streams (read once: evict first);
// the pivot search reads through the cache, since the pass re-reads it.
template <class DT, int V, bool STREAM = true>
__device__ __forceinline__ void load_vec(const typename DT::storage *p, float (&out)[V]) {
  typedef typename DT::storage S;
  typedef typename VecOf<sizeof(S) * V>::type VT;
  union {
    VT v;
    S e[V];
  } u;
  u.v = STREAM ? __ldcs(reinterpret_cast<const VT *>(p)) : __ldg(reinterpret_cast<const VT *>(p));
#pragma unroll
  for (int k = 0; k < V; ++k) out[k] = DT::get(u.e[k]);
}

// The V entries of a thread's group: one vector load (VEC: aligned, whole group), or
// the first n of them one by one (the same entries, so the same bits); the rest 0.
template <class DT, int V, bool VEC, bool STREAM = true>
__device__ __forceinline__ void load_group(const typename DT::storage *p, int n, float (&out)[V]) {
  if (VEC) {
    load_vec<DT, V, STREAM>(p, out);
  } else {
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float one[1] = {0.0f};
      if (k < n) load_vec<DT, 1, STREAM>(p + k, one);
      out[k] = one[0];
    }
  }
}

__device__ __forceinline__ cubias_moments_t shfl_down(cubias_moments_t m, int off) {
  const unsigned all = 0xffffffffu;
  cubias_moments_t r;
  r.count = __shfl_down_sync(all, (long long)m.count, off);
  r.nonfinite = __shfl_down_sync(all, (long long)m.nonfinite, off);
  r.positive = __shfl_down_sync(all, (long long)m.positive, off);
  r.mean = __shfl_down_sync(all, m.mean, off);
  r.m2 = __shfl_down_sync(all, m.m2, off);
  r.min = __shfl_down_sync(all, m.min, off);
  r.max = __shfl_down_sync(all, m.max, off);
  r.sphi = __shfl_down_sync(all, m.sphi, off);
  r.sphi2 = __shfl_down_sync(all, m.sphi2, off);
  r.sdphi2 = __shfl_down_sync(all, m.sdphi2, off);
  return r;
}

// Within each group of `width` lanes (a power of two <= 32), lane l takes lane
// l + off for off = width/2 .. 1: the order of kernels/plan.h; the group's first
// lane ends with the whole group. Every lane of the warp must call it.
__device__ __forceinline__ cubias_moments_t warp_merge(cubias_moments_t m, int width = 32) {
  const int lane = threadIdx.x & 31;
  for (int off = width >> 1; off >= 1; off >>= 1) {
    cubias_moments_t o = shfl_down(m, off);
    if ((lane & (width - 1)) < off) m = cubias_moments_merge(m, o);
  }
  return m;
}

// A pass's block (bx, by) of a grid grid_x wide: the index of its redo flag.
__device__ __forceinline__ int64_t block_index(int64_t bx, int64_t by, int64_t grid_x) {
  return by * grid_x + bx;
}

// The end of a pass's accumulation: the hot pass (WIDE false) records whether any
// thread of block b folded a run float could not hold (every thread must call).
template <bool WIDE>
__device__ __forceinline__ void flag_block(bool redo, int *flags, int64_t b) {
  if (!WIDE) {
    const int any = __syncthreads_or(redo);
    if (threadIdx.x == 0 && threadIdx.y == 0) CUBIAS_ST(flags, b, any);
  }
}

// The redo kernels' frame: block k of the redo grid reads the flags of the pass's
// blocks k * T .. k * T + T - 1 (T threads, one flag each, the pass's block shape)
// and recomputes each flagged one with the whole block, redo(b). So a pass of
// ordinary data costs one launch of nblocks / T blocks that each read T flags.
template <class Redo>
__device__ __forceinline__ void redo_flagged(int64_t nblocks, const int *flags, Redo &&redo) {
  CUBIAS_SHARED(int, list, [CUBIAS_STATS_BLOCK]);
  CUBIAS_SHARED(int, count, );
  const int tid = threadIdx.y * blockDim.x + threadIdx.x, T = blockDim.x * blockDim.y;
  const int64_t base = (int64_t)blockIdx.x * T;
  const int mine = base + tid < nblocks && CUBIAS_LD(flags, base + tid) != 0;
  if (!__syncthreads_or(mine)) return;  // uniform: nothing flagged here
  if (tid == 0) count = 0;
  __syncthreads();
  if (mine) list[atomicAdd(&count, 1)] = tid;  // any order: each block is redone alone
  __syncthreads();
  const int n = count;
  for (int i = 0; i < n; ++i) {
    redo(base + list[i]);
    __syncthreads();
  }
}

// Rows layout (inner == 1): the map of kernels/cuda/stats_launch.h. A thread's
// lanes past the last channel (C % V != 0, scalar path only) stay empty. WIDE: the
// redo kernel's pass, folding runs with the double redo where float cannot hold them.
template <class DT, int V, int CLASS, bool VEC, bool WIDE>
__device__ __forceinline__ void rows_pass(const typename DT::storage *__restrict__ x, int64_t rows,
                                          int64_t C, const cubias_plan_t &plan, int act,
                                          float slope, double *__restrict__ partials, int *flags,
                                          int64_t blk_x, int64_t blk_y, int64_t grid_x) {
  const int tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x, by = blockDim.y;
  const int64_t c0 = (blk_x * bx + tx) * V;
  const int64_t j = blk_y;
  const int64_t r0 = j * plan.chunk;
  const int64_t r1 = min(rows, r0 + plan.chunk + (CUBIAS_EMU_PLANT(2) ? 1 : 0));
  const int n = c0 < C ? (int)min((int64_t)V, C - c0) : 0;  // lanes holding a channel
  cubias_lane_t lane[V];
  bool redo = false;
#pragma unroll
  for (int k = 0; k < V; ++k) cubias_lane_init(&lane[k]);
  if (n > 0) {
    // Pivots: each lane's first finite value (usually in its first row).
    for (int64_t r = r0 + ty; r < r1; r += by) {
      float v[V];
      load_group<DT, V, VEC, false>(x + r * C + c0, n, v);
      bool all = true;
#pragma unroll
      for (int k = 0; k < V; ++k) {
        if (VEC || k < n) cubias_offer_pivot(v[k], lane[k].p, lane[k].have);
        all &= !(VEC || k < n) || lane[k].have != 0;
      }
      if (all) break;
    }
    int64_t r = r0 + ty;
    const typename DT::storage *p = x + r * C + c0;
    const int64_t stride = (int64_t)by * C;
    while (r < r1) {
      const int64_t run = r;  // read back only to redo a run in double
#pragma unroll 4
      for (int s = 0; s < CUBIAS_RUN_LEN; ++s) {
        if (r >= r1) break;
        float v[V];
        load_group<DT, V, VEC>(p, n, v);
#pragma unroll
        for (int k = 0; k < V; ++k)
          if (VEC || k < n) cubias_lane_push<CLASS>(&lane[k], v[k], act, slope);
        p += stride;
        r += by;
      }
#pragma unroll
      for (int k = 0; k < V; ++k) {
        if constexpr (WIDE)
          cubias_lane_flush<CLASS>(
              &lane[k], (int)((r - run) / by),
              [&](int q) { return DT::get(CUBIAS_LD(x, (run + (int64_t)q * by) * C + c0 + k)); }, act, slope);
        else
          redo |= cubias_lane_fold_float<CLASS>(&lane[k]);
      }
    }
    // Every lane holding a channel took one entry per row walked.
#pragma unroll
    for (int k = 0; k < V; ++k) cubias_lane_close(&lane[k], (int)((r - r0 - ty) / by));
  }
  flag_block<WIDE>(redo, flags, block_index(blk_x, blk_y, grid_x));
  CUBIAS_SHARED(cubias_moments_t, sm, [CUBIAS_STATS_BLOCK]);
  const int tid = ty * bx + tx;
  int top = 1;
  while (top < by) top <<= 1;
#pragma unroll
  for (int k = 0; k < V; ++k) {
    sm[tid] = k < n ? cubias_lane_moments<CLASS>(&lane[k]) : cubias_moments_empty();
    __syncthreads();
    for (int s = top >> 1; s > 0; s >>= 1) {
      if (ty < s && ty + s < by) sm[tid] = cubias_moments_merge(sm[tid], sm[tid + s * bx]);
      if (!CUBIAS_EMU_PLANT(1)) __syncthreads();
    }
    if (ty == 0 && k < n)
      cubias_moments_store(partials, plan.nchunks * C, cubias_partial_index(j, C, c0 + k), sm[tx]);
    __syncthreads();
  }
}

template <class DT, int V, int CLASS, bool VEC>
__global__ void __launch_bounds__(CUBIAS_STATS_BLOCK, CUBIAS_STATS_MIN_BLOCKS_ROWS)
    rows_kernel(const typename DT::storage *__restrict__ x, int64_t rows, int64_t C,
                cubias_plan_t plan, int act, float slope, double *__restrict__ partials,
                int *flags) {
  rows_pass<DT, V, CLASS, VEC, false>(x, rows, C, plan, act, slope, partials, flags, blockIdx.x,
                                      blockIdx.y, gridDim.x);
}

template <class DT, int V, int CLASS, bool VEC>
__global__ void __launch_bounds__(CUBIAS_STATS_BLOCK, CUBIAS_STATS_MIN_BLOCKS_ROWS)
    rows_redo_kernel(const typename DT::storage *__restrict__ x, int64_t rows, int64_t C,
                     cubias_plan_t plan, int act, float slope, double *__restrict__ partials,
                     int *flags, int64_t grid_x, int64_t nblocks) {
  redo_flagged(nblocks, flags, [&](int64_t b) {
    rows_pass<DT, V, CLASS, VEC, true>(x, rows, C, plan, act, slope, partials, flags, b % grid_x,
                                       b / grid_x, grid_x);
  });
}

// Position e = o * inner + i within a channel, advanced in steps.
struct PlaneCursor {
  int64_t e, o, i;
  __device__ PlaneCursor(int64_t e0, int64_t inner) : e(e0), o(e0 / inner), i(e0 - o * inner) {}
  __device__ void advance(int64_t step, int64_t inner) {
    e += step;
    i += step;
    if (i >= inner) {  // rare for large planes: one division per plane crossed
      int64_t q = i / inner;
      o += q;
      i -= q * inner;
    }
  }
};

// The V entries e .. e + V - 1 (those below e1) of channel c: one vector load (VEC:
// inner % V == 0 and an aligned tensor, so a group never leaves its plane), or one
// by one, crossing into the next plane where the group does.
template <class DT, int V, bool VEC, bool STREAM = true>
__device__ __forceinline__ void load_plane_group(const typename DT::storage *x, int64_t C,
                                                 int64_t inner, int64_t c, const PlaneCursor &q,
                                                 int64_t e1, float (&out)[V]) {
  if (VEC) {
    load_vec<DT, V, STREAM>(x + (q.o * C + c) * inner + q.i, out);
  } else {
    int64_t o = q.o, i = q.i;
#pragma unroll
    for (int k = 0; k < V; ++k) {
      float one[1] = {0.0f};
      if (q.e + k < e1) load_vec<DT, 1, STREAM>(x + (o * C + c) * inner + i, one);
      out[k] = one[0];
      if (++i == inner) i = 0, ++o;
    }
  }
}

// Planes layout (inner > 1): the map of kernels/cuda/stats_launch.h, `seg` threads
// per (chunk, channel) pair p = j * C + c. WIDE as in rows_pass.
template <class DT, int V, int CLASS, bool VEC, bool WIDE>
__device__ __forceinline__ void planes_pass(const typename DT::storage *__restrict__ x, int64_t C,
                                            int64_t inner, const cubias_plan_t &plan, int seg,
                                            int act, float slope, double *__restrict__ partials,
                                            int *flags, int64_t blk) {
  const int t = threadIdx.x & (seg - 1);
  const int64_t pair = blk * (blockDim.x / seg) + threadIdx.x / seg;
  const bool live = pair < plan.nchunks * C;
  const int64_t j = live ? pair / C : 0, c = live ? pair - j * C : 0;
  const int64_t e1 = live ? min(plan.per_channel, (j + 1) * plan.chunk) : 0;
  const int64_t step = (int64_t)seg * V;
  constexpr int kSteps = CUBIAS_RUN_LEN / V;
  const PlaneCursor start(j * plan.chunk + (int64_t)t * V, inner);
  cubias_lane_t lane;
  bool redo = false;
  int pushed = 0;
  cubias_lane_init(&lane);
  for (PlaneCursor q = start; q.e < e1 && !lane.have; q.advance(step, inner)) {
    float v[V];
    load_plane_group<DT, V, VEC, false>(x, C, inner, c, q, e1, v);
#pragma unroll
    for (int k = 0; k < V; ++k)
      if (q.e + k < e1) cubias_offer_pivot(v[k], lane.p, lane.have);
  }
  PlaneCursor q = start;
  while (q.e < e1) {
    const int64_t run = q.e;  // read back only to redo a run in double
    const int run_pushed = pushed;
#pragma unroll 2
    for (int s = 0; s < kSteps; ++s) {
      if (q.e >= e1) break;
      float v[V];
      load_plane_group<DT, V, VEC>(x, C, inner, c, q, e1, v);
#pragma unroll
      for (int k = 0; k < V; ++k)
        if (VEC || q.e + k < e1) cubias_lane_push<CLASS>(&lane, v[k], act, slope), ++pushed;
      q.advance(step, inner);
    }
    if constexpr (WIDE)
      cubias_lane_flush<CLASS>(&lane, pushed - run_pushed, [=](int k) {
        const int64_t e = run + (int64_t)(k / V) * step + k % V, o = e / inner;
        return DT::get(CUBIAS_LD(x, (o * C + c) * inner + (e - o * inner)));
      }, act, slope);
    else
      redo |= cubias_lane_fold_float<CLASS>(&lane);
  }
  cubias_lane_close(&lane, pushed);
  flag_block<WIDE>(redo, flags, blk);
  // The segment's tree: within the warp (width seg), then over its warps.
  cubias_moments_t m = warp_merge(cubias_lane_moments<CLASS>(&lane), seg < 32 ? seg : 32);
  if (seg > 32) {  // uniform over the block
    CUBIAS_SHARED(cubias_moments_t, sm, [CUBIAS_STATS_BLOCK / 32]);
    const int warp = threadIdx.x >> 5, lane_id = threadIdx.x & 31, wps = seg >> 5;
    if (lane_id == 0) sm[warp] = m;
    __syncthreads();
    if (t < 32) {  // the segment's first warp
      m = lane_id < wps ? sm[warp + lane_id] : cubias_moments_empty();
      m = warp_merge(m);
    }
  }
  if (t == 0 && live) cubias_moments_store(partials, plan.nchunks * C, pair, m);
}

template <class DT, int V, int CLASS, bool VEC>
__global__ void __launch_bounds__(CUBIAS_STATS_BLOCK, CUBIAS_STATS_MIN_BLOCKS_PLANES)
    planes_kernel(const typename DT::storage *__restrict__ x, int64_t C, int64_t inner,
                  cubias_plan_t plan, int seg, int act, float slope,
                  double *__restrict__ partials, int *flags) {
  planes_pass<DT, V, CLASS, VEC, false>(x, C, inner, plan, seg, act, slope, partials, flags,
                                        blockIdx.x);
}

template <class DT, int V, int CLASS, bool VEC>
__global__ void __launch_bounds__(CUBIAS_STATS_BLOCK, CUBIAS_STATS_MIN_BLOCKS_PLANES)
    planes_redo_kernel(const typename DT::storage *__restrict__ x, int64_t C, int64_t inner,
                       cubias_plan_t plan, int seg, int act, float slope,
                       double *__restrict__ partials, int *flags, int64_t /*grid_x: 1-D*/,
                       int64_t nblocks) {
  redo_flagged(nblocks, flags, [&](int64_t b) {
    planes_pass<DT, V, CLASS, VEC, true>(x, C, inner, plan, seg, act, slope, partials, flags, b);
  });
}

// One warp per channel: the fixed order of kernels/plan.h, then into the state.
__global__ void merge_partials_kernel(const double *__restrict__ partials, int64_t nchunks,
                                      int64_t C, void *state) {
  const int64_t c = (int64_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (c >= C) return;  // warp-uniform
  const int lane = threadIdx.x & 31;
  const int64_t slots = nchunks * C;
  cubias_moments_t m = cubias_moments_empty();
  // (CUBIAS_EMU_PLANT(7): a read one past the end of the partials, its value unused.
  // The redo flags follow them in the same workspace allocation, so only the
  // emulator's workspace-slice check sees it.)
  if (CUBIAS_EMU_PLANT(7) && lane == 0 && c == C - 1) {
    volatile double past = CUBIAS_LD(partials, slots * CUBIAS_MOMENT_FIELDS);
    (void)past;
  }
  for (int64_t jj = lane; jj < nchunks; jj += CUBIAS_MERGE_LANES)
    m = cubias_moments_merge(m, cubias_moments_load(partials, slots, cubias_partial_index(jj, C, c)));
  m = warp_merge(m);
  if (lane == 0) cubias_moments_store(state, C, c, cubias_moments_merge(cubias_moments_load(state, C, c), m));
}

__global__ void reset_kernel(void *state, int64_t C) {
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x)
    cubias_moments_store(state, C, c, cubias_moments_empty());
}

__global__ void merge_state_kernel(void *dst, const void *src, int64_t C) {
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x)
    cubias_moments_store(dst, C, c,
                         cubias_moments_merge(cubias_moments_load(dst, C, c), cubias_moments_load(src, C, c)));
}

__global__ void write_field_kernel(const void *state, int64_t C, int act, float slope, int field,
                                   double *out) {
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x) {
    cubias_final_t f = cubias_moments_finalize(cubias_moments_load(state, C, c), act, slope);
    CUBIAS_ST(out, c, cubias_final_field(&f, field));
  }
}

__global__ void write_header_kernel(cubias_export_header_t hdr, cubias_export_header_t *out) {
  if (threadIdx.x == 0 && blockIdx.x == 0) CUBIAS_ST(out, 0, hdr);
}




// A pass: the hot kernel, then its redo kernel, one block per T of the pass's blocks
// (redo_flagged).
template <auto HOT, auto REDO, class... A>
void launch_pass(dim3 grid, dim3 block, cudaStream_t st, const A &...args) {
  cubias_launch<HOT>(grid, block, 0, st, args...);
  const int64_t nblocks = (int64_t)grid.x * grid.y, T = (int64_t)block.x * block.y;
  cubias_launch<REDO>((unsigned)((nblocks + T - 1) / T), block, 0, st, args..., (int64_t)grid.x,
                      nblocks);
}

template <class DT, int CLASS>
void launch_accumulate(const cubias_tensor_t *x, const cubias_plan_t &plan, int act, float slope,
                       double *partials, int *flags, cudaStream_t st) {
  typedef typename DT::storage S;
  constexpr int V = cubias_stats_lanes(CLASS);
  const cubias_stats_launch_t L = cubias_stats_launch_shape(x->outer, x->channels, x->inner, plan, CLASS);
  const S *data = (const S *)x->data;
  const bool aligned = ((uintptr_t)data % (sizeof(S) * V)) == 0;
  const int64_t C = x->channels;
  const dim3 block((unsigned)L.block_x, (unsigned)L.block_y);
  const dim3 grid((unsigned)L.grid_x, (unsigned)L.grid_y);
  if (L.rows_layout) {
    if (aligned && C % V == 0)
      launch_pass<rows_kernel<DT, V, CLASS, true>, rows_redo_kernel<DT, V, CLASS, true>>(
          grid, block, st, data, x->outer, C, plan, act, slope, partials, flags);
    else
      launch_pass<rows_kernel<DT, V, CLASS, false>, rows_redo_kernel<DT, V, CLASS, false>>(
          grid, block, st, data, x->outer, C, plan, act, slope, partials, flags);
  } else {
    if (aligned && x->inner % V == 0)
      launch_pass<planes_kernel<DT, V, CLASS, true>, planes_redo_kernel<DT, V, CLASS, true>>(
          grid, block, st, data, C, x->inner, plan, L.seg, act, slope, partials, flags);
    else
      launch_pass<planes_kernel<DT, V, CLASS, false>, planes_redo_kernel<DT, V, CLASS, false>>(
          grid, block, st, data, C, x->inner, plan, L.seg, act, slope, partials, flags);
  }
}

size_t partial_slots(const cubias_plan_t *plan, int64_t channels) {
  return (size_t)plan->nchunks * (size_t)channels;
}

}  // namespace

// The partials, then one redo flag per block: a pass launches at most one block per
// (chunk, channel) pair (kernels/cuda/stats_launch.h).
size_t cubias_cuda_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels) {
  return partial_slots(plan, channels) * (CUBIAS_MOMENT_FIELDS * sizeof(double) + sizeof(int));
}

cubias_status_t cubias_cuda_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                             const cubias_tensor_t *x, const cubias_plan_t *plan,
                                             void *ws) {
  if (x->channels > INT_MAX)
    return cubias_backend_fail(h, CUBIAS_STATUS_NOT_SUPPORTED,
                       "cubias_stats_accumulate: %lld channels exceed the CUDA grid limit",
                       (long long)x->channels);
  double *partials = (double *)ws;
  int *flags = (int *)(partials + partial_slots(plan, x->channels) * CUBIAS_MOMENT_FIELDS);
  cudaStream_t st = stream_of(h);
  cubias_slices sl{st};
  sl.mark(partials, partial_slots(plan, x->channels) * CUBIAS_MOMENT_FIELDS * sizeof(double));
  sl.mark(flags, partial_slots(plan, x->channels) * sizeof(int));
  cubias_dispatch((int)x->dtype, s->act, [&](auto dt, auto cls) {
    launch_accumulate<decltype(dt), decltype(cls)::value>(x, *plan, s->act, s->slope, partials,
                                                          flags, st);
  });
  cubias_status_t r = launched(h, "cubias_stats_accumulate");
  if (r) return r;
  const int64_t warps_per_block = kBlock / 32;
  const int64_t blocks = (x->channels + warps_per_block - 1) / warps_per_block;
  cubias_launch<merge_partials_kernel>((unsigned)blocks, kBlock, 0, st, partials, plan->nchunks,
                                       x->channels, s->state);
  return launched(h, "cubias_stats_accumulate (merge)");
}

cubias_status_t cubias_cuda_stats_reset(cubias_handle_t h, cubias_stats_t s) {
  cubias_launch<reset_kernel>(grid_for(s->channels), kBlock, 0, stream_of(h), s->state,
                              s->channels);
  return launched(h, "cubias_stats_reset");
}

cubias_status_t cubias_cuda_stats_merge_state(cubias_handle_t h, cubias_stats_t dst,
                                              const void *src_state) {
  cubias_launch<merge_state_kernel>(grid_for(dst->channels), kBlock, 0, stream_of(h), dst->state,
                                    src_state, dst->channels);
  return launched(h, "cubias_stats_merge");
}

cubias_status_t cubias_cuda_stats_write_field(cubias_handle_t h, cubias_stats_t s, int field,
                                              double *out) {
  cubias_launch<write_field_kernel>(grid_for(s->channels), kBlock, 0, stream_of(h), s->state,
                                    s->channels, s->act, s->slope, field, out);
  return launched(h, "cubias_stats_write_field");
}

cubias_status_t cubias_cuda_write_header(cubias_handle_t h, void *d_buffer,
                                         const cubias_export_header_t *hdr) {
  cubias_launch<write_header_kernel>(1, 1, 0, stream_of(h), *hdr,
                                     (cubias_export_header_t *)d_buffer);
  return launched(h, "cubias_stats_export");
}
