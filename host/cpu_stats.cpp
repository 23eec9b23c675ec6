// Enables the SIMD lane types of kernels/hd_math.h for this file.
#define CUBIAS_CPU_SIMD 1

// CPU backend of the statistics engine: the same chunk plan, per-element math
// and merge order as the CUDA kernels (kernels/plan.h, kernels/hd_math.h).
#include <stdlib.h>
#include <string.h>

#include <type_traits>

#include "../kernels/dispatch.h"
#include "internal.h"

cubias_status_t cubias_cpu_alloc(cubias_handle_t h, size_t bytes, void **p) {
  void *q = nullptr;
  if (posix_memalign(&q, 64, bytes ? bytes : 64) != 0 || !q)
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "out of host memory (%zu bytes)", bytes);
  *p = q;
  return CUBIAS_STATUS_SUCCESS;
}

void cubias_cpu_free(void *p) { free(p); }

#ifdef _OPENMP
#include <omp.h>
static int max_threads() { return omp_get_max_threads(); }
static int thread_id() { return omp_get_thread_num(); }
#else
static int max_threads() { return 1; }
static int thread_id() { return 0; }
#endif

namespace {

// Lanes accumulated together: channels of a row tile, or 16 interleaved
// positions of a plane. Everything is SoA so the lane loops vectorise.
constexpr int kTile = 4096;  // whole rows up to 4096 channels: each row streams in order
constexpr int kPlaneLanes = CUBIAS_CHUNK_ALIGN;

struct Lanes {
  alignas(64) float p[kTile], s1[kTile], s2[kTile], f1[kTile], f2[kTile], g2[kTile];
  alignas(64) float mn[kTile], mx[kTile];
  alignas(64) int n[kTile], pos[kTile], seen[kTile], have[kTile];
  alignas(64) double S1[kTile], S2[kTile], F1[kTile], F2[kTile], G2[kTile];
  alignas(64) int N[kTile], POS[kTile], NF[kTile];

  void init(int width) {
    for (int k = 0; k < width; ++k) {
      p[k] = s1[k] = s2[k] = f1[k] = f2[k] = g2[k] = 0.0f;
      mn[k] = INFINITY;
      mx[k] = -INFINITY;
      n[k] = pos[k] = seen[k] = have[k] = N[k] = POS[k] = NF[k] = 0;
      S1[k] = S2[k] = F1[k] = F2[k] = G2[k] = 0.0;
    }
  }

  // Push src[0..count) into lanes first..first+count, lane by lane: the lanes
  // left over by the 16-wide path, and the smooth activations (they call libm).
  template <class DT, int CLASS>
  void push(const typename DT::storage *__restrict src, int first, int count, int act,
            float slope) {
    const float *__restrict P = p + first;
    float *__restrict A1 = s1 + first, *__restrict A2 = s2 + first, *__restrict B1 = f1 + first;
    float *__restrict B2 = f2 + first, *__restrict B3 = g2 + first;
    float *__restrict MN = mn + first, *__restrict MX = mx + first;
    int *__restrict CN = n + first, *__restrict CP = pos + first, *__restrict CS = seen + first;
    for (int k = 0; k < count; ++k) {
      // Registers in, registers out: keeps the loop free of conditional stores.
      float a1 = A1[k], a2 = A2[k], b1 = B1[k], b2 = B2[k], b3 = B3[k], lo = MN[k], hi = MX[k];
      int cn = CN[k], cp = CP[k];
      cubias_elem<CLASS>(DT::get(src[k]), P[k], act, slope, a1, a2, b1, b2, b3, lo, hi, cn, cp);
      A1[k] = a1, A2[k] = a2, B1[k] = b1, B2[k] = b2, B3[k] = b3, MN[k] = lo, MX[k] = hi;
      CN[k] = cn, CP[k] = cp, CS[k] += 1;
    }
  }

