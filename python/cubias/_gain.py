"""The gradient-gain check and the mean-field theory."""
import ctypes
import json

import numpy as np

from ._errors import check, invalid
from ._handle import handle_for
from ._lib import STRUCTS, lib
from ._stats import activation_code, weight_view
from ._derive import _scratch as _scratch_for

GainLayer = STRUCTS["cubias_gain_layer_t"]
GainOptions = STRUCTS["cubias_gain_options_t"]
LayerReport = STRUCTS["cubias_gain_layer_report_t"]
Summary = STRUCTS["cubias_gain_summary_t"]
MeanField = STRUCTS["cubias_meanfield_t"]
LAYER_REPORT_DTYPE = np.dtype(LayerReport)

_libc = ctypes.CDLL(None)
for _n, _r, _a in (("tmpfile", ctypes.c_void_p, []), ("fflush", ctypes.c_int, [ctypes.c_void_p]),
                   ("ftell", ctypes.c_long, [ctypes.c_void_p]),
                   ("rewind", None, [ctypes.c_void_p]),
                   ("fread", ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                               ctypes.c_void_p]),
                   ("fclose", ctypes.c_int, [ctypes.c_void_p])):
    getattr(_libc, _n).restype, getattr(_libc, _n).argtypes = _r, _a


def weight_gain(weights):
    """fan_in * E[W^2] of each weight (sigma_w^2 of the mean-field theory; 2 for He)."""
    held = [weight_view(W, "weights[%d]" % i) for i, W in enumerate(weights)]
    if not held:
        raise invalid("cubias: weight_gain needs at least one weight")
    arr = (STRUCTS["cubias_weight_t"] * len(held))(*[w for _, w in held])
    h = handle_for(*[v for v, _ in held])
    buf, ptr, read = _scratch_for(h, len(held), np.float64)
    check(lib.cubias_weight_gain(h.ptr, len(held), arr, ptr), h.ptr)
    return read()


class GainReport:
    """The per-layer report (.layers: a NumPy structured array with the fields of
    cubias_gain_layer_report_t; verdicts as ints, .verdicts() as names) and the
    summary (.summary: a dict). str() / .table() give the library's table."""

    def __init__(self, rep, summary):
        self._rep, self._sum = rep, summary
        self.layers = np.frombuffer(bytes(rep), dtype=LAYER_REPORT_DTYPE).copy()
        self.summary = {n: getattr(summary, n) for n, _ in Summary._fields_}

    def verdict_names(self, field="verdict"):
        return [lib.cubias_gain_verdict_string(int(v)).decode() for v in self.layers[field]]

    def table(self):
        f = _libc.tmpfile()
        if not f:
            raise OSError("cubias: tmpfile() failed")
        try:
            check(lib.cubias_gain_print(f, len(self._rep), self._rep, ctypes.byref(self._sum)))
            _libc.fflush(f)
            n = _libc.ftell(f)
            _libc.rewind(f)
            buf = ctypes.create_string_buffer(n)
            _libc.fread(buf, 1, n, f)
            return buf.raw[:n].decode()
        finally:
            _libc.fclose(f)

    def json(self):
        """The library's JSON, parsed (NaN as None)."""
        n = ctypes.c_size_t()
        check(lib.cubias_gain_json_buffer(None, 0, ctypes.byref(n), len(self._rep), self._rep,
                                          ctypes.byref(self._sum)))
        buf = ctypes.create_string_buffer(n.value + 1)
        check(lib.cubias_gain_json_buffer(buf, n.value + 1, ctypes.byref(n), len(self._rep),
                                          self._rep, ctypes.byref(self._sum)))
        return json.loads(buf.value.decode())

    def __str__(self):
        return self.table()


def gain_report(layers, threshold=0.0, target_chi=0.0):
    """layers: [(W, preact_stats, grad_stats or None), ...] from the input to the output.
    Predicts (and, with gradient statistics, measures) each layer's gradient gain."""
    if not layers:
        raise invalid("cubias: gain_report needs at least one layer")
    arr = (GainLayer * len(layers))()
    held, handle = [], None
    for i, layer in enumerate(layers):
        W, pre, grad = (tuple(layer) + (None,))[:3]
        v, w = weight_view(W, "layers[%d].W" % i)
        held.append(v)
        arr[i].weight = w
        arr[i].preact = pre.ptr
        arr[i].grad = grad.ptr if grad is not None else None
        handle = handle or pre.handle
    h = handle_for(*held, handle=handle)
    opts = GainOptions(float(threshold), float(target_chi))
    rep, summ = (LayerReport * len(layers))(), Summary()
    check(lib.cubias_gain_report(h.ptr, len(layers), arr, ctypes.byref(opts), rep,
                                 ctypes.byref(summ)), h.ptr)
    return GainReport(rep, summ)


def meanfield_fixed_point(activation, sigma_w2, sigma_b2=0.0, slope=0.0):
    """{'q_star', 'chi1', 'depth_scale', 'iterations', 'converged'} (Poole et al. 2016)."""
    out = MeanField()
    check(lib.cubias_meanfield_fixed_point(activation_code(activation), float(slope),
                                           float(sigma_w2), float(sigma_b2), ctypes.byref(out)))
    return {n: getattr(out, n) for n, _ in MeanField._fields_}


def meanfield_critical(activation, sigma_b2=0.0, slope=0.0):
    """The sigma_w^2 with chi_1 = 1 (the edge of chaos)."""
    v = ctypes.c_double()
    check(lib.cubias_meanfield_critical(activation_code(activation), float(slope),
                                        float(sigma_b2), ctypes.byref(v)))
    return v.value


def meanfield_moments(activation, q, slope=0.0):
    """(E[phi(sqrt(q) z)^2], E[phi'(sqrt(q) z)^2]), z ~ N(0, 1)."""
    a, b = ctypes.c_double(), ctypes.c_double()
    check(lib.cubias_meanfield_moments(activation_code(activation), float(slope), float(q),
                                       ctypes.byref(a), ctypes.byref(b)))
    return a.value, b.value
