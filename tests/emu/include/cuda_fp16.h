// Emulated <cuda_fp16.h>: the storage type and the bit-level conversions.
#ifndef CUBIAS_EMU_CUDA_FP16_H
#define CUBIAS_EMU_CUDA_FP16_H
#include <stdint.h>
#include <string.h>

struct __half {
  unsigned short x;
};
inline unsigned short __half_as_ushort(__half h) { return h.x; }
inline __half __ushort_as_half(unsigned short u) { return __half{u}; }
inline float __half2float(__half h) {
  const uint32_t s = (uint32_t)(h.x & 0x8000u) << 16, e = (h.x >> 10) & 0x1f, m = h.x & 0x3ffu;
  uint32_t b;
  if (e == 31) b = m ? 0x7fffffffu : s | 0x7f800000u;  // CUDA's canonical NaN
  else if (e) b = s | ((e + 112) << 23) | (m << 13);
  else if (!m) b = s;
  else {  // subnormal: exact as a float
    float f = (float)m * (1.0f / 16777216.0f);
    memcpy(&b, &f, 4);
    b |= s;
  }
  float f;
  memcpy(&f, &b, 4);
  return f;
}
inline __half __float2half_rn(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  const uint32_t s = (b >> 16) & 0x8000u, a = b & 0x7fffffffu;
  if (a > 0x7f800000u) return __half{(unsigned short)0x7fffu};  // CUDA's canonical NaN
  if (a == 0x7f800000u) return __half{(unsigned short)(s | 0x7c00u)};
  if (a >= 0x477ff000u) return __half{(unsigned short)(s | 0x7c00u)};  // rounds to inf
  if (a < 0x38800000u) {  // subnormal or zero: round to a multiple of 2^-24
    float q;
    memcpy(&q, &a, 4);
    float r = q * 16777216.0f;
    unsigned m = (unsigned)__builtin_rintf(r);
    return __half{(unsigned short)(s | m)};
  }
  uint32_t m = a + 0xc8000fffu + ((a >> 13) & 1u);  // rebias, round to nearest even
  return __half{(unsigned short)(s | (m >> 13))};
}
#endif
