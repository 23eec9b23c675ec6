/*
 * cubias.h — set the biases of neural-network layers from data.
 *
 * The one public header of cubias. Plain C (C99), usable from C++ and CUDA.
 *
 * Conventions
 *  - Every entry point returns cubias_status_t. On failure nothing has been
 *    launched and the caller's buffers are untouched, with two stated
 *    exceptions: a call that creates an object (cubias_create,
 *    cubias_stats_create) sets its out-handle to NULL on every failure where
 *    the out pointer itself is not NULL, so a failed create never leaves a
 *    stale handle to destroy; and the label priors report their out-of-range
 *    count in *h_out_of_range. cubias_get_last_error() says what was wrong;
 *    every message begins with the name of the public call that failed
 *    ("cubias_stats_create: ..."). The library never exits, aborts or prints.
 *  - Enum arguments and enum fields of the structs are read as the int the
 *    caller stored: any value outside the enum (-1, 9, INT_MAX) is refused
 *    with CUBIAS_STATUS_INVALID_VALUE (cubias_status_string and
 *    cubias_gain_verdict_string, which return a string, name it unknown).
 *  - A handle is bound to a backend. Pointers named d_* are *backend* pointers:
 *    device memory (or managed / mapped host memory) for the CUDA backend, plain
 *    host memory for the CPU backend. Pointers named h_* are always host memory.
 *    A CPU handle never initialises CUDA: it tells device pointers from host ones
 *    (CUBIAS_STATUS_WRONG_MEMORY) only where the calling thread already has a CUDA
 *    context, and cannot tell elsewhere.
 *  - Every pointer the library reads or writes must be aligned to its elements:
 *    tensor data, weights, bias buffers, masks and tables to their dtype's size;
 *    labels to their index type's; export and import buffers, double outputs and
 *    int64 counters to 8 bytes. A misaligned one is refused with
 *    CUBIAS_STATUS_INVALID_VALUE before anything runs, on both backends (on a GPU
 *    a misaligned access would end the CUDA context).
 *  - A CUDA handle's calls run on the device that was current when it was created,
 *    and leave the caller's current device as they found it.
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
 * The CUDA backend uses the device current at creation time. On failure
 * *handle is NULL (when handle itself is not NULL). */
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
 * string stays valid until the next failing call on the same handle/thread.
 * A failure is recorded for the calling thread and, when the call has a
 * handle, for that handle too; a successful call leaves both as they were. */
CUBIAS_API const char *cubias_get_last_error(cubias_handle_t handle);

/* Forget the last failure: the calling thread's and, with a handle, the
 * handle's (cubias_get_last_error then returns ""). E.g. before a call whose
 * own message you want to read. Always CUBIAS_STATUS_SUCCESS. */
CUBIAS_API cubias_status_t cubias_clear_last_error(cubias_handle_t handle);

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
/* Weight views                                                              */
/* ------------------------------------------------------------------------ */

/* A weight matrix W [out, in] in backend memory, f32, f16 or bf16: out = output
 * channels (the bias length), in = input channels (fan_in).
 *   CUBIAS_WEIGHT_ROW_MAJOR (PyTorch nn.Linear.weight, llm.c): W(j, i) = data[j * ld + i], ld >= in
 *   CUBIAS_WEIGHT_COL_MAJOR (cuBLAS, Fortran):                  W(j, i) = data[i * ld + j], ld >= out
 * ld = 0 means packed (in for row-major, out for column-major). A convolution
 * kernel [out, in, kh, kw] is the ROW_MAJOR matrix [out, in*kh*kw]. Only
 * cubias_normalize_from_preact writes through data. */
typedef enum cubias_weight_layout {
  CUBIAS_WEIGHT_ROW_MAJOR = 0,
  CUBIAS_WEIGHT_COL_MAJOR = 1
} cubias_weight_layout_t;

typedef struct cubias_weight {
  void *data;
  cubias_dtype_t dtype;
  int64_t out;
  int64_t in;
  cubias_weight_layout_t layout;
  int64_t ld;
} cubias_weight_t;

/* Fill *w after checking sizes (>= 1), dtype, layout, ld (0 or >= the line
 * length) and that the addressed extent fits in int64. */
CUBIAS_API cubias_status_t cubias_weight_make(cubias_weight_t *w, const void *d_data,
                                              cubias_dtype_t dtype, int64_t out, int64_t in,
                                              cubias_weight_layout_t layout, int64_t ld);

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

/* Create an empty accumulator for `channels` channels (1 to 2^40) on the
 * handle's backend. act_param is the leaky-ReLU slope and is ignored (pass 0)
 * otherwise. The state lives in backend memory (device memory for CUDA). On
 * failure *stats is NULL (when stats itself is not NULL). */
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
 * up to this shape allocate nothing (e.g. before CUDA-graph capture).
 * CUDA graphs: a call made while the handle's stream is being captured never
 * allocates; if it needs a larger workspace than the handle holds it fails with
 * CUBIAS_STATUS_NOT_SUPPORTED and enqueues nothing (reserve first, or make the same
 * call once before the capture). A workspace that a capture used is kept until
 * cubias_destroy even when a later call outgrows it, so the graph can be replayed
 * at any time; destroy the handle only after its graphs. */
CUBIAS_API cubias_status_t cubias_reserve_workspace(cubias_handle_t handle, const cubias_tensor_t *x);

/* ======================================================================== */
/* Bias derivations I: centering, normalisation, post-activation shifts,     */
/* symmetric activations, dead-unit revival                                  */
/* ======================================================================== */

/*
 * Common to this section
 *  - Bias buffers (d_bias*) are backend memory in f32, f16 or bf16 (bias_dtype);
 *    they are computed in double and rounded to nearest once when stored.
 *  - Statistics are read on the device (CUDA) straight from the accumulator:
 *    nothing goes through the host, nothing synchronises. Reports (d_report,
 *    d_skipped, d_dead) are optional backend buffers (NULL = not wanted).
 *  - A statistics channel with no finite entry (count 0) never produces a
 *    NaN bias: what each call does with it is stated below.
 *  - h_target: a host pointer to one scalar target t (NULL means t = 0).
 */

