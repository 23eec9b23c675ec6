/* The backend contract: everything the C API front (host/) and a backend
 * (kernels/cpu/, kernels/cuda/) share, in one header. The handle and stats
 * objects and the fields a backend reads; how a backend reports a failure (text
 * into the handle's error slot, which the front publishes with the public call's
 * name); and the table of operations, each listed once in CUBIAS_BACKEND_OPS.
 * The front hands a backend everything it needs, workspace included (CUB's
 * two-phase rule: ask with ws = NULL for the bytes, then call with them): nothing
 * in kernels/ includes or calls anything in host/ (tests/check_layers.sh). */
#ifndef CUBIAS_BACKEND_H
#define CUBIAS_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cubias.h"
#include "moments.h"
#include "plan.h"

#define CUBIAS_ERROR_LEN 512

struct cubias_handle_s {
  cubias_backend_t backend; /* CPU or CUDA, never AUTO */
  const struct cubias_backend_ops *ops; /* the backend's operations (cubias_cpu_ops or cubias_cuda_ops) */
  int device;               /* CUDA device ordinal    */
  void *stream;             /* cudaStream_t           */
  int live_stats;           /* stats objects not yet destroyed */
  int cuda_present;         /* the CUDA backend's device answered (CUDA handles only) */
  void *workspace;          /* backend memory, grown on demand, never shrunk */
  size_t workspace_bytes;
  int workspace_captured;   /* a stream capture used it: a graph may replay into it */
  void **retired;           /* captured workspaces outgrown, freed at cubias_destroy */
  int retired_count;
  void *blas;               /* cublasHandle_t, created on first use (derivations), or NULL */
  char last_error[CUBIAS_ERROR_LEN];
  /* Why the last backend operation failed, without the call's name: written by
   * cubias_backend_fail, published into last_error by the front when the public
   * call returns. */
  char backend_error[CUBIAS_ERROR_LEN];
};

struct cubias_stats_s {
  cubias_handle_t owner;
  int64_t channels;
  int act;
  float slope; /* leaky slope; 0 for ReLU; unused otherwise */
  void *state; /* CUBIAS_MOMENT_FIELDS * channels 8-byte words, backend memory */
};

/* A backend's failure: its text into the handle's error slot, its status back. */
static inline cubias_status_t cubias_backend_fail(cubias_handle_t h, cubias_status_t st,
                                                  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline cubias_status_t cubias_backend_fail(cubias_handle_t h, cubias_status_t st,
                                                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->backend_error, sizeof h->backend_error, fmt, ap);
  va_end(ap);
  return st;
}

/* The first phase of an operation taking (void *ws, size_t *ws_bytes): answer the
 * bytes it needs. In the second phase ws is never NULL (with 0 bytes it points at
 * nothing to use). */
static inline cubias_status_t cubias_workspace_answer(size_t *ws_bytes, size_t bytes) {
  *ws_bytes = bytes;
  return CUBIAS_STATUS_SUCCESS;
}

/* Export header, the first CUBIAS_EXPORT_HEADER bytes of an exported buffer. */
#define CUBIAS_EXPORT_HEADER 64
#define CUBIAS_EXPORT_MAGIC 0x5453534149425543ull /* "CUBIASST" little-endian */
#define CUBIAS_EXPORT_VERSION 1u
typedef struct cubias_export_header {
  uint64_t magic;
  uint32_t version;
  int32_t act;
  int64_t channels;
  float slope;
  uint32_t fields;
  uint8_t reserved[32];
} cubias_export_header_t;

typedef struct cubias_gate_seg cubias_gate_seg_t;       /* kernels/gates_math.h */
typedef struct cubias_gate_params cubias_gate_params_t; /* kernels/gates_math.h */

/* ---- the operations ----------------------------------------------------------
 * X(return type, name, (parameters)): one line per operation. It becomes the
 * member `name` of struct cubias_backend_ops and, for each backend prefix P,
 * the declaration of P_name (cubias_cpu_name, cubias_cuda_name). Pointers are
 * the backend's memory unless said otherwise; arguments were checked by the front.
 * Operations taking (void *ws, size_t *ws_bytes) follow CUB's two phases: with
 * ws = NULL they only set *ws_bytes (0: none needed) and return; then the front
 * passes that much workspace (host/handle.cpp cubias_run_with_workspace).
 * Optional operations (the front checks for NULL): prior_finish. */
