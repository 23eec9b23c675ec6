/* Library-internal declarations: the handle and stats objects, error reporting,
 * argument checks, and the backend operations each backend implements. */
#ifndef CUBIAS_INTERNAL_H
#define CUBIAS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cubias.h"
#include "../kernels/plan.h"

#define CUBIAS_ERROR_LEN 512

struct cubias_handle_s {
  cubias_backend_t backend; /* CPU or CUDA, never AUTO */
  int device;               /* CUDA device ordinal    */
  void *stream;             /* cudaStream_t           */
  int live_stats;           /* stats objects not yet destroyed */
  int cuda_present;         /* a CUDA device answers (used for pointer checks) */
  void *workspace;          /* backend memory, grown on demand, never shrunk */
  size_t workspace_bytes;
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

void cubias_clear_error(cubias_handle_t h);

#ifdef __cplusplus
/* The public call running on this thread, for as long as the scope lives:
 * every message cubias_fail records meanwhile begins with its name (the
 * outermost call's when one public call uses another). */
class cubias_call_scope {
 public:
  explicit cubias_call_scope(const char *name);
  ~cubias_call_scope();
  cubias_call_scope(const cubias_call_scope &) = delete;
  cubias_call_scope &operator=(const cubias_call_scope &) = delete;

 private:
  const char *prev_;
};
/* First line of every public entry point: names the call (as `where`). */
#define CUBIAS_ENTRY(name)                       \
  [[maybe_unused]] const char *const where = name; \
  cubias_call_scope cubias_call_scope_(where)
#endif

/* Argument checks: each returns SUCCESS or records what was wrong in `where`. */
cubias_status_t cubias_check_handle(cubias_handle_t h, const char *where);
cubias_status_t cubias_check_stats(cubias_handle_t h, cubias_stats_t s, const char *where);
cubias_status_t cubias_check_tensor(cubias_handle_t h, const cubias_tensor_t *x,
                                    const char *where);
/* A pointer the backend will dereference: non-NULL and, where the CUDA runtime
 * can tell, on the right side (device for CUDA, host for CPU). */
cubias_status_t cubias_check_backend_ptr(cubias_handle_t h, const void *p, const char *what,
                                         const char *where);

/* A weight view's sizes, dtype, layout and extent (and, with check_data, its
 * pointer's side); `who` names it in the message ("weight", "layer 3 weight"). */
cubias_status_t cubias_check_weight(cubias_handle_t h, const cubias_weight_t *w, const char *who,
                                    const char *where, int check_data);
/* The leading dimension in use (ld, or the packed line length when ld = 0). */
int64_t cubias_weight_ld(const cubias_weight_t *w);

#ifdef __cplusplus
#include <string.h>
/* An enum read as the int the caller stored (any value, without loading an
 * out-of-range enum, which UBSan rightly flags in C++). */
template <class E>
inline int cubias_enum_int(const E &e) {
  static_assert(sizeof(E) == sizeof(int), "enum size");
  int v;
  memcpy(&v, &e, sizeof v);
  return v;
}
#endif

/* Bytes of one element of dtype, 0 when the dtype is unknown. */
size_t cubias_dtype_size(int dt);
/* a*b into *out, false on int64 overflow or negative operands. */
int cubias_mul_ok(int64_t a, int64_t b, int64_t *out);

/* Workspace of at least `bytes` in backend memory (cached in the handle). */
cubias_status_t cubias_workspace(cubias_handle_t h, size_t bytes, void **ws);
/* Bytes of workspace one statistics pass of this plan needs on h's backend. */
size_t cubias_stats_workspace_bytes(cubias_handle_t h, const cubias_plan_t *plan,
                                    int64_t channels);
size_t cubias_cpu_stats_workspace_bytes(const cubias_plan_t *plan, int64_t channels);

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

/* ---- backend operations (host/cpu_*.cpp and kernels/cuda_*.cu) ---------- */
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
/* 1 device/managed memory, 0 plain host memory, -1 cannot tell. */
int cubias_cuda_pointer_kind(const void *p);
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

#endif /* CUBIAS_INTERNAL_H */
