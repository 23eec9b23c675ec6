// Recurrent gates: LSTM forget-gate and GRU update-gate biases (constant, retention
// target, chrono) in the PyTorch, Keras and cuDNN layouts. Each layout is
// turned into a list of segments (H entries: one gate of one bias vector of
// one pseudo-layer) and a role per segment; one writer serves all layouts.
#include <math.h>

#include <new>
#include <vector>

#include "internal.h"
#include "../kernels/backend.h"
#include "../kernels/dtype.h"
#include "../kernels/gates_math.h"
#include "../kernels/logit.h"

namespace {

struct Loc {
  void *ptr = nullptr;  // nullptr: no such vector
  int64_t off = 0;
};

// One pseudo-layer: the two bias vectors of every gate (first adds to second).
struct PseudoLayer {
  Loc first[4], second[4];
};

struct GateSet {
  int G;      // gates of the cell
  int main;   // forget (LSTM) / update (GRU) gate index in the layout's order
  int input;  // LSTM input gate index, -1 for GRU
};

cubias_status_t check_config(cubias_handle_t h, int cell, const cubias_gate_config_t *cfg,
                             int dtype, cubias_gate_params_t *p, const char *where) {
  if (cell != CUBIAS_RNN_LSTM && cell != CUBIAS_RNN_GRU)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown cell %d", where, cell);
  if (!cfg) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: config is NULL", where);
  cubias_status_t st = cubias_check_bias_dtype(h, dtype, where);
  if (st) return st;
  if (cfg->steps != cfg->steps)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: steps is NaN", where);
  if (cfg->zero_other_gates != 0 && cfg->zero_other_gates != 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: zero_other_gates must be 0 or 1",
                       where);
  p->chrono = 0;
  p->b_const = 0.0;
  p->t_max = 0.0;
  p->seed = cfg->seed;
  const int scheme = cubias_enum_int(cfg->scheme);  // the int the caller stored
  switch (scheme) {
    case CUBIAS_GATE_CONSTANT:
      if (!cubias_finite(cfg->value))
        return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: constant value is %g", where,
                           cfg->value);
      p->b_const = cfg->value;
      break;
    case CUBIAS_GATE_RETENTION: {
      if (!(cfg->retention > 0.0 && cfg->retention < 1.0))
        return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                           "%s: retention target r is %g; must lie in (0, 1)", where,
                           cfg->retention);
      if (!(cfg->steps >= 1.0 && cubias_finite(cfg->steps)))
        return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                           "%s: steps L is %g; the retention scheme needs a finite L >= 1", where,
                           cfg->steps);
      // q = r^(1/L), b = ln q - ln(1 - q), from ln q without cancellation.
      double lq = log(cfg->retention) / cfg->steps;
      p->b_const = lq - log(-expm1(lq));
      break;
    }
    case CUBIAS_GATE_CHRONO:
      if (!(cfg->t_max >= 2.0 && cfg->t_max <= 1e300))
        return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                           "%s: chrono T_max is %g; must be finite and >= 2", where, cfg->t_max);
      p->chrono = 1;
      p->t_max = cfg->t_max;
      break;
    default:
      return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown scheme %d", where, scheme);
  }
  if (!p->chrono && !cubias_dtype_fits(dtype, p->b_const))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: gate bias %g does not fit dtype %d",
                       where, p->b_const, dtype);
  return CUBIAS_STATUS_SUCCESS;
}

void add_pair(std::vector<cubias_gate_seg_t> &segs, const Loc &a, const Loc &b, int ld, int role) {
  const Loc *first = a.ptr ? &a : &b;
  const Loc *second = a.ptr ? &b : nullptr;
  if (first->ptr) segs.push_back({first->ptr, first->off, (int32_t)ld, (int32_t)role});
  if (second && second->ptr)
    segs.push_back({second->ptr, second->off, (int32_t)ld, (int32_t)CUBIAS_GATE_ROLE_ZERO});
}

// Segments of all pseudo-layers; fails when a gate the scheme sets has no vector.
cubias_status_t build_segments(cubias_handle_t h, const std::vector<PseudoLayer> &layers,
                               const GateSet &gs, const cubias_gate_params_t &p,
                               int zero_others, std::vector<cubias_gate_seg_t> &segs,
                               const char *where) {
  for (size_t ld = 0; ld < layers.size(); ++ld) {
    const PseudoLayer &L = layers[ld];
    for (int g = 0; g < gs.G; ++g) {
      const bool is_main = g == gs.main;
      const bool is_input = p.chrono && g == gs.input;
      if (is_main || is_input) {
        if (!L.first[g].ptr && !L.second[g].ptr)
          return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                             "%s: pseudo-layer %zu has no bias vector for gate %d", where, ld, g);
        add_pair(segs, L.first[g], L.second[g], (int)ld,
                 is_main ? CUBIAS_GATE_ROLE_MAIN : CUBIAS_GATE_ROLE_NEG);
      } else if (zero_others) {
        add_pair(segs, L.first[g], L.second[g], (int)ld, CUBIAS_GATE_ROLE_ZERO);
      }
    }
  }
  return CUBIAS_STATUS_SUCCESS;
}