/* Centering from input statistics:
 *     b_j = t - sum_i W(j, i) * mu_x[i]          (b = t - W mu_x)
 * so that the pre-activation W x + b has mean t over the measured inputs.
 * Why: a layer fed with uncentred inputs starts with a shifted pre-activation;
 * this removes the shift before training instead of leaving it to the bias.
 * x_stats has in channels (the layer's input features); bias has out entries.
 * The recurrent case b = -W_x mu_x with inputs [T, N, D] is the same call
 * with statistics accumulated from cubias_tensor_tnd views. Input channels
 * with no finite data count as mu = 0. CUDA: cuBLAS Dgemv on W converted to
 * double in row blocks of the workspace (cuBLAS handle created on first use,
 * cached in the handle); CPU: an fp64 loop. */
CUBIAS_API cubias_status_t cubias_center_from_input(cubias_handle_t handle, cubias_stats_t x_stats,
                                                    const cubias_weight_t *W,
                                                    const double *h_target, void *d_bias,
                                                    cubias_dtype_t bias_dtype);

/* Centering a convolution from its input statistics:
 *     b_j = t - sum_{c,u,v} W[j, c, u, v] * mu_x[c]
 * W is the kernel [out, in, kh, kw] (PyTorch's Conv2d.weight; any number of
 * spatial dimensions) viewed as the row-major weight [out, in * kernel_area]
 * (cubias_weight_make(&W, d_w, dt, out, in * kh * kw, CUBIAS_WEIGHT_ROW_MAJOR, 0)),
 * kernel_area = kh * kw (>= 1; 1 is cubias_center_from_input), x_stats the
 * statistics of the convolution's input with in channels (NCHW or NHWC views).
 * Column i of the view reads channel i / kernel_area. With circular padding
 * every tap reads every input position once, so each output channel's mean is
 * t exactly; without padding it is t up to how far the means of the shifted
 * windows are from mu_x (nothing for stationary inputs). With zero padding a
 * tap reads 0 instead of about mu_x where it falls in the padding, so the mean
 * is about t - sum_{c,u,v} f_uv W[j, c, u, v] mu_x[c] (the border effect), f_uv
 * the share of output positions where tap (u, v) reads padding: for "same"
 * padding of a 3 x 3 kernel on H x W, 0 for the centre tap, 1/H or 1/W for
 * the edge taps, 1 - (1 - 1/H)(1 - 1/W) for the corners (32 x 32: 3 %, 6 %).
 * A grouped convolution is one call per group. Same numerics and backends as
 * cubias_center_from_input. */
CUBIAS_API cubias_status_t cubias_center_conv_from_input(cubias_handle_t handle,
                                                         cubias_stats_t x_stats,
                                                         const cubias_weight_t *W,
                                                         int64_t kernel_area,
                                                         const double *h_target, void *d_bias,
                                                         cubias_dtype_t bias_dtype);

/* Centering from pre-activation statistics (in place):
 *     b_j <- b_j - (mu_z[j] - t)
 * z_stats are the statistics of z = W x + b measured with the current bias.
 * Why: the shift is exact whatever W and x are, since z moves one-for-one
 * with b. Channels with no data are left untouched. */
CUBIAS_API cubias_status_t cubias_center_from_preact(cubias_handle_t handle, cubias_stats_t z_stats,
                                                     const double *h_target, void *d_bias,
                                                     cubias_dtype_t bias_dtype);

/* Data-dependent normalisation (LSUV / weight-norm style), in place:
 *     W_j <- s * W_j / sigma_j,   b_j <- s * (b_j - mu_j) / sigma_j + t
 * with mu_j, sigma_j (population std) of the pre-activation z_j measured with
 * the current W, b. Afterwards z_j has mean t and std s on the same inputs.
 * Why: each unit starts with a unit-scale, centred pre-activation whatever
 * the input scale (Mishkin & Matas LSUV; Salimans & Kingma's data-dependent
 * weight-norm init). Iterate (measure, normalise) until |std - s| < tol for
 * nonlinear stacks: examples/lsuv_loop.c.
 * W->out must equal the statistics' channels; d_bias may be NULL (a layer
 * without bias: only W is scaled). Channels with no data or sigma = 0 are left
 * untouched (W row and bias) and counted into *d_skipped (an int64 in backend
 * memory, may be NULL). s > 0 and t finite (the usual choice: s = 1, t = 0). */
CUBIAS_API cubias_status_t cubias_normalize_from_preact(cubias_handle_t handle,
                                                        cubias_stats_t z_stats, double s, double t,
                                                        const cubias_weight_t *W, void *d_bias,
                                                        cubias_dtype_t bias_dtype,
                                                        int64_t *d_skipped);

/* Post-activation shift for the next layer:
 *     b_next = t - W_next * E[phi(z)]
 * where z are this layer's pre-activations (statistics z_stats, created with
 * the activation phi) and W_next is the next layer's weight [out, in] with
 * in = z_stats channels. E[phi(z)] is either
 *   CUBIAS_POSTACT_MEASURED: the measured post-activation mean
 *     (CUBIAS_FIELD_PHI_MEAN of z_stats), any activation; or
 *   CUBIAS_POSTACT_GAUSSIAN: the Gaussian closed form from the measured mean
 *     mu and std sigma of z (identity, ReLU or leaky ReLU; see
 *     cubias_gaussian_act_moments), e.g. ReLU: E = mu Phi(mu/sigma) +
 *     sigma pdf(mu/sigma), = sigma / sqrt(2 pi) at mu = 0.
 * Why: ReLU outputs have a positive mean that the next layer's pre-activation
 * inherits through W_next; this bias cancels it.
 * d_report (double, backend memory, 4 * in entries, may be NULL) says how
 * Gaussian the layer is, per input channel c (NaN where no data; the Gaussian
 * mode needs an activation with a closed form, as above, for the report too):
 *   [0, in)      measured E[phi] - Gaussian E[phi]
 *   [in, 2 in)   measured Var[phi] - Gaussian Var[phi]
 *   [2 in, 3 in) Gaussian E[phi]
 *   [3 in, 4 in) Gaussian Var[phi]
 * With MEASURED and a smooth activation (no closed form), d_report must be
 * NULL. Channels with no data count as E[phi] = 0. CUDA: cuBLAS as cubias_center_from_input. */