  // Fold the float runs into their double totals (cubias_lane_flush, on SoA).
  template <int CLASS>
  void flush(int width) {
    for (int k = 0; k < width; ++k)
      cubias_fold_run<CLASS>(p[k], s1[k], s2[k], f1[k], f2[k], g2[k], n[k], pos[k], seen[k], S1[k],
                             S2[k], F1[k], F2[k], G2[k], N[k], POS[k], NF[k]);
  }

  template <int CLASS>
  cubias_moments_t moments(int k) const {
    cubias_lane_t t;
    cubias_lane_init(&t);
    t.p = p[k];
    t.mn = mn[k];
    t.mx = mx[k];
    t.S1 = S1[k], t.S2 = S2[k], t.F1 = F1[k], t.F2 = F2[k], t.G2 = G2[k];
    t.N = N[k], t.POS = POS[k], t.NF = NF[k];
    return cubias_lane_moments<CLASS>(&t);
  }
};

// 16 lanes at once with their accumulators in SIMD registers: `rows` steps
// (<= CUBIAS_RUN_LEN) of lanes k0..k0+15, step r reading src[r * stride + 0..15].
// The same cubias_elem as every other path, instantiated on GCC vector types;
// built three times (AVX-512, AVX2, baseline) and picked at run time. With
// -ffp-contract=off every build gives the same bits.
constexpr int kVec = 16;
typedef cubias_vf VF;
typedef cubias_vi VI;

template <class T>
__attribute__((always_inline)) inline T load16(const void *p) {
  T v;
  memcpy(&v, p, sizeof v);
  return v;
}

// 16 consecutive elements as floats (exact conversions, as DT::get).
typedef uint16_t VU16 __attribute__((vector_size(32)));
template <class DT>
__attribute__((always_inline)) inline VF load_lanes(const typename DT::storage *src) {
  if constexpr (std::is_same<DT, cubias_f32_t>::value) {
    return load16<VF>(src);
  } else if constexpr (std::is_same<DT, cubias_bf16_t>::value) {
    VU16 h;
    memcpy(&h, src, sizeof h);
    return (VF)(__builtin_convertvector(h, VI) << 16);
  } else {
    float t[kVec];
    for (int k = 0; k < kVec; ++k) t[k] = DT::get(src[k]);
    return load16<VF>(t);
  }
}

// A tile with no NaN/Inf (the common case) takes the step without the selects.
// Each variant's loops are separate functions so that their accumulators get
// registers of their own.
// One pass: the all-finite step (no selects), watching for NaN/Inf as it goes;
// a run that met one is recomputed from the saved lanes with the general step.
// Each step variant is a function of its own so its accumulators get registers.
#define CUBIAS_DEFINE_RUN16(NAME, ATTR)                                                        \
  template <class DT, int CLASS, bool FINITE>                                                  \
  ATTR __attribute__((noinline)) bool NAME##_steps(const typename DT::storage *src,            \
                                                   int64_t stride, int rows, Lanes &L, int k0, \
                                                   float slope) {                              \
    const VF p = load16<VF>(L.p + k0);                                                         \
    VF s1 = load16<VF>(L.s1 + k0), s2 = load16<VF>(L.s2 + k0), f1 = load16<VF>(L.f1 + k0);     \
    VF f2 = load16<VF>(L.f2 + k0), g2 = load16<VF>(L.g2 + k0);                                 \
    VF mn = load16<VF>(L.mn + k0), mx = load16<VF>(L.mx + k0);                                 \
    VI n = load16<VI>(L.n + k0), pos = load16<VI>(L.pos + k0), bad = VI{};                     \
    for (int r = 0; r < rows; ++r) {                                                           \
      const VF x = load_lanes<DT>(src + r * stride);                                           \
      if (FINITE) bad |= (cubias_abs_lane(x) <= FLT_MAX) == 0;                                 \
      cubias_elem<CLASS, FINITE>(x, p, 0, slope, s1, s2, f1, f2, g2, mn, mx, n, pos);          \
    }                                                                                          \
    if (FINITE) {                                                                              \
      int any = 0;                                                                             \
      for (int k = 0; k < kVec; ++k) any |= bad[k];                                            \
      if (any) return false; /* nothing stored: the caller reruns the general step */          \
    }                                                                                          \
    memcpy(L.s1 + k0, &s1, sizeof s1), memcpy(L.s2 + k0, &s2, sizeof s2);                      \
    memcpy(L.f1 + k0, &f1, sizeof f1), memcpy(L.f2 + k0, &f2, sizeof f2);                      \
    memcpy(L.mn + k0, &mn, sizeof mn), memcpy(L.mx + k0, &mx, sizeof mx);                      \
    memcpy(L.n + k0, &n, sizeof n), memcpy(L.pos + k0, &pos, sizeof pos);                      \
    return true;                                                                               \
  }                                                                                            \
  template <class DT, int CLASS>                                                               \
  ATTR void NAME(const typename DT::storage *src, int64_t stride, int rows, Lanes &L, int k0,  \
                 float slope) {                                                                \
    if (!NAME##_steps<DT, CLASS, true>(src, stride, rows, L, k0, slope))                       \
      NAME##_steps<DT, CLASS, false>(src, stride, rows, L, k0, slope);                         \
    for (int k = 0; k < kVec; ++k) L.seen[k0 + k] += rows;                                     \
  }

CUBIAS_DEFINE_RUN16(run16_avx512, __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))))
CUBIAS_DEFINE_RUN16(run16_avx2, __attribute__((target("avx2"))))
CUBIAS_DEFINE_RUN16(run16_base, )

