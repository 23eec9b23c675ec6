"""Arrays as they come: NumPy, PyTorch, CuPy / __cuda_array_interface__, DLPack.

view(obj) gives the pointer, dtype, shape and device of an array without
copying it. Only C-contiguous arrays are accepted (a non-contiguous one is
refused with a message saying so: the C API reads dense memory). A NumPy
array, a CPU tensor or a CPU DLPack capsule is served by the CPU backend; a
CUDA tensor, anything with __cuda_array_interface__ (CuPy, Numba) or a CUDA
DLPack capsule by the CUDA backend on the array's device and stream.
"""
import ctypes
import sys

import numpy as np

from ._errors import invalid
from ._lib import ENUMS

FLOAT_DTYPES = ("float32", "float16", "bfloat16")
DTYPE_CODE = {"float32": ENUMS["CUBIAS_DTYPE_F32"], "float16": ENUMS["CUBIAS_DTYPE_F16"],
              "bfloat16": ENUMS["CUBIAS_DTYPE_BF16"]}
_ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int32": 4,
             "int64": 8, "uint8": 1}


class View:
    """A dense array seen through its pointer. obj keeps the memory alive."""

    __slots__ = ("ptr", "dtype", "shape", "device", "stream", "obj", "kind")

    def __init__(self, ptr, dtype, shape, device, stream, obj, kind):
        self.ptr, self.dtype, self.shape = ptr, dtype, tuple(int(s) for s in shape)
        self.device, self.stream, self.obj, self.kind = device, stream, obj, kind

    @property
    def size(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def code(self):
        return DTYPE_CODE[self.dtype]


def _torch():
    return sys.modules.get("torch")


def _is_torch(obj):
    t = _torch()
    return t is not None and isinstance(obj, t.Tensor)


_NP_NAMES = {}


def _np_dtype_name(dt):
    name = _NP_NAMES.get(dt)           # dtype.name is slow: cache it per dtype
    if name is None:
        name = _NP_NAMES[dt] = dt.name  # ml_dtypes.bfloat16 is named "bfloat16"
    return name


def _dense_strides(shape, itemsize):
    strides, acc = [], itemsize
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(int(s), 1)
    return tuple(reversed(strides))


def _check_dense(shape, strides_bytes, itemsize, name):
    if strides_bytes is None:
        return
    for s, st, want in zip(shape, strides_bytes, _dense_strides(shape, itemsize)):
        if s > 1 and st != want:
            raise invalid("cubias: %s is not C-contiguous (shape %s, strides %s bytes); pass a "
                          "contiguous array (e.g. .contiguous() / np.ascontiguousarray)"
                          % (name, tuple(shape), tuple(strides_bytes)))


def _from_torch(t, name):
    if not t.is_contiguous():
        raise invalid("cubias: %s is not contiguous (shape %s, strides %s); pass "
                      "tensor.contiguous()" % (name, tuple(t.shape), tuple(t.stride())))
    dtype = str(t.dtype).replace("torch.", "")
    if t.device.type == "cuda":
        idx = t.device.index if t.device.index is not None else _torch().cuda.current_device()
        stream = _torch().cuda.current_stream(idx).cuda_stream
        return View(t.data_ptr(), dtype, t.shape, ("cuda", idx), stream, t, "torch")
    if t.device.type != "cpu":
        raise invalid("cubias: %s is on device %s; cubias serves cpu and cuda" % (name, t.device))
    return View(t.data_ptr(), dtype, t.shape, ("cpu", 0), None, t, "torch")


def _from_numpy(a, name, writable):
    if not a.flags["C_CONTIGUOUS"]:
        raise invalid("cubias: %s is not C-contiguous (shape %s, strides %s bytes); pass "
                      "np.ascontiguousarray(...)" % (name, a.shape, a.strides))
    if writable and not a.flags["WRITEABLE"]:
        raise invalid("cubias: %s is read-only and is written by this call" % name)
    return View(a.ctypes.data, _np_dtype_name(a.dtype), a.shape, ("cpu", 0), None, a, "numpy")


_CAI_TYPES = {"<f4": "float32", "<f2": "float16", "<f8": "float64", "<i4": "int32",
              "<i8": "int64", "|u1": "uint8", "<u1": "uint8", "|i1": "int8"}


def _current_cuda_device():
    t = _torch()
    if t is not None and t.cuda.is_available():
        return t.cuda.current_device()
    cp = sys.modules.get("cupy")
    if cp is not None:
        return cp.cuda.Device().id
    return 0


def _from_cai(obj, name):
    cai = obj.__cuda_array_interface__
    typestr = cai["typestr"]
    if typestr == "<V2" and "bfloat16" in str(getattr(obj, "dtype", "")):
        dtype = "bfloat16"
    else:
        dtype = _CAI_TYPES.get(typestr, typestr)
    shape = tuple(cai["shape"])
    _check_dense(shape, cai.get("strides"), _ITEMSIZE.get(dtype, 1), name)
    ptr, _readonly = cai["data"]
    dev = getattr(getattr(obj, "device", None), "id", None)
    if dev is None:
        dev = _current_cuda_device()
    stream = cai.get("stream")
    return View(ptr or 0, dtype, shape, ("cuda", int(dev)), stream, obj, "cai")


# ---- DLPack (the C structs of dlpack.h, version 0.x capsules) -----------------
class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_DL_CODES = {(2, 32): "float32", (2, 16): "float16", (2, 64): "float64", (4, 16): "bfloat16",
             (0, 32): "int32", (0, 64): "int64", (1, 8): "uint8"}
_GetPointer = ctypes.pythonapi.PyCapsule_GetPointer
_GetPointer.restype = ctypes.c_void_p
_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _from_dlpack(obj, name):
    dev_type, dev_id = obj.__dlpack_device__()
    kw = {"stream": 1} if dev_type == 2 else {}
    capsule = obj.__dlpack__(**kw)       # not consumed: its deleter runs when it dies
    t = _DLTensor.from_address(_GetPointer(capsule, b"dltensor"))
    shape = tuple(t.shape[i] for i in range(t.ndim))
    dtype = _DL_CODES.get((t.dtype.code, t.dtype.bits))
    if dtype is None or t.dtype.lanes != 1:
        raise invalid("cubias: %s has a DLPack dtype (code %d, %d bits, %d lanes) cubias does "
                      "not read" % (name, t.dtype.code, t.dtype.bits, t.dtype.lanes))
    item = t.dtype.bits // 8
    if t.strides:
        _check_dense(shape, tuple(t.strides[i] * item for i in range(t.ndim)), item, name)
    ptr = (t.data or 0) + t.byte_offset
    if dev_type == 1 or dev_type == 3:
        return View(ptr, dtype, shape, ("cpu", 0), None, capsule, "dlpack")
    if dev_type == 2:
        return View(ptr, dtype, shape, ("cuda", int(dev_id)), 1, capsule, "dlpack")
    raise invalid("cubias: %s is on DLPack device type %d; cubias serves CPU and CUDA"
                  % (name, dev_type))


def view(obj, name="array", dtypes=FLOAT_DTYPES, writable=False):
    """A View of obj (no copy), refused unless dense and one of dtypes."""
    if _is_torch(obj):
        v = _from_torch(obj, name)
    elif isinstance(obj, np.ndarray):
        v = _from_numpy(obj, name, writable)
    elif hasattr(obj, "__cuda_array_interface__"):
        v = _from_cai(obj, name)
    elif hasattr(obj, "__dlpack__") and hasattr(obj, "__dlpack_device__"):
        v = _from_dlpack(obj, name)
    else:
        raise invalid("cubias: %s must be a NumPy array, a PyTorch tensor, a CuPy array or "
                      "another __cuda_array_interface__ / DLPack array (got %s)"
                      % (name, type(obj).__name__))
    if v.dtype not in dtypes:
        raise invalid("cubias: %s has dtype %s; this call takes %s"
                      % (name, v.dtype, " or ".join(dtypes)))
    return v


class Out:
    """Where a call writes. NumPy and other raw arrays are written in place by the
    library (which writes nothing on failure). A PyTorch tensor is written
    through PyTorch: the library writes a private copy, then commit() copies it
    with tensor.copy_ under no_grad, so autograd's version counter sees the write
    (and a failed call leaves the tensor as it was)."""

    def __init__(self, obj, name="bias", dtypes=FLOAT_DTYPES):
        self.target = obj
        if _is_torch(obj):
            view(obj, name, dtypes)                      # refuse before copying
            self.tmp = obj.detach().clone()
            self.view = view(self.tmp, name, dtypes)
        else:
            self.tmp = None
            self.view = view(obj, name, dtypes, writable=True)

    def commit(self):
        if self.tmp is not None:
            with _torch().no_grad():
                self.target.copy_(self.tmp)


def need_size(v, n, name="bias"):
    """Refuse (ShapeMismatchError) an array whose element count is not n: the C API
    takes bias buffers by pointer only, so their length is checked here."""
    if v.size != n:
        from ._errors import ShapeMismatchError
        from ._lib import ENUMS as _E
        raise ShapeMismatchError("cubias: %s has %d entries; this call writes %d"
                                 % (name, v.size, n), _E["CUBIAS_STATUS_SHAPE_MISMATCH"])
