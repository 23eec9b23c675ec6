// `cubias stats`: per-channel statistics of a .npy file of activations.
#include <cmath>
#include <cstdio>

#include "cli.h"

namespace cli {

static void print_table(const npy::Header &h, const std::string &path, const std::string &layout,
                        const std::string &act, const std::vector<cubias_channel_stats_t> &st,
                        int64_t max_rows) {
  std::string dims;
  for (size_t i = 0; i < h.shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(h.shape[i]);
  printf("%s: %s [%s], layout %s, %zu channels, activation %s\n\n", path.c_str(),
         npy::kind_name(h.kind), dims.c_str(), layout.c_str(), st.size(), act.c_str());
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

static void print_json(const npy::Header &h, const std::string &path, const std::string &layout,
                       const std::string &act, const std::vector<cubias_channel_stats_t> &st) {
  printf("{\"file\": \"%s\", \"dtype\": \"%s\", \"shape\": [", path.c_str(), npy::kind_name(h.kind));
  for (size_t i = 0; i < h.shape.size(); ++i) printf("%s%lld", i ? ", " : "", (long long)h.shape[i]);
  printf("], \"layout\": \"%s\", \"activation\": \"%s\", \"channels\": [\n", layout.c_str(), act.c_str());
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
  printf("]}\n");
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
  double slope, rows;
  if (!a.number("slope", 0.01, &slope, &err) || !a.number("rows", 32, &rows, &err)) return fail(err);
  Session s;
  if (!s.open(a, &err)) return fail(err);
  cubias_stats_t stats = nullptr;
  npy::Header h;
  if (!accumulate_file(s, path, layout, act, (float)slope, &stats, &h, &err)) {
    if (stats) cubias_stats_destroy(stats);
    return fail(err);
  }
  int64_t C = 0;
  cubias_stats_channels(stats, &C);
  std::vector<cubias_channel_stats_t> st((size_t)C);
  cubias_status_t rc = cubias_stats_read(s.handle(), stats, st.data());
  cubias_stats_destroy(stats);
  if (rc) return fail_status("cubias_stats_read", rc, s.handle());
  if (a.has("json"))
    print_json(h, path, layout, act_name, st);
  else
    print_table(h, path, layout, act_name, st, (int64_t)rows);
  return 0;
}

}  // namespace cli
