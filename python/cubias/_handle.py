"""Library handles: one per backend and device, created on first use and cached."""
import ctypes
import sys
import threading

from ._errors import check, invalid
from ._lib import ENUMS, lib

_BACKENDS = {"auto": ENUMS["CUBIAS_BACKEND_AUTO"], "cpu": ENUMS["CUBIAS_BACKEND_CPU"],
             "cuda": ENUMS["CUBIAS_BACKEND_CUDA"]}


class _DeviceGuard:
    """Make `index` the current CUDA device while a CUDA handle is created."""

    def __init__(self, index):
        self.index, self.ctx = index, None

    def __enter__(self):
        torch = sys.modules.get("torch")
        cupy = sys.modules.get("cupy")
        if torch is not None and torch.cuda.is_available():
            self.ctx = torch.cuda.device(self.index)
        elif cupy is not None:
            self.ctx = cupy.cuda.Device(self.index)
        elif self.index != 0:
            raise invalid("cubias: a CUDA handle on device %d needs torch or cupy to select "
                          "the device" % self.index)
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


class Handle:
    """A cubias_handle_t. backend: 'cpu', 'cuda' or 'auto'; device: the CUDA device index."""

    def __init__(self, backend="cpu", device=0):
        if backend not in _BACKENDS:
            raise invalid("cubias: backend must be 'cpu', 'cuda' or 'auto', not %r" % (backend,))
        self._h = ctypes.c_void_p()
        self._stream = None
        with _DeviceGuard(device) if backend != "cpu" else _Null():
            check(lib.cubias_create(ctypes.byref(self._h), _BACKENDS[backend]))
        b = ctypes.c_int()
        check(lib.cubias_get_backend(self._h, ctypes.byref(b)), self._h)
        self.backend = "cuda" if b.value == ENUMS["CUBIAS_BACKEND_CUDA"] else "cpu"
        self.device = ("cuda", device) if self.backend == "cuda" else ("cpu", 0)

    @property
    def ptr(self):
        return self._h

    def set_stream(self, stream):
        """Order later work on `stream` (an int cudaStream_t; None/0 = legacy default)."""
        stream = int(stream or 0)
        if self.backend == "cuda" and stream != self._stream:
            check(lib.cubias_set_stream(self._h, ctypes.c_void_p(stream)), self._h)
            self._stream = stream

    def synchronize(self):
        check(lib.cubias_synchronize(self._h), self._h)

    def close(self):
        if self._h:
            lib.cubias_destroy(self._h)
            self._h = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_cache = {}
_lock = threading.Lock()


def default_handle(device=("cpu", 0)):
    """The package's cached handle for a device ('cpu', 0) or ('cuda', index)."""
    with _lock:
        h = _cache.get(device)
        if h is None:
            h = Handle("cuda" if device[0] == "cuda" else "cpu", device[1])
            _cache[device] = h
        return h


def handle_for(*views, handle=None):
    """The handle that serves these arrays (all on one device), its stream set to theirs."""
    views = [v for v in views if v is not None]
    devices = {v.device for v in views}
    if len(devices) > 1:
        raise invalid("cubias: arrays on different devices in one call: %s"
                      % ", ".join("%s:%d" % d for d in sorted(devices)))
    device = devices.pop() if devices else (handle.device if handle else ("cpu", 0))
    if handle is None:
        handle = default_handle(device)
    elif views and handle.device != device:
        raise invalid("cubias: the arrays are on %s:%d but the handle/statistics on %s:%d"
                      % (device + handle.device))
    streams = [v.stream for v in views if v.stream is not None]
    if streams:
        handle.set_stream(streams[0])
    return handle
