/* Backend operations of the bias derivations: those from statistics (rules 1-5,
 * 9: kernels/cpu/derive_cpu.cpp and kernels/cuda/derive_kernels.cu) and the
 * bias writes of the value rules (priors, gates, masks). Without CUDA the
 * cubias_cuda_* ones are kernels/cuda/cuda_stub.cpp. Arguments are validated by
 * the entry points in host/ before these run. */
#ifndef CUBIAS_DERIVE_OPS_H
#define CUBIAS_DERIVE_OPS_H

#include "backend.h"
#include "gates_math.h"

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

/* ---- priors, gates, masks: bias writes of the value rules ----------------
 * CPU: kernels/cpu/{prior,gates,mask}_cpu.cpp; CUDA: kernels/cuda/
 * {prior,gates,mask}_kernels.cu (stubs in kernels/cuda/cuda_stub.cpp). Pointers
 * are the backend's memory. */
#define CUBIAS_VALUE_OPS(P)                                                                     \
  /* out[0..n) = value (float, stored in dtype). */                                             \
  cubias_status_t P##_fill(cubias_handle_t h, void *out, int dtype, int64_t n, float value);    \
  /* out[i] = vals[i] saturated to dtype's range, or nan_value where vals[i] is NaN. */         \
  cubias_status_t P##_store_doubles(cubias_handle_t h, const double *vals, int64_t n,           \
                                    double nan_value, void *out, int dtype);                    \
  /* Zero counts[K + 1] and count: class labels (idx64: int64 else int32) into                  \
   * counts[0..K), out-of-range ones into counts[K]. */                                         \
  cubias_status_t P##_prior_count_labels(cubias_handle_t h, const void *labels, int idx64,      \
                                         int64_t n, int64_t K, uint64_t *counts);               \
  /* Zero counts[K + 1] and count multi-hot positives per class; entries other                  \
   * than 0/1 into counts[K]. */                                                                \
  cubias_status_t P##_prior_count_multihot(cubias_handle_t h, const uint8_t *t, int64_t n,      \
                                           int64_t K, uint64_t *counts);                        \
  /* Recurrent gate segments, H entries each (CUDA: one launch per CUBIAS_GATE_MAX_SEGS). */   \
  cubias_status_t P##_gates_write(cubias_handle_t h, const cubias_gate_seg_t *segs, int nseg,   \
                                  int64_t H, const cubias_gate_params_t *p, int dtype);         \
  /* Attention mask [B, Tq, Tk]. */                                                             \
  cubias_status_t P##_mask_write(cubias_handle_t h, int flags, const int32_t *lengths,          \
                                 int64_t B, int64_t tq, int64_t tk, int64_t causal_offset,      \
                                 int empty_row, void *mask, int dtype);

CUBIAS_VALUE_OPS(cubias_cpu)
CUBIAS_VALUE_OPS(cubias_cuda)

/* Biases from counts, on the device (the CPU backend finishes on the host,
 * host/prior_labels.cpp). sigmoid: ln((c+a)/(n-c+a)); else softmax with anchor
 * (0 mean zero, 1 pin, 2 log prob). */
cubias_status_t cubias_cuda_prior_finish(cubias_handle_t h, const uint64_t *d_counts, int64_t K,
                                         int64_t n, int sigmoid, double alpha, int anchor,
                                         int64_t pin, void *d_out, int dtype);

#endif /* CUBIAS_DERIVE_OPS_H */
