/* Philox4x32-10 (Salmon et al. 2011), as cuRAND and Random123 define it: the
 * counter-based generator of the chrono draw, the same bits on either processor. */
#ifndef CUBIAS_PHILOX_H
#define CUBIAS_PHILOX_H

#include "host_device.h"

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


#endif /* CUBIAS_PHILOX_H */
