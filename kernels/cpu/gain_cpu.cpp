// CPU backend of the gain check: the same plan, lanes and trees as the CUDA
// kernels (kernels/gain_math.h), so both backends give the same bits.
#include "../backend.h"
#include "../gain_math.h"

cubias_status_t cubias_cpu_weight_gain(cubias_handle_t h, const cubias_weight_t *w,
                                       double *partials, double *out) {
  const cubias_wplan_t p = cubias_wplan_of(w);
  const int dtype = (int)w->dtype;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < p.nchunks; ++j) {
    double lanes[CUBIAS_GAIN_LANES];
    for (int t = 0; t < CUBIAS_GAIN_LANES; ++t) lanes[t] = cubias_wplan_lane(w->data, dtype, &p, j, t);
    cubias_gain_tree(lanes, CUBIAS_GAIN_LANES);
    partials[j] = lanes[0];
  }
  double s = cubias_gain_fold_chunks(partials, p.nchunks);
  *out = (double)w->in * (s / (double)p.n);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_gain_pool(cubias_handle_t h, const double *count, const double *mean,
                                     const double *var, const double *dphi, int64_t C,
                                     double *out) {
  // lanes[k * LANES + t]: sum k of lane t, so each sum's tree runs over a row.
  static_assert(CUBIAS_GAIN_POOL == 5, "pool layout");
  double lanes[CUBIAS_GAIN_POOL][CUBIAS_GAIN_LANES];
  for (int t = 0; t < CUBIAS_GAIN_LANES; ++t) {
    double v[CUBIAS_GAIN_POOL];
    cubias_gain_pool_lane(count, mean, var, dphi, C, t, v);
    for (int k = 0; k < CUBIAS_GAIN_POOL; ++k) lanes[k][t] = v[k];
  }
  for (int k = 0; k < CUBIAS_GAIN_POOL; ++k) {
    cubias_gain_tree(lanes[k], CUBIAS_GAIN_LANES);
    out[k] = lanes[k][0];
  }
  return CUBIAS_STATUS_SUCCESS;
}
