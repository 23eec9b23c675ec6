/* Math of the "Bias derivations II" section (class priors, recurrent gates,
 * gate targets, optimistic values, attention masks), shared by the CPU backend
 * and the CUDA kernels: one source for both. Everything here is CUBIAS_HD.
 * The launcher declarations at the end are host-only entry points into
 * kernels/{prior,gates,mask}_*.cu (stubs in host/cuda_stub.cpp without CUDA). */
#ifndef CUBIAS_DERIVE2_MATH_H
#define CUBIAS_DERIVE2_MATH_H

#include "hd_math.h"

/* ---- dtype limits ---------------------------------------------------------- */

#define CUBIAS_D2_F16_MAX 65504.0
#define CUBIAS_D2_BF16_MAX 3.38953138925153547590e38 /* (2 - 2^-7) * 2^127 */

/* Largest finite value of dtype (0 f32, 1 f16, 2 bf16). */
CUBIAS_HD double cubias_d2_dtype_max(int dtype) {
  return dtype == 0 ? (double)FLT_MAX : dtype == 1 ? CUBIAS_D2_F16_MAX : CUBIAS_D2_BF16_MAX;
}

/* The additive mask value of a dtype: -max/2, exact in every dtype (halving a
 * normal number only lowers its exponent). For any score s >= -max/2,
 * s + m >= -max stays finite; see cubias_mask_value in cubias.h. */
CUBIAS_HD float cubias_d2_mask_value(int dtype) { return (float)(-0.5 * cubias_d2_dtype_max(dtype)); }

/* 1 when v is finite and |v| <= the dtype's largest finite value. */
CUBIAS_HD int cubias_d2_fits(int dtype, double v) {
  return v == v && fabs(v) <= cubias_d2_dtype_max(dtype);
}

/* v clamped to [-max, max] of dtype; NaN becomes nan_value. */
CUBIAS_HD double cubias_d2_saturate(int dtype, double v, double nan_value) {
  double m = cubias_d2_dtype_max(dtype);
  return v != v ? nan_value : v > m ? m : v < -m ? -m : v;
}

/* logit(p) = ln(p / (1 - p)) for p in (0, 1), accurate near both ends. */
CUBIAS_HD double cubias_d2_logit(double p) { return log(p) - log1p(-p); }

CUBIAS_HD double cubias_d2_sigmoid(double x) {
  return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* ---- Philox4x32-10 (Salmon et al. 2011), as cuRAND and Random123 define it ---- */

#define CUBIAS_PHILOX_M0 0xD2511F53u
#define CUBIAS_PHILOX_M1 0xCD9E8D57u
#define CUBIAS_PHILOX_W0 0x9E3779B9u
#define CUBIAS_PHILOX_W1 0xBB67AE85u

CUBIAS_HD void cubias_philox_round(uint32_t c[4], const uint32_t k[2]) {
  uint64_t p0 = (uint64_t)CUBIAS_PHILOX_M0 * c[0];
  uint64_t p1 = (uint64_t)CUBIAS_PHILOX_M1 * c[2];
  uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
  uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
  uint32_t r0 = hi1 ^ c[1] ^ k[0];
  uint32_t r2 = hi0 ^ c[3] ^ k[1];
  c[0] = r0;
  c[1] = lo1;
  c[2] = r2;
  c[3] = lo0;
}

/* out = Philox4x32-10(ctr, key): 10 rounds, the key bumped between rounds. */
CUBIAS_HD void cubias_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  uint32_t k[2] = {key[0], key[1]};
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k[0] += CUBIAS_PHILOX_W0;
      k[1] += CUBIAS_PHILOX_W1;
    }
    cubias_philox_round(c, k);
  }
  out[0] = c[0];
  out[1] = c[1];
  out[2] = c[2];
  out[3] = c[3];
}

/* The chrono stream: counter words 2 and 3 of unit j of pseudo-layer ld. */
#define CUBIAS_CHRONO_TAG 0x63687230u /* "chr0" */

CUBIAS_HD void cubias_d2_chrono_counter(int64_t ld, int64_t j, uint32_t ctr[4]) {
  ctr[0] = (uint32_t)(uint64_t)j;
  ctr[1] = (uint32_t)((uint64_t)j >> 32);
  ctr[2] = (uint32_t)(uint64_t)ld;
  ctr[3] = CUBIAS_CHRONO_TAG;
}

/* b_f = ln(1 + (T_max - 2) * U), U = 53 bits of (x0, x1) / 2^53 in [0, 1):
 * b_f in [0, ln(T_max - 1)). */
CUBIAS_HD double cubias_d2_chrono_from_bits(uint32_t x0, uint32_t x1, double t_max) {
  uint64_t bits = (((uint64_t)x1 << 32) | (uint64_t)x0) >> 11;
  double u = (double)bits * (1.0 / 9007199254740992.0); /* 2^-53 */
  return log1p((t_max - 2.0) * u);
}

/* ---- recurrent gate writes ---------------------------------------------------- */

/* What a segment (H consecutive bias entries: one gate of one vector of one
 * pseudo-layer) receives. */
enum { CUBIAS_D2_ROLE_MAIN = 0, /* +b (the forget / update gate, first vector) */
       CUBIAS_D2_ROLE_NEG = 1,  /* -b (chrono's LSTM input gate)               */
       CUBIAS_D2_ROLE_ZERO = 2  /* 0  (second vector, other gates)             */ };

