// How the CUDA derivations that read the whole tensor share the work (issue 13
// items 10 and 11), on data with few channels and many entries each:
// - cubias_symmetric_shift sums each (chunk, channel) pair of the chunk plan with
//   a block of threads and a fixed-order tree (it ran one thread per pair, which
//   walked its whole chunk alone): one block per pair, of more than a warp;
// - cubias_revive_quantile's radix histogram counts in shared memory and adds
//   each bin to the channel's global histogram once per block (it made one global
//   64-bit atomic per entry, all threads on the same few addresses): in every
//   pass no device address gets more atomics than its channel has chunks (blocks),
//   and all passes together make fewer global atomics than there are entries
//   (one atomic per entry made pass 0 alone reach that).
// The values are checked against the fp64 reference (tests/ref) on any device;
// the launch shape and the atomics are counted by the emulated device
// (tests/emu, cubias_emu_kernel_tally), so a real GPU skips those checks visibly
// after the values passed.
#include <gtest/gtest.h>
#include <math.h>

#include <random>
#include <vector>

#include "../kernels/plan.h"
#include "derive_from_stats_ref.h"
#include "util.h"
#ifdef CUBIAS_EMU
#include "cubias_emu/api.h"
#endif

namespace {

// Statistics of one or more views of the same data, on a CUDA handle.
void accumulate(cubias_handle_t h, cubias_stats_t s, const cubias_tensor_t *v, int n) {
  for (int k = 0; k < n; ++k)
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v[k]), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
}

