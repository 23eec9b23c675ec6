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
size_t cubias_cpu_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels);
size_t cubias_cuda_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels);

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
/* Memory of the backend. */
cubias_status_t cubias_cpu_alloc(cubias_handle_t h, size_t bytes, void **p);
void cubias_cpu_free(void *p);

cubias_status_t cubias_cpu_stats_reset(cubias_handle_t h, cubias_stats_t s);
cubias_status_t cubias_cpu_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                            const cubias_tensor_t *x, const cubias_plan_t *plan,
                                            void *ws);
cubias_status_t cubias_cpu_stats_merge_state(cubias_handle_t h, cubias_stats_t dst,
                                             const void *src_state);
cubias_status_t cubias_cpu_stats_write_field(cubias_handle_t h, cubias_stats_t s, int field,
                                             double *out);

/* The CUDA backend; without CUDA support in the build these return
 * CUBIAS_STATUS_NO_DEVICE / NOT_SUPPORTED. */
int cubias_cuda_build_enabled(void);
/* A usable device answers. With init, also create its context now (the CUDA
 * backend); without, only count devices (the CPU backend's pointer checks). */
cubias_status_t cubias_cuda_probe(cubias_handle_t h_or_null, int *device, int init);
cubias_status_t cubias_cuda_alloc(cubias_handle_t h, size_t bytes, void **p);
void cubias_cuda_free(cubias_handle_t h, void *p);
cubias_status_t cubias_cuda_sync(cubias_handle_t h);
/* 1 device memory, 2 managed or registered host memory, 0 plain host memory, -1 cannot
 * tell. Without may_init it asks only where the calling thread already has a CUDA
 * context (so that a CPU handle never initialises CUDA), and answers -1 elsewhere. */
int cubias_cuda_pointer_kind(const void *p, int may_init);
/* Make h->device current; *previous = the device current before, or -1 when it
 * already was h->device. cubias_cuda_restore_device makes a device current again. */
cubias_status_t cubias_cuda_use_device(cubias_handle_t h, int *previous);
void cubias_cuda_restore_device(int device);
/* 1 while the handle's stream is being captured into a CUDA graph. */
int cubias_cuda_capturing(cubias_handle_t h);
cubias_status_t cubias_cuda_memcpy(cubias_handle_t h, void *dst, const void *src, size_t bytes,
                                   int kind /* 0 h2d, 1 d2h, 2 d2d */);

cubias_status_t cubias_cuda_stats_reset(cubias_handle_t h, cubias_stats_t s);
cubias_status_t cubias_cuda_stats_accumulate(cubias_handle_t h, cubias_stats_t s,
                                             const cubias_tensor_t *x, const cubias_plan_t *plan,
                                             void *ws);
cubias_status_t cubias_cuda_stats_merge_state(cubias_handle_t h, cubias_stats_t dst,
                                              const void *src_state);
cubias_status_t cubias_cuda_stats_write_field(cubias_handle_t h, cubias_stats_t s, int field,
                                              double *out);
/* Destroy the cached cuBLAS handle (h->blas), if any. */
void cubias_cuda_blas_destroy(cubias_handle_t h);
cubias_status_t cubias_cuda_write_header(cubias_handle_t h, void *d_buffer,
                                         const cubias_export_header_t *hdr);

#endif /* CUBIAS_BACKEND_H */