template <class DT, int CLASS>
using Run16 = void (*)(const typename DT::storage *, int64_t, int, Lanes &, int, float);

template <class DT, int CLASS>
Run16<DT, CLASS> pick_run16() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return run16_avx512<DT, CLASS>;
  if (__builtin_cpu_supports("avx2")) return run16_avx2<DT, CLASS>;
  return run16_base<DT, CLASS>;
}

struct Job {
  const void *data;
  int64_t outer, C, inner;
  int act;
  float slope;
  cubias_plan_t plan;
  double *partials;  // SoA over nchunks * C
};

// Rows layout (inner == 1): lanes are channels [c0, c0 + width), rows of chunk j.
template <class DT, int CLASS>
void rows_task(const Job &job, Lanes &L, int64_t c0, int width, int64_t j) {
  const typename DT::storage *x = (const typename DT::storage *)job.data;
  int64_t r0 = j * job.plan.chunk;
  int64_t r1 = r0 + job.plan.chunk < job.outer ? r0 + job.plan.chunk : job.outer;
  L.init(width);
  // Pivots: each channel's first finite value in the chunk (usually row r0).
  int missing = width;
  for (int64_t r = r0; r < r1 && missing > 0; ++r) {
    missing = 0;
    for (int k = 0; k < width; ++k) {
      cubias_offer_pivot(DT::get(x[r * job.C + c0 + k]), L.p[k], L.have[k]);
      missing += !L.have[k];
    }
  }
  // Runs of CUBIAS_RUN_LEN rows: 16-lane groups in registers, the rest (and
  // the smooth activations, which call libm) lane by lane.
  const int vec_lanes = CLASS == CUBIAS_CLASS_SMOOTH ? 0 : width / kVec * kVec;
  for (int64_t r = r0; r < r1; r += CUBIAS_RUN_LEN) {
    const int rows = (int)(r1 - r < CUBIAS_RUN_LEN ? r1 - r : CUBIAS_RUN_LEN);
    if constexpr (CLASS != CUBIAS_CLASS_SMOOTH) {
      static const Run16<DT, CLASS> run16 = pick_run16<DT, CLASS>();
      for (int k = 0; k < vec_lanes; k += kVec)
        run16(x + r * job.C + c0 + k, job.C, rows, L, k, job.slope);
    }
    if (vec_lanes < width)
      for (int64_t q = r; q < r + rows; ++q)
        L.push<DT, CLASS>(x + q * job.C + c0 + vec_lanes, vec_lanes, width - vec_lanes, job.act,
                          job.slope);
    L.flush<CLASS>(width);
  }
  const int64_t slots = job.plan.nchunks * job.C;
  for (int k = 0; k < width; ++k)
    cubias_moments_store(job.partials, slots, cubias_partial_index(j, job.C, c0 + k),
                         L.moments<CLASS>(k));
}