typedef enum cubias_postact_source {
  CUBIAS_POSTACT_MEASURED = 0,
  CUBIAS_POSTACT_GAUSSIAN = 1
} cubias_postact_source_t;

CUBIAS_API cubias_status_t cubias_postact_shift(cubias_handle_t handle, cubias_stats_t z_stats,
                                                cubias_postact_source_t source,
                                                const cubias_weight_t *W_next,
                                                const double *h_target, void *d_bias_next,
                                                cubias_dtype_t bias_dtype, double *d_report);

/* Gaussian closed forms (host, no handle): z ~ N(mu, sigma^2), sigma >= 0,
 * phi identity, ReLU or leaky ReLU (slope a = act_param):
 *   E[phi]   = P + a N,  P = mu Phi(mu/sigma) + sigma pdf(mu/sigma),
 *                        N = mu - P
 *   Var[phi] = P2 + a^2 N2 - E[phi]^2,  P2 = (mu^2+sigma^2) Phi(mu/sigma) + mu sigma pdf(mu/sigma),
 *                                        N2 = mu^2 + sigma^2 - P2
 *   dead     = P(z <= 0) = Phi(-mu/sigma)
 * ReLU on N(0, 1): 0.398942, 0.340845, 0.5; on N(0.1, 1): 0.450935, -, 0.460172.
 * Any output pointer may be NULL. Errors go to cubias_get_last_error(NULL). */
CUBIAS_API cubias_status_t cubias_gaussian_act_moments(cubias_activation_t act, double act_param,
                                                       double mu, double sigma, double *h_mean,
                                                       double *h_var, double *h_dead);

/* Symmetric activations (tanh, sigmoid), in place:
 *     b_j <- b_j + delta_j,   delta_j = argmax_delta mean_z phi'(z_j + delta)
 * over the pre-activations z handed in (n_tensors views, each with the
 * statistics' channels; measured with the current bias). Why: phi' peaks at
 * 0, so the unit passes the most gradient when its pre-activation sits on the
 * peak; for centred symmetric data that is delta = 0, and this computes it
 * instead of assuming it. Method: the optimum lies in [-max z, -min z] (from
 * z_stats); 8 passes over the data, each evaluating phi' in double at 17
 * candidates per channel around the best so far and shrinking the bracket
 * 8-fold: delta is within (max - min) / 2 * 8^-8 (~3e-8 of the range) of a
 * maximiser of E[phi'(z + delta)] (the global one when that function is
 * unimodal in delta, e.g. for unimodal data). The mean is over the finite
 * entries of the tensors handed in.
 * act: CUBIAS_ACT_TANH or CUBIAS_ACT_SIGMOID. d_report (double, backend, 2 * C,
 * may be NULL): [0, C) E[phi'(z + delta)] at the optimum, [C, 2C) delta.
 * Channels with no data are untouched and reported as NaN. */
CUBIAS_API cubias_status_t cubias_symmetric_shift(cubias_handle_t handle, cubias_activation_t act,
                                                  cubias_stats_t z_stats,
                                                  const cubias_tensor_t *z, int64_t n_tensors,
                                                  void *d_bias, cubias_dtype_t bias_dtype,
                                                  double *d_report);

/* Dead-unit revival. A unit is dead when it has data and was never
 * active (count > 0, no entry > 0); units without data are never counted.
 * d_dead (int64, backend memory, 2 entries, may be NULL): [0] units dead
 * before, [1] units that would still be dead on the same data after the
 * change (max z + (b_new - b_old) <= 0, with b_new as stored). */

/* The default constant of the constant rule (the seed's "small positive"). */
#define CUBIAS_REVIVE_DEFAULT_BIAS 0.1

/* Constant rule: b_j <- value (> 0, finite; CUBIAS_REVIVE_DEFAULT_BIAS).
 * all_channels != 0: every channel (the plain ReLU init); all_channels == 0:
 * only the dead units of z_stats. z_stats gives the channel count (= bias
 * length) and the dead counts. Why: a small positive bias puts a ReLU unit's pre-activation on
 * the active side for more inputs so that it receives gradient. */
CUBIAS_API cubias_status_t cubias_revive_constant(cubias_handle_t handle, cubias_stats_t z_stats,
                                                  double value, int all_channels, void *d_bias,
                                                  cubias_dtype_t bias_dtype, int64_t *d_dead);

/* Data-driven rule, in place: per channel the smallest shift that makes the
 * measured active fraction >= p_min on the data handed in:
 *     q_j = the k-th largest finite z_j, k = ceil(p_min * n_j) (n_j finite entries)
 * with p_min read as the decimal a user writes: p_min * n_j within a relative
 * 1e-12 of a whole number r counts as r (0.05 * 100 gives k = 5, although the
 * binary 0.05 is a little above 0.05); otherwise the exact ceiling of the
 * double product. Both backends use the same rule (kernels/derive_math.h).
 *     delta_j = 0 if q_j > 0, else margin - q_j;   b_j <- b_j + delta_j
 * (the infimum of the shifts is -q_j; margin > 0 makes z > 0 strict and should
 * exceed the rounding of the bias dtype at |b|). The stored bias is rounded
 * up, so at least k entries satisfy z + (b_new - b_old) >= margin > 0.
 * q_j is exact: a 4-pass radix select (8 bits a pass) on the float keys with
 * per-channel histograms (integer counts: deterministic). z: n_tensors views
 * of the pre-activations (measured with the current bias), the same data
 * z_stats accumulated (it supplies the dead counts). p_min in (0, 1].
 * Why: a unit that is never active gets no gradient and never recovers; the
 * smallest sufficient shift revives it while changing the others least. */
CUBIAS_API cubias_status_t cubias_revive_quantile(cubias_handle_t handle, cubias_stats_t z_stats,
                                                  const cubias_tensor_t *z, int64_t n_tensors,
                                                  double p_min, double margin, void *d_bias,
                                                  cubias_dtype_t bias_dtype, int64_t *d_dead);

/* (end of derivations I) */



