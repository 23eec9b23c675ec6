// Emulated <cuda_bf16.h>: the storage type and the bit-level conversions.
#ifndef CUBIAS_EMU_CUDA_BF16_H
#define CUBIAS_EMU_CUDA_BF16_H
#include <stdint.h>
#include <string.h>

struct __nv_bfloat16 {
  unsigned short x;
};
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.x; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) { return __nv_bfloat16{u}; }
inline float __bfloat162float(__nv_bfloat16 h) {
  uint32_t b = (uint32_t)h.x << 16;
  float f;
  memcpy(&f, &b, 4);
  return f;
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return __nv_bfloat16{(unsigned short)0x7fffu};  // CUDA's canonical NaN
  b += 0x7fffu + ((b >> 16) & 1u);
  return __nv_bfloat16{(unsigned short)(b >> 16)};
}
#endif
