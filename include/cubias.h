/*
 * cubias.h — set the biases of neural-network layers from data.
 *
 * The one public header of cubias. Plain C (C99), usable from C++ and CUDA.
 *
 * Conventions
 *  - Every entry point returns cubias_status_t. On failure nothing has been
 *    launched and the caller's buffers are untouched; cubias_get_last_error()
 *    says what was wrong and where. The library never exits, aborts or prints.
 *  - A handle is bound to a backend. Pointers named d_* are *backend* pointers:
 *    device memory (or managed / mapped host memory) for the CUDA backend, plain
 *    host memory for the CPU backend. Pointers named h_* are always host memory.
 *  - Work is ordered on the handle's stream (cubias_set_stream) and calls return
 *    once it is enqueued. Calls that synchronise say so. The CPU backend runs
 *    synchronously.
 *  - Results are deterministic: the same input on the same backend, device and
 *    library version gives bit-identical statistics (no float atomics, fixed
 *    merge order). The CPU and CUDA backends use the same chunk plan and merge
 *    order, so they agree to rounding (about 1e-12 relative for the moments).
 */
#ifndef CUBIAS_H
#define CUBIAS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the shared library (built with hidden visibility by default). */
#if defined(__GNUC__) || defined(__clang__)
#define CUBIAS_API __attribute__((visibility("default")))
#else
#define CUBIAS_API
#endif

#define CUBIAS_VERSION_MAJOR 0
#define CUBIAS_VERSION_MINOR 1
#define CUBIAS_VERSION_PATCH 0
/* Encoded as major*10000 + minor*100 + patch. */
#define CUBIAS_VERSION \
  (CUBIAS_VERSION_MAJOR * 10000 + CUBIAS_VERSION_MINOR * 100 + CUBIAS_VERSION_PATCH)

/* ------------------------------------------------------------------------ */
/* Status, version, errors                                                   */
/* ------------------------------------------------------------------------ */

typedef enum cubias_status {
  CUBIAS_STATUS_SUCCESS = 0,
  CUBIAS_STATUS_INVALID_VALUE = 1,   /* NULL pointer, bad size, unknown enum value  */
  CUBIAS_STATUS_SHAPE_MISMATCH = 2,  /* sizes disagree between two arguments        */
  CUBIAS_STATUS_OVERFLOW = 3,        /* a size product does not fit in int64        */
  CUBIAS_STATUS_HANDLE_MISMATCH = 4, /* an object belongs to another handle         */
  CUBIAS_STATUS_WRONG_MEMORY = 5,    /* host memory given to CUDA, or the reverse   */
  CUBIAS_STATUS_NO_DEVICE = 6,       /* CUDA backend asked for, no usable device    */
  CUBIAS_STATUS_ALLOC_FAILED = 7,    /* host or device allocation failed            */
  CUBIAS_STATUS_CUDA_ERROR = 8,      /* a CUDA runtime call failed (see last error) */
  CUBIAS_STATUS_CUBLAS_ERROR = 9,    /* a cuBLAS call failed (see last error)       */
  CUBIAS_STATUS_NOT_SUPPORTED = 10,  /* valid request this build cannot serve       */
  CUBIAS_STATUS_NO_DATA = 11,        /* statistics hold no finite value to use      */
  CUBIAS_STATUS_INTERNAL_ERROR = 12
} cubias_status_t;

/* A static string naming the status ("CUBIAS_STATUS_INVALID_VALUE: ..."). Never NULL. */
CUBIAS_API const char *cubias_status_string(cubias_status_t status);

/* Runtime version (compare with the CUBIAS_VERSION_* macros). Any pointer may be NULL. */
CUBIAS_API cubias_status_t cubias_get_version(int *major, int *minor, int *patch);

/* ------------------------------------------------------------------------ */
/* Handle and backends                                                       */
/* ------------------------------------------------------------------------ */

typedef enum cubias_backend {
  CUBIAS_BACKEND_AUTO = 0, /* CUDA when a usable device answers, else CPU */
  CUBIAS_BACKEND_CPU = 1,
  CUBIAS_BACKEND_CUDA = 2
} cubias_backend_t;