/* ======================================================================== */
/* Bias derivations II: class priors, regression targets, recurrent gates,   */
/* gate targets, optimistic values, attention masks                          */
/* ======================================================================== */

/* Common to this section: every call writes the caller's bias buffer d_bias
 * (a backend pointer) in `dtype` (f32, f16 or bf16, round to nearest even),
 * ordered on the handle's stream; the CPU backend writes host memory at once.
 * Arguments are checked first: on any failure nothing is launched or written.
 * A value that does not fit the dtype (|b| > its largest finite value) is
 * refused with CUBIAS_STATUS_INVALID_VALUE, never written as +-Inf. */

/* ---- Class priors --------------------------------------------------------- */

/* The free constant of a softmax prior. softmax(b + c) = softmax(b) for any c,
 * so only differences of b_k matter; choose which representative is written:
 *   MEAN_ZERO  b_k = ln pi_k - (1/K) sum_j ln pi_j   (sum_k b_k = 0; default)
 *   PIN_CLASS  b_k = ln pi_k - ln pi_pin             (b_pin = 0 exactly)
 *   LOG_PROB   b_k = ln pi_k                          (sum_k exp(b_k) = 1)      */
typedef enum cubias_prior_anchor {
  CUBIAS_PRIOR_MEAN_ZERO = 0,
  CUBIAS_PRIOR_PIN_CLASS = 1,
  CUBIAS_PRIOR_LOG_PROB = 2
} cubias_prior_anchor_t;

/* Integer type of class-index labels. */
typedef enum cubias_index_type { CUBIAS_INDEX_INT32 = 0, CUBIAS_INDEX_INT64 = 1 } cubias_index_type_t;

/* Default additive (Laplace) smoothing: every class starts with one pseudo-count,
 * so a class never seen gets a finite bias, never -inf. */
#define CUBIAS_PRIOR_ALPHA_DEFAULT 1.0

/* Softmax prior from class-index labels d_labels[n] (int32 or int64, backend
 * memory), each in [0, K). Counted on the backend by an integer histogram
 * (deterministic), then with alpha > 0 (finite):
 *   pi_k = (c_k + alpha) / (n + K*alpha),   b_k = ln pi_k - anchor constant.
 * Why: with zero weights the initial softmax then predicts the class
 * frequencies (loss = entropy of the labels, not ln K of a uniform guess).
 * pin_class is used by CUBIAS_PRIOR_PIN_CLASS only (0 <= pin_class < K).
 * Labels outside [0, K) are counted in the same pass; if any, the call fails
 * with CUBIAS_STATUS_INVALID_VALUE, their count in *h_out_of_range (optional,
 * may be NULL; 0 on success) and in the error text, and d_bias is untouched.
 * CUDA: this check SYNCHRONISES the stream once (to read the 8-byte count);
 * the counts live in the handle's workspace ((K + 1) * 8 bytes). */
CUBIAS_API cubias_status_t cubias_prior_softmax_from_labels(
    cubias_handle_t handle, const void *d_labels, cubias_index_type_t index_type, int64_t n,
    int64_t num_classes, double alpha, cubias_prior_anchor_t anchor, int64_t pin_class,
    void *d_bias, cubias_dtype_t dtype, int64_t *h_out_of_range);

/* Sigmoid (multi-label) prior from multi-hot targets d_targets[n, K] (uint8,
 * row-major, each entry 0 or 1, backend memory). Per class, with alpha > 0
 * pseudo-counts for each of the two outcomes:
 *   pi_k = (c_k + alpha) / (n + 2*alpha),  b_k = ln(pi_k / (1 - pi_k))
 *                                              = ln((c_k + alpha) / (n - c_k + alpha)).
 * Why: with zero weights sigma(b_k) = pi_k, the base rate of each label.
 * Entries other than 0/1 are refused exactly like out-of-range labels above
 * (counted, reported in *h_out_of_range, nothing written; CUDA syncs once). */
CUBIAS_API cubias_status_t cubias_prior_sigmoid_from_targets(
    cubias_handle_t handle, const uint8_t *d_targets, int64_t n, int64_t num_classes,
    double alpha, void *d_bias, cubias_dtype_t dtype, int64_t *h_out_of_range);

/* Softmax prior from given class probabilities h_priors[K] (host), each finite
 * and > 0; they are normalised by their sum first, then b_k as above
 * (anchor / pin_class as in cubias_prior_softmax_from_labels). */
CUBIAS_API cubias_status_t cubias_prior_softmax_from_probs(
    cubias_handle_t handle, const double *h_priors, int64_t num_classes,
    cubias_prior_anchor_t anchor, int64_t pin_class, void *d_bias, cubias_dtype_t dtype);

/* Sigmoid prior from given per-class probabilities h_priors[K] (host), each in
 * (0, 1): b_k = ln(pi_k / (1 - pi_k)). */
CUBIAS_API cubias_status_t cubias_prior_sigmoid_from_probs(cubias_handle_t handle,
                                                           const double *h_priors,
                                                           int64_t num_classes, void *d_bias,
                                                           cubias_dtype_t dtype);

/* One prior for all n outputs (RetinaNet's focal-loss head): pi in (0, 1),
 * b = ln(pi / (1 - pi)); pi = 0.01 gives b = -4.595120. Why: rare positives
 * then start with a small loss instead of swamping the first steps. */
CUBIAS_API cubias_status_t cubias_prior_single(cubias_handle_t handle, double pi, int64_t n,
                                               void *d_bias, cubias_dtype_t dtype);

/* Regression head: b_c = mean of the targets of channel c, read from a
 * statistics object that accumulated the targets (one channel per output),
 * via cubias_stats_write_field on the backend (no host round trip). Why: with
 * zero weights the head then predicts the mean, the best constant under L2.
 * d_bias has stats' channels entries; a channel with no finite target
 * (count 0) gets b = 0, and a mean beyond the dtype's range is saturated to
 * +-max (the means never leave the device, so they cannot be refused).
 * Uses channels * 8 bytes of the handle's workspace. */
CUBIAS_API cubias_status_t cubias_prior_regression_from_stats(cubias_handle_t handle,
                                                              cubias_stats_t target_stats,
                                                              void *d_bias, cubias_dtype_t dtype);

