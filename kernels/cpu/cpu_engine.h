/* The CPU statistics engine's interface. The engine (cpu_engine.inc) is
 * compiled once per x86 instruction set level (AVX-512, AVX2, baseline) so
 * that all of it, not only the inner loop, uses the wide registers; the
 * backend picks one at run time. Built with -ffp-contract=off, every build
 * gives the same bits. */
#ifndef CUBIAS_CPU_ENGINE_H
#define CUBIAS_CPU_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "../plan.h"

/* One statistics pass over a tensor: its chunks fold into the merge lanes'
 * slots (SoA moments, lane l of channel c at l * C + c), which then merge in
 * the fixed order of kernels/plan.h into `state`. */
typedef struct cubias_cpu_job {
  const void *data;
  int dtype;
  int64_t outer, C, inner;
  int act;
  float slope;
  cubias_plan_t plan;
  double *slots;  /* cubias_cpu_merge_lanes(plan) * C moments */
  void *scratch;  /* nthreads * scratch_bytes, 64-byte aligned */
  int nthreads;
  void *state;    /* the accumulator's moments, C of them */
} cubias_cpu_job_t;

typedef struct cubias_cpu_engine {
  size_t scratch_bytes; /* per thread */
  void (*run)(const cubias_cpu_job_t *job);
} cubias_cpu_engine_t;

/* Merge lanes in use: lane l folds chunks l, l + 32, ... */
static inline int64_t cubias_cpu_merge_lanes(const cubias_plan_t *plan) {
  return plan->nchunks < CUBIAS_MERGE_LANES ? plan->nchunks : CUBIAS_MERGE_LANES;
}

/* The builds (NULL where this target has none) and the pick for this CPU. */
extern const cubias_cpu_engine_t cubias_cpu_engine_avx512;
extern const cubias_cpu_engine_t cubias_cpu_engine_avx2;
extern const cubias_cpu_engine_t cubias_cpu_engine_base;
const cubias_cpu_engine_t *cubias_cpu_engine(void);

#endif /* CUBIAS_CPU_ENGINE_H */
