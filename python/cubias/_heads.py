"""Derivations II: class priors, regression heads, recurrent gates, gate targets,
optimistic values, attention masks. Each writes the array it is given."""
import ctypes

import numpy as np

from . import _arrays
from ._arrays import need_size
from ._errors import check, invalid
from ._handle import handle_for
from ._lib import ENUMS, MACROS, STRUCTS, lib
from ._stats import enum

_ANCHORS = ("mean_zero", "pin_class", "log_prob")
GateConfig = STRUCTS["cubias_gate_config_t"]
GateReport = STRUCTS["cubias_gate_report_t"]
CudnnBiases = STRUCTS["cubias_cudnn_rnn_biases_t"]


def _host_doubles(values, name):
    a = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    if a.size == 0:
        raise invalid("cubias: %s is empty" % name)
    return a


def prior_softmax_from_labels(labels, num_classes, bias, alpha=None, anchor="mean_zero",
                              pin_class=0):
    """Softmax prior from class-index labels (int32/int64 array on the bias' device):
    b_k = ln pi_k - anchor constant, pi_k = (c_k + alpha) / (n + K alpha)."""
    alpha = MACROS["CUBIAS_PRIOR_ALPHA_DEFAULT"] if alpha is None else alpha
    lv = _arrays.view(labels, "labels", ("int32", "int64"))
    o = _arrays.Out(bias)
    need_size(o.view, int(num_classes))
    h = handle_for(o.view, lv)
    oor = ctypes.c_int64()
    itype = ENUMS["CUBIAS_INDEX_INT32" if lv.dtype == "int32" else "CUBIAS_INDEX_INT64"]
    check(lib.cubias_prior_softmax_from_labels(
        h.ptr, lv.ptr, itype, lv.size, int(num_classes), float(alpha),
        enum("CUBIAS_PRIOR_", anchor, _ANCHORS), int(pin_class), o.view.ptr, o.view.code,
        ctypes.byref(oor)), h.ptr)
    o.commit()
    return bias


def prior_sigmoid_from_targets(targets, bias, alpha=None):
    """Sigmoid prior per class from multi-hot targets [n, K] (uint8 0/1)."""
    alpha = MACROS["CUBIAS_PRIOR_ALPHA_DEFAULT"] if alpha is None else alpha
    tv = _arrays.view(targets, "targets", ("uint8",))
    if len(tv.shape) != 2:
        raise invalid("cubias: targets must be [n, K], not shape %s" % (tv.shape,))
    o = _arrays.Out(bias)
    need_size(o.view, tv.shape[1])
    h = handle_for(o.view, tv)
    check(lib.cubias_prior_sigmoid_from_targets(h.ptr, tv.ptr, tv.shape[0], tv.shape[1],
                                                float(alpha), o.view.ptr, o.view.code, None),
          h.ptr)
    o.commit()
    return bias


def prior_softmax_from_probs(probs, bias, anchor="mean_zero", pin_class=0):
    p = _host_doubles(probs, "probs")
    o = _arrays.Out(bias)
    need_size(o.view, p.size)
    h = handle_for(o.view)
    check(lib.cubias_prior_softmax_from_probs(h.ptr, p.ctypes.data, p.size,
                                              enum("CUBIAS_PRIOR_", anchor, _ANCHORS),
                                              int(pin_class), o.view.ptr, o.view.code), h.ptr)
    o.commit()
    return bias


def prior_sigmoid_from_probs(probs, bias):
    p = _host_doubles(probs, "probs")
    o = _arrays.Out(bias)
    need_size(o.view, p.size)
    h = handle_for(o.view)
    check(lib.cubias_prior_sigmoid_from_probs(h.ptr, p.ctypes.data, p.size, o.view.ptr,
                                              o.view.code), h.ptr)
    o.commit()
    return bias


def _fill(fn, bias, *scalars):
    o = _arrays.Out(bias)
    h = handle_for(o.view)
    check(fn(h.ptr, *scalars, o.view.size, o.view.ptr, o.view.code), h.ptr)
    o.commit()
    return bias


