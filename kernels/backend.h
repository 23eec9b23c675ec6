/* The backend contract: what the C API front (host/) and each backend
 * (kernels/cpu/, kernels/cuda/) share. The handle and stats objects and the
 * fields a backend reads, error recording (cubias_fail) and the workspace the
 * front caches, and the operations each backend implements. Nothing in
 * kernels/ includes host/; host/internal.h includes this. */
#ifndef CUBIAS_BACKEND_H
#define CUBIAS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

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
};

struct cubias_stats_s {
  cubias_handle_t owner;
  int64_t channels;
  int act;
  float slope; /* leaky slope; 0 for ReLU; unused otherwise */
  void *state; /* CUBIAS_MOMENT_FIELDS * channels 8-byte words, backend memory */
};

/* Record a failure (handle may be NULL) and return its status. printf-style. */
cubias_status_t cubias_fail(cubias_handle_t h, cubias_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Bytes of one element of dtype, 0 when the dtype is unknown. */
size_t cubias_dtype_size(int dt);
/* a*b into *out, false on int64 overflow or negative operands. */
int cubias_mul_ok(int64_t a, int64_t b, int64_t *out);

/* Workspace of at least `bytes` in backend memory (cached in the handle). */
cubias_status_t cubias_workspace(cubias_handle_t h, size_t bytes, void **ws);

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

/* ---- backend operations (kernels/cpu/ and kernels/cuda/) ------------------ */
/* Operations both backends implement with one signature, declared for each
 * prefix P (cubias_cpu, cubias_cuda). The CPU backend's memory is host memory:
 * its sync, capturing and use_device do nothing, and its memcpy is memcpy. */
#define CUBIAS_CORE_OPS(P)                                                                     \
  /* Memory of the backend. */                                                                 \
  cubias_status_t P##_alloc(cubias_handle_t h, size_t bytes, void **p);                        \
  void P##_free(cubias_handle_t h, void *p);                                                   \
  /* Wait for the work enqueued on the handle's stream. */                                     \
  cubias_status_t P##_sync(cubias_handle_t h);                                                 \
  /* 1 while the handle's stream is being captured into a CUDA graph. */                       \
  int P##_capturing(cubias_handle_t h);                                                        \
  /* Make the handle's device current; *previous = the device current before, or -1 when      \
   * nothing changed (cubias_cuda_restore_device makes it current again). */                   \
  cubias_status_t P##_use_device(cubias_handle_t h, int *previous);                            \
  /* Stream-ordered copy; kind 0 host to backend, 1 backend to host, 2 within the backend. */  \
  cubias_status_t P##_memcpy(cubias_handle_t h, void *dst, const void *src, size_t bytes,      \
                             int kind);                                                        \
  /* Free what the backend cached in the handle (CUDA: the cuBLAS handle h->blas). */          \
  void P##_blas_destroy(cubias_handle_t h);                                                    \
  size_t P##_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels);               \
  cubias_status_t P##_stats_reset(cubias_handle_t h, cubias_stats_t s);                        \
  cubias_status_t P##_stats_accumulate(cubias_handle_t h, cubias_stats_t s,                    \
                                       const cubias_tensor_t *x, const cubias_plan_t *plan,    \
                                       void *ws);                                              \
  cubias_status_t P##_stats_merge_state(cubias_handle_t h, cubias_stats_t dst,                 \
                                        const void *src_state);                                \
  cubias_status_t P##_stats_write_field(cubias_handle_t h, cubias_stats_t s, int field,        \
                                        double *out);                                          \
  /* The export header into the first bytes of a buffer in backend memory. */                 \
  cubias_status_t P##_write_header(cubias_handle_t h, void *buffer,                            \
                                   const cubias_export_header_t *hdr);

CUBIAS_CORE_OPS(cubias_cpu)
CUBIAS_CORE_OPS(cubias_cuda)

/* The CUDA backend's own: the front calls these directly because they are about
 * CUDA itself, whatever the handle's backend (a CPU handle's pointer checks ask
 * the CUDA runtime too; creation probes for a device before a backend is
 * chosen). Without CUDA support in the build they answer "absent". */
int cubias_cuda_build_enabled(void);
/* A usable device answers. With init, also create its context now (the CUDA
 * backend); without, only count devices (the CPU backend's pointer checks). */
cubias_status_t cubias_cuda_probe(cubias_handle_t h_or_null, int *device, int init);
/* 1 device memory, 2 managed or registered host memory, 0 plain host memory, -1 cannot
 * tell. Without may_init it asks only where the calling thread already has a CUDA
 * context (so that a CPU handle never initialises CUDA), and answers -1 elsewhere. */
int cubias_cuda_pointer_kind(const void *p, int may_init);
/* Make a device current again (a public call's scope ends; it holds no handle). */
void cubias_cuda_restore_device(int device);

/* ---- the table --------------------------------------------------------------
 * One backend = one table (as ggml's backend interface): the front calls
 * h->ops->x(...), set once at cubias_create; adding or swapping a backend
 * touches the table, not the call sites. Each backend defines its table once:
 * cubias_cpu_ops (kernels/cpu/cpu_ops.cpp), cubias_cuda_ops
 * (kernels/cuda/cuda_ops.cu, or kernels/cuda/cuda_stub.cpp without CUDA). */