#define CUBIAS_BACKEND_OPS(X)                                                                     \
  /* memory, stream, device. The CPU backend's memory is host memory: its sync,                 \
   * capturing and use_device do nothing and its copy is memcpy. */                             \
  X(cubias_status_t, alloc, (cubias_handle_t h, size_t bytes, void **p))                         \
  X(void, free, (cubias_handle_t h, void *p))                                                    \
  /* Wait for the work enqueued on the handle's stream. */                                      \
  X(cubias_status_t, sync, (cubias_handle_t h))                                                  \
  /* 1 while the handle's stream is being captured into a CUDA graph. */                        \
  X(int, capturing, (cubias_handle_t h))                                                         \
  /* Make the handle's device current; *previous = the device current before, or -1 when       \
   * nothing changed (cubias_cuda_restore_device makes it current again). */                    \
  X(cubias_status_t, use_device, (cubias_handle_t h, int *previous))                             \
  /* Stream-ordered copy; kind 0 host to backend, 1 backend to host, 2 within the backend. */   \
  X(cubias_status_t, copy, (cubias_handle_t h, void *dst, const void *src, size_t bytes, int kind)) \
  /* Free what the backend cached in the handle (CUDA: the cuBLAS handle h->blas). */           \
  X(void, blas_destroy, (cubias_handle_t h))                                                     \
  /* statistics: the workspace one pass of the plan needs, then the pass */                     \
  X(size_t, stats_workspace_bytes, (const cubias_plan_t *plan, int64_t channels))                \
  X(cubias_status_t, stats_reset, (cubias_handle_t h, cubias_stats_t s))                         \
  X(cubias_status_t, stats_accumulate,                                                           \
    (cubias_handle_t h, cubias_stats_t s, const cubias_tensor_t *x, const cubias_plan_t *plan,   \
     void *ws))                                                                                  \
  X(cubias_status_t, stats_merge_state, (cubias_handle_t h, cubias_stats_t dst, const void *src_state)) \
  X(cubias_status_t, stats_write_field, (cubias_handle_t h, cubias_stats_t s, int field, double *out)) \
  /* The export header into the first bytes of a buffer in backend memory. */                   \
  X(cubias_status_t, write_header, (cubias_handle_t h, void *buffer, const cubias_export_header_t *hdr)) \
  /* derivations from statistics (kernels/derive_math.h): b = t - W v, v from the              \
   * statistics (kind: CUBIAS_DERIVE_VEC_*); column i of W reads channel i / spatial            \
   * (a convolution kernel [out, C, kh, kw] as [out, C * spatial]; 1 for a plain weight) */     \
  X(cubias_status_t, derive_gemv,                                                                \
    (cubias_handle_t h, cubias_stats_t s, int kind, const cubias_weight_t *W, int64_t spatial,   \
     double t, void *bias, int bdt, double *report, void *ws, size_t *ws_bytes))                 \
  X(cubias_status_t, derive_center_preact,                                                       \
    (cubias_handle_t h, cubias_stats_t s, double t, void *bias, int bdt))                        \
  X(cubias_status_t, derive_normalize,                                                           \
    (cubias_handle_t h, cubias_stats_t s, double sc, double t, const cubias_weight_t *W,         \
     void *bias, int bdt, int64_t *skipped, void *ws, size_t *ws_bytes))                         \
  X(cubias_status_t, derive_symmetric,                                                           \
    (cubias_handle_t h, int act, cubias_stats_t s, const cubias_tensor_t *z, int64_t nz,         \
     void *bias, int bdt, double *report, void *ws, size_t *ws_bytes))                           \
  X(cubias_status_t, derive_revive_constant,                                                     \
    (cubias_handle_t h, cubias_stats_t s, double value, int all, void *bias, int bdt,            \
     int64_t *dead))                                                                             \
  X(cubias_status_t, derive_revive_quantile,                                                     \
    (cubias_handle_t h, cubias_stats_t s, const cubias_tensor_t *z, int64_t nz, double p,        \
     double margin, void *bias, int bdt, int64_t *dead, void *ws, size_t *ws_bytes))             \
  /* bias writes of the value rules. out[0..n) = value (float, stored in dtype). */             \
  X(cubias_status_t, fill, (cubias_handle_t h, void *out, int dtype, int64_t n, float value))    \
  /* out[i] = vals[i] saturated to dtype's range, or nan_value where vals[i] is NaN. */         \
  X(cubias_status_t, store_doubles,                                                              \
    (cubias_handle_t h, const double *vals, int64_t n, double nan_value, void *out, int dtype))  \
  /* Zero counts[K + 1] and count class labels (idx64: int64 else int32) into                   \
   * counts[0..K), out-of-range ones into counts[K]. */                                         \
  X(cubias_status_t, prior_count_labels,                                                         \
    (cubias_handle_t h, const void *labels, int idx64, int64_t n, int64_t K, uint64_t *counts))  \
  /* Zero counts[K + 1] and count multi-hot positives per class; entries other than            \
   * 0/1 into counts[K]. */                                                                     \
  X(cubias_status_t, prior_count_multihot,                                                       \
    (cubias_handle_t h, const uint8_t *t, int64_t n, int64_t K, uint64_t *counts))               \
  /* Optional: biases from counts on the backend (NULL: the front finishes on the host,         \
   * the CPU backend's counts being host memory). sigmoid: ln((c+a)/(n-c+a)); else              \
   * softmax with anchor (0 mean zero, 1 pin, 2 log prob). */                                   \
  X(cubias_status_t, prior_finish,                                                               \
    (cubias_handle_t h, const uint64_t *counts, int64_t K, int64_t n, int sigmoid, double alpha, \
     int anchor, int64_t pin, void *out, int dtype))                                             \
  /* Recurrent gate segments, H entries each. */                                                \
  X(cubias_status_t, gates_write,                                                                \
    (cubias_handle_t h, const cubias_gate_seg_t *segs, int nseg, int64_t H,                      \
     const cubias_gate_params_t *p, int dtype))                                                  \
  /* Attention mask [B, Tq, Tk]. */                                                             \
  X(cubias_status_t, mask_write,                                                                 \
    (cubias_handle_t h, int flags, const int32_t *lengths, int64_t B, int64_t tq, int64_t tk,    \
     int64_t causal_offset, int empty_row, void *mask, int dtype))                               \
  /* gain check (kernels/gain_math.h): one weight's chunk partials into partials[nchunks]      \
   * (scratch), then *out = in * sum / (out * in) */                                            \
  X(cubias_status_t, weight_gain,                                                                \
    (cubias_handle_t h, const cubias_weight_t *w, double *partials, double *out))                \
  /* Pool per-channel fields (dphi may be NULL) into out[CUBIAS_GAIN_POOL]. */                  \
  X(cubias_status_t, gain_pool,                                                                  \
    (cubias_handle_t h, const double *count, const double *mean, const double *var,              \
     const double *dphi, int64_t C, double *out))

