"""Per-channel statistics (cubias_stats_t) and the tensor / weight views."""
import ctypes
import math

import numpy as np

from . import _arrays
from ._errors import check, invalid
from ._handle import default_handle, handle_for
from ._lib import ENUMS, ChannelStatsStruct, TensorStruct, WeightStruct, lib

ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu")
FIELDS = ("count", "nonfinite", "positive", "mean", "var", "var_unbiased", "std", "min", "max",
          "active_fraction", "phi_mean", "phi_sq_mean", "dphi_sq_mean")
# The record read by Stats.read(): cubias_channel_stats_t as a NumPy dtype.
CHANNEL_STATS_DTYPE = np.dtype(ChannelStatsStruct)


def enum(prefix, name, choices):
    if isinstance(name, str) and name.lower() in choices:
        return ENUMS[prefix + name.upper()]
    raise invalid("cubias: %r is not one of %s" % (name, ", ".join(choices)))


def activation_code(act):
    return enum("CUBIAS_ACT_", act, ACTIVATIONS)


def parse_device(device):
    if isinstance(device, tuple):
        return device
    s = str(device)
    if s == "cpu":
        return ("cpu", 0)
    if s.startswith("cuda"):
        return ("cuda", int(s.split(":")[1]) if ":" in s else 0)
    raise invalid("cubias: device must be 'cpu', 'cuda' or 'cuda:N', not %r" % (device,))


def tensor_struct(v, channel_axis=None):
    """cubias_tensor_t of a View: (outer, channels, inner) around channel_axis
    (default 1: [N, D] rows, NCHW, NCL; pass -1 for NHWC or [T, N, D])."""
    shape = v.shape if v.shape else (1,)
    if len(shape) == 1:
        shape = (shape[0], 1)
    axis = 1 if channel_axis is None else channel_axis
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis < len(shape):
        raise invalid("cubias: channel_axis %r out of range for shape %s" % (channel_axis, shape))
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    t = TensorStruct()
    check(lib.cubias_tensor_make(ctypes.byref(t), v.ptr, v.code, outer, shape[axis], inner))
    return t


def _transposed(W):
    if isinstance(W, np.ndarray):
        return W.T if W.ndim == 2 and W.T.flags["C_CONTIGUOUS"] else None
    if _arrays._is_torch(W) and W.dim() == 2 and W.t().is_contiguous() and not W.is_contiguous():
        return W.t()
    return None


def weight_view(W, name="W", writable=False):
    """(View or Out, cubias_weight_t) of a weight: [out, in] C-contiguous (row-major,
    nn.Linear), its transpose view (column-major), or a convolution kernel
    [out, in, kh, kw] (the row-major matrix [out, in*kh*kw])."""
    layout = ENUMS["CUBIAS_WEIGHT_ROW_MAJOR"]
    src = W
    t = _transposed(W)
    if t is not None:
        src, layout = t, ENUMS["CUBIAS_WEIGHT_COL_MAJOR"]
    holder = _arrays.Out(src, name) if writable else None
    v = holder.view if writable else _arrays.view(src, name)
    if len(v.shape) < 2:
        raise invalid("cubias: %s must have 2 or more dimensions [out, in, ...], not shape %s"
                      % (name, v.shape))
    if layout == ENUMS["CUBIAS_WEIGHT_COL_MAJOR"]:
        out, fan_in = v.shape[1], v.shape[0]
    else:
        out, fan_in = v.shape[0], math.prod(v.shape[1:])
    w = WeightStruct()
    check(lib.cubias_weight_make(ctypes.byref(w), v.ptr, v.code, out, fan_in, layout, 0))
    return (holder if writable else v), w