typedef struct cubias_handle_s *cubias_handle_t;

/* Create a handle. AUTO resolves to CUDA or CPU at creation (query it with
 * cubias_get_backend). CUDA without a usable device returns
 * CUBIAS_STATUS_NO_DEVICE with the CUDA error text in cubias_get_last_error(NULL).
 * The CUDA backend uses the device current at creation time. */
CUBIAS_API cubias_status_t cubias_create(cubias_handle_t *handle, cubias_backend_t backend);

/* Destroy a handle and its cached workspace. Synchronises the handle's stream.
 * Statistics objects created from it must be destroyed first (they are
 * refused afterwards only if still alive: destroy them before). NULL is a no-op. */
CUBIAS_API cubias_status_t cubias_destroy(cubias_handle_t handle);

/* The backend the handle resolved to (CPU or CUDA, never AUTO). */
CUBIAS_API cubias_status_t cubias_get_backend(cubias_handle_t handle, cubias_backend_t *backend);

/* Set the stream (a cudaStream_t, NULL = the legacy default stream) that all later
 * work of this handle is ordered on. Synchronises the previous stream first, so
 * the cached workspace is never shared by two streams. CPU backend: accepted and
 * ignored. */
CUBIAS_API cubias_status_t cubias_set_stream(cubias_handle_t handle, void *stream);
CUBIAS_API cubias_status_t cubias_get_stream(cubias_handle_t handle, void **stream);

/* Wait until all work enqueued on the handle's stream has finished. */
CUBIAS_API cubias_status_t cubias_synchronize(cubias_handle_t handle);

/* Text of the last failure: what was wrong, in which call, and the CUDA/cuBLAS
 * error text where one was involved. With a handle: the last failure of a call
 * on that handle. With NULL: the last failure on the calling thread (this is
 * where cubias_create and calls given a NULL handle report). "" when none. The
 * string stays valid until the next failing call on the same handle/thread. */
CUBIAS_API const char *cubias_get_last_error(cubias_handle_t handle);

/* ------------------------------------------------------------------------ */
/* Tensor views                                                              */
/* ------------------------------------------------------------------------ */

typedef enum cubias_dtype {
  CUBIAS_DTYPE_F32 = 0,
  CUBIAS_DTYPE_F16 = 1, /* IEEE binary16 */
  CUBIAS_DTYPE_BF16 = 2 /* bfloat16      */
} cubias_dtype_t;

/* A contiguous tensor seen as (outer, channels, inner), row-major:
 *   element (o, c, i) is at data[(o * channels + c) * inner + i].
 * Statistics are per channel, over the outer*inner entries of each channel.
 *   [N, D] rows       -> (N, D, 1)         cubias_tensor_rows
 *   NCHW              -> (N, C, H*W)       cubias_tensor_nchw
 *   NHWC              -> (N*H*W, C, 1)     cubias_tensor_nhwc
 *   [T, N, D] sequence-> (T*N, D, 1)       cubias_tensor_tnd
 * data is a backend pointer. */
typedef struct cubias_tensor {
  const void *data;
  cubias_dtype_t dtype;
  int64_t outer;
  int64_t channels;
  int64_t inner;
} cubias_tensor_t;

/* Each helper fills *view, checking that every size is >= 1 and that the total
 * element count fits in int64 (CUBIAS_STATUS_OVERFLOW otherwise). */
CUBIAS_API cubias_status_t cubias_tensor_make(cubias_tensor_t *view, const void *d_data,
                                   cubias_dtype_t dtype, int64_t outer,
                                   int64_t channels, int64_t inner);
CUBIAS_API cubias_status_t cubias_tensor_rows(cubias_tensor_t *view, const void *d_data,
                                   cubias_dtype_t dtype, int64_t n, int64_t d);
CUBIAS_API cubias_status_t cubias_tensor_nchw(cubias_tensor_t *view, const void *d_data,
                                   cubias_dtype_t dtype, int64_t n, int64_t c,
                                   int64_t h, int64_t w);
CUBIAS_API cubias_status_t cubias_tensor_nhwc(cubias_tensor_t *view, const void *d_data,
                                   cubias_dtype_t dtype, int64_t n, int64_t h,
                                   int64_t w, int64_t c);
