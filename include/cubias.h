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

/* A weight matrix W of shape [out, in] (out = output channels = bias length,
 * in = input channels), in backend memory, f32, f16 or bf16.
 *   ROW_MAJOR (PyTorch nn.Linear.weight, llm.c): W(j, i) = data[j * ld + i], ld >= in.
 *   COL_MAJOR (cuBLAS / Fortran):                 W(j, i) = data[i * ld + j], ld >= out.
 * ld = 0 means packed (in for row-major, out for column-major). A convolution
 * weight [out, in, kh, kw] is a ROW_MAJOR [out, in*kh*kw] matrix. */
typedef enum cubias_weight_layout {
  CUBIAS_WEIGHT_ROW_MAJOR = 0,
  CUBIAS_WEIGHT_COL_MAJOR = 1
} cubias_weight_layout_t;

typedef struct cubias_weight {
  void *data; /* backend pointer; only cubias_normalize_from_preact writes it */
  cubias_dtype_t dtype;
  cubias_weight_layout_t layout;
  int64_t out;
  int64_t in;
  int64_t ld;
} cubias_weight_t;

/* Rule 1 — centering from input statistics:
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

/* Rule 2 — centering from pre-activation statistics (in place):
 *     b_j <- b_j - (mu_z[j] - t)
 * z_stats are the statistics of z = W x + b measured with the current bias.
 * Why: the shift is exact whatever W and x are, since z moves one-for-one
 * with b. Channels with no data are left untouched. */
CUBIAS_API cubias_status_t cubias_center_from_preact(cubias_handle_t handle, cubias_stats_t z_stats,
                                                     const double *h_target, void *d_bias,
                                                     cubias_dtype_t bias_dtype);

/* Rule 3 — data-dependent normalisation (LSUV / weight-norm style), in place:
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

/* Rule 4 — post-activation shift for the next layer:
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
 * NULL. Channels with no data count as E[phi] = 0. CUDA: cuBLAS as rule 1. */
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

/* Rule 5 — symmetric activations (tanh, sigmoid), in place:
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

/* Rule 9 — dead-unit revival. A unit is dead when it has data and was never
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

/* (end of derivations II) */



/* ======================================================================== */
/* Gradient-gain check                                                       */
/* ======================================================================== */

/* (end of gain check) */

#ifdef __cplusplus
}
#endif

#endif /* CUBIAS_H */
