"""The derivations: each writes the bias array it is given, in place.

NumPy arrays (and raw CUDA arrays) are written by the library itself, which
writes nothing on failure; PyTorch tensors through tensor.copy_ (see
_arrays.Out). Optional reports come back as NumPy arrays."""
import ctypes
import sys

import numpy as np

from . import _arrays, _errors
from ._arrays import need_size
from ._errors import check
from ._handle import handle_for
from ._lib import ENUMS, MACROS, TensorStruct, lib
from ._stats import activation_code, enum, tensor_struct, weight_view

MACRO_REVIVE = MACROS["CUBIAS_REVIVE_DEFAULT_BIAS"]


def _target(t):
    return None if t is None else ctypes.byref(ctypes.c_double(float(t)))


def _scratch(handle, n, dtype):
    """A backend buffer of n entries (NumPy on CPU; torch or cupy on CUDA) and a reader."""
    if handle.backend == "cpu":
        a = np.zeros(n, dtype=dtype)
        return a, a.ctypes.data, lambda: a
    torch = sys.modules.get("torch")
    if torch is not None:
        tdt = {np.float64: torch.float64, np.int64: torch.int64}[dtype]
        a = torch.zeros(n, dtype=tdt, device="cuda:%d" % handle.device[1])
        return a, a.data_ptr(), lambda: a.cpu().numpy()
    import cupy
    with cupy.cuda.Device(handle.device[1]):
        a = cupy.zeros(n, dtype=dtype)
    return a, a.data.ptr, lambda: cupy.asnumpy(a)


def _run(fn, handle, *args):
    check(fn(handle.ptr, *args), handle.ptr)


def center_from_input(x_stats, W, bias, target=0.0):
    """bias_j = t - sum_i W(j, i) mu_x[i] (centering from input); W [out, in] (or its transpose view)."""
    o = _arrays.Out(bias)
    wv, w = weight_view(W)
    need_size(o.view, w.out)
    h = handle_for(o.view, wv, handle=x_stats.handle)
    _run(lib.cubias_center_from_input, h, x_stats.ptr, ctypes.byref(w), _target(target),
         o.view.ptr, o.view.code)
    o.commit()
    return bias


def center_conv_from_input(x_stats, W, bias, target=0.0):
    """bias_j = t - sum_{c,u,v} W[j, c, u, v] mu_x[c] (centering a convolution from its
    input statistics); W the kernel [out, in, kh, kw, ...] (nn.Conv2d.weight), x_stats
    over the convolution's input (in channels). See cubias.h for the zero-padding
    border effect."""
    shape = tuple(W.shape)
    if len(shape) < 3:
        raise _errors.InvalidValueError(
            "cubias: W must be a convolution kernel [out, in, kh, ...], not shape %s" % (shape,))
    area = 1
    for d in shape[2:]:
        area *= int(d)
    o = _arrays.Out(bias)
    wv, w = weight_view(W)
    need_size(o.view, w.out)
    h = handle_for(o.view, wv, handle=x_stats.handle)
    _run(lib.cubias_center_conv_from_input, h, x_stats.ptr, ctypes.byref(w), area,
         _target(target), o.view.ptr, o.view.code)
    o.commit()
    return bias


def center_from_preact(z_stats, bias, target=0.0):
    """bias_j -= mu_z[j] - t (centering from pre-activation), z measured with the current bias."""
    o = _arrays.Out(bias)
    need_size(o.view, z_stats.channels)
    h = handle_for(o.view, handle=z_stats.handle)
    _run(lib.cubias_center_from_preact, h, z_stats.ptr, _target(target), o.view.ptr, o.view.code)
    o.commit()
    return bias


def normalize_from_preact(z_stats, W, bias=None, s=1.0, t=0.0):
    """LSUV (data-dependent normalisation): W_j <- s W_j / sigma_j, b_j <- s (b_j - mu_j) / sigma_j + t.
    Returns the number of channels skipped (no data or sigma = 0)."""
    wo, w = weight_view(W, writable=True)
    o = _arrays.Out(bias) if bias is not None else None
    if o:
        need_size(o.view, w.out)
    h = handle_for(wo.view, o.view if o else None, handle=z_stats.handle)
    skipped, ptr, read = _scratch(h, 1, np.int64)
    _run(lib.cubias_normalize_from_preact, h, z_stats.ptr, float(s), float(t), ctypes.byref(w),
         o.view.ptr if o else None, o.view.code if o else ENUMS["CUBIAS_DTYPE_F32"], ptr)
    wo.commit()
    if o:
        o.commit()
    return int(read()[0])


