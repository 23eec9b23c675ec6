// `cubias gates`: recurrent gate biases (LSTM forget gate, GRU update gate) in
// the layout of Keras or PyTorch.
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace cli {

namespace {

const char *const kSchemeNames[] = {"constant", "retention", "chrono"};

// The command's options, checked.
struct Gates {
  std::string out;
  int cell_i = 0, format_i = 0, scheme_i = 0;  // indices into the option's names
  cubias_rnn_cell_t cell = CUBIAS_RNN_LSTM;
  int64_t G = 4, H = 0, layers = 1, input = 0, vectors = 1, seed = 0;
  bool keras = true, bidir = false;
  cubias_gate_config_t cfg;
  cubias_dtype_t dt = CUBIAS_DTYPE_F32;
  npy::Kind kind = npy::Kind::F32;
};

// --cell, --hidden, --format and the sizes of the layer or module.
bool parse_shape(const Args &a, Gates *o, std::string *err) {
  if (!a.choice("cell", {"lstm", "gru"}, -1, &o->cell_i, err)) return false;
  o->cell = o->cell_i == 0 ? CUBIAS_RNN_LSTM : CUBIAS_RNN_GRU;
  o->G = o->cell == CUBIAS_RNN_LSTM ? 4 : 3;
  if (!a.has("hidden")) {
    *err = "--hidden H is required (the hidden size)";
    return false;
  }
  const int64_t kMax = int64_t(1) << 24;
  if (!a.integer("hidden", 0, 1, kMax, &o->H, err) ||
      !a.integer("layers", 1, 1, 4096, &o->layers, err) ||
      !a.integer("vectors", 1, 1, 2, &o->vectors, err) ||
      !a.integer("seed", 0, 0, INT64_MAX, &o->seed, err) ||
      !a.choice("format", {"keras", "pytorch"}, 0, &o->format_i, err))
    return false;
  o->keras = o->format_i == 0;
  o->bidir = a.has("bidirectional");
  if (o->keras && (a.has("input") || a.has("layers") || o->bidir)) {
    *err = "--input, --layers and --bidirectional describe a PyTorch module: use --format pytorch "
           "(Keras: one call per layer and direction)";
    return false;
  }
  if (!o->keras && a.has("vectors")) {
    *err = "--vectors applies to --format keras only";
    return false;
  }
  if (!o->keras && !a.has("input")) {
    *err = "--format pytorch needs --input I (the module's input_size)";
    return false;
  }
  return o->keras || a.integer("input", 0, 1, kMax, &o->input, err);
}

// --scheme and its numbers into o->cfg.
bool parse_scheme(const Args &a, Gates *o, std::string *err) {
  cubias_gate_config_t &cfg = o->cfg;
  cubias_gate_config_default(&cfg);
  static const cubias_gate_scheme_t kSchemes[] = {CUBIAS_GATE_CONSTANT, CUBIAS_GATE_RETENTION,
                                                  CUBIAS_GATE_CHRONO};
  if (!a.choice("scheme", {"constant", "retention", "chrono"}, 0, &o->scheme_i, err)) return false;
  cfg.scheme = kSchemes[o->scheme_i];
  if (!a.number("value", cfg.value, &cfg.value, err) ||
      !a.number("retention", cfg.retention, &cfg.retention, err) ||
      !a.number("steps", cfg.steps, &cfg.steps, err) ||
      !a.number("tmax", cfg.t_max, &cfg.t_max, err))
    return false;
  if (cfg.scheme == CUBIAS_GATE_CHRONO && !a.has("tmax")) {
    *err = "--scheme chrono needs --tmax T (the longest dependency, T >= 2)";
    return false;
  }
  cfg.seed = (uint64_t)o->seed;
  return true;
}

// Keras: one layer's bias variable, [G*H] or [2, G*H].
int gates_keras(Session &s, const Gates &o, std::vector<int64_t> *shape,
                cubias_gate_report_t *rep) {
  std::string err;
  const int64_t n = o.vectors * o.G * o.H;
  std::vector<char> zeros((size_t)n * dtype_bytes(o.dt), 0);
  const void *d = nullptr;
  if (!s.to_backend(zeros.data(), zeros.size(), &d, &err)) return fail(err);
  cubias_status_t st = cubias_rnn_gate_bias_keras(s.handle(), o.cell, (void *)d, o.dt, o.H,
                                                  (int)o.vectors, &o.cfg, rep);
  if (st) return fail_status("cubias_rnn_gate_bias_keras", st, s.handle());
  const int64_t GH = o.G * o.H;
  *shape = o.vectors == 1 ? std::vector<int64_t>{GH} : std::vector<int64_t>{2, GH};
  if (!fetch_and_write(s, d, *shape, o.dt, o.kind, o.out, &err)) return fail(err);
  return 0;
}

// PyTorch: the whole module's flat parameters are set; the biases of each
// (layer, direction) are written, [L*D, 2, G*H].
int gates_pytorch(Session &s, const Gates &o, std::vector<int64_t> *shape,
                  cubias_gate_report_t *rep) {
  std::string err;
  const int64_t H = o.H, D = o.bidir ? 2 : 1, GH = o.G * H;
  const size_t item = dtype_bytes(o.dt);
  const double est = (double)o.layers * D * GH * ((double)o.input + H * D + H + 2);
  if (est > 1e10)
    return fail("the module would have " + json_number(est) +
                " parameters: too large for this tool (at most 1e10)");
  // Offsets of b_ih of each (layer, direction) in the flat parameter buffer.
  std::vector<int64_t> bias_at;
  int64_t total = 0;
  for (int64_t l = 0; l < o.layers; ++l) {
    const int64_t in_l = l == 0 ? o.input : H * D;
    for (int64_t d = 0; d < D; ++d) {
      total += GH * in_l + GH * H;
      bias_at.push_back(total);
      total += 2 * GH;
    }
  }
  std::vector<char> zeros((size_t)total * item, 0);
  const void *dp = nullptr;
  if (!s.to_backend(zeros.data(), zeros.size(), &dp, &err)) return fail(err);
  cubias_status_t st = cubias_rnn_gate_bias_pytorch(s.handle(), o.cell, (void *)dp, o.dt, total,
                                                    o.input, H, o.layers, o.bidir ? 1 : 0, &o.cfg,
                                                    rep);
  if (st) return fail_status("cubias_rnn_gate_bias_pytorch", st, s.handle());
  if (cubias_synchronize(s.handle()))
    return fail_status("cubias_synchronize", CUBIAS_STATUS_CUDA_ERROR, s.handle());
  std::vector<char> all((size_t)total * item);
  if (!s.to_host(dp, all.size(), all.data(), &err)) return fail(err);
  std::vector<char> host((size_t)(o.layers * D * 2 * GH) * item);  // what is written
  for (size_t k = 0; k < bias_at.size(); ++k)
    memcpy(host.data() + k * 2 * GH * item, all.data() + bias_at[k] * item, 2 * GH * item);
  *shape = {o.layers * D, 2, GH};
  if (!npy::write(o.out, *shape, host.data(), o.kind, &err)) return fail(err);
  return 0;
}

void print_report(const Gates &o, const std::vector<int64_t> &shape,
                  const cubias_gate_report_t &rep) {
  const char *gate = o.cell == CUBIAS_RNN_LSTM ? "forget gate f" : "update gate z";
  printf("gates: %s %s, hidden %lld, scheme %s -> %s %s %s\n", o.keras ? "keras" : "pytorch",
         o.cell_i == 0 ? "lstm" : "gru", (long long)o.H, kSchemeNames[o.scheme_i], o.out.c_str(),
         shape_str(shape).c_str(), npy::kind_name(o.kind));
  printf("  %-28s %12s %12s %12s\n", "", "min", "mean", "max");
  printf("  %-28s %12.6f %12.6f %12.6f\n", "effective bias b", rep.bias_min, rep.bias_mean,
         rep.bias_max);
  printf("  %-28s %12.6f %12.6f %12.6f\n", (std::string(gate) + " sigma(b)").c_str(),
         rep.gate_min, rep.gate_mean, rep.gate_max);
  printf("  %-28s %12.6f %12.6f %12.6f\n",
         ("retention over " + json_number(o.cfg.steps) + " steps").c_str(), rep.retention_min,
         rep.retention_mean, rep.retention_max);
  printf("  (%lld gate units set; the other gates' biases are 0%s)\n", (long long)rep.units,
         o.cell == CUBIAS_RNN_LSTM && o.cfg.scheme == CUBIAS_GATE_CHRONO
             ? ", input gate b_i = -b_f"
             : "");
}

}  // namespace

int run_gates(const Args &a) {
  if (!a.positional.empty()) return fail("gates takes no file argument (see cubias gates --help)");
  std::string err;
  Gates o;
  if (!out_path(a, &o.out, &err) || !parse_shape(a, &o, &err) || !parse_scheme(a, &o, &err) ||
      !parse_out_dtype(a, &o.dt, &o.kind, &err))
    return fail(err);
  Session s;
  if (!s.open(a, &err)) return fail(err);
  cubias_gate_report_t rep;
  std::vector<int64_t> shape;
  const int rc = o.keras ? gates_keras(s, o, &shape, &rep) : gates_pytorch(s, o, &shape, &rep);
  if (rc) return rc;
  print_report(o, shape, rep);
  return 0;
}

}  // namespace cli
