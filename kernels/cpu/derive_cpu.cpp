// CPU backend of the bias derivations I: the same per-channel math
// (kernels/derive_math.h) and, for the data passes, the same chunk plan and
// summation order as the CUDA kernels (kernels/cuda/derive_kernels.cu).
#include <math.h>
#include <string.h>

#include <vector>

#include "../derive_math.h"
#include "../backend.h"
#include "../weight_view.h"

namespace {

cubias_final_t final_of(cubias_stats_t s, int64_t c) {
  return cubias_derive_final(s->state, s->channels, c, s->act, s->slope);
}

// Element (o, c, i) of a tensor as float.
float elem(const cubias_tensor_t &x, int64_t c, int64_t e) {
  int64_t o = e / x.inner, i = e - o * x.inner;
  return cubias_load_as(x.data, (int)x.dtype, (o * x.channels + c) * x.inner + i);
}

bool dead_before(const cubias_final_t &f) { return f.count > 0.0 && f.positive == 0.0; }

}  // namespace

cubias_status_t cubias_cpu_derive_gemv(cubias_handle_t h, cubias_stats_t s, int kind,
                                       const cubias_weight_t *W, int64_t spatial, double t,
                                       void *bias, int bdt, double *report, void *ws,
                                       size_t *ws_bytes) {
  if (!ws) return cubias_workspace_answer(ws_bytes, 0);  // its scratch is host memory of its own
  const int64_t in = W->in, out = W->out, ld = cubias_weight_ld(W), C = s->channels;
  const int col = W->layout == CUBIAS_WEIGHT_COL_MAJOR;
  std::vector<double> v(in);
  for (int64_t c = 0; c < C; ++c) {
    cubias_final_t f = final_of(s, c);
    const double vc = cubias_derive_vec(kind, &f, s->act, s->slope, report ? report + c : nullptr, C);
    for (int64_t k = 0; k < spatial; ++k) v[c * spatial + k] = vc;
  }
  for (int64_t j = 0; j < out; ++j) {
    double acc = 0.0;  // exact products (float x double), fp64 sum
    for (int64_t i = 0; i < in; ++i)
      acc += (double)cubias_load_as(W->data, (int)W->dtype, cubias_derive_widx(col, ld, j, i)) * v[i];
    cubias_store_as(bias, bdt, j, (float)(t - acc));
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_derive_center_preact(cubias_handle_t h, cubias_stats_t s, double t,
                                                void *bias, int bdt) {
  for (int64_t c = 0; c < s->channels; ++c) {
    cubias_final_t f = final_of(s, c);
    if (!(f.count > 0.0)) continue;
    double b = (double)cubias_load_as(bias, bdt, c);
    cubias_store_as(bias, bdt, c, (float)(b - (f.mean - t)));
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_derive_normalize(cubias_handle_t h, cubias_stats_t s, double sc,
                                            double t, const cubias_weight_t *W, void *bias,
                                            int bdt, int64_t *skipped, void *ws,
                                            size_t *ws_bytes) {
  if (!ws) return cubias_workspace_answer(ws_bytes, 0);  // its scratch is host memory of its own
  const int64_t in = W->in, ld = cubias_weight_ld(W);
  const int col = W->layout == CUBIAS_WEIGHT_COL_MAJOR;
  int64_t nskip = 0;
  for (int64_t j = 0; j < s->channels; ++j) {
    cubias_final_t f = final_of(s, j);
    double k = cubias_derive_norm_factor(&f, sc);
    if (k == 0.0) {
      ++nskip;
      continue;
    }
    if (bias) {
      double b = (double)cubias_load_as(bias, bdt, j);
      cubias_store_as(bias, bdt, j, (float)(k * (b - f.mean) + t));
    }
    for (int64_t i = 0; i < in; ++i) {
      int64_t e = cubias_derive_widx(col, ld, j, i);
      cubias_store_as(W->data, (int)W->dtype, e,
                      (float)(k * (double)cubias_load_as(W->data, (int)W->dtype, e)));
    }
  }
  if (skipped) *skipped = nskip;
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_derive_symmetric(cubias_handle_t h, int act, cubias_stats_t s,
                                            const cubias_tensor_t *z, int64_t nz, void *bias,
                                            int bdt, double *report, void *ws,
                                            size_t *ws_bytes) {
  if (!ws) return cubias_workspace_answer(ws_bytes, 0);  // its scratch is host memory of its own
  const int64_t C = s->channels;
  const int K = CUBIAS_SYM_K;
  std::vector<double> ctr(C), hw(C), best(C, NAN), acc((size_t)C * (K + 1));
  for (int64_t c = 0; c < C; ++c) {
    cubias_final_t f = final_of(s, c);
    ctr[c] = f.count > 0.0 ? -0.5 * (f.max + f.min) : NAN;
    hw[c] = f.count > 0.0 ? 0.5 * (f.max - f.min) : NAN;
  }
  double sums[CUBIAS_SYM_K + 1];
  for (int pass = 0; pass < CUBIAS_SYM_PASSES; ++pass) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < nz; ++k) {
      const cubias_tensor_t &x = z[k];
      cubias_plan_t plan = cubias_make_plan(x.outer, C, x.inner);
      for (int64_t j = 0; j < plan.nchunks; ++j) {
        const int64_t e0 = j * plan.chunk;
        const int64_t e1 = e0 + plan.chunk < plan.per_channel ? e0 + plan.chunk : plan.per_channel;
        for (int64_t c = 0; c < C; ++c) {
          if (!(hw[c] >= 0.0)) continue;
          for (int q = 0; q <= K; ++q) sums[q] = 0.0;
          for (int64_t e = e0; e < e1; ++e) {
            float v = elem(x, c, e);
            if (!cubias_isfinite_f(v)) continue;
            for (int q = 0; q < K; ++q)
              sums[q] += cubias_derive_dphi(act, (double)v + cubias_derive_sym_candidate(ctr[c], hw[c], q));
            sums[K] += 1.0;
          }
          for (int q = 0; q <= K; ++q) acc[(size_t)c * (K + 1) + q] += sums[q];
        }
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      const double *a = &acc[(size_t)c * (K + 1)];
      if (!(hw[c] >= 0.0) || !(a[K] > 0.0)) {
        hw[c] = NAN;
        continue;
      }
      cubias_derive_sym_select(a, a[K], &ctr[c], &hw[c], &best[c]);
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    cubias_derive_sym_finish(C, c, ctr.data(), hw.data(), best.data(), bias, bdt, report);
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_derive_revive_constant(cubias_handle_t h, cubias_stats_t s,
                                                  double value, int all, void *bias, int bdt,
                                                  int64_t *dead) {
  int64_t before = 0, after = 0;
  for (int64_t c = 0; c < s->channels; ++c) {
    cubias_final_t f = final_of(s, c);
    const bool was = dead_before(f);
    before += was;
    double b0 = (double)cubias_load_as(bias, bdt, c), b1 = b0;
    if (all || was) {
      cubias_store_as(bias, bdt, c, (float)value);
      b1 = (double)cubias_load_as(bias, bdt, c);
    }
    after += f.count > 0.0 && f.max + (b1 - b0) <= 0.0;
  }
  if (dead) {
    dead[0] = before;
    dead[1] = after;
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cpu_derive_revive_quantile(cubias_handle_t h, cubias_stats_t s,
                                                  const cubias_tensor_t *z, int64_t nz, double p,
                                                  double margin, void *bias, int bdt,
                                                  int64_t *dead, void *ws, size_t *ws_bytes) {
  if (!ws) return cubias_workspace_answer(ws_bytes, 0);  // its scratch is host memory of its own
  const int64_t C = s->channels;
  const int B = CUBIAS_RADIX_BINS;
  std::vector<unsigned long long> hist((size_t)C * B);
  std::vector<uint32_t> prefix(C, 0u);
  std::vector<int64_t> rank(C, 0);
  for (int pass = 0; pass < CUBIAS_RADIX_PASSES; ++pass) {
    std::fill(hist.begin(), hist.end(), 0ull);
    for (int64_t k = 0; k < nz; ++k) {
      const cubias_tensor_t &x = z[k];
      const int64_t n = x.outer * x.channels * x.inner;
      for (int64_t idx = 0; idx < n; ++idx) {
        float v = cubias_load_as(x.data, (int)x.dtype, idx);
        if (!cubias_isfinite_f(v)) continue;
        int64_t c = (idx / x.inner) % C;
        uint32_t key = cubias_derive_key(v);
        if (!cubias_derive_radix_match(key, prefix[c], pass)) continue;
        hist[(size_t)c * B + cubias_derive_radix_digit(key, pass)]++;
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      const unsigned long long *hc = &hist[(size_t)c * B];
      if (pass == 0) {
        unsigned long long n = 0;
        for (int d = 0; d < B; ++d) n += hc[d];
        rank[c] = n ? cubias_derive_rank(p, (int64_t)n) : 0;
      }
      if (rank[c] > 0) cubias_derive_radix_step(hc, pass, &prefix[c], &rank[c]);
    }
  }
  int64_t before = 0, after = 0;
  for (int64_t c = 0; c < C; ++c) {
    cubias_final_t f = final_of(s, c);
    const bool was = dead_before(f);
    before += was;
    double b0 = (double)cubias_load_as(bias, bdt, c), b1 = b0;
    if (rank[c] > 0) {
      double d = cubias_derive_revive_shift(cubias_derive_unkey(prefix[c]), margin);
      if (d > 0.0) b1 = cubias_derive_store_ceil(bias, bdt, c, b0 + d);
    }
    after += f.count > 0.0 && f.max + (b1 - b0) <= 0.0;
  }
  if (dead) {
    dead[0] = before;
    dead[1] = after;
  }
  return CUBIAS_STATUS_SUCCESS;
}