struct cubias_gate_seg;
struct cubias_gate_params;
typedef struct cubias_backend_ops {
  /* memory, stream, device (CUBIAS_CORE_OPS) */
  cubias_status_t (*alloc)(cubias_handle_t h, size_t bytes, void **p);
  void (*free)(cubias_handle_t h, void *p);
  cubias_status_t (*sync)(cubias_handle_t h);
  int (*capturing)(cubias_handle_t h);
  cubias_status_t (*use_device)(cubias_handle_t h, int *previous);
  /* P##_memcpy (a member named memcpy could meet a libc macro) */
  cubias_status_t (*copy)(cubias_handle_t h, void *dst, const void *src, size_t bytes, int kind);
  void (*blas_destroy)(cubias_handle_t h);
  /* statistics (CUBIAS_CORE_OPS) */
  size_t (*stats_workspace_bytes)(const cubias_plan_t *plan, int64_t channels);
  cubias_status_t (*stats_reset)(cubias_handle_t h, cubias_stats_t s);
  cubias_status_t (*stats_accumulate)(cubias_handle_t h, cubias_stats_t s,
                                      const cubias_tensor_t *x, const cubias_plan_t *plan,
                                      void *ws);
  cubias_status_t (*stats_merge_state)(cubias_handle_t h, cubias_stats_t dst,
                                       const void *src_state);
  cubias_status_t (*stats_write_field)(cubias_handle_t h, cubias_stats_t s, int field,
                                       double *out);
  cubias_status_t (*write_header)(cubias_handle_t h, void *buffer,
                                  const cubias_export_header_t *hdr);
  /* derivations from statistics (kernels/derive_ops.h, CUBIAS_DERIVE_OPS) */
  cubias_status_t (*derive_gemv)(cubias_handle_t h, cubias_stats_t s, int kind,
                                 const cubias_weight_t *W, double t, void *bias, int bdt,
                                 double *report);
  cubias_status_t (*derive_center_preact)(cubias_handle_t h, cubias_stats_t s, double t,
                                          void *bias, int bdt);
  cubias_status_t (*derive_normalize)(cubias_handle_t h, cubias_stats_t s, double sc, double t,
                                      const cubias_weight_t *W, void *bias, int bdt,
                                      int64_t *skipped);
  cubias_status_t (*derive_symmetric)(cubias_handle_t h, int act, cubias_stats_t s,
                                      const cubias_tensor_t *z, int64_t nz, void *bias, int bdt,
                                      double *report);
  cubias_status_t (*derive_revive_constant)(cubias_handle_t h, cubias_stats_t s, double value,
                                            int all, void *bias, int bdt, int64_t *dead);
  cubias_status_t (*derive_revive_quantile)(cubias_handle_t h, cubias_stats_t s,
                                            const cubias_tensor_t *z, int64_t nz, double p,
                                            double margin, void *bias, int bdt, int64_t *dead);
  /* bias writes of the value rules (kernels/derive_ops.h, CUBIAS_VALUE_OPS) */
  cubias_status_t (*fill)(cubias_handle_t h, void *out, int dtype, int64_t n, float value);
  cubias_status_t (*store_doubles)(cubias_handle_t h, const double *vals, int64_t n,
                                   double nan_value, void *out, int dtype);
  cubias_status_t (*prior_count_labels)(cubias_handle_t h, const void *labels, int idx64,
                                        int64_t n, int64_t K, uint64_t *counts);
  cubias_status_t (*prior_count_multihot)(cubias_handle_t h, const uint8_t *t, int64_t n,
                                          int64_t K, uint64_t *counts);
  cubias_status_t (*gates_write)(cubias_handle_t h, const struct cubias_gate_seg *segs, int nseg,
                                 int64_t H, const struct cubias_gate_params *p, int dtype);
  cubias_status_t (*mask_write)(cubias_handle_t h, int flags, const int32_t *lengths, int64_t B,
                                int64_t tq, int64_t tk, int64_t causal_offset, int empty_row,
                                void *mask, int dtype);
  /* Biases from counts in backend memory, on the backend; NULL where the front
   * finishes on the host instead (CPU: the counts are host memory already). */
  cubias_status_t (*prior_finish)(cubias_handle_t h, const uint64_t *counts, int64_t K,
                                  int64_t n, int sigmoid, double alpha, int anchor, int64_t pin,
                                  void *out, int dtype);
  /* gain check (kernels/gain_math.h) */
  cubias_status_t (*weight_gain)(cubias_handle_t h, const cubias_weight_t *w, double *partials,
                                 double *out);
  cubias_status_t (*gain_pool)(cubias_handle_t h, const double *count, const double *mean,
                               const double *var, const double *dphi, int64_t C, double *out);
} cubias_backend_ops;

/* The table of backend P, in the order above (needs derive_ops.h and
 * gain_math.h included); prior_finish is given separately. */
#define CUBIAS_BACKEND_OPS_OF(P, prior_finish)                                                 \
  {P##_alloc, P##_free, P##_sync, P##_capturing, P##_use_device, P##_memcpy, P##_blas_destroy, \
   P##_stats_workspace_bytes, P##_stats_reset, P##_stats_accumulate, P##_stats_merge_state,    \
   P##_stats_write_field, P##_write_header, P##_derive_gemv, P##_derive_center_preact,         \
   P##_derive_normalize, P##_derive_symmetric, P##_derive_revive_constant,                     \
   P##_derive_revive_quantile, P##_fill, P##_store_doubles, P##_prior_count_labels,            \
   P##_prior_count_multihot, P##_gates_write, P##_mask_write, prior_finish, P##_weight_gain,   \
   P##_gain_pool}

extern const cubias_backend_ops cubias_cpu_ops;
extern const cubias_backend_ops cubias_cuda_ops;

#endif /* CUBIAS_BACKEND_H */
