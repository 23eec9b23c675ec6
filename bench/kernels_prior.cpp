// bench_kernels, family "prior": the class priors that read data, i.e. the label
// histograms (softmax from int32 class labels, sigmoid from uint8 multi-hot targets).
// Both read their input once and synchronise once on the GPU (the out-of-range count
// is read back). The counts are integers (exact); the biases are logarithms in double
// rounded to f32, and the two backends' log() may differ in the last double bit, so a
// bias may round to its neighbouring float: 1 ulp.
#include "bench_kernels.h"

namespace bench {
namespace {

Check biases_within(Ctx &c, const float *d, const std::vector<float> &want, int64_t oor) {
  const Check got = within(c.download<float>(d, want.size()), want,
                           [&](size_t k) { return ulp_f32(want[k]) * (1.0 + 1e-6) + 1e-12; }, "1 ulp");
  if (got.ok && oor != 0) return {false, "out-of-range count " + std::to_string(oor) + ", 0 expected"};
  return got;
}

void softmax_from_labels(Ctx &c) {
  const int64_t K = 1000, n = rows_for(c.target_bytes, 1, 4);
  Rng r(31);
  std::vector<int32_t> y((size_t)n);
  for (int32_t &v : y) {  // skewed towards the low classes: K u^2
    const double u = r.uniform();
    v = (int32_t)(u * u * (double)K);
  }
  const int32_t *dy = c.upload(y);
  float *db = (float *)c.alloc(K * 4);
  std::vector<float> want((size_t)K);
  int64_t oor = -1;
  if (!dy || !db ||
      !c.ok(cubias_prior_softmax_from_labels(c.ref, y.data(), CUBIAS_INDEX_INT32, n, K, CUBIAS_PRIOR_ALPHA_DEFAULT,
                                             CUBIAS_PRIOR_MEAN_ZERO, 0, want.data(), CUBIAS_DTYPE_F32, &oor),
            c.ref, "prior_softmax_from_labels (CPU)"))
    return;
  want = c.want(want);
  c.run("prior", "softmax_from_labels int32 n=" + std::to_string(n) + " K=" + std::to_string(K),
        4.0 * (double)n + 4.0 * K, [] { return true; },
        [&] {
          return cubias_prior_softmax_from_labels(c.h, dy, CUBIAS_INDEX_INT32, n, K, CUBIAS_PRIOR_ALPHA_DEFAULT,
                                                  CUBIAS_PRIOR_MEAN_ZERO, 0, db, CUBIAS_DTYPE_F32,
                                                  &oor) == CUBIAS_STATUS_SUCCESS;
        },
        [&] { return biases_within(c, db, want, oor); });
}

void sigmoid_from_targets(Ctx &c) {
  const int64_t K = 1024, n = rows_for(c.target_bytes, K, 1);
  Rng r(32);
  std::vector<uint8_t> t((size_t)(n * K));
  for (size_t i = 0; i < t.size(); ++i)  // class k is positive with probability (k + 1) / (2K)
    t[i] = r.uniform() * 2.0 * (double)K < (double)(i % K + 1) ? 1 : 0;
  const uint8_t *dt = c.upload(t);
  float *db = (float *)c.alloc(K * 4);
  std::vector<float> want((size_t)K);
  int64_t oor = -1;
  if (!dt || !db ||
      !c.ok(cubias_prior_sigmoid_from_targets(c.ref, t.data(), n, K, CUBIAS_PRIOR_ALPHA_DEFAULT, want.data(),
                                              CUBIAS_DTYPE_F32, &oor),
            c.ref, "prior_sigmoid_from_targets (CPU)"))
    return;
  want = c.want(want);
  c.run("prior", "sigmoid_from_targets uint8 [" + std::to_string(n) + "x" + std::to_string(K) + "]",
        (double)(n * K) + 4.0 * K, [] { return true; },
        [&] {
          return cubias_prior_sigmoid_from_targets(c.h, dt, n, K, CUBIAS_PRIOR_ALPHA_DEFAULT, db, CUBIAS_DTYPE_F32,
                                                   &oor) == CUBIAS_STATUS_SUCCESS;
        },
        [&] { return biases_within(c, db, want, oor); });
}

}  // namespace

void family_prior(Ctx &c) {
  softmax_from_labels(c);
  sigmoid_from_targets(c);
}

}  // namespace bench
