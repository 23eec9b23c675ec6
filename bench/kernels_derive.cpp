// bench_kernels, family "derive": the derivations that read a weight matrix or the
// data (the per-channel rules read a few doubles per channel: launch latency only).
//   center_from_input     b = t - W mu_x: W read once (CPU); on the GPU W converted to
//                         double in row blocks of the workspace, then cuBLAS Dgemv
//   normalize_from_preact W scaled in place: W read and written
//   symmetric_shift       8 passes over z, 17 candidates of tanh' in double each
// The biases are f32. Tolerances: the two backends' statistics agree within 1e-6
// relative (docs/tests.md, "GPU vs CPU": |d mean| <= 1e-6 (|mean| + std), |d var| <=
// 1e-6 var; measured ~3e-7 on 64 rows), and a stored float can round to its
// neighbour: 1 ulp of the stored value plus what those bounds give, said per case.
#include <algorithm>
#include <cmath>

#include "bench_kernels.h"

namespace bench {
namespace {

constexpr int64_t kOut = 1024;  // output channels of the weight matrices

// The reference statistics (CPU handle) of every channel.
bool ref_stats(Ctx &c, const StatsPair &s, int64_t C, std::vector<cubias_channel_stats_t> *st) {
  st->resize((size_t)C);
  return c.ok(cubias_stats_read(c.ref, s.ref, st->data()), c.ref, "stats_read");
}

// f32 row-major W [kOut, in] views of the backend copy and of the host data.
bool weights(Ctx &c, cubias_weight_t *on_backend, const void *d, cubias_weight_t *on_host, const void *h,
             int64_t in) {
  return c.ok(cubias_weight_make(on_backend, d, CUBIAS_DTYPE_F32, kOut, in, CUBIAS_WEIGHT_ROW_MAJOR, 0), c.h,
              "weight_make") &&
         c.ok(cubias_weight_make(on_host, h, CUBIAS_DTYPE_F32, kOut, in, CUBIAS_WEIGHT_ROW_MAJOR, 0), c.ref,
              "weight_make (CPU)");
}

// Inputs x [64, in] with per-channel means (i % 7 - 3) / 2, their statistics on both handles.
bool input_stats(Ctx &c, int64_t in, StatsPair *s, std::vector<cubias_channel_stats_t> *st) {
  std::vector<float> x = uniform_floats((size_t)(64 * in), 11, -1.0, 1.0);
  for (size_t k = 0; k < x.size(); ++k) x[k] += (float)((int64_t)(k % in) % 7 - 3) * 0.5f;
  const float *d = c.upload(x);
  cubias_tensor_t tb, th;
  if (!d || !c.views(&tb, d, &th, x.data(), 64, in) ||
      !s->make(c, tb, th, CUBIAS_ACT_IDENTITY))
    return false;
  return ref_stats(c, *s, in, st);
}

void center_from_input(Ctx &c) {
  const int64_t in = rows_for(c.target_bytes, kOut, 4);
  std::vector<float> w = uniform_floats((size_t)(kOut * in), 12, -1.0, 1.0);
  for (float &v : w) v /= (float)std::sqrt((double)in);
  StatsPair xs;
  std::vector<cubias_channel_stats_t> mu;
  const float *dw = c.upload(w);
  float *db = (float *)c.alloc(kOut * 4);
  cubias_weight_t Wd, Wh;
  const double t = 0.25;
  std::vector<float> want(kOut);
  if (!dw || !db || !input_stats(c, in, &xs, &mu) || !weights(c, &Wd, dw, &Wh, w.data(), in) ||
      !c.ok(cubias_center_from_input(c.ref, xs.ref, &Wh, &t, want.data(), CUBIAS_DTYPE_F32), c.ref,
            "center_from_input (CPU)"))
    return xs.release();
  // b_j = t - sum_i W_ji mu_i: the means' bound carried through, 1e-6 sum_i |W_ji| (|mu_i| + std_i).
  std::vector<double> scale(kOut, 0.0);
  for (int64_t j = 0; j < kOut; ++j)
    for (int64_t i = 0; i < in; ++i) {
      const cubias_channel_stats_t &m = mu[(size_t)i];
      scale[(size_t)j] += std::fabs((double)w[(size_t)(j * in + i)]) * (std::fabs(m.mean) + std::sqrt(m.var));
    }
  want = c.want(want);
  const double bytes = (double)(kOut * in) * (c.gpu ? 4 + 16 : 4) + kOut * 4.0;
  c.run("derive", "center_from_input f32 W[" + std::to_string(kOut) + "x" + std::to_string(in) + "]", bytes,
        [] { return true; },
        [&] { return cubias_center_from_input(c.h, xs.timed, &Wd, &t, db, CUBIAS_DTYPE_F32) == CUBIAS_STATUS_SUCCESS; },
        [&] {
          return within(c.download<float>(db, kOut), want,
                        [&](size_t j) { return ulp_f32(want[j]) + 1e-6 * scale[j]; }, "1 ulp + 1e-6 sum|W|(|mu|+std)");
        });
  xs.release();
}

void normalize_from_preact(Ctx &c) {
  const int64_t in = rows_for(c.target_bytes, kOut, 4);
  const size_t nw = (size_t)(kOut * in);
  std::vector<float> w0 = uniform_floats(nw, 13, -1.0, 1.0), b0 = uniform_floats(kOut, 14, -1.0, 1.0);
  std::vector<float> z = uniform_floats((size_t)(64 * kOut), 15, -2.0, 3.0);
  StatsPair zs;
  const float *dz = c.upload(z), *dw0 = c.upload(w0), *db0 = c.upload(b0);
  float *dw = (float *)c.alloc(nw * 4), *db = (float *)c.alloc(kOut * 4);
  int64_t *dskip = (int64_t *)c.alloc(8);
  std::vector<float> ww = w0, wb = b0;
  int64_t want_skip = -1;
  cubias_tensor_t tb, th;
  cubias_weight_t Wd, Wh;
  if (!dz || !dw0 || !db0 || !dw || !db || !dskip || !c.views(&tb, dz, &th, z.data(), 64, kOut) ||
      !zs.make(c, tb, th, CUBIAS_ACT_IDENTITY) || !weights(c, &Wd, dw, &Wh, ww.data(), in) ||
      !c.ok(cubias_normalize_from_preact(c.ref, zs.ref, 1.0, 0.0, &Wh, wb.data(), CUBIAS_DTYPE_F32, &want_skip), c.ref,
            "normalize_from_preact (CPU)"))
    return zs.release();
  // W_j <- k_j W_j, b_j <- k_j (b_j - mu_j) with k_j = 1 / std_j: k within 1e-6 relative,
  // the bias also within 1e-6 k_j (|mu_j| + std_j) through the mean.
  std::vector<cubias_channel_stats_t> st;
  if (!ref_stats(c, zs, kOut, &st)) return zs.release();
  const std::vector<float> wwant = c.want(ww);
  const double bytes = 2.0 * 4 * (double)nw + 2.0 * 4 * kOut;
  c.run("derive", "normalize_from_preact f32 W[" + std::to_string(kOut) + "x" + std::to_string(in) + "] in place",
        bytes,
        [&] { return c.mem->copy(dw, dw0, nw * 4) && c.mem->copy(db, db0, kOut * 4); },
        [&] {
          return cubias_normalize_from_preact(c.h, zs.timed, 1.0, 0.0, &Wd, db, CUBIAS_DTYPE_F32, dskip) ==
                 CUBIAS_STATUS_SUCCESS;
        },
        [&] {
          const auto w_tol = [&](size_t e) { return ulp_f32(wwant[e]) + 1e-6 * std::fabs(wwant[e]); };
          const auto b_tol = [&](size_t j) {
            const double k = 1.0 / std::sqrt(st[j].var);
            return ulp_f32(wb[j]) + 1e-6 * (std::fabs(wb[j]) + k * (std::fabs(st[j].mean) + std::sqrt(st[j].var)));
          };
          std::vector<int64_t> skip = c.download<int64_t>(dskip, 1);
          return both(both(within(c.download<float>(dw, nw), wwant, w_tol, "1 ulp + 1e-6 |W|"),
                           within(c.download<float>(db, kOut), wb, b_tol, "1 ulp + 1e-6 (|b| + (|mu| + std) / std)")),
                      same_bits(skip.data(), &want_skip, 8, 8));
        });
  zs.release();
}

void symmetric_shift(Ctx &c) {
  // 1/256 of the target: the CPU check evaluates tanh' in double 136 times an entry.
  // 256 channels, fewer (down to 16) where that leaves under 16 rows: tiny runs (the
  // emulated device's) then launch fewer blocks.
  const double zb = c.target_bytes / 256;
  const int64_t C = std::max<int64_t>(16, std::min<int64_t>(256, (int64_t)(zb / (16 * 4)))),
                N = rows_for(zb, C, 4);
  // Triangular data around the channel's centre (c % 9 - 4) * 0.3: E[tanh'(z + d)] is
  // unimodal in d with its peak near minus the centre.
  std::vector<float> z = uniform_floats((size_t)(N * C), 16, -1.0, 1.0), z2 = uniform_floats(z.size(), 17, -1.0, 1.0);
  for (size_t k = 0; k < z.size(); ++k) z[k] += z2[k] + (float)((int64_t)(k % C) % 9 - 4) * 0.3f;
  z2.clear();
  const float *dz = c.upload(z);
  float *db = (float *)c.alloc(C * 4);
  double *drep = (double *)c.alloc(2 * C * 8);
  const std::vector<float> zero((size_t)C, 0.0f);
  std::vector<float> want((size_t)C, 0.0f);
  std::vector<double> rep((size_t)(2 * C));
  StatsPair zs;
  cubias_tensor_t tb, th;
  if (!dz || !db || !drep || !c.views(&tb, dz, &th, z.data(), N, C) || !zs.make(c, tb, th, CUBIAS_ACT_TANH) ||
      !c.ok(cubias_symmetric_shift(c.ref, CUBIAS_ACT_TANH, zs.ref, &th, 1, want.data(), CUBIAS_DTYPE_F32, rep.data()),
            c.ref, "symmetric_shift (CPU)"))
    return zs.release();
  // The optimum is found to (max - min) / 2 * 8^-8 (cubias.h): the two backends may end
  // on neighbouring candidates when two sums tie to rounding.
  std::vector<cubias_channel_stats_t> st;
  if (!ref_stats(c, zs, C, &st)) return zs.release();
  const auto step = [&](size_t i) { return (st[i % C].max - st[i % C].min) * std::pow(8.0, -8.0); };
  want = c.want(want);
  // The GPU walks each chunk twice a pass (9 + 8 candidates), the CPU once.
  const double bytes = (c.gpu ? 16.0 : 8.0) * 4 * (double)(N * C);
  c.run("derive", "symmetric_shift tanh f32 z[" + std::to_string(N) + "x" + std::to_string(C) + "]", bytes,
        [&] { return c.mem->put(db, zero.data(), C * 4); },
        [&] {
          return cubias_symmetric_shift(c.h, CUBIAS_ACT_TANH, zs.timed, &tb, 1, db, CUBIAS_DTYPE_F32, drep) ==
                 CUBIAS_STATUS_SUCCESS;
        },
        [&] {
          const std::vector<double> r = c.download<double>(drep, 2 * C);
          return both(within(c.download<float>(db, C), want, [&](size_t j) { return ulp_f32(want[j]) + step(j); },
                             "1 ulp + the last bracket step"),
                      within(r, rep,
                             [&](size_t i) { return i < (size_t)C ? 1e-12 * std::fabs(rep[i]) + 1e-15 : step(i); },
                             "report: 1e-12 (E) or the last step (delta)"));
        });
  zs.release();
}

}  // namespace

void family_derive(Ctx &c) {
  center_from_input(c);
  normalize_from_preact(c);
  symmetric_shift(c);
}

}  // namespace bench
