/* The launch shape of one CUDA statistics pass: which thread reads which entries.
 *
 * Plain C++ (no CUDA types), so the launcher, the benchmark's utilisation report and
 * a test compute the same shape. It depends on the tensor's shape, the chunk plan and
 * the activation class only, never on the data pointer: a misaligned tensor is read
 * with scalar loads along the same map, so the same values at any address give the
 * same bits.
 *
 * Rows layout (inner == 1): thread (tx, ty) of block (bx, j) owns the V channels
 * c0 = (bx * block_x + tx) * V ... c0 + V - 1 and the rows r0 + ty, r0 + ty + block_y, ...
 * of chunk j; the block merges over ty. block_y never exceeds a chunk's rows, and
 * block_x widens (up to 256 channel groups) when a chunk has few rows.
 *
 * Planes layout (inner > 1): `seg` threads (a power of two) share one (chunk, channel)
 * pair p = j * C + c (the partial's own index), kBlock / seg pairs per block; thread t
 * of a segment reads entries e0 + t * V + s * seg * V (+ 0 .. V-1) of its chunk. seg is
 * the largest power of two that gives every thread of a full chunk an entry. */
#ifndef CUBIAS_CUDA_STATS_LAUNCH_H
#define CUBIAS_CUDA_STATS_LAUNCH_H

#include <stdint.h>

#include "../activations.h"
#include "../plan.h"

#define CUBIAS_STATS_BLOCK 256

typedef struct cubias_stats_launch {
  int lanes;             /* V: entries a thread takes per step */
  int rows_layout;       /* 1 rows (inner == 1), 0 planes */
  int block_x, block_y;  /* rows: channel groups x rows; planes: CUBIAS_STATS_BLOCK x 1 */
  int seg;               /* planes: threads per (chunk, channel) pair */
  int64_t grid_x, grid_y;
  int64_t threads;       /* launched */
  int64_t busy;          /* launched threads that read at least one entry */
} cubias_stats_launch_t;

/* Four lanes a thread (16-byte f32 or 8-byte f16/bf16 loads: at most four lanes of
 * registers each), one for the smooth activations, whose libm calls keep many
 * registers live and which are compute-bound anyway. */
static inline constexpr int cubias_stats_lanes(int act_class) {
  return act_class == CUBIAS_CLASS_SMOOTH ? 1 : 4;
}

static inline int64_t cubias_launch_min(int64_t a, int64_t b) { return a < b ? a : b; }

/* The block width for n items at most cap wide: as many blocks as cap needs, the
 * items spread evenly over them. */
static inline int64_t cubias_launch_balanced(int64_t n, int64_t cap) {
  const int64_t blocks = (n + cap - 1) / cap;
  return (n + blocks - 1) / blocks;
}

static inline cubias_stats_launch_t cubias_stats_launch_shape(int64_t outer, int64_t channels,
                                                              int64_t inner, cubias_plan_t plan,
                                                              int act_class) {
  cubias_stats_launch_t L;
  const int V = cubias_stats_lanes(act_class);
  const int64_t B = CUBIAS_STATS_BLOCK;
  const int64_t full = cubias_launch_min(plan.chunk, plan.per_channel); /* entries of chunk 0 */
  const int64_t last = plan.per_channel - (plan.nchunks - 1) * plan.chunk;
  L.lanes = V;
  L.rows_layout = inner == 1;
  if (L.rows_layout) {
    /* Channel groups split evenly over the x-blocks (no mostly idle last block), a
     * warp's width at most unless a chunk's few rows leave threads over. */
    const int64_t groups = (channels + V - 1) / V;
    int64_t bx = cubias_launch_balanced(groups, 32);
    const int64_t by = cubias_launch_min(B / bx, full);
    if (bx * by < B) bx = cubias_launch_balanced(groups, B / by);
    L.block_x = (int)bx;
    L.block_y = (int)by;
    L.seg = 0;
    L.grid_x = (groups + bx - 1) / bx;
    L.grid_y = plan.nchunks;
    L.threads = L.grid_x * bx * by * L.grid_y;
    L.busy = groups * (by * (plan.nchunks - 1) + cubias_launch_min(by, last));
  } else {
    int64_t need = (full + V - 1) / V, seg = 1;
    while (seg * 2 <= need && seg * 2 <= B) seg *= 2;
    const int64_t pairs = plan.nchunks * channels, per_block = B / seg;
    L.block_x = (int)B;
    L.block_y = 1;
    L.seg = (int)seg;
    L.grid_x = (pairs + per_block - 1) / per_block;
    L.grid_y = 1;
    L.threads = L.grid_x * B;
    L.busy = channels * (seg * (plan.nchunks - 1) + cubias_launch_min(seg, (last + V - 1) / V));
  }
  return L;
}

#endif /* CUBIAS_CUDA_STATS_LAUNCH_H */
