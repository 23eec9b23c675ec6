/* The storage dtypes (0 f32, 1 f16, 2 bf16): exact conversions to and from
 * float, loads and stores by runtime dtype, and each dtype's finite range. */
#ifndef CUBIAS_DTYPE_H
#define CUBIAS_DTYPE_H

#include "host_device.h"

/* NaN: one rule on both backends, CUDA's. A NaN stored in any storage dtype is the
 * canonical one (CUBIAS_NAN_F32 / CUBIAS_NAN_16: positive, every payload bit set), as
 * CUDA's __float2half_rn / __float2bfloat16_rn (cvt.rn.f16.f32 / cvt.rn.bf16.f32)
 * produce; an f16 NaN loads as the canonical float NaN, as __half2float
 * (cvt.f32.f16) gives; a bf16 load is a shift on both, so it keeps the payload. The
 * host branches below are the host models of those instructions (docs/tests.md). */
#define CUBIAS_NAN_F32 0x7fffffffu
#define CUBIAS_NAN_16 0x7fffu

/* A planted defect of the emulated device (tests/emu/README.md): its kernels store
 * a NaN's sign and payload (the old host rule) when CUBIAS_EMU_PLANT=10. */
#ifdef CUBIAS_EMU_DEVICE
#define CUBIAS_DTYPE_PLANTED_NAN(u) \
  (::cubias_emu::planted(10) && ((u) & 0x7fffffffu) > 0x7f800000u)
#else
#define CUBIAS_DTYPE_PLANTED_NAN(u) false
#endif

/* ---- storage types -> float (exact conversions) ------------------------- */

CUBIAS_HD float cubias_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

CUBIAS_HD float cubias_f16_to_f32(uint16_t h) {
#ifdef __CUDA_ARCH__
  return __half2float(__ushort_as_half(h));
#else
  /* Rebias the exponent; Inf/NaN get the float exponent, subnormals are
   * renormalised by subtracting the magic 2^-14 (Giesen's form), written with
   * selects only so the CPU loops vectorise. A NaN becomes the canonical one. */
  uint32_t u = (uint32_t)(h & 0x7fffu) << 13;
  uint32_t exp = u & 0x0f800000u;
  u += (uint32_t)(127 - 15) << 23;
  u += exp == 0x0f800000u ? (uint32_t)(128 - 16) << 23 : 0u;
  u += exp == 0 ? 1u << 23 : 0u;
  float f;
  memcpy(&f, &u, sizeof f);
  f = exp == 0 ? f - 6.103515625e-05f : f; /* 2^-14 */
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  bits |= (uint32_t)(h & 0x8000u) << 16;
  bits = (h & 0x7fffu) > 0x7c00u ? CUBIAS_NAN_F32 : bits;
  memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

/* float -> storage, round to nearest even; overflow gives +-Inf, NaN the canonical NaN. */
CUBIAS_HD uint16_t cubias_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if (CUBIAS_DTYPE_PLANTED_NAN(u)) return (uint16_t)((u >> 16) | 0x40u);
#ifdef __CUDA_ARCH__
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#else
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)CUBIAS_NAN_16;
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
#endif
}

CUBIAS_HD uint16_t cubias_f32_to_f16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if (CUBIAS_DTYPE_PLANTED_NAN(u)) return (uint16_t)(((u >> 16) & 0x8000u) | 0x7e00u);
#ifdef __CUDA_ARCH__
  return __half_as_ushort(__float2half_rn(f));
#else
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)CUBIAS_NAN_16;
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520: Inf */
  if (a < 0x38800000u) {                                   /* below 2^-14: subnormal or 0 */
    /* Add 0.5 (as float): the FPU rounds the mantissa to nearest even for us. */
    float g;
    memcpy(&g, &a, sizeof g);
    g += 0.5f;
    uint32_t b;
    memcpy(&b, &g, sizeof b);
    return (uint16_t)(sign | (uint16_t)(b - 0x3f000000u));
  }
  uint32_t odd = (a >> 13) & 1u;
  a += 0xc8000fffu + odd; /* rebias exponent (-112 << 23) and round */
  return (uint16_t)(sign | (uint16_t)(a >> 13));
#endif
}

/* v, or the canonical float NaN when v is a NaN. */
CUBIAS_HD float cubias_canonical_f32(float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  u = (u & 0x7fffffffu) > 0x7f800000u && !CUBIAS_DTYPE_PLANTED_NAN(u) ? CUBIAS_NAN_F32 : u;
  memcpy(&v, &u, sizeof v);
  return v;
}

/* Store v into element i of a buffer of dtype (0 f32, 1 f16, 2 bf16); a NaN is
 * stored as the dtype's canonical NaN. */
CUBIAS_HD void cubias_store_as(void *buf, int dtype, int64_t i, float v) {
  if (dtype == 0)
    CUBIAS_ST((float *)buf, i, cubias_canonical_f32(v));
  else if (dtype == 1)
    CUBIAS_ST((uint16_t *)buf, i, cubias_f32_to_f16(v));
  else
    CUBIAS_ST((uint16_t *)buf, i, cubias_f32_to_bf16(v));
}

/* Load element i of a buffer of dtype as float (exact). */
CUBIAS_HD float cubias_load_as(const void *buf, int dtype, int64_t i) {
  if (dtype == 0) return CUBIAS_LD((const float *)buf, i);
  if (dtype == 1) return cubias_f16_to_f32(CUBIAS_LD((const uint16_t *)buf, i));
  return cubias_bf16_to_f32(CUBIAS_LD((const uint16_t *)buf, i));
}

CUBIAS_HD int cubias_isfinite_f(float x) { return fabsf(x) <= FLT_MAX; }

/* ---- finite range ----------------------------------------------------------- */

#define CUBIAS_F16_MAX 65504.0
#define CUBIAS_BF16_MAX 3.38953138925153547590e38 /* (2 - 2^-7) * 2^127 */

/* Largest finite value of dtype (0 f32, 1 f16, 2 bf16). */
CUBIAS_HD double cubias_dtype_max(int dtype) {
  return dtype == 0 ? (double)FLT_MAX : dtype == 1 ? CUBIAS_F16_MAX : CUBIAS_BF16_MAX;
}

/* 1 when v is finite and |v| <= the dtype's largest finite value. */
CUBIAS_HD int cubias_dtype_fits(int dtype, double v) {
  return v == v && fabs(v) <= cubias_dtype_max(dtype);
}

/* v clamped to [-max, max] of dtype; NaN becomes nan_value. */
CUBIAS_HD double cubias_dtype_saturate(int dtype, double v, double nan_value) {
  double m = cubias_dtype_max(dtype);
  return v != v ? nan_value : v > m ? m : v < -m ? -m : v;
}

#endif /* CUBIAS_DTYPE_H */
