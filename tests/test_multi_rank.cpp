// Global statistics across ranks: every rank exports its partial state, the
// exports are gathered back to back, and each rank merges them in rank order
// (cubias_stats_merge_exports — what cubias_stats_allgather_nccl does after the
// all-gather). Simulated ranks on the CPU backend: uneven batches, an empty rank.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cubias.h"
#include "gpu_guard.h"

namespace {

struct Rank {
  std::vector<float> x;  // [rows, C]
  int64_t rows;
};

// Plain two-pass fp64 mean and population variance of one channel.
void two_pass(const std::vector<Rank> &ranks, int64_t C, int64_t c, double *mean, double *var) {
  double s = 0, n = 0;
  for (const Rank &r : ranks)
    for (int64_t i = 0; i < r.rows; ++i) s += r.x[i * C + c], n += 1;
  *mean = s / n;
  double q = 0;
  for (const Rank &r : ranks)
    for (int64_t i = 0; i < r.rows; ++i) q += (r.x[i * C + c] - *mean) * (r.x[i * C + c] - *mean);
  *var = q / n;
}

class MultiRank : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS); }
  void TearDown() override { cubias_destroy(h); }
  cubias_handle_t h = nullptr;
};

TEST_F(MultiRank, EveryRankHoldsIdenticalGlobalStatistics) {
  const int64_t C = 37;
  const int64_t rows[] = {1000, 0, 7, 4096, 1};  // rank 1 saw no data
  const int W = 5;
  std::mt19937_64 gen(5);
  std::normal_distribution<float> nd(1e4f, 1.0f);
  std::vector<Rank> ranks(W);
  size_t bytes = 0;
  std::vector<cubias_stats_t> local(W);
  for (int r = 0; r < W; ++r) {
    ranks[r].rows = rows[r];
    ranks[r].x.resize((size_t)(rows[r] * C));
    for (float &v : ranks[r].x) v = nd(gen);
    ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_RELU, 0.0f, &local[r]), CUBIAS_STATUS_SUCCESS);
    if (rows[r] > 0) {
      cubias_tensor_t v;
      ASSERT_EQ(cubias_tensor_rows(&v, ranks[r].x.data(), CUBIAS_DTYPE_F32, rows[r], C), 0);
      ASSERT_EQ(cubias_stats_accumulate(h, local[r], &v), 0) << cubias_get_last_error(h);
    }
  }
  ASSERT_EQ(cubias_stats_export_size(local[0], &bytes), 0);
  std::vector<char> gathered(bytes * W, (char)0x5a);
  for (int r = 0; r < W; ++r)
    ASSERT_EQ(cubias_stats_export(h, local[r], gathered.data() + r * bytes), 0);

  std::vector<std::vector<cubias_channel_stats_t>> seen(W, std::vector<cubias_channel_stats_t>(C));
  for (int r = 0; r < W; ++r) {  // each rank merges the same gathered buffer
    ASSERT_EQ(cubias_stats_merge_exports(h, local[r], gathered.data(), W), 0) << cubias_get_last_error(h);
    ASSERT_EQ(cubias_stats_read(h, local[r], seen[r].data()), 0);
  }
  for (int r = 1; r < W; ++r)
    EXPECT_EQ(0, memcmp(seen[0].data(), seen[r].data(), sizeof(cubias_channel_stats_t) * C))
        << "rank " << r << " differs from rank 0";
  for (int64_t c = 0; c < C; ++c) {
    double mean, var;
    two_pass(ranks, C, c, &mean, &var);
    const double sd = std::sqrt(var);
    EXPECT_EQ(seen[0][c].count, 1000 + 7 + 4096 + 1);
    EXPECT_NEAR(seen[0][c].mean, mean, 1e-7 * std::fabs(mean) + 1e-6 * sd);
    EXPECT_NEAR(seen[0][c].var, var, 1e-5 * var);
  }
  for (cubias_stats_t s : local) cubias_stats_destroy(s);
}

TEST_F(MultiRank, ABadHeaderChangesNothing) {
  const int64_t C = 4;
  std::vector<float> x(64 * C);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (float)(i % 13) - 3.0f;
  cubias_stats_t a, b;
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_IDENTITY, 0.0f, &a), 0);
  ASSERT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_IDENTITY, 0.0f, &b), 0);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, x.data(), CUBIAS_DTYPE_F32, 64, C), 0);
  ASSERT_EQ(cubias_stats_accumulate(h, a, &v), 0);
  ASSERT_EQ(cubias_stats_accumulate(h, b, &v), 0);
  size_t bytes;
  ASSERT_EQ(cubias_stats_export_size(a, &bytes), 0);
  std::vector<char> two(2 * bytes);
  ASSERT_EQ(cubias_stats_export(h, a, two.data()), 0);
  ASSERT_EQ(cubias_stats_export(h, a, two.data() + bytes), 0);
  two[bytes] ^= 0x1;  // corrupt the second header's magic
  cubias_channel_stats_t before[C], after[C];
  ASSERT_EQ(cubias_stats_read(h, b, before), 0);
  EXPECT_EQ(cubias_stats_merge_exports(h, b, two.data(), 2), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_NE(std::string(cubias_get_last_error(h)).find("buffer 1"), std::string::npos)
      << cubias_get_last_error(h);
  ASSERT_EQ(cubias_stats_read(h, b, after), 0);
  EXPECT_EQ(0, memcmp(before, after, sizeof before));
  EXPECT_EQ(cubias_stats_merge_exports(h, b, two.data(), 0), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_stats_merge_exports(h, b, nullptr, 1), CUBIAS_STATUS_INVALID_VALUE);
  cubias_stats_destroy(a);
  cubias_stats_destroy(b);
}

TEST_F(MultiRank, NcclHelperRefusesTheCpuBackendAndNulls) {
  cubias_stats_t s;
  ASSERT_EQ(cubias_stats_create(h, 3, CUBIAS_ACT_IDENTITY, 0.0f, &s), 0);
  int fake_comm = 0;
  char scratch[16];
  EXPECT_EQ(cubias_stats_allgather_nccl(h, s, &fake_comm, scratch), CUBIAS_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(cubias_stats_allgather_nccl(h, s, nullptr, scratch), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_stats_allgather_nccl(nullptr, s, &fake_comm, scratch), CUBIAS_STATUS_INVALID_VALUE);
  cubias_stats_destroy(s);
}

}  // namespace
