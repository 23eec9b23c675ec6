// `cubias gates`: recurrent gate biases (LSTM forget gate, GRU update gate) in
// the layout of Keras or PyTorch.
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace cli {

int run_gates(const Args &a) {
  if (!a.positional.empty()) return fail("gates takes no file argument (see cubias gates --help)");
  std::string err, out;
  if (!out_path(a, &out, &err)) return fail(err);
  int cell_i;
  if (!a.choice("cell", {"lstm", "gru"}, -1, &cell_i, &err)) return fail(err);
  const cubias_rnn_cell_t cell = cell_i == 0 ? CUBIAS_RNN_LSTM : CUBIAS_RNN_GRU;
  const int64_t G = cell == CUBIAS_RNN_LSTM ? 4 : 3;
  if (!a.has("hidden")) return fail("--hidden H is required (the hidden size)");
  const int64_t kMax = int64_t(1) << 24;
  int64_t H, layers, input, vectors, seed;
  if (!a.integer("hidden", 0, 1, kMax, &H, &err) || !a.integer("layers", 1, 1, 4096, &layers, &err) ||
      !a.integer("vectors", 1, 1, 2, &vectors, &err) ||
      !a.integer("seed", 0, 0, INT64_MAX, &seed, &err))
    return fail(err);
  int format_i;
  if (!a.choice("format", {"keras", "pytorch"}, 0, &format_i, &err)) return fail(err);
  const std::string format = format_i == 0 ? "keras" : "pytorch";
  const bool bidir = a.has("bidirectional");
  if (format == "keras" && (a.has("input") || a.has("layers") || bidir))
    return fail("--input, --layers and --bidirectional describe a PyTorch module: use --format pytorch "
                "(Keras: one call per layer and direction)");
  if (format == "pytorch" && a.has("vectors"))
    return fail("--vectors applies to --format keras only");
  if (format == "pytorch") {
    if (!a.has("input")) return fail("--format pytorch needs --input I (the module's input_size)");
    if (!a.integer("input", 0, 1, kMax, &input, &err)) return fail(err);
  }
  cubias_gate_config_t cfg;
  cubias_gate_config_default(&cfg);
  static const cubias_gate_scheme_t kSchemes[] = {CUBIAS_GATE_CONSTANT, CUBIAS_GATE_RETENTION,
                                                  CUBIAS_GATE_CHRONO};
  int scheme_i;
  if (!a.choice("scheme", {"constant", "retention", "chrono"}, 0, &scheme_i, &err))
    return fail(err);
  cfg.scheme = kSchemes[scheme_i];
  if (!a.number("value", cfg.value, &cfg.value, &err) ||
      !a.number("retention", cfg.retention, &cfg.retention, &err) ||
      !a.number("steps", cfg.steps, &cfg.steps, &err) ||
      !a.number("tmax", cfg.t_max, &cfg.t_max, &err))
    return fail(err);
  if (cfg.scheme == CUBIAS_GATE_CHRONO && !a.has("tmax"))
    return fail("--scheme chrono needs --tmax T (the longest dependency, T >= 2)");
  cfg.seed = (uint64_t)seed;
  cubias_dtype_t dt;
  npy::Kind kind;
  if (!parse_out_dtype(a, &dt, &kind, &err)) return fail(err);
  const size_t item = dt == CUBIAS_DTYPE_F32 ? 4 : 2;

  Session s;
  if (!s.open(a, &err)) return fail(err);
  cubias_gate_report_t rep;
  std::vector<int64_t> shape;
  std::vector<char> host;  // what is written
  cubias_status_t st;
  if (format == "keras") {
    const int64_t n = vectors * G * H;
    std::vector<char> zeros((size_t)n * item, 0);
    const void *d = nullptr;
    if (!s.to_backend(zeros.data(), zeros.size(), &d, &err)) return fail(err);
    st = cubias_rnn_gate_bias_keras(s.handle(), cell, (void *)d, dt, H, (int)vectors, &cfg, &rep);
    if (st) return fail_status("cubias_rnn_gate_bias_keras", st, s.handle());
    shape = vectors == 1 ? std::vector<int64_t>{G * H} : std::vector<int64_t>{2, G * H};
    if (!fetch_and_write(s, d, shape, dt, kind, out, &err)) return fail(err);
  } else {
    const int64_t D = bidir ? 2 : 1, GH = G * H;
    const double est = (double)layers * D * GH * ((double)input + H * D + H + 2);
    if (est > 1e10)
      return fail("the module would have " + json_number(est) +
                  " parameters: too large for this tool (at most 1e10)");
    // Offsets of b_ih of each (layer, direction) in the flat parameter buffer.
    std::vector<int64_t> bias_at;
    int64_t total = 0;
    for (int64_t l = 0; l < layers; ++l) {
      const int64_t in_l = l == 0 ? input : H * D;
      for (int64_t d = 0; d < D; ++d) {
        total += GH * in_l + GH * H;
        bias_at.push_back(total);
        total += 2 * GH;
      }
    }
    std::vector<char> zeros((size_t)total * item, 0);
    const void *dp = nullptr;
    if (!s.to_backend(zeros.data(), zeros.size(), &dp, &err)) return fail(err);
    st = cubias_rnn_gate_bias_pytorch(s.handle(), cell, (void *)dp, dt, total, input, H, layers,
                                      bidir ? 1 : 0, &cfg, &rep);
    if (st) return fail_status("cubias_rnn_gate_bias_pytorch", st, s.handle());
    if (cubias_synchronize(s.handle()))
      return fail_status("cubias_synchronize", CUBIAS_STATUS_CUDA_ERROR, s.handle());
    std::vector<char> all((size_t)total * item);
    if (!s.to_host(dp, all.size(), all.data(), &err)) return fail(err);
    host.resize((size_t)(layers * D * 2 * GH) * item);
    for (size_t k = 0; k < bias_at.size(); ++k)
      memcpy(host.data() + k * 2 * GH * item, all.data() + bias_at[k] * item, 2 * GH * item);
    shape = {layers * D, 2, GH};
    if (!npy::write(out, shape, host.data(), kind, &err)) return fail(err);
  }
  const char *gate = cell == CUBIAS_RNN_LSTM ? "forget gate f" : "update gate z";
  static const char *const kSchemeNames[] = {"constant", "retention", "chrono"};
  printf("gates: %s %s, hidden %lld, scheme %s -> %s %s %s\n", format.c_str(),
         cell_i == 0 ? "lstm" : "gru", (long long)H, kSchemeNames[scheme_i], out.c_str(),
         shape_str(shape).c_str(), npy::kind_name(kind));
  printf("  %-28s %12s %12s %12s\n", "", "min", "mean", "max");
  printf("  %-28s %12.6f %12.6f %12.6f\n", "effective bias b", rep.bias_min, rep.bias_mean,
         rep.bias_max);
  printf("  %-28s %12.6f %12.6f %12.6f\n", (std::string(gate) + " sigma(b)").c_str(),
         rep.gate_min, rep.gate_mean, rep.gate_max);
  printf("  %-28s %12.6f %12.6f %12.6f\n",
         ("retention over " + json_number(cfg.steps) + " steps").c_str(), rep.retention_min,
         rep.retention_mean, rep.retention_max);
  printf("  (%lld gate units set; the other gates' biases are 0%s)\n", (long long)rep.units,
         cell == CUBIAS_RNN_LSTM && cfg.scheme == CUBIAS_GATE_CHRONO ? ", input gate b_i = -b_f"
                                                                    : "");
  return 0;
}

}  // namespace cli