/* ---- Recurrent gates ------------------------------------------------------ */

/* Cell types. The gate set is the LSTM forget gate f (and, for chrono, the
 * input gate i) or the GRU update gate z (h_t = z*h_{t-1} + (1-z)*n in
 * PyTorch, Keras and cuDNN alike, so a positive b_z keeps memory). */
typedef enum cubias_rnn_cell { CUBIAS_RNN_LSTM = 0, CUBIAS_RNN_GRU = 1 } cubias_rnn_cell_t;

/* How the effective gate bias b (b_ih + b_hh where two vectors add) is chosen:
 *   CONSTANT   b = value (default 1.0: sigma(1) = 0.731059)
 *   RETENTION  b = logit(r^(1/L)): the gate keeps a fraction r after L steps,
 *              sigma(b)^L = r (r in (0,1), L >= 1)
 *   CHRONO     b_f = ln(u), u ~ U[1, T_max - 1] per unit (Tallec & Ollivier),
 *              and for LSTM b_i = -b_f; b_f lies in [0, ln(T_max - 1)).
 * Chrono randomness: Philox4x32-10 (the generator of cuRAND), counter
 * (unit j low, j high, pseudo-layer index, 0x63687230), key (seed low, seed
 * high); u = 1 + (T_max - 2) * U, U = 53 bits of outputs 0-1 / 2^53. The CUDA
 * backend calls cuRAND's curand_Philox4x32_10 and the CPU backend the same
 * function written in kernels/philox.h (checked bit for bit against the
 * Random123 known-answer vectors): the same seed gives the same biases on both
 * backends (the stored value can differ only if the two double-precision log()
 * results straddle a rounding boundary of the dtype, probability ~1e-9). */
typedef enum cubias_gate_scheme {
  CUBIAS_GATE_CONSTANT = 0,
  CUBIAS_GATE_RETENTION = 1,
  CUBIAS_GATE_CHRONO = 2
} cubias_gate_scheme_t;

typedef struct cubias_gate_config {
  cubias_gate_scheme_t scheme;
  double value;     /* CONSTANT: the effective bias (finite)                     */
  double retention; /* RETENTION: r in (0, 1)                                     */
  double steps;     /* L: RETENTION's horizon (>= 1); for the report of every
                       scheme (retention = sigma(b)^L; <= 0: NaN retention)    */
  double t_max;     /* CHRONO: T_max >= 2                                         */
  uint64_t seed;    /* CHRONO                                                     */
  int zero_other_gates; /* 1: write 0 to every other gate's bias of the cell too
                           (both vectors); 0: leave them untouched (default)    */
} cubias_gate_config_t;

/* Fill *cfg with the defaults: CONSTANT 1.0, steps 10, retention 0.5, t_max 0,
 * seed 0, other gates untouched. */
CUBIAS_API cubias_status_t cubias_gate_config_default(cubias_gate_config_t *cfg);

/* What was written, computed on the host from the values as stored in dtype
 * (no device read-back, no synchronisation). gate = sigma(b),
 * retention = sigma(b)^L with L = cfg.steps. Over all units of all layers and
 * directions: min, mean, max (equal for CONSTANT and RETENTION). */
typedef struct cubias_gate_report {
  int64_t units; /* gate entries set: layers * directions * hidden */
  double bias_min, bias_mean, bias_max;
  double gate_min, gate_mean, gate_max;
  double retention_min, retention_mean, retention_max;
} cubias_gate_report_t;

/* Where two bias vectors add (b_ih + b_hh, Keras' cuDNN-compatible pair, cuDNN
 * double bias), the first (input-side) vector gets the whole effective value
 * and the second (recurrent) vector 0 at the same gate entries, so the sum is
 * exact in every dtype (effective 1.0, not 1.0 in each). */

/* PyTorch nn.LSTM / nn.GRU, all layers and directions, in one flat parameter
 * buffer d_params of total_elements entries (dtype), laid out as
 * torch.cat([p.reshape(-1) for p in rnn.parameters()]): for layer l, for
 * direction d (forward, then reverse when bidirectional):
 *   w_ih [G*H, in_l], w_hh [G*H, H], b_ih [G*H], b_hh [G*H]
 * with G = 4 (gates i,f,g,o) or 3 (r,z,n), in_0 = input_size,
 * in_l = H * directions for l > 0 (bias=True, proj_size=0, batch_first
 * irrelevant). total_elements must equal that size (SHAPE_MISMATCH otherwise).
 * Only bias entries are written; h_report may be NULL. */
CUBIAS_API cubias_status_t cubias_rnn_gate_bias_pytorch(
    cubias_handle_t handle, cubias_rnn_cell_t cell, void *d_params, cubias_dtype_t dtype,
    int64_t total_elements, int64_t input_size, int64_t hidden_size, int64_t num_layers,
    int bidirectional, const cubias_gate_config_t *cfg, cubias_gate_report_t *h_report);

/* Keras LSTM / GRU: one layer's bias variable d_bias of num_vectors * G * H
 * entries: num_vectors = 1 (LSTM, GRU reset_after=False) or 2 (the input and
 * recurrent bias of GRU reset_after=True, shape (2, 3H), and of the
 * cuDNN-compatible CuDNNLSTM/CuDNNGRU, 2 * G * H). Gate order i,f,c,o (LSTM)
 * and z,r,h (GRU). For a Bidirectional wrapper call it once per direction. */
CUBIAS_API cubias_status_t cubias_rnn_gate_bias_keras(cubias_handle_t handle,
                                                      cubias_rnn_cell_t cell, void *d_bias,
                                                      cubias_dtype_t dtype, int64_t hidden_size,
                                                      int num_vectors,
                                                      const cubias_gate_config_t *cfg,
                                                      cubias_gate_report_t *h_report);