double stored(int dtype, double b) {
  unsigned char buf[4];
  cubias_store_as(buf, dtype, 0, (float)b);
  return (double)cubias_load_as(buf, dtype, 0);
}

void make_report(const cubias_gate_params_t &p, int64_t nld, int64_t H, double steps,
                 int dtype, cubias_gate_report_t *r) {
  r->units = nld * H;
  r->bias_min = r->gate_min = r->retention_min = INFINITY;
  r->bias_max = r->gate_max = r->retention_max = -INFINITY;
  double sb = 0, sg = 0, sr = 0;
  const int64_t n = p.chrono ? nld * H : 1;  // constant schemes: one value
  for (int64_t u = 0; u < n; ++u) {
    double b = stored(dtype, cubias_gate_unit_bias(&p, u / H, u % H));
    double g = cubias_sigmoid(b);
    double ret = steps > 0.0 ? exp(steps * log(g)) : NAN;
    r->bias_min = fmin(r->bias_min, b);
    r->bias_max = fmax(r->bias_max, b);
    r->gate_min = fmin(r->gate_min, g);
    r->gate_max = fmax(r->gate_max, g);
    r->retention_min = fmin(r->retention_min, ret);
    r->retention_max = fmax(r->retention_max, ret);
    sb += b;
    sg += g;
    sr += ret;
  }
  r->bias_mean = sb / (double)n;
  r->gate_mean = sg / (double)n;
  r->retention_mean = sr / (double)n;
  if (!(steps > 0.0)) r->retention_min = r->retention_max = NAN;
}

cubias_status_t write_segments(cubias_handle_t h, const std::vector<cubias_gate_seg_t> &segs,
                               int64_t H, const cubias_gate_params_t &p, int dtype) {
  return h->ops->gates_write(h, segs.data(), (int)segs.size(), H, &p, dtype);
}

cubias_status_t run(cubias_handle_t h, const std::vector<PseudoLayer> &layers, const GateSet &gs,
                    int64_t H, const cubias_gate_config_t *cfg, const cubias_gate_params_t &p,
                    int dtype, cubias_gate_report_t *rep, const char *where) {
  std::vector<cubias_gate_seg_t> segs;
  cubias_status_t st;
  try {
    st = build_segments(h, layers, gs, p, cfg->zero_other_gates, segs, where);
  } catch (const std::bad_alloc &) {
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory", where);
  }
  if (st) return st;
  st = write_segments(h, segs, H, p, dtype);
  if (st) return st;
  if (rep) make_report(p, (int64_t)layers.size(), H, cfg->steps, dtype, rep);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t check_hidden(cubias_handle_t h, int64_t H, const char *where) {
  if (H < 1 || H > ((int64_t)1 << 40))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: hidden_size %lld out of [1, 2^40]",
                       where, (long long)H);
  return CUBIAS_STATUS_SUCCESS;
}

// What every layout's entry point checks first: the handle, the cell and the
// configuration (into p), the hidden size.
cubias_status_t check_call(cubias_handle_t h, int cell, const cubias_gate_config_t *cfg, int dtype,
                           int64_t H, cubias_gate_params_t *p, const char *where) {
  cubias_status_t st = cubias_check_handle(h, where);
  if (!st) st = check_config(h, cell, cfg, dtype, p, where);
  if (!st) st = check_hidden(h, H, where);
  return st;
}

// Gates of the cell: 4 (LSTM) or 3 (GRU).
int gates_of(int cell) { return cell == CUBIAS_RNN_LSTM ? 4 : 3; }

}  // namespace