// Planes layout (inner > 1): channel c, entries e of chunk j; entry e goes to
// lane e % 16, so each lane gets one entry per 16 and flushes every 256.
template <class DT, int CLASS>
void planes_task(const Job &job, Lanes &L, int64_t c, int64_t j) {
  const typename DT::storage *x = (const typename DT::storage *)job.data;
  const int64_t E = job.plan.per_channel;
  int64_t e = j * job.plan.chunk;
  const int64_t e1 = e + job.plan.chunk < E ? e + job.plan.chunk : E;
  const int64_t flush_every = (int64_t)kPlaneLanes * CUBIAS_RUN_LEN;
  L.init(kPlaneLanes);
  // One pivot for the 16 lanes: the channel's first finite value in the chunk.
  float pivot = 0.0f;
  int found = 0;
  for (int64_t f = e; f < e1 && !found; ++f) {
    int64_t o = f / job.inner;
    cubias_offer_pivot(DT::get(x[(o * job.C + c) * job.inner + (f - o * job.inner)]), pivot, found);
  }
  for (int k = 0; k < kPlaneLanes; ++k) L.p[k] = pivot;
  static_assert(kPlaneLanes == kVec, "a plane group is one SIMD vector of lanes");
  while (e < e1) {
    int64_t o = e / job.inner, i = e - o * job.inner;
    int64_t seg_end = (o + 1) * job.inner < e1 ? (o + 1) * job.inner : e1;
    const typename DT::storage *src = x + (o * job.C + c) * job.inner + i;
    while (e < seg_end) {
      int lane = (int)(e % kPlaneLanes);
      if constexpr (CLASS != CUBIAS_CLASS_SMOOTH) {
        if (lane == 0 && seg_end - e >= kPlaneLanes) {
          // Whole groups of 16 up to the next flush: lanes in registers.
          static const Run16<DT, CLASS> run16 = pick_run16<DT, CLASS>();
          int64_t groups = (seg_end - e) / kPlaneLanes;
          int64_t to_flush = (flush_every - e % flush_every) / kPlaneLanes;
          int g = (int)(groups < to_flush ? groups : to_flush);
          run16(src, kPlaneLanes, g, L, 0, job.slope);
          src += (int64_t)g * kPlaneLanes;
          e += (int64_t)g * kPlaneLanes;
          if (e % flush_every == 0) L.flush<CLASS>(kPlaneLanes);
          continue;
        }
      }
      int64_t room = kPlaneLanes - lane;
      int count = (int)(seg_end - e < room ? seg_end - e : room);
      L.push<DT, CLASS>(src, lane, count, job.act, job.slope);
      src += count;
      e += count;
      if (e % flush_every == 0) L.flush<CLASS>(kPlaneLanes);
    }
  }
  L.flush<CLASS>(kPlaneLanes);
  cubias_moments_t m = cubias_moments_empty();
  for (int k = 0; k < kPlaneLanes; ++k) m = cubias_moments_merge(m, L.moments<CLASS>(k));
  cubias_moments_store(job.partials, job.plan.nchunks * job.C, cubias_partial_index(j, job.C, c),
                       m);
}

// Every (chunk, channel) partial is written by exactly one task, so the
// thread count never changes a result.
template <class DT, int CLASS>
void run_chunks(const Job &job, Lanes *scratch, int nthreads) {
  const int64_t tiles = job.inner == 1 ? (job.C + kTile - 1) / kTile : job.C;
  const int64_t tasks = tiles * job.plan.nchunks;
#pragma omp parallel for schedule(static) num_threads(nthreads)
  for (int64_t t = 0; t < tasks; ++t) {
    Lanes &L = scratch[thread_id()];
    int64_t tile = t / job.plan.nchunks, j = t % job.plan.nchunks;
    if (job.inner == 1) {
      int64_t c0 = tile * kTile;
      int width = (int)(job.C - c0 < kTile ? job.C - c0 : kTile);
      rows_task<DT, CLASS>(job, L, c0, width, j);
    } else {
      planes_task<DT, CLASS>(job, L, tile, j);
    }
  }
}

}  // namespace

