// Emulated <curand_kernel.h>: the counter-based Philox4x32-10 of Salmon et al.
// (SC'11) as cuRAND defines curand_Philox4x32_10, written from the published
// algorithm (round multipliers and Weyl key increments below).
#ifndef CUBIAS_EMU_CURAND_KERNEL_H
#define CUBIAS_EMU_CURAND_KERNEL_H
#include <stdint.h>

#include "cuda_runtime.h"

namespace cubias_emu_philox {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
inline uint4 round(uint4 c, uint2 k) {
  const uint64_t p0 = (uint64_t)kM0 * c.x, p1 = (uint64_t)kM1 * c.z;
  const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
  const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
  return uint4{hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0};
}
}  // namespace cubias_emu_philox

inline uint4 curand_Philox4x32_10(uint4 c, uint2 k) {
  for (int r = 0; r < 9; ++r) {
    c = cubias_emu_philox::round(c, k);
    k.x += cubias_emu_philox::kW0;
    k.y += cubias_emu_philox::kW1;
  }
  return cubias_emu_philox::round(c, k);
}
#endif
