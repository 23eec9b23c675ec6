/* Backend operations of the bias derivations I (host/derive_cpu.cpp and
 * kernels/derive_kernels.cu; host/cuda_stub.cpp without CUDA). Arguments are
 * validated by the entry points (host/derive_api.cpp) before these run. */
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

/* ---- priors, gates, masks: CUDA launchers (kernels/cuda/{prior,gates,mask}_kernels.cu;
 * stubs in kernels/cuda/cuda_stub.cpp) --------------------------------------------- */

/* d_out[0..n) = value (float, stored in dtype). */
cubias_status_t cubias_cuda_fill(cubias_handle_t h, void *d_out, int dtype, int64_t n,
                                    float value);
/* d_out[i] = d_vals[i], or nan_value where d_vals[i] is NaN. */
cubias_status_t cubias_cuda_store_doubles(cubias_handle_t h, const double *d_vals, int64_t n,
                                            double nan_value, void *d_out, int dtype);
/* Zero d_counts[K + 1] and count: class labels (idx64: int64 else int32) into
 * d_counts[0..K), out-of-range ones into d_counts[K]. */
cubias_status_t cubias_cuda_prior_count_labels(cubias_handle_t h, const void *d_labels, int idx64,
                                               int64_t n, int64_t K, uint64_t *d_counts);
/* Zero d_counts[K + 1] and count multi-hot positives per class; entries other
 * than 0/1 into d_counts[K]. */
cubias_status_t cubias_cuda_prior_count_multihot(cubias_handle_t h, const uint8_t *d_t,
                                                 int64_t n, int64_t K, uint64_t *d_counts);
/* Biases from counts. sigmoid: ln((c+a)/(n-c+a)); else softmax with anchor
 * (0 mean zero, 1 pin, 2 log prob). */
cubias_status_t cubias_cuda_prior_finish(cubias_handle_t h, const uint64_t *d_counts, int64_t K,
                                         int64_t n, int sigmoid, double alpha, int anchor,
                                         int64_t pin, void *d_out, int dtype);
/* Recurrent gate segments (at most CUBIAS_GATE_MAX_SEGS per call), H entries each. */
cubias_status_t cubias_cuda_gates_write(cubias_handle_t h, const cubias_gate_seg_t *segs, int nseg,
                                        int64_t H, const cubias_gate_params_t *p, int dtype);
/* Attention mask [B, Tq, Tk]. */
cubias_status_t cubias_cuda_mask_write(cubias_handle_t h, int flags, const int32_t *d_lengths,
                                       int64_t B, int64_t tq, int64_t tk, int64_t causal_offset,
                                       int empty_row, void *d_mask, int dtype);

#endif /* CUBIAS_DERIVE_OPS_H */