def prior_single(pi, bias):
    """b = ln(pi / (1 - pi)) for every entry (RetinaNet's focal-loss head)."""
    return _fill(lib.cubias_prior_single, bias, float(pi))


def gate_target(g0, bias):
    """b = logit(g0) for every entry (squeeze-excitation and other sigmoid gates)."""
    return _fill(lib.cubias_gate_target, bias, float(g0))


def optimistic_value(r_max, gamma, bias, horizon=None):
    """b = r_max (1 - gamma^H) / (1 - gamma) (H = None: infinite). Returns b as a float."""
    horizon = MACROS["CUBIAS_HORIZON_INFINITE"] if horizon is None else horizon
    o = _arrays.Out(bias)
    h = handle_for(o.view)
    val = ctypes.c_double()
    check(lib.cubias_optimistic_value(h.ptr, float(r_max), float(gamma), float(horizon),
                                      o.view.size, o.view.ptr, o.view.code, ctypes.byref(val)),
          h.ptr)
    o.commit()
    return val.value


def prior_regression_from_stats(target_stats, bias):
    """b_c = mean of the targets of channel c (statistics of the targets)."""
    o = _arrays.Out(bias)
    need_size(o.view, target_stats.channels)
    h = handle_for(o.view, handle=target_stats.handle)
    check(lib.cubias_prior_regression_from_stats(h.ptr, target_stats.ptr, o.view.ptr,
                                                 o.view.code), h.ptr)
    o.commit()
    return bias


# ---- recurrent gates -----------------------------------------------------------
def gate_config(scheme="constant", value=1.0, retention=0.5, steps=10.0, t_max=0.0, seed=0,
                zero_other_gates=False):
    """A cubias_gate_config_t (defaults from cubias_gate_config_default)."""
    cfg = GateConfig()
    check(lib.cubias_gate_config_default(ctypes.byref(cfg)))
    cfg.scheme = enum("CUBIAS_GATE_", scheme, ("constant", "retention", "chrono"))
    cfg.value, cfg.retention, cfg.steps = float(value), float(retention), float(steps)
    cfg.t_max, cfg.seed, cfg.zero_other_gates = float(t_max), int(seed), int(bool(zero_other_gates))
    return cfg


def _report_dict(rep):
    return {name: getattr(rep, name) for name, _ in GateReport._fields_}


def _cell(cell):
    return enum("CUBIAS_RNN_", cell, ("lstm", "gru"))


def rnn_gate_bias_pytorch_flat(params, cell, input_size, hidden_size, num_layers=1,
                               bidirectional=False, **scheme):
    """PyTorch nn.LSTM / nn.GRU parameters as one flat array
    (torch.cat([p.reshape(-1) for p in rnn.parameters()])); only bias entries are
    written. cubias.torch.gate_biases does this for a module. Returns the report."""
    o = _arrays.Out(params, "params")
    h = handle_for(o.view)
    cfg, rep = gate_config(**scheme), GateReport()
    check(lib.cubias_rnn_gate_bias_pytorch(h.ptr, _cell(cell), o.view.ptr, o.view.code,
                                           o.view.size, int(input_size), int(hidden_size),
                                           int(num_layers), int(bool(bidirectional)),
                                           ctypes.byref(cfg), ctypes.byref(rep)), h.ptr)
    o.commit()
    return _report_dict(rep)


def rnn_gate_bias_keras(bias, cell, hidden_size, num_vectors=1, **scheme):
    """One Keras LSTM/GRU layer's bias variable (num_vectors * G * H entries; gate
    order i,f,c,o / z,r,h). Returns the report."""
    o = _arrays.Out(bias)
    need_size(o.view, int(num_vectors) * (4 if _cell(cell) == ENUMS["CUBIAS_RNN_LSTM"] else 3) * int(hidden_size))
    h = handle_for(o.view)
    cfg, rep = gate_config(**scheme), GateReport()
    check(lib.cubias_rnn_gate_bias_keras(h.ptr, _cell(cell), o.view.ptr, o.view.code,
                                         int(hidden_size), int(num_vectors), ctypes.byref(cfg),
                                         ctypes.byref(rep)), h.ptr)
    o.commit()
    return _report_dict(rep)


