/* Recurrent gate biases: the segments a gate write fills and what each
 * receives, and the chrono draw b_f = ln U[1, T_max - 1] from the Philox stream. */
#ifndef CUBIAS_GATES_MATH_H
#define CUBIAS_GATES_MATH_H

#include "host_device.h"
#include "philox.h"

/* The chrono stream: counter words 2 and 3 of unit j of pseudo-layer ld. */
#define CUBIAS_CHRONO_TAG 0x63687230u /* "chr0" */

CUBIAS_HD void cubias_chrono_counter(int64_t ld, int64_t j, uint32_t ctr[4]) {
  ctr[0] = (uint32_t)(uint64_t)j;
  ctr[1] = (uint32_t)((uint64_t)j >> 32);
  ctr[2] = (uint32_t)(uint64_t)ld;
  ctr[3] = CUBIAS_CHRONO_TAG;
}

/* b_f = ln(1 + (T_max - 2) * U), U = 53 bits of (x0, x1) / 2^53 in [0, 1):
 * b_f in [0, ln(T_max - 1)). */
CUBIAS_HD double cubias_chrono_from_bits(uint32_t x0, uint32_t x1, double t_max) {
  uint64_t bits = (((uint64_t)x1 << 32) | (uint64_t)x0) >> 11;
  double u = (double)bits * (1.0 / 9007199254740992.0); /* 2^-53 */
  return log1p((t_max - 2.0) * u);
}

/* What a segment (H consecutive bias entries: one gate of one vector of one
 * pseudo-layer) receives. */
enum { CUBIAS_GATE_ROLE_MAIN = 0, /* +b (the forget / update gate, first vector) */
       CUBIAS_GATE_ROLE_NEG = 1,  /* -b (chrono's LSTM input gate)               */
       CUBIAS_GATE_ROLE_ZERO = 2  /* 0  (second vector, other gates)             */ };

typedef struct cubias_gate_seg {
  void *ptr;      /* base of the buffer (backend memory)  */
  int64_t offset; /* first entry of the segment in ptr    */
  int32_t ld;     /* pseudo-layer index (chrono stream)   */
  int32_t role;
} cubias_gate_seg_t;

/* Segments per launch: the table travels as a kernel parameter (<= 4 KiB). */
#define CUBIAS_GATE_MAX_SEGS 96

typedef struct cubias_gate_params {
  int chrono;      /* 1: per-unit chrono draw; 0: b = b_const */
  double b_const;
  double t_max;
  uint64_t seed;
} cubias_gate_params_t;

/* The value of a segment's entry j, given b (this unit's effective bias). */
CUBIAS_HD float cubias_gate_role_value(int role, double b) {
  return role == CUBIAS_GATE_ROLE_MAIN ? (float)b : role == CUBIAS_GATE_ROLE_NEG ? (float)-b : 0.0f;
}

/* The unit's bias for a non-chrono scheme, or chrono from Philox outputs. */
CUBIAS_HD void cubias_chrono_key(uint64_t seed, uint32_t key[2]) {
  key[0] = (uint32_t)seed;
  key[1] = (uint32_t)(seed >> 32);
}

/* The bias of unit j of pseudo-layer ld: b_const, or its chrono draw from
 * the Philox stream (the CUDA kernel draws the same bits with cuRAND). */
CUBIAS_HD double cubias_gate_unit_bias(const cubias_gate_params_t *p, int64_t ld, int64_t j) {
  if (!p->chrono) return p->b_const;
  uint32_t ctr[4], key[2], out[4];
  cubias_chrono_counter(ld, j, ctr);
  cubias_chrono_key(p->seed, key);
  cubias_philox4x32_10(ctr, key, out);
  return cubias_chrono_from_bits(out[0], out[1], p->t_max);
}

#endif /* CUBIAS_GATES_MATH_H */