// The fixed merge order of kernels/plan.h, then state <- merge(state, batch).
// Blocks of channels in parallel; within a block chunks are visited in order
// (so each lane folds its chunks in order) with channels innermost, reading
// the partials contiguously.
static void merge_partials(void *state, const double *partials, int64_t nchunks, int64_t C) {
  constexpr int kBlock = 16;
  const int64_t slots = nchunks * C;
  const int64_t blocks = (C + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t c0 = b * kBlock;
    const int width = (int)(C - c0 < kBlock ? C - c0 : kBlock);
    cubias_moments_t lane[CUBIAS_MERGE_LANES][kBlock];
    for (int l = 0; l < CUBIAS_MERGE_LANES; ++l)
      for (int k = 0; k < width; ++k) lane[l][k] = cubias_moments_empty();
    for (int64_t j = 0; j < nchunks; ++j) {
      cubias_moments_t *lj = lane[j % CUBIAS_MERGE_LANES];
      for (int k = 0; k < width; ++k)
        lj[k] = cubias_moments_merge(lj[k], cubias_moments_load(partials, slots,
                                                                cubias_partial_index(j, C, c0 + k)));
    }
    for (int off = CUBIAS_MERGE_LANES / 2; off >= 1; off >>= 1)
      for (int l = 0; l < off; ++l)
        for (int k = 0; k < width; ++k) lane[l][k] = cubias_moments_merge(lane[l][k], lane[l + off][k]);
    for (int k = 0; k < width; ++k)
      cubias_moments_store(state, C, c0 + k,
                           cubias_moments_merge(cubias_moments_load(state, C, c0 + k), lane[0][k]));
  }
}

cubias_status_t cubias_cpu_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                            const cubias_tensor_t *x, const cubias_plan_t *plan,
                                            void *ws) {
  Job job;
  job.data = x->data;
  job.outer = x->outer;
  job.C = x->channels;
  job.inner = x->inner;
  job.act = s->act;
  job.slope = s->slope;
  job.plan = *plan;
  job.partials = (double *)ws;
  const int nthreads = max_threads();
  void *scratch = nullptr;
  cubias_status_t st = cubias_cpu_alloc(h, sizeof(Lanes) * (size_t)nthreads, &scratch);
  if (st) return st;
  cubias_dispatch((int)x->dtype, s->act, [&](auto dt, auto cls) {
    run_chunks<decltype(dt), decltype(cls)::value>(job, (Lanes *)scratch, nthreads);
  });
  cubias_cpu_free(scratch);
  merge_partials(s->state, job.partials, plan->nchunks, job.C);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_stats_reset(cubias_handle_t h, cubias_stats_t s) {
  (void)h;
  for (int64_t c = 0; c < s->channels; ++c)
    cubias_moments_store(s->state, s->channels, c, cubias_moments_empty());
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_stats_merge_state(cubias_handle_t h, cubias_stats_t dst,
                                             const void *src_state) {
  (void)h;
  const int64_t C = dst->channels;
  for (int64_t c = 0; c < C; ++c)
    cubias_moments_store(dst->state, C, c,
                         cubias_moments_merge(cubias_moments_load(dst->state, C, c),
                                              cubias_moments_load(src_state, C, c)));
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_stats_write_field(cubias_handle_t h, cubias_stats_t s, int field,
                                             double *out) {
  (void)h;
  for (int64_t c = 0; c < s->channels; ++c) {
    cubias_final_t f =
        cubias_moments_finalize(cubias_moments_load(s->state, s->channels, c), s->act, s->slope);
    out[c] = cubias_final_field(&f, field);
  }
  return CUBIAS_STATUS_SUCCESS;
}