def rnn_gate_bias_cudnn(pseudo_layers, cell, hidden_size, **scheme):
    """cuDNN: pseudo_layers is a list (per layer*directions+direction) of 8-entry lists
    of bias arrays by linear-layer id (None where absent), all of one dtype."""
    arr = (CudnnBiases * len(pseudo_layers))()
    outs, dtype = [], None
    for i, ids in enumerate(pseudo_layers):
        if len(ids) > 8:
            raise invalid("cubias: a cuDNN pseudo-layer has at most 8 linear-layer ids")
        for j, b in enumerate(ids):
            if b is None:
                continue
            o = _arrays.Out(b, "pseudo_layers[%d][%d]" % (i, j))
            need_size(o.view, int(hidden_size), "pseudo_layers[%d][%d]" % (i, j))
            dtype = dtype if dtype is not None else o.view.dtype
            if o.view.dtype != dtype:
                raise invalid("cubias: cuDNN bias arrays of different dtypes (%s, %s)"
                              % (dtype, o.view.dtype))
            arr[i].d_lin_bias[j] = o.view.ptr
            outs.append(o)
    if not outs:
        raise invalid("cubias: no cuDNN bias array given")
    h = handle_for(*[o.view for o in outs])
    cfg, rep = gate_config(**scheme), GateReport()
    check(lib.cubias_rnn_gate_bias_cudnn(h.ptr, _cell(cell), arr, len(pseudo_layers),
                                         int(hidden_size), _arrays.DTYPE_CODE[dtype],
                                         ctypes.byref(cfg), ctypes.byref(rep)), h.ptr)
    for o in outs:
        o.commit()
    return _report_dict(rep)


# ---- attention masks -----------------------------------------------------------
def mask_value(dtype="float32"):
    """The mask value of a dtype (-max/2, exact in it)."""
    v = ctypes.c_double()
    if dtype not in _arrays.DTYPE_CODE:
        raise invalid("cubias: dtype must be one of %s" % ", ".join(_arrays.DTYPE_CODE))
    check(lib.cubias_mask_value(_arrays.DTYPE_CODE[dtype], ctypes.byref(v)))
    return v.value


def attention_mask(out, lengths=None, causal=False, causal_offset=0, empty_row="equal"):
    """Fill out [B, Tq, Tk] (or [Tq, Tk]) with an additive mask: 0 where a query may
    attend a key, the dtype's mask value elsewhere. lengths: int32 key lengths [B]
    (padding), on out's device. empty_row: 'equal' or 'zero' (rows with no key)."""
    o = _arrays.Out(out, "out")
    shape = o.view.shape
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3:
        raise invalid("cubias: out must be [B, Tq, Tk] or [Tq, Tk], not shape %s" % (shape,))
    flags = (MACROS["CUBIAS_MASK_CAUSAL"] if causal else 0)
    lv = None
    if lengths is not None:
        lv = _arrays.view(lengths, "lengths", ("int32",))
        if lv.size != shape[0]:
            raise invalid("cubias: lengths has %d entries, out's batch is %d" % (lv.size, shape[0]))
        flags |= MACROS["CUBIAS_MASK_PADDING"]
    h = handle_for(o.view, lv)
    check(lib.cubias_attention_mask(h.ptr, int(flags), lv.ptr if lv else None, shape[0],
                                    shape[1], shape[2], int(causal_offset),
                                    enum("CUBIAS_MASK_EMPTY_ROW_", empty_row, ("equal", "zero")),
                                    o.view.ptr, o.view.code), h.ptr)
    o.commit()
    return out


def relpos_bias_zero(table):
    """Set a relative-position bias table to 0."""
    o = _arrays.Out(table, "table")
    h = handle_for(o.view)
    check(lib.cubias_relpos_bias_zero(h.ptr, o.view.ptr, o.view.size, o.view.code), h.ptr)
    o.commit()
    return table