def postact_shift(z_stats, W_next, bias_next, source="measured", target=0.0, report=False):
    """b_next = t - W_next E[phi(z)] (post-activation shift). source 'measured' or 'gaussian'.
    report=True returns a dict of per-channel arrays (how Gaussian the layer is)."""
    o = _arrays.Out(bias_next, "bias_next")
    wv, w = weight_view(W_next, "W_next")
    need_size(o.view, w.out, "bias_next")
    h = handle_for(o.view, wv, handle=z_stats.handle)
    rep = _scratch(h, 4 * z_stats.channels, np.float64) if report else (None, None, None)
    _run(lib.cubias_postact_shift, h, z_stats.ptr,
         enum("CUBIAS_POSTACT_", source, ("measured", "gaussian")), ctypes.byref(w),
         _target(target), o.view.ptr, o.view.code, rep[1])
    o.commit()
    if not report:
        return bias_next
    r = rep[2]().reshape(4, -1)
    return {"mean_error": r[0], "var_error": r[1], "gaussian_mean": r[2], "gaussian_var": r[3]}


def gaussian_act_moments(activation, mu, sigma, slope=0.0):
    """(E[phi], Var[phi], P(z <= 0)) for z ~ N(mu, sigma^2): identity, ReLU, leaky ReLU."""
    m, v, d = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check(lib.cubias_gaussian_act_moments(activation_code(activation), float(slope), float(mu),
                                          float(sigma), ctypes.byref(m), ctypes.byref(v),
                                          ctypes.byref(d)))
    return m.value, v.value, d.value


def _tensor_array(zs, channel_axis):
    zs = zs if isinstance(zs, (list, tuple)) else [zs]
    views = [_arrays.view(z, "z[%d]" % i) for i, z in enumerate(zs)]
    arr = (TensorStruct * len(views))()
    for i, v in enumerate(views):
        arr[i] = tensor_struct(v, channel_axis)
    return views, arr


def symmetric_shift(activation, z_stats, z, bias, channel_axis=None):
    """tanh/sigmoid (symmetric shift): shift each bias to the peak of E[phi'(z + delta)].
    z: the pre-activations (an array or a list of arrays). Returns
    (E[phi'] at the optimum, delta) per channel."""
    o = _arrays.Out(bias)
    need_size(o.view, z_stats.channels)
    views, arr = _tensor_array(z, channel_axis)
    h = handle_for(o.view, *views, handle=z_stats.handle)
    rep, ptr, read = _scratch(h, 2 * z_stats.channels, np.float64)
    _run(lib.cubias_symmetric_shift, h, activation_code(activation), z_stats.ptr, arr, len(views),
         o.view.ptr, o.view.code, ptr)
    o.commit()
    r = read().reshape(2, -1)
    return r[0], r[1]


def revive_constant(z_stats, bias, value=None, all_channels=False):
    """bias <- value (default 0.1) on the dead units (or every channel).
    Returns (units dead before, units still dead after)."""
    value = MACRO_REVIVE if value is None else value
    o = _arrays.Out(bias)
    need_size(o.view, z_stats.channels)
    h = handle_for(o.view, handle=z_stats.handle)
    dead, ptr, read = _scratch(h, 2, np.int64)
    _run(lib.cubias_revive_constant, h, z_stats.ptr, float(value), int(bool(all_channels)),
         o.view.ptr, o.view.code, ptr)
    o.commit()
    r = read()
    return int(r[0]), int(r[1])


def revive_quantile(z_stats, z, bias, p_min, margin=1e-3, channel_axis=None):
    """Smallest shift making the active fraction >= p_min on z (dead-unit revival, data-driven).
    Returns (units dead before, units still dead after)."""
    o = _arrays.Out(bias)
    need_size(o.view, z_stats.channels)
    views, arr = _tensor_array(z, channel_axis)
    h = handle_for(o.view, *views, handle=z_stats.handle)
    dead, ptr, read = _scratch(h, 2, np.int64)
    _run(lib.cubias_revive_quantile, h, z_stats.ptr, arr, len(views), float(p_min), float(margin),
         o.view.ptr, o.view.code, ptr)
    o.commit()
    r = read()
    return int(r[0]), int(r[1])
