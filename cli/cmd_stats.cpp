// `cubias stats`: per-channel statistics of a .npy file of activations.
#include <cmath>
#include <cstdio>
#include <string>

#include "cli.h"

namespace cli {

static void print_table(const npy::Header &h, const std::string &path, const std::string &layout,
                        const std::string &act, const std::vector<cubias_channel_stats_t> &st,
                        int64_t max_rows) {
  printf("%s: %s %s, layout %s, %zu channels, activation %s\n\n", path.c_str(),
         npy::kind_name(h.kind), shape_str(h.shape).c_str(), layout.c_str(), st.size(), act.c_str());
  printf("%8s %12s %9s %12s %12s %12s %12s %8s %12s %12s %12s\n", "channel", "count", "nonfinite",
         "mean", "std", "min", "max", "active", "E[phi]", "E[phi^2]", "E[phi'^2]");
  const int64_t C = (int64_t)st.size();
  for (int64_t c = 0; c < C; ++c) {
    if (c == max_rows && C > max_rows) {
      printf("%8s (%lld more channels: --rows N shows more, --json all)\n", "...",
             (long long)(C - max_rows));
      break;
    }
    const cubias_channel_stats_t &s = st[c];
    printf("%8lld %12lld %9lld %12.6g %12.6g %12.6g %12.6g %8.4f %12.6g %12.6g %12.6g\n",
           (long long)c, (long long)s.count, (long long)s.nonfinite, s.mean, std::sqrt(s.var),
           s.min, s.max, s.active_fraction, s.phi_mean, s.phi_sq_mean, s.dphi_sq_mean);
  }
  int64_t dead = 0, empty = 0;
  for (const auto &s : st) {
    dead += s.count > 0 && s.positive == 0;
    empty += s.count == 0;
  }
  printf("\n%lld channel(s) never positive (dead for ReLU), %lld with no finite value\n",
         (long long)dead, (long long)empty);
}

struct Gain {
  bool have = false;
  std::string weights;
  int64_t depth = 0;
  double threshold = 0, target = 1;
  cubias_gain_layer_report_t r;
  cubias_gain_summary_t sum;
};

static void print_gain_text(const Gain &g) {
  const cubias_gain_layer_report_t &r = g.r;
  printf("\ngain (weights %s [%lld, %lld]): chi = fan_in*E[W^2]*E[phi'^2] = %lld * %.6g * %.6g = %.6f\n",
         g.weights.c_str(), (long long)r.width, (long long)r.fan_in, (long long)r.fan_in,
         r.weight_gain / (double)r.fan_in, r.dphi_sq_mean, r.chi);
  printf("  weight gain fan_in*E[W^2] %.6g, E[phi'^2] %.6g\n", r.weight_gain, r.dphi_sq_mean);
  printf("  verdict: %s (per-layer band [%.4f, %.4f]: cumulative gain within [1/%g, %g] over %lld layers)\n",
         cubias_gain_verdict_string(r.verdict), g.sum.layer_low, g.sum.layer_high, g.threshold,
         g.threshold, (long long)g.depth);
  if (r.relu_like) {
    if (std::isnan(r.bias_shift_max))
      printf("  recommended bias shift: none keeps chi <= %g (the weight gain alone exceeds it)\n", g.target);
    else if (std::isinf(r.bias_shift_max))
      printf("  recommended bias shift: any (every bias keeps chi <= %g)\n", g.target);
    else
      printf("  recommended bias shift: add at most %.6g to the current bias (mean of z <= %.4f sigma_z keeps chi <= %g)\n",
             r.bias_shift_max, r.bias_max_sigma, g.target);
  } else {
    printf("  recommended bias shift: only for ReLU-like activations\n");
  }
}

static void print_gain_json(const Gain &g) {
  const cubias_gain_layer_report_t &r = g.r;
  printf(", \"gain\": {\"weights\": \"%s\", \"fan_in\": %lld, \"width\": %lld, \"weight_gain\": %s, "
         "\"dphi_sq_mean\": %s, \"chi\": %s, \"verdict\": \"%s\", \"depth\": %lld, \"threshold\": %s, "
         "\"layer_low\": %s, \"layer_high\": %s, \"target_chi\": %s, \"bias_max_sigma\": %s, "
         "\"bias_shift_max\": %s}",
         g.weights.c_str(), (long long)r.fan_in, (long long)r.width, json_number(r.weight_gain).c_str(),
         json_number(r.dphi_sq_mean).c_str(), json_number(r.chi).c_str(),
         cubias_gain_verdict_string(r.verdict), (long long)g.depth, json_number(g.threshold).c_str(),
         json_number(g.sum.layer_low).c_str(), json_number(g.sum.layer_high).c_str(),
         json_number(g.target).c_str(), json_number(r.bias_max_sigma).c_str(),
         json_number(r.bias_shift_max).c_str());
}

static void print_json(const npy::Header &h, const std::string &path, const std::string &layout,
                       const std::string &act, const std::vector<cubias_channel_stats_t> &st,
                       const Gain &g) {
  printf("{\"file\": \"%s\", \"dtype\": \"%s\", \"shape\": %s, \"layout\": \"%s\", "
         "\"activation\": \"%s\", \"channels\": [\n",
         path.c_str(), npy::kind_name(h.kind), shape_str(h.shape).c_str(), layout.c_str(),
         act.c_str());
  for (size_t c = 0; c < st.size(); ++c) {
    const cubias_channel_stats_t &s = st[c];
    printf("  {\"count\": %lld, \"nonfinite\": %lld, \"positive\": %lld, \"mean\": %s, \"var\": %s, "
           "\"var_unbiased\": %s, \"min\": %s, \"max\": %s, \"active_fraction\": %s, "
           "\"phi_mean\": %s, \"phi_sq_mean\": %s, \"dphi_sq_mean\": %s}%s\n",
           (long long)s.count, (long long)s.nonfinite, (long long)s.positive,
           json_number(s.mean).c_str(), json_number(s.var).c_str(),
           json_number(s.var_unbiased).c_str(), json_number(s.min).c_str(),
           json_number(s.max).c_str(), json_number(s.active_fraction).c_str(),
           json_number(s.phi_mean).c_str(), json_number(s.phi_sq_mean).c_str(),
           json_number(s.dphi_sq_mean).c_str(), c + 1 < st.size() ? "," : "");
  }
  printf("]");
  if (g.have) print_gain_json(g);
  printf("}\n");
}

// --weights W.npy: the host bytes, header and description of W.
struct Weights {
  std::vector<char> host;
  npy::Header h;
  cubias_weight_t W;
};

// --weights W.npy and its options; W is checked against the file's channels
// (and copied to the backend) before anything is streamed.
static int setup_gain(const Args &a, const std::string &path, const std::string &layout,
                      Session &s, Gain *g, Weights *w) {
  std::string err;
  if (!a.has("weights")) {
    if (a.has("depth") || a.has("threshold") || a.has("target-chi"))
      return fail("--depth, --threshold and --target-chi need --weights W.npy");
    return 0;
  }
  g->have = true;
  g->weights = a.get("weights", "");
  if (!a.integer("depth", 20, 1, 1000000, &g->depth, &err) ||
      !a.number("threshold", CUBIAS_GAIN_DEFAULT_THRESHOLD, &g->threshold, &err) ||
      !a.number("target-chi", 1.0, &g->target, &err))
    return fail(err);
  if (!(g->threshold > 1) || !std::isfinite(g->threshold)) return fail("--threshold must be > 1");
  if (!(g->target > 0) || !std::isfinite(g->target)) return fail("--target-chi must be > 0");
  npy::Header zh;
  if (!npy::peek(path, &zh, &err)) return fail(err);
  if (zh.kind != npy::Kind::F32 && zh.kind != npy::Kind::F16) return 0;  // accumulate_file says why
  int64_t outer, C, inner;
  if (!view_of(layout, zh.shape, &outer, &C, &inner, &err)) return fail(path + ": " + err);
  if (!s.open(a, &err)) return fail(err);
  if (!load_weights(s, g->weights, true, &w->host, &w->h, &w->W, &err)) return fail(err);
  if (w->W.out != C)
    return fail(g->weights + ": W has shape " + shape_str(w->h.shape) + ", so out = " +
                std::to_string(w->W.out) + ", but " + path + " has " + std::to_string(C) +
                " channels (layout " + layout + "): Z = W x + b must have out channels");
  return 0;
}

// Reads the statistics into *st and, with --weights, the gain report into *g;
// *what names the call that failed.
static cubias_status_t read_and_gain(Session &s, cubias_stats_t stats, const Weights &w, Gain *g,
                                     std::vector<cubias_channel_stats_t> *st, const char **what) {
  int64_t C = 0;
  cubias_stats_channels(stats, &C);
  st->resize((size_t)C);
  *what = "cubias_stats_read";
  cubias_status_t rc = cubias_stats_read(s.handle(), stats, st->data());
  if (rc || !g->have) return rc;
  // One layer stands for a stack of --depth such layers: its band
  // [T^(-1/L), T^(1/L)] is the one-layer band of threshold T^(1/L).
  cubias_gain_layer_t layer;
  layer.weight = w.W;
  layer.preact = stats;
  layer.grad = nullptr;
  cubias_gain_options_t opt;
  opt.threshold = std::pow(g->threshold, 1.0 / (double)g->depth);
  opt.target_chi = g->target;
  *what = "cubias_gain_report";
  return cubias_gain_report(s.handle(), 1, &layer, &opt, &g->r, &g->sum);
}

// Streams the file through the statistics pass: its header into *h, the
// per-channel statistics into *st and, with --weights, the gain into *g.
static int measure(const Args &a, const std::string &path, const std::string &layout,
                   cubias_activation_t act, double slope, Session &s, const Weights &w, Gain *g,
                   npy::Header *h, std::vector<cubias_channel_stats_t> *st) {
  std::string err;
  if (!s.handle() && !s.open(a, &err)) return fail(err);
  cubias_stats_t stats = nullptr;
  if (!accumulate_file(s, path, layout, act, (float)slope, &stats, h, &err)) {
    if (stats) cubias_stats_destroy(stats);
    return fail(err);
  }
  const char *what = nullptr;
  const cubias_status_t rc = read_and_gain(s, stats, w, g, st, &what);
  cubias_stats_destroy(stats);
  return rc ? fail_status(what, rc, s.handle()) : 0;
}

int run_stats(const Args &a) {
  if (a.positional.size() != 1) return fail("stats needs exactly one .npy file (see cubias stats --help)");
  const std::string path = a.positional[0], layout = a.get("layout", "rows");
  const std::string act_name = a.get("act", "relu");
  cubias_activation_t act;
  if (!parse_activation(act_name, &act))
    return fail("--act must be identity, relu, leaky_relu, tanh, sigmoid, gelu or silu (got '" +
                act_name + "')");
  std::string err;
  double slope;
  int64_t rows;
  if (!a.number("slope", 0.01, &slope, &err) || !a.integer("rows", 32, 0, INT64_MAX, &rows, &err))
    return fail(err);
  Gain g;
  Weights w;
  Session s;
  if (int rc = setup_gain(a, path, layout, s, &g, &w)) return rc;
  npy::Header h;
  std::vector<cubias_channel_stats_t> st;
  if (int rc = measure(a, path, layout, act, slope, s, w, &g, &h, &st)) return rc;
  if (a.has("json")) {
    print_json(h, path, layout, act_name, st, g);
  } else {
    print_table(h, path, layout, act_name, st, rows);
    if (g.have) print_gain_text(g);
  }
  return 0;
}

}  // namespace cli