CUBIAS_API cubias_status_t cubias_tensor_tnd(cubias_tensor_t *view, const void *d_data,
                                  cubias_dtype_t dtype, int64_t t, int64_t n,
                                  int64_t d);

/* ------------------------------------------------------------------------ */
/* Per-channel statistics                                                    */
/* ------------------------------------------------------------------------ */

/* The activation phi whose moments E[phi(z)], E[phi(z)^2], E[phi'(z)^2] are
 * accumulated beside the raw moments of z. Derivative conventions at the kink:
 * ReLU'(0) = 0, LeakyReLU'(0) = slope. GELU is the exact erf form
 * z*Phi(z); SiLU is z*sigmoid(z). */
typedef enum cubias_activation {
  CUBIAS_ACT_IDENTITY = 0,
  CUBIAS_ACT_RELU = 1,
  CUBIAS_ACT_LEAKY_RELU = 2, /* slope = act_param (finite) */
  CUBIAS_ACT_TANH = 3,
  CUBIAS_ACT_SIGMOID = 4,
  CUBIAS_ACT_GELU = 5,
  CUBIAS_ACT_SILU = 6
} cubias_activation_t;

typedef struct cubias_stats_s *cubias_stats_t;

/* Per-channel results, as read to the host.
 * Entries that are NaN or +-Inf are counted in `nonfinite` and left out of
 * every other field. A channel with count == 0 (no finite entry yet) reports
 * count = positive = 0 and NaN in every floating-point field; it is never
 * garbage. var_unbiased is NaN when count < 2. */
typedef struct cubias_channel_stats {
  int64_t count;         /* finite entries                                  */
  int64_t nonfinite;     /* NaN or +-Inf entries (excluded from all moments) */
  int64_t positive;      /* finite entries > 0                               */
  double mean;
  double var;            /* population variance  M2 / count                  */
  double var_unbiased;   /* sample variance      M2 / (count - 1)            */
  double min;
  double max;
  double active_fraction; /* positive / count                               */
  double phi_mean;        /* E[phi(z)]                                       */
  double phi_sq_mean;     /* E[phi(z)^2]                                     */
  double dphi_sq_mean;    /* E[phi'(z)^2]                                    */
} cubias_channel_stats_t;

/* Create an empty accumulator for `channels` channels on the handle's backend.
 * act_param is the leaky-ReLU slope and is ignored (pass 0) otherwise. The
 * state lives in backend memory (device memory for CUDA). */
CUBIAS_API cubias_status_t cubias_stats_create(cubias_handle_t handle, int64_t channels,
                                    cubias_activation_t act, float act_param,
                                    cubias_stats_t *stats);
/* NULL is a no-op. Must be called before its handle is destroyed. */
CUBIAS_API cubias_status_t cubias_stats_destroy(cubias_stats_t stats);
CUBIAS_API cubias_status_t cubias_stats_channels(cubias_stats_t stats, int64_t *channels);

/* Forget everything accumulated so far. */
CUBIAS_API cubias_status_t cubias_stats_reset(cubias_handle_t handle, cubias_stats_t stats);

/* Add a batch: one fused pass over x. x->channels must equal the accumulator's.
 * Batches may have any size; accumulating A then B equals one batch A|B to
 * rounding. Stream-ordered, no synchronisation, no allocation once the handle's
 * workspace has grown to the largest plan (see cubias_reserve_workspace). */
CUBIAS_API cubias_status_t cubias_stats_accumulate(cubias_handle_t handle, cubias_stats_t stats,
                                        const cubias_tensor_t *x);

/* dst <- merge(dst, src) (Chan et al.). Both from this handle, same channels
 * and activation; src is unchanged. */
CUBIAS_API cubias_status_t cubias_stats_merge(cubias_handle_t handle, cubias_stats_t dst,
                                   cubias_stats_t src);

/* Export the partial state to a flat buffer of cubias_stats_export_size() bytes
 * (a backend pointer: what a multi-GPU user all-gathers), and import-and-merge
 * such a buffer into an accumulator. The format is versioned and checked on
 * import (magic, version, channels, activation); import on the CUDA backend
 * synchronises the stream to read the 64-byte header. */