typedef struct cubias_d2_seg {
  void *ptr;      /* base of the buffer (backend memory)  */
  int64_t offset; /* first entry of the segment in ptr    */
  int32_t ld;     /* pseudo-layer index (chrono stream)   */
  int32_t role;
} cubias_d2_seg_t;

/* Segments per launch: the table travels as a kernel parameter (<= 4 KiB). */
#define CUBIAS_D2_MAX_SEGS 96

typedef struct cubias_d2_gate_params {
  int chrono;      /* 1: per-unit chrono draw; 0: b = b_const */
  double b_const;
  double t_max;
  uint64_t seed;
} cubias_d2_gate_params_t;

/* The value of a segment's entry j, given b (this unit's effective bias). */
CUBIAS_HD float cubias_d2_role_value(int role, double b) {
  return role == CUBIAS_D2_ROLE_MAIN ? (float)b : role == CUBIAS_D2_ROLE_NEG ? (float)-b : 0.0f;
}

/* The unit's bias for a non-chrono scheme, or chrono from Philox outputs. */
CUBIAS_HD void cubias_d2_chrono_key(uint64_t seed, uint32_t key[2]) {
  key[0] = (uint32_t)seed;
  key[1] = (uint32_t)(seed >> 32);
}

/* ---- class priors -------------------------------------------------------------- */

/* ln(c + alpha): the unnormalised log prior of a class with count c. */
CUBIAS_HD double cubias_d2_log_count(uint64_t c, double alpha) { return log((double)c + alpha); }

/* Sigmoid prior of a class with c positives among n: ln((c + a) / (n - c + a)). */
CUBIAS_HD double cubias_d2_sigmoid_prior(uint64_t c, int64_t n, double alpha) {
  return log((double)c + alpha) - log((double)(n - (int64_t)c) + alpha);
}

/* ---- attention masks ------------------------------------------------------------ */

#define CUBIAS_D2_MASK_PADDING 1
#define CUBIAS_D2_MASK_CAUSAL 2

/* Number of leading valid keys of row (b, i): keys j < end are visible. len is
 * the batch's key length (ignored without PADDING). */
CUBIAS_HD int64_t cubias_d2_mask_row_end(int flags, int64_t len, int64_t i, int64_t tk,
                                         int64_t causal_offset) {
  int64_t end = tk;
  if (flags & CUBIAS_D2_MASK_PADDING) {
    int64_t l = len < 0 ? 0 : len > tk ? tk : len;
    end = l < end ? l : end;
  }
  if (flags & CUBIAS_D2_MASK_CAUSAL) {
    int64_t c = i + causal_offset + 1; /* |offset| <= 2^62, i < 2^62: no overflow */
    c = c < 0 ? 0 : c;
    end = c < end ? c : end;
  }
  return end;
}

/* Entry (row with `end` valid keys, key j): 0 or the mask value; an empty row
 * (end == 0) is all mask value (policy EQUAL, 0) or all zero (policy ZERO, 1). */
CUBIAS_HD float cubias_d2_mask_entry(int64_t end, int64_t j, int empty_row, float mval) {
  if (end == 0) return empty_row == 1 ? 0.0f : mval;
  return j < end ? 0.0f : mval;
}

/* ---- host helpers (host/prior_common.cpp) --------------------------------------- */
#include "cubias.h"

/* SUCCESS for f32/f16/bf16, else INVALID_VALUE recorded against `where`. */
cubias_status_t cubias_d2_check_dtype(cubias_handle_t h, int dtype, const char *where);
/* n >= 1 and n * dtype size fits in int64. */
cubias_status_t cubias_d2_check_count(cubias_handle_t h, int64_t n, const char *what,
                                      const char *where);
/* Write `value` (checked to fit dtype) to d_bias[0..n) on the handle's backend. */
cubias_status_t cubias_d2_write_const(cubias_handle_t h, void *d_bias, int dtype,
                                      int64_t n, double value, const char *where);
/* Write host values h_vals[0..n) (each checked to fit dtype first) to d_bias. */
cubias_status_t cubias_d2_write_host_values(cubias_handle_t h, const double *h_vals, int64_t n,
                                            void *d_bias, int dtype, const char *where);

/* ---- CUDA launchers (kernels/ .cu files; stubs in host/cuda_stub.cpp) ----------------- */

/* d_out[0..n) = value (float, stored in dtype). */
cubias_status_t cubias_cuda_d2_fill(cubias_handle_t h, void *d_out, int dtype, int64_t n,
                                    float value);
/* d_out[i] = d_vals[i], or nan_value where d_vals[i] is NaN. */
cubias_status_t cubias_cuda_d2_from_doubles(cubias_handle_t h, const double *d_vals, int64_t n,
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
/* Recurrent gate segments (at most CUBIAS_D2_MAX_SEGS per call), H entries each. */
cubias_status_t cubias_cuda_gates_write(cubias_handle_t h, const cubias_d2_seg_t *segs, int nseg,
                                        int64_t H, const cubias_d2_gate_params_t *p, int dtype);
/* Attention mask [B, Tq, Tk]. */
cubias_status_t cubias_cuda_mask_write(cubias_handle_t h, int flags, const int32_t *d_lengths,
                                       int64_t B, int64_t tq, int64_t tk, int64_t causal_offset,
                                       int empty_row, void *d_mask, int dtype);

#endif /* CUBIAS_DERIVE2_MATH_H */