/* cuDNN: the packed weight space's layout is opaque and found at run time with
 * cudnnGetRNNWeightParams(..., pseudoLayer, ..., linLayerID, ..., &bAddr), so
 * the caller passes, per pseudo-layer (layer * directions + direction), the
 * bias addresses of each linear-layer id: d_lin_bias[id] (H entries each).
 * LSTM ids 0-3 are the input-side i,f,g,o and 4-7 the recurrent i,f,g,o
 * (forget: 1 and 5; input: 0 and 4); GRU ids 0-2 input-side r,z,h and 3-5
 * recurrent (update: 1 and 4). Set an entry to NULL where no vector exists
 * (CUDNN_RNN_SINGLE_INP_BIAS / SINGLE_REC_BIAS): of a pair the first non-NULL
 * gets the effective value. Each gate the scheme sets needs at least one of its
 * pair; with zero_other_gates every non-NULL entry of the other gates is zeroed. */
typedef struct cubias_cudnn_rnn_biases {
  void *d_lin_bias[8];
} cubias_cudnn_rnn_biases_t;

CUBIAS_API cubias_status_t cubias_rnn_gate_bias_cudnn(
    cubias_handle_t handle, cubias_rnn_cell_t cell, const cubias_cudnn_rnn_biases_t *h_layers,
    int64_t pseudo_layers, int64_t hidden_size, cubias_dtype_t dtype,
    const cubias_gate_config_t *cfg, cubias_gate_report_t *h_report);

/* ---- Gate targets --------------------------------------------------------- */

/* Squeeze-excitation and other sigmoid gates: b = logit(g0) = ln(g0/(1 - g0))
 * for all n entries, g0 in (0, 1) (0.5 gives 0). Why: the gate then starts
 * at the chosen opening g0 instead of wherever random weights put it. */
CUBIAS_API cubias_status_t cubias_gate_target(cubias_handle_t handle, double g0, int64_t n,
                                              void *d_bias, cubias_dtype_t dtype);

/* ---- Optimistic value heads ----------------------------------------------- */

/* Pass as horizon for an infinite horizon (any horizon < 0 means the same). */
#define CUBIAS_HORIZON_INFINITE (-1.0)

/* b = r_max * (1 - gamma^H) / (1 - gamma), H = infinity: b = r_max / (1 - gamma),
 * for all n entries; gamma in [0, 1), r_max finite, H >= 0 or < 0 for infinity
 * (H need not be an integer). Why: the largest return possible makes every
 * untried action look best, so the agent explores (optimism under uncertainty).
 * r_max = 1, gamma = 0.99, H = infinity gives 100. *h_value (optional) gets b
 * in double before rounding to dtype. */
CUBIAS_API cubias_status_t cubias_optimistic_value(cubias_handle_t handle, double r_max,
                                                   double gamma, double horizon, int64_t n,
                                                   void *d_bias, cubias_dtype_t dtype,
                                                   double *h_value);

/* ---- Attention masks ------------------------------------------------------ */

/* Which masks to combine (bit flags). */
#define CUBIAS_MASK_PADDING 1 /* key j of batch b masked when j >= lengths[b]        */
#define CUBIAS_MASK_CAUSAL 2  /* key j masked for query i when j > i + causal_offset */

/* A row (b, i) with no valid key: */
typedef enum cubias_mask_empty_row {
  /* every entry of the row gets the mask value: softmax(s + m) = softmax(s) is
   * finite, and uniform (1/Tk) whenever s + m rounds to m, i.e. |s| < ulp(m)/2
   * in the precision the sum is computed in (f32 arithmetic: |s| < ~1e31, f16
   * arithmetic with the f16 mask: |s| < 8). Never NaN. Default. */
  CUBIAS_MASK_EMPTY_ROW_EQUAL = 0,
  /* the row is all 0: the softmax of the raw scores over all keys. */
  CUBIAS_MASK_EMPTY_ROW_ZERO = 1
} cubias_mask_empty_row_t;

/* The mask value of a dtype: m = -max/2 (f32 -1.7014117e38, f16 -32752,
 * bf16 -1.6947e38), exact in its dtype. Derivation: a masked score s + m must
 * stay finite, i.e. s >= -max - m, and must be far below every valid score
 * t: s + m - t <= -(something large). m = -max/2 splits the range evenly:
 * for every score s >= -max/2 (any score of magnitude <= max/2) s + m >= -max
 * cannot round to -inf, and a masked entry sits at least max/2 - (s - t)
 * below a valid one. Written to *h_value (host). */
CUBIAS_API cubias_status_t cubias_mask_value(cubias_dtype_t dtype, double *h_value);

/* Additive attention mask d_mask[B, Tq, Tk] (row-major, dtype): 0 where query
 * i of batch b may attend key j, the mask value of the dtype elsewhere.
 * flags: CUBIAS_MASK_PADDING and/or CUBIAS_MASK_CAUSAL.
 * PADDING: d_lengths[B] (int32, backend memory) are the key lengths; lengths
 * are clamped to [0, Tk] (< 0: no valid key). Not PADDING: d_lengths may be
 * NULL and the mask is the same for each b (pass B = 1 for a mask [1, Tq, Tk]
 * that broadcasts over the batch). Padding only with Tq = 1 gives a [B, 1, Tk]
 * mask that broadcasts over queries. CAUSAL: key j is visible to query i iff
 * j <= i + causal_offset (0: PyTorch's top-left tril; Tk - Tq: bottom-right,
 * queries as the last Tq of the keys); |causal_offset| <= 2^62.
 * empty_row: the policy for rows with no valid key (see above). */
CUBIAS_API cubias_status_t cubias_attention_mask(cubias_handle_t handle, int flags,
                                                 const int32_t *d_lengths, int64_t batch,
                                                 int64_t tq, int64_t tk, int64_t causal_offset,
                                                 cubias_mask_empty_row_t empty_row, void *d_mask,
                                                 cubias_dtype_t dtype);

/* Relative-position bias tables (T5, ALiBi-style learned tables): all n
 * entries set to 0. Why: softmax is shift-invariant, only differences between
 * positions matter, and zero starts with no positional preference. */
CUBIAS_API cubias_status_t cubias_relpos_bias_zero(cubias_handle_t handle, void *d_table,
                                                   int64_t n, cubias_dtype_t dtype);

/* (end of derivations II) */



/* ======================================================================== */
/* Gradient-gain check                                                       */
/* ======================================================================== */