extern "C" cubias_status_t cubias_gate_config_default(cubias_gate_config_t *cfg) {
  CUBIAS_ENTRY("cubias_gate_config_default");
  if (!cfg) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: cfg is NULL", where);
  cfg->scheme = CUBIAS_GATE_CONSTANT;
  cfg->value = 1.0;
  cfg->retention = 0.5;
  cfg->steps = 10.0;
  cfg->t_max = 0.0;
  cfg->seed = 0;
  cfg->zero_other_gates = 0;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_rnn_gate_bias_pytorch(
    cubias_handle_t h, cubias_rnn_cell_t cell_arg, void *d_params, cubias_dtype_t dtype_arg,
    int64_t total, int64_t input_size, int64_t H, int64_t num_layers, int bidirectional,
    const cubias_gate_config_t *cfg, cubias_gate_report_t *rep) {
  CUBIAS_ENTRY("cubias_rnn_gate_bias_pytorch");
  const int cell = cubias_enum_int(cell_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_gate_params_t p;
  cubias_status_t st = check_call(h, cell, cfg, dtype, H, &p, where);
  if (st) return st;
  if (input_size < 1 || input_size > ((int64_t)1 << 40) || num_layers < 1 || num_layers > 4096)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: input_size %lld or num_layers %lld out of range", where,
                       (long long)input_size, (long long)num_layers);
  if (bidirectional != 0 && bidirectional != 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: bidirectional must be 0 or 1", where);
  if ((st = cubias_check_backend_ptr(h, d_params, cubias_dtype_size(dtype), "params", where))) return st;
  const int G = gates_of(cell);
  const int dirs = bidirectional ? 2 : 1;
  const int64_t GH = G * H;
  std::vector<PseudoLayer> layers((size_t)(num_layers * dirs));
  // Sizes are <= 2^40 each: offsets in 128 bits, checked against int64 below.
  __int128 off = 0;
  for (int64_t l = 0; l < num_layers; ++l) {
    const __int128 in = l == 0 ? input_size : H * dirs;
    for (int d = 0; d < dirs; ++d) {
      const __int128 b_ih = off + (__int128)GH * in + (__int128)GH * H, b_hh = b_ih + GH;
      if (b_hh + GH > (__int128)INT64_MAX)
        return cubias_fail(h, CUBIAS_STATUS_OVERFLOW, "%s: the parameter count overflows int64",
                           where);
      PseudoLayer &L = layers[(size_t)(l * dirs + d)];
      for (int g = 0; g < G; ++g) {
        L.first[g] = {d_params, (int64_t)b_ih + g * H};
        L.second[g] = {d_params, (int64_t)b_hh + g * H};
      }
      off = b_hh + GH;
    }
  }
  if (off != (__int128)total)
    return cubias_fail(h, CUBIAS_STATUS_SHAPE_MISMATCH,
                       "%s: the PyTorch layout (w_ih, w_hh, b_ih, b_hh per layer and direction) "
                       "has %lld elements, total_elements is %lld",
                       where, (long long)off, (long long)total);
  GateSet gs{G, 1, cell == CUBIAS_RNN_LSTM ? 0 : -1};  // i,f,g,o / r,z,n
  return run(h, layers, gs, H, cfg, p, dtype, rep, where);
}

extern "C" cubias_status_t cubias_rnn_gate_bias_keras(cubias_handle_t h, cubias_rnn_cell_t cell_arg,
                                                      void *d_bias, cubias_dtype_t dtype_arg,
                                                      int64_t H, int num_vectors,
                                                      const cubias_gate_config_t *cfg,
                                                      cubias_gate_report_t *rep) {
  CUBIAS_ENTRY("cubias_rnn_gate_bias_keras");
  const int cell = cubias_enum_int(cell_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_gate_params_t p;
  cubias_status_t st = check_call(h, cell, cfg, dtype, H, &p, where);
  if (st) return st;
  if (num_vectors != 1 && num_vectors != 2)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: num_vectors is %d; must be 1 or 2",
                       where, num_vectors);
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  const int G = gates_of(cell);
  std::vector<PseudoLayer> layers(1);
  for (int g = 0; g < G; ++g) {
    layers[0].first[g] = {d_bias, g * H};
    if (num_vectors == 2) layers[0].second[g] = {d_bias, (G + g) * H};
  }
  // i,f,c,o (forget 1, input 0) / z,r,h (update 0)
  GateSet gs = cell == CUBIAS_RNN_LSTM ? GateSet{4, 1, 0} : GateSet{3, 0, -1};
  return run(h, layers, gs, H, cfg, p, dtype, rep, where);
}

extern "C" cubias_status_t cubias_rnn_gate_bias_cudnn(cubias_handle_t h, cubias_rnn_cell_t cell_arg,
                                                      const cubias_cudnn_rnn_biases_t *h_layers,
                                                      int64_t nld, int64_t H, cubias_dtype_t dtype_arg,
                                                      const cubias_gate_config_t *cfg,
                                                      cubias_gate_report_t *rep) {
  CUBIAS_ENTRY("cubias_rnn_gate_bias_cudnn");
  const int cell = cubias_enum_int(cell_arg);  // the int the caller stored
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_gate_params_t p;
  cubias_status_t st = check_call(h, cell, cfg, dtype, H, &p, where);
  if (st) return st;
  if (!h_layers)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: layers is NULL", where);
  if (nld < 1 || nld > 8192)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: pseudo_layers %lld out of [1, 8192]",
                       where, (long long)nld);
  const int G = gates_of(cell);
  std::vector<PseudoLayer> layers((size_t)nld);
  for (int64_t ld = 0; ld < nld; ++ld) {
    for (int id = 0; id < 2 * G; ++id) {
      void *ptr = h_layers[ld].d_lin_bias[id];
      if (ptr && (st = cubias_check_backend_ptr(h, ptr, cubias_dtype_size(dtype), "a linear-layer bias", where))) return st;
    }
    for (int g = 0; g < G; ++g) {
      layers[(size_t)ld].first[g] = {h_layers[ld].d_lin_bias[g], 0};
      layers[(size_t)ld].second[g] = {h_layers[ld].d_lin_bias[G + g], 0};
    }
  }
  // LSTM ids i,f,g,o (+4), GRU ids r,z,h (+3)
  GateSet gs{G, 1, cell == CUBIAS_RNN_LSTM ? 0 : -1};
  return run(h, layers, gs, H, cfg, p, dtype, rep, where);
}