CUBIAS_API cubias_status_t cubias_stats_export_size(cubias_stats_t stats, size_t *bytes);
CUBIAS_API cubias_status_t cubias_stats_export(cubias_handle_t handle, cubias_stats_t stats,
                                    void *d_buffer);
CUBIAS_API cubias_status_t cubias_stats_import_merge(cubias_handle_t handle, cubias_stats_t stats,
                                          const void *d_buffer);

/* Replace stats by the merge, in index order, of `count` exports laid back to
 * back in d_buffers (each cubias_stats_export_size() bytes; e.g. what an
 * all-gather over ranks delivers). Every rank that calls this on the same
 * buffers holds bit-identical statistics. All headers are checked before
 * anything changes; on the CUDA backend that synchronises the stream once. */
CUBIAS_API cubias_status_t cubias_stats_merge_exports(cubias_handle_t handle, cubias_stats_t stats,
                                                      const void *d_buffers, int64_t count);

/* NCCL data parallelism: export this rank's partial state into its slot of
 * d_scratch (nranks * cubias_stats_export_size() bytes of device memory),
 * all-gather the slots over `nccl_comm` (a ncclComm_t) on the handle's stream,
 * then cubias_stats_merge_exports() them in rank order: every rank ends with the
 * same global statistics, bit for bit (what SyncBatchNorm needs). CUDA backend
 * only; builds without NCCL return CUBIAS_STATUS_NOT_SUPPORTED. Synchronises. */
CUBIAS_API cubias_status_t cubias_stats_allgather_nccl(cubias_handle_t handle, cubias_stats_t stats,
                                                       void *nccl_comm, void *d_scratch);

/* Read every channel's results into h_out[channels]. Synchronises the stream. */
CUBIAS_API cubias_status_t cubias_stats_read(cubias_handle_t handle, cubias_stats_t stats,
                                  cubias_channel_stats_t *h_out);

/* One result per channel, kept in backend memory for later device work. */
typedef enum cubias_stat_field {
  CUBIAS_FIELD_COUNT = 0, /* as double */
  CUBIAS_FIELD_NONFINITE = 1,
  CUBIAS_FIELD_POSITIVE = 2,
  CUBIAS_FIELD_MEAN = 3,
  CUBIAS_FIELD_VAR = 4,
  CUBIAS_FIELD_VAR_UNBIASED = 5,
  CUBIAS_FIELD_STD = 6, /* sqrt(var) */
  CUBIAS_FIELD_MIN = 7,
  CUBIAS_FIELD_MAX = 8,
  CUBIAS_FIELD_ACTIVE_FRACTION = 9,
  CUBIAS_FIELD_PHI_MEAN = 10,
  CUBIAS_FIELD_PHI_SQ_MEAN = 11,
  CUBIAS_FIELD_DPHI_SQ_MEAN = 12
} cubias_stat_field_t;

/* Write one field for every channel into d_out[channels] (double, backend
 * memory). Stream-ordered, no host round trip, no synchronisation. */
CUBIAS_API cubias_status_t cubias_stats_write_field(cubias_handle_t handle, cubias_stats_t stats,
                                         cubias_stat_field_t field, double *d_out);

/* Grow the handle's cached workspace now so that later accumulations of tensors
 * up to this shape allocate nothing (e.g. before CUDA-graph capture). */
CUBIAS_API cubias_status_t cubias_reserve_workspace(cubias_handle_t handle, const cubias_tensor_t *x);

/* ======================================================================== */
/* Bias derivations I: centering, normalisation, post-activation shifts,     */
/* symmetric activations, dead-unit revival                                  */
/* ======================================================================== */

/* (end of derivations I) */



/* ======================================================================== */
/* Bias derivations II: class priors, regression targets, recurrent gates,   */
/* gate targets, optimistic values, attention masks                          */
/* ======================================================================== */

/* (end of derivations II) */



/* ======================================================================== */
/* Gradient-gain check                                                       */
/* ======================================================================== */

/* (end of gain check) */

#ifdef __cplusplus
}
#endif

#endif /* CUBIAS_H */