class Stats:
    """Per-channel statistics of a layer's values, accumulated over batches.

    Stats(channels, activation='identity', slope=0.0, device='cpu') lives on the
    CPU backend ('cpu') or on a CUDA device ('cuda', 'cuda:1'); batches must be on
    the same device. activation is phi of E[phi(z)], E[phi(z)^2], E[phi'(z)^2]
    (slope: the leaky-ReLU slope)."""

    def __init__(self, channels, activation="identity", slope=0.0, device="cpu", handle=None):
        self.handle = handle or default_handle(parse_device(device))
        self.activation = activation
        self.slope = float(slope)
        self.channels = int(channels)
        self._s = ctypes.c_void_p()
        check(lib.cubias_stats_create(self.handle.ptr, self.channels, activation_code(activation),
                                      self.slope, ctypes.byref(self._s)), self.handle.ptr)

    @property
    def ptr(self):
        return self._s

    @property
    def device(self):
        return self.handle.device

    def accumulate(self, x, channel_axis=None):
        """Add a batch (NumPy array or tensor; f32/f16/bf16, contiguous).
        channel_axis: 1 by default ([N, D], NCHW); -1 for NHWC or [T, N, D]."""
        v = _arrays.view(x, "x")
        h = handle_for(v, handle=self.handle)
        t = tensor_struct(v, channel_axis)
        check(lib.cubias_stats_accumulate(h.ptr, self._s, ctypes.byref(t)), h.ptr)
        return self

    def merge(self, other):
        """self <- merge(self, other); other is unchanged."""
        check(lib.cubias_stats_merge(self.handle.ptr, self._s, other.ptr), self.handle.ptr)
        return self

    def reset(self):
        check(lib.cubias_stats_reset(self.handle.ptr, self._s), self.handle.ptr)
        return self

    def read(self):
        """Every channel's results as a NumPy structured array (r["mean"]; fields count, nonfinite,
        positive, mean, var, var_unbiased, min, max, active_fraction, phi_mean,
        phi_sq_mean, dphi_sq_mean). Synchronises."""
        out = np.zeros(self.channels, dtype=CHANNEL_STATS_DTYPE)
        check(lib.cubias_stats_read(self.handle.ptr, self._s, out.ctypes.data), self.handle.ptr)
        return out

    def field(self, name):
        """One field for every channel as a float64 NumPy array (e.g. 'mean', 'std')."""
        out = np.empty(self.channels, dtype=np.float64)
        check(lib.cubias_stats_write_field(self.handle.ptr, self._s,
                                           enum("CUBIAS_FIELD_", name, FIELDS), out.ctypes.data),
              self.handle.ptr)
        return out

    def write_field(self, name, out):
        """Write one field for every channel into out (float64, channels entries, on the
        statistics' device; a PyTorch tensor is written through tensor.copy_)."""
        o = _arrays.Out(out, "out", dtypes=("float64",))
        if o.view.size != self.channels:
            raise invalid("cubias: out has %d entries, the statistics %d channels"
                          % (o.view.size, self.channels))
        h = handle_for(o.view, handle=self.handle)
        check(lib.cubias_stats_write_field(h.ptr, self._s, enum("CUBIAS_FIELD_", name, FIELDS),
                                           o.view.ptr), h.ptr)
        o.commit()
        return out

    def export(self):
        """The partial state as bytes (CPU statistics), for import_merge elsewhere."""
        n = ctypes.c_size_t()
        check(lib.cubias_stats_export_size(self._s, ctypes.byref(n)), self.handle.ptr)
        buf = np.zeros((n.value + 7) // 8, dtype=np.uint64)
        check(lib.cubias_stats_export(self.handle.ptr, self._s, buf.ctypes.data), self.handle.ptr)
        return buf.tobytes()[:n.value]

    def import_merge(self, data):
        buf = np.frombuffer(bytes(data) + b"\0" * (-len(data) % 8), dtype=np.uint64).copy()
        check(lib.cubias_stats_import_merge(self.handle.ptr, self._s, buf.ctypes.data),
              self.handle.ptr)
        return self

    def close(self):
        if self._s:
            lib.cubias_stats_destroy(self._s)
            self._s = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __getattr__(self, name):
        if name in FIELDS:          # stats.mean, stats.std, ... as float64 arrays
            return self.field(name)
        raise AttributeError(name)
