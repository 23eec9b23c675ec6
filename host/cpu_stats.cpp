// CPU backend of the statistics engine: the same chunk plan, per-element math
// and merge order as the CUDA kernels (kernels/plan.h, kernels/hd_math.h).
#include <stdlib.h>
#include <string.h>

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
// positions of a plane. The float run sums are SoA so the lane loop vectorises.
constexpr int kTile = 256;
constexpr int kPlaneLanes = CUBIAS_CHUNK_ALIGN;

struct Lanes {
  alignas(64) float p[kTile], s1[kTile], s2[kTile], f1[kTile], f2[kTile], g2[kTile];
  alignas(64) float mn[kTile], mx[kTile];
  alignas(64) int have[kTile], n[kTile], pos[kTile], nf[kTile];
  cubias_lane_t total[kTile];  // double totals, touched once per run

  void init(int width) {
    for (int k = 0; k < width; ++k) {
      cubias_lane_init(&total[k]);
      p[k] = s1[k] = s2[k] = f1[k] = f2[k] = g2[k] = 0.0f;
      mn[k] = total[k].mn;
      mx[k] = total[k].mx;
      have[k] = n[k] = pos[k] = nf[k] = 0;
    }
  }

  // Push src[0..count) into lanes first..first+count. The hot loop.
  template <class DT, int CLASS>
  void push(const typename DT::storage *__restrict src, int first, int count, int act,
            float slope) {
    float *__restrict P = p + first, *__restrict S1 = s1 + first, *__restrict S2 = s2 + first;
    float *__restrict F1 = f1 + first, *__restrict F2 = f2 + first, *__restrict G2 = g2 + first;
    float *__restrict MN = mn + first, *__restrict MX = mx + first;
    int *__restrict H = have + first, *__restrict N = n + first, *__restrict PO = pos + first,
        *__restrict NF = nf + first;
    for (int k = 0; k < count; ++k)
      cubias_elem<CLASS>(DT::get(src[k]), act, slope, P[k], H[k], S1[k], S2[k], F1[k], F2[k],
                         G2[k], MN[k], MX[k], N[k], PO[k], NF[k]);
  }

  // Fold lanes' float runs into their double totals (shared flush logic).
  template <int CLASS>
  void flush(int width) {
    for (int k = 0; k < width; ++k) {
      cubias_lane_t *t = &total[k];
      t->s1 = s1[k];
      t->s2 = s2[k];
      t->f1 = f1[k];
      t->f2 = f2[k];
      t->g2 = g2[k];
      t->n = n[k];
      t->pos = pos[k];
      t->nf = nf[k];
      cubias_lane_flush<CLASS>(t);
      s1[k] = s2[k] = f1[k] = f2[k] = g2[k] = 0.0f;
      n[k] = pos[k] = nf[k] = 0;
    }
  }

  template <int CLASS>
  cubias_moments_t moments(int k) {
    cubias_lane_t *t = &total[k];
    t->p = p[k];
    t->have = have[k];
    t->mn = mn[k];
    t->mx = mx[k];
    return cubias_lane_moments<CLASS>(t);
  }
};

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
  int run = 0;
  for (int64_t r = r0; r < r1; ++r) {
    L.push<DT, CLASS>(x + r * job.C + c0, 0, width, job.act, job.slope);
    if (++run == CUBIAS_RUN_LEN) {
      L.flush<CLASS>(width);
      run = 0;
    }
  }
  L.flush<CLASS>(width);
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
  while (e < e1) {
    int64_t o = e / job.inner, i = e - o * job.inner;
    int64_t seg_end = (o + 1) * job.inner < e1 ? (o + 1) * job.inner : e1;
    const typename DT::storage *src = x + (o * job.C + c) * job.inner + i;
    while (e < seg_end) {
      int lane = (int)(e % kPlaneLanes);
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
static void merge_partials(void *state, const double *partials, int64_t nchunks, int64_t C) {
  const int64_t slots = nchunks * C;
  for (int64_t c = 0; c < C; ++c) {
    cubias_moments_t lane[CUBIAS_MERGE_LANES];
    for (int l = 0; l < CUBIAS_MERGE_LANES; ++l) {
      lane[l] = cubias_moments_empty();
      for (int64_t j = l; j < nchunks; j += CUBIAS_MERGE_LANES)
        lane[l] = cubias_moments_merge(lane[l],
                                       cubias_moments_load(partials, slots, cubias_partial_index(j, C, c)));
    }
    for (int off = CUBIAS_MERGE_LANES / 2; off >= 1; off >>= 1)
      for (int l = 0; l < off; ++l) lane[l] = cubias_moments_merge(lane[l], lane[l + off]);
    cubias_moments_store(state, C, c, cubias_moments_merge(cubias_moments_load(state, C, c), lane[0]));
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
