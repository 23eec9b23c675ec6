/* Backend operations of the bias derivations I (host/derive_cpu.cpp and
 * kernels/derive_kernels.cu; host/cuda_stub.cpp without CUDA). Arguments are
 * validated by the entry points (host/derive_api.cpp) before these run. */
#ifndef CUBIAS_DERIVE_OPS_H
#define CUBIAS_DERIVE_OPS_H

#include "backend.h"

/* b = t - W v, v from the statistics (kind: CUBIAS_DERIVE_VEC_*). */
#define CUBIAS_DERIVE_OPS(P)                                                                   \
  cubias_status_t P##_derive_gemv(cubias_handle_t h, cubias_stats_t s, int kind,               \
                                  const cubias_weight_t *W, double t, void *bias, int bdt,      \
                                  double *report);                                              \
  cubias_status_t P##_derive_center_preact(cubias_handle_t h, cubias_stats_t s, double t,      \
                                           void *bias, int bdt);                                \
  cubias_status_t P##_derive_normalize(cubias_handle_t h, cubias_stats_t s, double sc,         \
                                       double t, const cubias_weight_t *W, void *bias, int bdt, \
                                       int64_t *skipped);                                       \
  cubias_status_t P##_derive_symmetric(cubias_handle_t h, int act, cubias_stats_t s,           \
                                       const cubias_tensor_t *z, int64_t nz, void *bias,        \
                                       int bdt, double *report);                                \
  cubias_status_t P##_derive_revive_constant(cubias_handle_t h, cubias_stats_t s,              \
                                             double value, int all, void *bias, int bdt,        \
                                             int64_t *dead);                                    \
  cubias_status_t P##_derive_revive_quantile(cubias_handle_t h, cubias_stats_t s,              \
                                             const cubias_tensor_t *z, int64_t nz, double p,    \
                                             double margin, void *bias, int bdt, int64_t *dead);

CUBIAS_DERIVE_OPS(cubias_cpu)
CUBIAS_DERIVE_OPS(cubias_cuda)

/* Leading dimension of W with ld = 0 meaning packed. */
static inline int64_t cubias_derive_ld(const cubias_weight_t *W) {
  if (W->ld) return W->ld;
  return W->layout == CUBIAS_WEIGHT_COL_MAJOR ? W->out : W->in;
}

#endif /* CUBIAS_DERIVE_OPS_H */