#define CUBIAS_OP_MEMBER(ret, name, params) ret(*name) params;
typedef struct cubias_backend_ops {
  CUBIAS_BACKEND_OPS(CUBIAS_OP_MEMBER)
} cubias_backend_ops;
#undef CUBIAS_OP_MEMBER

#define CUBIAS_OP_DECL_CPU(ret, name, params) ret cubias_cpu_##name params;
#define CUBIAS_OP_DECL_CUDA(ret, name, params) ret cubias_cuda_##name params;
CUBIAS_BACKEND_OPS(CUBIAS_OP_DECL_CPU)
CUBIAS_BACKEND_OPS(CUBIAS_OP_DECL_CUDA)
#undef CUBIAS_OP_DECL_CPU
#undef CUBIAS_OP_DECL_CUDA

/* Each backend defines its table once, entry by entry by name (an entry left out
 * is NULL): cubias_cpu_ops (kernels/cpu/cpu_ops.cpp), cubias_cuda_ops
 * (kernels/cuda/cuda_ops.cu; kernels/cuda/cuda_stub.cpp without CUDA, empty). */
extern const cubias_backend_ops cubias_cpu_ops;
extern const cubias_backend_ops cubias_cuda_ops;

/* ---- about CUDA itself, whatever the handle's backend -------------------------
 * The front calls these directly: creation probes for a device before a backend
 * is chosen, and a CPU handle's pointer checks ask the CUDA runtime too. Without
 * CUDA support in the build they answer "absent" (kernels/cuda/cuda_stub.cpp). */
int cubias_cuda_build_enabled(void);
/* A usable device answers. With init, also create its context now (the CUDA
 * backend); without, only count devices. On failure, why into why[why_len]. */
cubias_status_t cubias_cuda_probe(int *device, int init, char *why, size_t why_len);
/* 1 device memory, 2 managed or registered host memory, 0 plain host memory, -1 cannot
 * tell. Without may_init it asks only where the calling thread already has a CUDA
 * context (so that a CPU handle never initialises CUDA), and answers -1 elsewhere. */
int cubias_cuda_pointer_kind(const void *p, int may_init);
/* Make a device current again (a public call's scope ends; it holds no handle). */
void cubias_cuda_restore_device(int device);

#endif /* CUBIAS_BACKEND_H */