/* Close the C linkage block around a system header (FILE for the printers). */
#ifdef __cplusplus
}
#endif
#include <stdio.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Layers are numbered from the input (0) to the output (n_layers - 1):
 *   z_l = W_l a_(l-1) + b_l,   a_l = phi_l(z_l),   g_l = dL/dz_l.
 * Backward, g_(l-1) = phi'(z_(l-1)) * (W_l^T g_l), so the gradient's second
 * moment is multiplied per layer by about fan_in*E[W^2]*E[phi'(z)^2] (the
 * article's sigma_w^2 * Phi(b) for ReLU): a factor a little above 1 explodes
 * over depth, a little below vanishes. */

/* ---- weight statistics ---------------------------------------------------- */

/* d_out[l] = fan_in_l * E[W_l^2] = in_l * sum(W_l^2) / (out_l * in_l) for each of
 * n_layers weights (double, backend memory): sigma_w^2 of the mean-field theory,
 * 2 for He initialisation. One pass over each W; deterministic (fixed chunks,
 * float runs of 16 squares folded into fp64, fixed merge trees; the CPU and
 * CUDA backends give the same bits). Every finite weight counts: a run whose
 * float squares overflow (|w| above ~1.8e19) or may round below FLT_MIN (|w|
 * below ~1e-19, zeros included) is redone with double squares. A NaN/Inf weight
 * makes its layer's value NaN/Inf. Stream-ordered, no synchronisation; uses the handle's workspace. */
CUBIAS_API cubias_status_t cubias_weight_gain(cubias_handle_t handle, int n_layers,
                                              const cubias_weight_t *h_weights, double *d_out);

/* ---- the report ------------------------------------------------------------ */

typedef enum cubias_gain_verdict {
  CUBIAS_GAIN_STABLE = 0,
  CUBIAS_GAIN_EXPLODING = 1,
  CUBIAS_GAIN_VANISHING = 2,
  CUBIAS_GAIN_UNKNOWN = 3 /* not measured, or NaN (e.g. a non-finite weight) */
} cubias_gain_verdict_t;

/* Short lower-case name ("stable", "exploding", "vanishing", "unknown"). */
CUBIAS_API const char *cubias_gain_verdict_string(cubias_gain_verdict_t v);

/* One layer of the network, as the caller describes it. */
typedef struct cubias_gain_layer {
  cubias_weight_t weight; /* W_l [out, in]                                          */
  cubias_stats_t preact;  /* statistics of z_l (channels = out), created with the
                             layer's activation phi_l: gives E[phi'(z_l)^2], mu, sigma */
  cubias_stats_t grad;    /* statistics of g_l = dL/dz_l (channels = out), accumulated
                             during real backward passes; NULL = not measured        */
} cubias_gain_layer_t;

/* Thresholds. Pass NULL to cubias_gain_report for the defaults. */
typedef struct cubias_gain_options {
  double threshold;  /* T > 1; 0 = default 10: the whole depth is stable while the
                        cumulative gain stays in [1/T, T]; a layer is stable while its
                        gain repeated over the whole depth L would, i.e. while chi_l is
                        in [T^(-1/L), T^(1/L)] (L = 20, T = 10: [0.891, 1.122])      */
  double target_chi; /* > 0; 0 = default 1: the gain the bias recommendation aims at */
} cubias_gain_options_t;

#define CUBIAS_GAIN_DEFAULT_THRESHOLD 10.0

/* Per-layer results. E[.] of a layer pools its channels, weighted by their
 * finite counts. NaN where a quantity does not apply or was not measured. */
typedef struct cubias_gain_layer_report {
  int64_t fan_in;        /* in                                                         */
  int64_t width;         /* out (channels of z_l)                                      */
  int activation;        /* cubias_activation_t of the preact statistics              */
  int relu_like;         /* ReLU or leaky ReLU with slope^2 < 1                        */
  double weight_gain;    /* fan_in * E[W_l^2]                                          */
  double z_mean;         /* mu_z: pooled mean of z_l                                   */
  double z_std;          /* sigma_z: sqrt(mean over channels of Var z) (within channel) */
  double dphi_sq_mean;   /* E[phi'(z_l)^2]; ReLU: the active fraction (the article's Phi(b)) */
  double chi;            /* predicted gain chi_l = weight_gain * dphi_sq_mean          */
  double chi_cum;        /* prod_{k=l}^{L-1} chi_k: from the output back to layer l    */
  double pred_ratio;     /* predicted E[g_l^2]/E[g_(l+1)^2] =
                            (out_(l+1)/out_l) * weight_gain_(l+1) * dphi_sq_mean_l
                            (W_(l+1)^T is what multiplies g_(l+1)); NaN at l = L-1.
                            Equals chi for equal widths and equal weight gains.      */
  double grad_sq_mean;   /* measured E[g_l^2] = var + mean^2, pooled                   */
  double measured_ratio; /* measured E[g_l^2]/E[g_(l+1)^2]; NaN at l = L-1 or unmeasured */
  double measured_cum;   /* measured E[g_l^2]/E[g_(L-1)^2]                             */
  cubias_gain_verdict_t verdict;          /* chi_l against [T^(-1/L), T^(1/L)]         */
  cubias_gain_verdict_t verdict_cum;      /* chi_cum against [1/T, T]                  */
  cubias_gain_verdict_t verdict_measured; /* measured_ratio against [T^(-1/L), T^(1/L)] */
  /* ReLU-like layers only (NaN otherwise). "Bias" is the per-channel shift delta
   * to ADD to the current bias b_l: it moves every z_l by delta. Under a Gaussian
   * model z ~ N(mu_z, sigma_z^2) the active fraction is Phi(mu_z/sigma_z), so
   * chi_l <= target_chi  <=>  (mu_z + delta)/sigma_z <= t_max with
   *   t_max = Phi^-1(p_max),  p_max = (target/weight_gain - s^2)/(1 - s^2)
   * (s the leaky slope, 0 for ReLU). */
  double bias_max_sigma; /* t_max: the largest mean of z in units of sigma_z (the
                            largest bias, in sigma_z, over a centred W a);
                            +inf: any bias keeps chi <= target; NaN: none does      */
  double bias_shift_max; /* delta_max = sigma_z * t_max - mu_z: the largest shift to
                            add to the current bias; negative = lower it             */
} cubias_gain_layer_report_t;

/* Over the whole depth. */
typedef struct cubias_gain_summary {
  int n_layers;
  double threshold;                 /* T used                                   */
  double layer_low, layer_high;     /* the per-layer band [T^(-1/L), T^(1/L)]    */
  double chi_total;                 /* prod of chi_l over all layers            */
  double measured_total;            /* E[g_0^2]/E[g_(L-1)^2] (NaN if unmeasured) */
  cubias_gain_verdict_t verdict;    /* chi_total against [1/T, T]               */
  cubias_gain_verdict_t verdict_measured; /* measured_total against [1/T, T]     */
  int worst_layer;                  /* layer whose |ln chi_l| is largest         */
} cubias_gain_summary_t;

/* Predict (and, where grad statistics are given, measure) the per-layer
 * gradient gain and judge it. Reads fan_in*E[W^2] on the backend
 * (cubias_weight_gain) and pools each statistics object's channels on the
 * backend (fixed order, fp64); then copies n_layers * 11 doubles to the host
 * and SYNCHRONISES the stream. Fills h_report[n_layers] and *h_summary (may be
 * NULL). Refuses: n_layers < 1 or NULL layers (INVALID_VALUE); preact/grad
 * channels != out, or in_l not a multiple of out_(l-1) (the fan-in of layer l
 * must come from layer l-1's channels; SHAPE_MISMATCH); a preact or grad
 * statistics object with no finite entry (NO_DATA). Nothing is written on
 * failure. Prints nothing. */
CUBIAS_API cubias_status_t cubias_gain_report(cubias_handle_t handle, int n_layers,
                                              const cubias_gain_layer_t *h_layers,
                                              const cubias_gain_options_t *options,
                                              cubias_gain_layer_report_t *h_report,
                                              cubias_gain_summary_t *h_summary);

/* Write the report as an aligned table (one row per layer, then the summary)
 * to f. Nothing else prints. h_summary may be NULL (no summary lines). A
 * verdict field that is not a cubias_gain_verdict_t value is refused
 * (INVALID_VALUE, nothing written), here and in the JSON writers. */
CUBIAS_API cubias_status_t cubias_gain_print(FILE *f, int n_layers,
                                             const cubias_gain_layer_report_t *h_report,
                                             const cubias_gain_summary_t *h_summary);

/* The same as JSON: {"summary": {...}, "layers": [{...}, ...]}; NaN and
 * +-Inf are written as null, verdicts as strings. To a FILE*: */
CUBIAS_API cubias_status_t cubias_gain_json_file(FILE *f, int n_layers,
                                                 const cubias_gain_layer_report_t *h_report,
                                                 const cubias_gain_summary_t *h_summary);
/* ... or to a buffer: *length gets the text's length (without the NUL). With
 * buf == NULL and capacity 0 it only reports the length; a capacity below
 * length + 1 returns INVALID_VALUE and writes nothing. */
CUBIAS_API cubias_status_t cubias_gain_json_buffer(char *buf, size_t capacity, size_t *length,
                                                   int n_layers,
                                                   const cubias_gain_layer_report_t *h_report,
                                                   const cubias_gain_summary_t *h_summary);

/* ---- mean-field theory (host-only, no handle) ------------------------------ */

/* For an infinitely wide network with weights of variance sigma_w2/fan_in and
 * biases of variance sigma_b2 (Poole et al. 2016, Schoenholz et al. 2017):
 *   q* = the fixed point of q <- sigma_w2 * E[phi(sqrt(q) z)^2] + sigma_b2,
 *   chi_1 = sigma_w2 * E[phi'(sqrt(q*) z)^2]   (per-layer gradient gain),
 *   xi = -1/ln(chi_1): > 0 the number of layers per e-fold of vanishing, < 0 the
 *        layers per e-fold of explosion (as -xi), +-inf at chi_1 = 1.
 * Expectations over z ~ N(0,1) by a composite 10-point Gauss-Legendre rule on
 * 96 panels over [-12, 12] (nodes from Newton's method on the Legendre
 * recurrence; a panel edge at z = 0 where ReLU-like derivatives jump; about
 * 1e-12 for tanh up to q = 100, where 96-point Gauss-Hermite is off by 1e-5).
 * The fixed point is iterated from q = 1 (the map is monotone) with Aitken
 * steps while it contracts, to a relative step of 1e-14, at most 100000 maps;
 * q* = +inf where it diverges (ReLU with sigma_w2 > 2: detected when q grows
 * with a step ratio >= 1 for 50 rounds in a row), chi_1 then taken at
 * q = 1e300 (for the ReLU family chi_1 does not depend on q). */
typedef struct cubias_meanfield {
  double q_star;
  double chi1;
  double depth_scale;
  int iterations;
  int converged; /* 1 when the step fell below the tolerance (or q* = +inf) */
} cubias_meanfield_t;

CUBIAS_API cubias_status_t cubias_meanfield_fixed_point(cubias_activation_t act, float act_param,
                                                        double sigma_w2, double sigma_b2,
                                                        cubias_meanfield_t *h_out);

/* The critical sigma_w2 (chi_1 = 1, the edge of chaos) for a given sigma_b2,
 * by bisection on ln chi_1 (bracket grown from [0.01, 4]) to 1e-12 relative.
 * The bracket grows up to sigma_w2 = 1e6; NOT_SUPPORTED where chi_1 does not
 * cross 1 inside it. tanh with sigma_b2 = 0.05: 1.761; ReLU: 2; identity: 1. */
CUBIAS_API cubias_status_t cubias_meanfield_critical(cubias_activation_t act, float act_param,
                                                     double sigma_b2, double *h_sigma_w2);

/* E[f(z)], z ~ N(0,1), by the same quadrature: E[phi(sqrt(q) z)^2] in *h_phi2
 * and E[phi'(sqrt(q) z)^2] in *h_dphi2 (either may be NULL). */
CUBIAS_API cubias_status_t cubias_meanfield_moments(cubias_activation_t act, float act_param,
                                                    double q, double *h_phi2, double *h_dphi2);

/* (end of gain check) */

#ifdef __cplusplus
}
#endif

#endif /* CUBIAS_H */
