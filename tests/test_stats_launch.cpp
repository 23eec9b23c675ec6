// The CUDA statistics pass's launch shape (kernels/cuda/stats_launch.h), checked on
// the CPU: every entry of every channel is read by exactly one launched thread (the
// map walked thread by thread), the block stays within the device's limits, the
// count of busy threads is right, and every shape of 1 MB or more keeps at least 75 %
// of its launched threads reading data.
#include <gtest/gtest.h>

#include <vector>

#include "../kernels/cuda/stats_launch.h"

namespace {

struct Shape {
  const char *what;
  int64_t outer, channels, inner;
  int esz;  // bytes per element
};

// Walks the kernels' map thread by thread: hits[c * per_channel + e] counts the
// threads reading entry e of channel c; returns the threads that read anything.
int64_t walk(const Shape &s, const cubias_plan_t &plan, const cubias_stats_launch_t &L,
             std::vector<int> &hits) {
  const int64_t C = s.channels, V = L.lanes;
  hits.assign((size_t)(C * plan.per_channel), 0);
  int64_t busy = 0;
  for (int64_t gx = 0; gx < L.grid_x; ++gx)
    for (int64_t gy = 0; gy < L.grid_y; ++gy)
      for (int64_t ty = 0; ty < L.block_y; ++ty)
        for (int64_t tx = 0; tx < L.block_x; ++tx) {
          bool read = false;
          if (L.rows_layout) {
            const int64_t c0 = (gx * L.block_x + tx) * V, r0 = gy * plan.chunk;
            const int64_t r1 = std::min(plan.per_channel, r0 + plan.chunk);
            for (int64_t r = r0 + ty; r < r1; r += L.block_y)
              for (int64_t k = 0; k < V && c0 + k < C; ++k) ++hits[(size_t)((c0 + k) * plan.per_channel + r)], read = true;
          } else {
            const int64_t seg = L.seg, pair = gx * (L.block_x / seg) + tx / seg, t = tx % seg;
            if (pair >= plan.nchunks * C) continue;
            const int64_t j = pair / C, c = pair % C;
            const int64_t e1 = std::min(plan.per_channel, (j + 1) * plan.chunk);
            for (int64_t e = j * plan.chunk + t * V; e < e1; e += seg * V)
              for (int64_t k = 0; k < V && e + k < e1; ++k) ++hits[(size_t)(c * plan.per_channel + e + k)], read = true;
          }
          busy += read;
        }
  return busy;
}

TEST(StatsLaunch, EveryEntryReadOnceAndBusyCountRight) {
  const Shape shapes[] = {
      {"rows 1000x3", 1000, 3, 1, 4},       {"rows 65536x1", 65536, 1, 1, 4},
      {"rows 1x5000", 1, 5000, 1, 4},        {"rows 37x1001", 37, 1001, 1, 2},
      {"nchw 2x3x49", 2, 3, 49, 4},          {"nchw 20x64x3136", 20, 64, 3136, 4},
      {"nchw 1x700x7", 1, 700, 7, 2},        {"nchw 3x2x4099", 3, 2, 4099, 2},
      {"tnd-like 5x7x2", 5, 7, 2, 4},        {"nchw 1x1x70000", 1, 1, 70000, 4},
  };
  std::vector<int> hits;
  for (const Shape &s : shapes)
    for (int cls : {CUBIAS_CLASS_NONE, CUBIAS_CLASS_LEAKY, CUBIAS_CLASS_SMOOTH}) {
      SCOPED_TRACE(std::string(s.what) + " class " + std::to_string(cls));
      const cubias_plan_t plan = cubias_make_plan(s.outer, s.channels, s.inner);
      const cubias_stats_launch_t L = cubias_stats_launch_shape(s.outer, s.channels, s.inner, plan, cls);
      EXPECT_GE(L.block_x, 1);
      EXPECT_GE(L.block_y, 1);
      EXPECT_LE((int64_t)L.block_x * L.block_y, CUBIAS_STATS_BLOCK);
      EXPECT_LE(L.grid_y, 65535);
      // The workspace holds one redo flag per (chunk, channel) pair, one per block at most.
      EXPECT_LE(L.grid_x * L.grid_y, plan.nchunks * s.channels);
      if (!L.rows_layout) EXPECT_EQ(L.block_x % L.seg, 0);
      const int64_t busy = walk(s, plan, L, hits);
      EXPECT_EQ(busy, L.busy);
      EXPECT_EQ(L.threads, L.grid_x * L.grid_y * L.block_x * L.block_y);
      size_t wrong = 0;
      for (int h : hits) wrong += h != 1;
      EXPECT_EQ(wrong, 0u) << "entries read zero or several times";
    }
}

// The benchmark's shapes and others of 1 MB and more: at least 75 % of the launched
// threads read data (the busy count is the one checked against the walk above).
TEST(StatsLaunch, ShapesOfOneMegabyteKeepThreeQuartersBusy) {
  const Shape shapes[] = {
      {"bench rows f32 16MB", 4096, 1024, 1, 4}, {"bench nchw f32 16MB", 20, 64, 3136, 4},
      {"bench nhwc f16 16MB", 32768, 256, 1, 2}, {"bench nchw bf16 1GB", 1712, 64, 3136, 2},
      {"rows one channel", 262144, 1, 1, 4},     {"rows one row", 1, 262144, 1, 4},
      {"rows odd channels", 1000, 263, 1, 4},    {"nchw 7x7 planes", 20, 2048, 49, 4},
      {"nchw 2x2 planes", 64, 1024, 4, 4},       {"nchw 1 image", 1, 16384, 16, 4},
      {"nchw odd planes", 16, 333, 101, 2},       {"wide nchw", 2, 65536, 3, 4},
  };
  for (const Shape &s : shapes)
    for (int cls : {CUBIAS_CLASS_NONE, CUBIAS_CLASS_LEAKY, CUBIAS_CLASS_SMOOTH}) {
      ASSERT_GE(s.outer * s.channels * s.inner * s.esz, 1 << 20) << s.what;
      const cubias_plan_t plan = cubias_make_plan(s.outer, s.channels, s.inner);
      const cubias_stats_launch_t L = cubias_stats_launch_shape(s.outer, s.channels, s.inner, plan, cls);
      EXPECT_GE((double)L.busy / (double)L.threads, 0.75)
          << s.what << " class " << cls << ": " << L.busy << " of " << L.threads << " threads busy";
    }
}

}  // namespace
