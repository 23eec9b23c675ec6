// CPU backend of the statistics engine: the pick of the engine build
// for this CPU (cpu_engine.inc), and the small per-channel operations.
#include <stdlib.h>
#include <string.h>

#include "cpu_engine.h"
#include "../backend.h"
#include "../finalize.h"

#ifdef _OPENMP
#include <omp.h>
static int max_threads() { return omp_get_max_threads(); }
#else
static int max_threads() { return 1; }
#endif

// The widest build this CPU runs; CUBIAS_CPU_ISA=base|avx2 caps it (tests run
// every build that way; all give the same bits).
static const cubias_cpu_engine_t *pick_engine() {
#ifdef CUBIAS_CPU_X86_ENGINES
  const char *cap = getenv("CUBIAS_CPU_ISA");
  const int level = cap && strcmp(cap, "base") == 0 ? 0 : cap && strcmp(cap, "avx2") == 0 ? 1 : 2;
  __builtin_cpu_init();
  if (level >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return &cubias_cpu_engine_avx512;
  if (level >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    return &cubias_cpu_engine_avx2;
#endif
  return &cubias_cpu_engine_base;
}

const cubias_cpu_engine_t *cubias_cpu_engine(void) {
  static const cubias_cpu_engine_t *const engine = pick_engine();
  return engine;
}

static size_t round_up64(size_t b) { return (b + 63) / 64 * 64; }

static size_t slot_bytes(const cubias_plan_t *plan, int64_t channels) {
  return round_up64((size_t)CUBIAS_MOMENT_FIELDS * sizeof(double) *
                    (size_t)cubias_cpu_merge_lanes(plan) * (size_t)channels);
}

// The workspace holds the merge lanes' slots, then one scratch per thread.
size_t cubias_cpu_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels) {
  return slot_bytes(plan, channels) + cubias_cpu_engine()->scratch_bytes * (size_t)max_threads();
}

cubias_status_t cubias_cpu_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                            const cubias_tensor_t *x, const cubias_plan_t *plan,
                                            void *ws) {
  (void)h;
  cubias_cpu_job_t job;
  job.data = x->data;
  job.dtype = (int)x->dtype;
  job.outer = x->outer;
  job.C = x->channels;
  job.inner = x->inner;
  job.act = s->act;
  job.slope = s->slope;
  job.plan = *plan;
  job.slots = (double *)ws;
  job.scratch = (char *)ws + slot_bytes(plan, x->channels);
  job.nthreads = max_threads();
  job.state = s->state;
  cubias_cpu_engine()->run(&job);
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
