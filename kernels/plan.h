/* The chunk plan and the partial-merge order, shared by the CPU backend and the
 * CUDA kernels so that both cut the data at the same places and merge in the
 * same order (they then agree to rounding, and each repeats bit for bit). */
#ifndef CUBIAS_PLAN_H
#define CUBIAS_PLAN_H

#include "host_device.h"

/* Each channel's entries are numbered e = o * inner + i, 0 <= e < per_channel.
 * Chunk j holds [j * chunk, min(per_channel, (j + 1) * chunk)). The plan depends
 * on the shape only, never on the device. */
typedef struct cubias_plan {
  int64_t per_channel;
  int64_t chunk;
  int64_t nchunks;
} cubias_plan_t;

/* At most this many (chunk, channel) partials are kept: 11.5 MB of workspace. */
#define CUBIAS_MAX_PARTIALS (1 << 17)
#define CUBIAS_MAX_CHUNKS 1024
#define CUBIAS_MIN_CHUNK 64
/* Chunk sizes are multiples of this, so 16-byte vectors never straddle two. */
#define CUBIAS_CHUNK_ALIGN 16
/* A chunk never exceeds this, so int counters inside a chunk cannot overflow. */
#define CUBIAS_MAX_CHUNK ((int64_t)1 << 30)

CUBIAS_HD cubias_plan_t cubias_make_plan(int64_t outer, int64_t channels, int64_t inner) {
  cubias_plan_t p;
  p.per_channel = outer * inner;
  int64_t n = CUBIAS_MAX_PARTIALS / channels;
  if (n > CUBIAS_MAX_CHUNKS) n = CUBIAS_MAX_CHUNKS;
  int64_t by_size = (p.per_channel + CUBIAS_MIN_CHUNK - 1) / CUBIAS_MIN_CHUNK;
  if (n > by_size) n = by_size;
  int64_t by_cap = (p.per_channel + CUBIAS_MAX_CHUNK - 1) / CUBIAS_MAX_CHUNK;
  if (n < by_cap) n = by_cap;
  if (n < 1) n = 1;
  int64_t chunk = (p.per_channel + n - 1) / n;
  chunk = (chunk + CUBIAS_CHUNK_ALIGN - 1) / CUBIAS_CHUNK_ALIGN * CUBIAS_CHUNK_ALIGN;
  p.chunk = chunk;
  p.nchunks = (p.per_channel + chunk - 1) / chunk;
  return p;
}

/* Partials are stored SoA like a state of nchunks * channels "channels":
 * partial (j, c) sits at index j * channels + c. */
CUBIAS_HD int64_t cubias_partial_index(int64_t j, int64_t channels, int64_t c) {
  return j * channels + c;
}

/* The fixed merge order: 32 lanes; lane l folds chunks l, l+32, l+64, ... in
 * turn; then a tree (offsets 16, 8, 4, 2, 1) where lane l takes lane l+off. The
 * CUDA merge kernel runs this with one warp per channel; the CPU runs it as is. */
#define CUBIAS_MERGE_LANES 32

#endif /* CUBIAS_PLAN_H */