// NCHW planes (the layout where the old kernel's neighbouring threads read
// `inner` apart), 3 channels of 900 entries in two tensors (two batches).
TEST(DeriveCudaWork, SymmetricShiftSumsEachChunkWithABlock) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  const int64_t N = 6, C = 3, HW = 150, split = 2;
  std::mt19937_64 g(41);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::exponential_distribution<double> ex(1.0);
  std::vector<float> z((size_t)(N * C * HW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < HW; ++i) {
      const size_t at = (size_t)(n * C * HW + i);
      z[at] = (float)(1.3 * nd(g));                       // near-symmetric
      z[at + HW] = (float)(0.7 + 0.5 * nd(g));            // off-centre
      z[at + 2 * HW] = (float)(ex(g) - 0.2);              // skewed
    }
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  {
    tu::Buffer dz(CUBIAS_BACKEND_CUDA, z.size() * sizeof(float));
    dz.upload(z.data(), z.size() * sizeof(float));
    const float *d = (const float *)dz.get();
    cubias_tensor_t v[2];
    ASSERT_EQ(cubias_tensor_nchw(&v[0], d, CUBIAS_DTYPE_F32, split, C, HW, 1), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_tensor_nchw(&v[1], d + split * C * HW, CUBIAS_DTYPE_F32, N - split, C, HW, 1),
              CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, C, CUBIAS_ACT_TANH);
    accumulate(h, s, v, 2);
    tu::Buffer db(CUBIAS_BACKEND_CUDA, C * sizeof(float)), drep(CUBIAS_BACKEND_CUDA, 2 * C * 8);
    const float b0[3] = {0.5f, -0.25f, 1.0f};
    db.upload(b0, sizeof b0);
    ASSERT_EQ(cubias_symmetric_shift(h, CUBIAS_ACT_TANH, s, v, 2, db.get(), CUBIAS_DTYPE_F32,
                                     (double *)drep.get()),
              CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    float b[3];
    double r[6];
    db.download(b, sizeof b);
    drep.download(r, sizeof r);
    for (int64_t c = 0; c < C; ++c) {
      double delta, e;
      dref::sym_opt(dref::channel(z, N, C, HW, c), dref::dphi_tanh, &delta, &e);
      EXPECT_NEAR(r[C + c], delta, 1e-5) << "shift, channel " << c;
      EXPECT_NEAR(r[c], e, 1e-12) << "E[tanh'], channel " << c;
      const double want = (double)b0[c] + r[C + c];
      EXPECT_LE(fabs((double)b[c] - want), 1e-12 + dref::ulp(want, 0)) << "bias, channel " << c;
    }
  }
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
#ifdef CUBIAS_EMU
  // Each pass (one sym_select_kernel) launches sym_partials_kernel once per tensor,
  // a block for each (chunk, channel) pair of that tensor's plan.
  const int64_t pairs = cubias_make_plan(split, C, HW).nchunks * C +
                        cubias_make_plan(N - split, C, HW).nchunks * C;
  const cubias_emu_kernel_tally_t part = cubias_emu_kernel_tally("sym_partials_kernel");
  const long long passes = cubias_emu_kernel_tally("sym_select_kernel").launches;
  ASSERT_GE(passes, 1);
  EXPECT_EQ(part.launches, 2 * passes);
  EXPECT_EQ(part.blocks, passes * pairs) << "one block per (chunk, channel) pair";
  EXPECT_GT(part.block_threads, 32) << "a pair's chunk is summed by a block, not by one thread";
  EXPECT_EQ(part.threads, part.blocks * part.block_threads);
#else
  GTEST_SKIP() << "values checked; the launch shape is counted on the emulated device only";
#endif
}

// Rows, 2 channels of 4096 entries in one tensor (64 chunks of 64): with one global
// atomic per entry, a quarter or more of a channel's entries share one bin in pass 0.
TEST(DeriveCudaWork, ReviveQuantileHistogramFlushedOncePerBlock) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  const int64_t N = 4096, C = 2;
  std::mt19937_64 g(43);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<float> z((size_t)(N * C));
  for (int64_t n = 0; n < N; ++n) {
    z[(size_t)(n * C)] = (float)(nd(g) - 1.5);      // mostly negative
    z[(size_t)(n * C + 1)] = (float)(0.5 * nd(g) - 4.0);  // dead
  }
  const double p = 0.3, margin = 1.0 / 64;
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  {
    tu::Buffer dz(CUBIAS_BACKEND_CUDA, z.size() * sizeof(float));
    dz.upload(z.data(), z.size() * sizeof(float));
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, dz.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, C, CUBIAS_ACT_RELU);
    accumulate(h, s, &v, 1);
    tu::Buffer db(CUBIAS_BACKEND_CUDA, C * sizeof(float)), ddead(CUBIAS_BACKEND_CUDA, 16);
    const float b0[2] = {0.25f, -0.5f};
    db.upload(b0, sizeof b0);
    ASSERT_EQ(cubias_revive_quantile(h, s, &v, 1, p, margin, db.get(), CUBIAS_DTYPE_F32,
                                     (int64_t *)ddead.get()),
              CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    float b[2];
    int64_t dead[2];
    db.download(b, sizeof b);
    ddead.download(dead, sizeof dead);
    const int64_t k = (int64_t)ceil(p * (double)N);
    for (int64_t c = 0; c < C; ++c) {
      const std::vector<double> x = dref::channel(z, N, C, 1, c);
      const double q = dref::kth_largest(x, k), want = (double)b0[c] + margin - q;
      ASSERT_LT(q, 0.0) << "the data need a shift, channel " << c;
      EXPECT_GE((double)b[c], want) << "rounded up, channel " << c;
      EXPECT_LE((double)b[c], want + dref::ulp(want, 0)) << "channel " << c;
      int64_t active = 0;
      for (double a : x) active += a + ((double)b[c] - (double)b0[c]) > 0.0;
      EXPECT_GE(active, k) << "active entries, channel " << c;
    }
    EXPECT_EQ(dead[0], 1) << "channel 1 had no positive entry";
    EXPECT_EQ(dead[1], 0);
  }
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
#ifdef CUBIAS_EMU
  const int64_t chunks = cubias_make_plan(N, C, 1).nchunks;
  const cubias_emu_kernel_tally_t hist = cubias_emu_kernel_tally("radix_hist_kernel");
  const long long passes = cubias_emu_kernel_tally("radix_step_kernel").launches;
  ASSERT_GE(passes, 1);
  EXPECT_EQ(hist.launches, passes);
  EXPECT_LE(hist.max_address_atomics, chunks)
      << "a histogram bin gets at most one atomic per block of its channel in a pass";
  // One atomic per entry made pass 0 alone reach N * C.
  EXPECT_LT(hist.global_atomics, N * C) << "global atomics over " << passes << " passes";
#else
  GTEST_SKIP() << "values checked; the global atomics are counted on the emulated device only";
#endif
}

}  // namespace
