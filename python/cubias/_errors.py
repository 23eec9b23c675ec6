"""One exception class per cubias_status_t value, carrying the library's message."""
from ._lib import ENUMS, lib


class CubiasError(RuntimeError):
    """A cubias call failed. .status is the cubias_status_t value, .message the
    library's own text (cubias_get_last_error), which names the failing call."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidValueError(CubiasError, ValueError):
    pass


class ShapeMismatchError(CubiasError, ValueError):
    pass


class CubiasOverflowError(CubiasError, OverflowError):
    pass


class HandleMismatchError(CubiasError):
    pass


class WrongMemoryError(CubiasError, ValueError):
    pass


class NoDeviceError(CubiasError):
    pass


class AllocFailedError(CubiasError, MemoryError):
    pass


class CudaError(CubiasError):
    pass


class CublasError(CubiasError):
    pass


class NotSupportedError(CubiasError):
    pass


class NoDataError(CubiasError):
    pass


class InternalError(CubiasError):
    pass


_BY_NAME = {
    "INVALID_VALUE": InvalidValueError, "SHAPE_MISMATCH": ShapeMismatchError,
    "OVERFLOW": CubiasOverflowError, "HANDLE_MISMATCH": HandleMismatchError,
    "WRONG_MEMORY": WrongMemoryError, "NO_DEVICE": NoDeviceError,
    "ALLOC_FAILED": AllocFailedError, "CUDA_ERROR": CudaError, "CUBLAS_ERROR": CublasError,
    "NOT_SUPPORTED": NotSupportedError, "NO_DATA": NoDataError,
    "INTERNAL_ERROR": InternalError,
}
BY_STATUS = {}
for _suffix, _cls in _BY_NAME.items():
    _cls.status = ENUMS["CUBIAS_STATUS_" + _suffix]
    BY_STATUS[_cls.status] = _cls


def check(status, handle=None):
    """Raise the status's exception with the library's message (nothing when SUCCESS)."""
    if status == ENUMS["CUBIAS_STATUS_SUCCESS"]:
        return
    msg = lib.cubias_get_last_error(handle)
    msg = msg.decode("utf-8", "replace") if msg else ""
    if not msg:
        msg = lib.cubias_status_string(status).decode()
    raise BY_STATUS.get(status, CubiasError)(msg, status)


def invalid(message):
    """A refusal made by the Python layer before any C call (same class as the library's)."""
    return InvalidValueError(message, ENUMS["CUBIAS_STATUS_INVALID_VALUE"])
