// bench_kernels, family "revive": the data-driven revival (cubias_revive_quantile),
// whose cost is the radix select's histograms: 4 passes over z (8 bits a pass), each
// counting one digit of every finite entry per channel. q_j is exact and both
// backends apply the same rule (cubias.h), so the biases and the dead counts must
// agree bit for bit.
#include "bench_kernels.h"

namespace bench {
namespace {

void revive_quantile(Ctx &c) {
  // 1/4 of the target: the CPU check (one thread) takes ~50 ns an entry a pass.
  const int64_t C = 1024, N = rows_for(c.target_bytes / 4, C, 4);
  // Uniform in [-1.7, 1.7), every fourth channel shifted 2 down: dead (never active).
  std::vector<float> z = uniform_floats((size_t)(N * C), 21, -1.7, 1.7);
  for (size_t k = 0; k < z.size(); ++k)
    if (k % C % 4 == 0) z[k] -= 2.0f;
  const float *dz = c.upload(z);
  const std::vector<float> b0 = uniform_floats((size_t)C, 22, -0.5, 0.5);
  float *db = (float *)c.alloc(C * 4);
  int64_t *ddead = (int64_t *)c.alloc(16);
  std::vector<float> want = b0;
  std::vector<int64_t> want_dead(2, -1);
  StatsPair zs;
  cubias_tensor_t tb, th;
  const double p_min = 0.05, margin = 1e-3;
  if (!dz || !db || !ddead || !c.views(&tb, dz, &th, z.data(), N, C) || !zs.make(c, tb, th, CUBIAS_ACT_RELU) ||
      !c.ok(cubias_revive_quantile(c.ref, zs.ref, &th, 1, p_min, margin, want.data(), CUBIAS_DTYPE_F32,
                                   want_dead.data()),
            c.ref, "revive_quantile (CPU)"))
    return zs.release();
  want = c.want(want);
  c.run("revive", "revive_quantile p=0.05 f32 z[" + std::to_string(N) + "x" + std::to_string(C) + "]",
        4.0 * 4 * (double)(N * C),  // 4 passes over z; the histograms are C * 256 counters
        [&] { return c.mem->put(db, b0.data(), C * 4); },
        [&] {
          return cubias_revive_quantile(c.h, zs.timed, &tb, 1, p_min, margin, db, CUBIAS_DTYPE_F32, ddead) ==
                 CUBIAS_STATUS_SUCCESS;
        },
        [&] {
          const std::vector<float> got = c.download<float>(db, C);
          const std::vector<int64_t> dead = c.download<int64_t>(ddead, 2);
          return both(same_bits(got.data(), want.data(), C * 4, 4), same_bits(dead.data(), want_dead.data(), 16, 8));
        });
  zs.release();
}

}  // namespace

void family_revive(Ctx &c) { revive_quantile(c); }

}  // namespace bench
