// `cubias center`: b = t - W mu_x from the statistics of a layer's inputs.
#include <cstdio>

#include "cli.h"

namespace cli {

int run_center(const Args &a) {
  if (a.positional.size() != 1)
    return fail("center needs exactly one .npy file of layer inputs (see cubias center --help)");
  const std::string path = a.positional[0], layout = a.get("layout", "rows");
  std::string err, out;
  if (!out_path(a, &out, &err)) return fail(err);
  if (!a.has("weights"))
    return fail("--weights W.npy is required (the layer's weight [out, in] or kernel [out, in, kh, ...])");
  double target;
  if (!a.number("target", 0.0, &target, &err)) return fail(err);
  cubias_dtype_t dt;
  npy::Kind kind;
  if (!parse_out_dtype(a, &dt, &kind, &err)) return fail(err);
  // Check the input's channel count against W before streaming anything.
  npy::Header xh;
  if (!npy::peek(path, &xh, &err)) return fail(err);
  if (xh.kind != npy::Kind::F32 && xh.kind != npy::Kind::F16)
    return fail(path + ": inputs must be float32 or float16, the file holds " +
                npy::kind_name(xh.kind));
  int64_t outer, C, inner;
  if (!view_of(layout, xh.shape, &outer, &C, &inner, &err)) return fail(path + ": " + err);
  Session s;
  if (!s.open(a, &err)) return fail(err);
  std::vector<char> wh;
  npy::Header wd;
  cubias_weight_t W;
  const std::string wpath = a.get("weights", "");
  if (!load_weights(s, wpath, true, &wh, &wd, &W, &err)) return fail(err);
  // A convolution kernel [out, in, kh, kw, ...]: its taps per input channel.
  int64_t area = 1;
  for (size_t d = 2; d < wd.shape.size(); ++d) area *= wd.shape[d];
  if (wd.shape[1] != C)
    return fail(wpath + ": W has shape " + shape_str(wd.shape) + ", so in = " +
                std::to_string(wd.shape[1]) + ", but " + path + " has " + std::to_string(C) +
                " input channels (layout " + layout + "); W must be [out, " + std::to_string(C) +
                (area > 1 ? ", kh, ...]" : "]"));
  cubias_stats_t stats = nullptr;
  if (!accumulate_file(s, path, layout, CUBIAS_ACT_IDENTITY, 0.0f, &stats, &xh, &err)) {
    if (stats) cubias_stats_destroy(stats);
    return fail(err);
  }
  void *d_bias = nullptr;
  if (!s.alloc((size_t)W.out * dtype_bytes(dt), &d_bias, &err)) {
    cubias_stats_destroy(stats);
    return fail(err);
  }
  cubias_status_t st =
      cubias_center_conv_from_input(s.handle(), stats, &W, area, &target, d_bias, dt);
  cubias_stats_destroy(stats);
  if (st) return fail_status("cubias_center_conv_from_input", st, s.handle());
  if (!fetch_and_write(s, d_bias, {W.out}, dt, kind, out, &err)) return fail(err);
  printf("center: b = %g - W mu_x over %lld input channels%s -> %s [%lld] %s\n", target,
         (long long)C, area > 1 ? (" x " + std::to_string(area) + " kernel taps").c_str() : "",
         out.c_str(), (long long)W.out, npy::kind_name(kind));
  return 0;
}

}  // namespace cli
