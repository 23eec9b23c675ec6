"""cubias: set the biases of neural-network layers from data.

NumPy arrays run on the CPU backend; PyTorch tensors, CuPy arrays and anything
with __cuda_array_interface__ or DLPack on the backend of their device (CUDA
on the array's device and stream). Every derivation writes the bias array it
is given, in place (PyTorch tensors through tensor.copy_, so autograd sees the
write); failures raise a CubiasError subclass carrying the library's message,
and nothing is written. See README.md (Python) and python/examples.
"""
from ._lib import ENUMS, MACROS, lib  # noqa: F401  (lib: the raw ctypes binding)
from ._errors import (AllocFailedError, CubiasError, CubiasOverflowError, CudaError,  # noqa: F401
                      CublasError, HandleMismatchError, InternalError, InvalidValueError,
                      NoDataError, NoDeviceError, NotSupportedError, ShapeMismatchError,
                      WrongMemoryError)
from ._handle import Handle, default_handle  # noqa: F401
from ._stats import ACTIVATIONS, CHANNEL_STATS_DTYPE, FIELDS, Stats  # noqa: F401
from ._derive import (center_conv_from_input, center_from_input, center_from_preact,  # noqa: F401
                      gaussian_act_moments, normalize_from_preact, postact_shift,
                      revive_constant, revive_quantile, symmetric_shift)
from ._heads import (attention_mask, gate_target, mask_value, optimistic_value,  # noqa: F401
                     prior_regression_from_stats, prior_sigmoid_from_probs,
                     prior_sigmoid_from_targets, prior_single, prior_softmax_from_labels,
                     prior_softmax_from_probs, relpos_bias_zero, rnn_gate_bias_cudnn,
                     rnn_gate_bias_keras, rnn_gate_bias_pytorch_flat)
from ._gain import (GainReport, gain_report, meanfield_critical, meanfield_fixed_point,  # noqa: F401
                    meanfield_moments, weight_gain)


def version():
    """The library's runtime version (major, minor, patch)."""
    import ctypes
    v = [ctypes.c_int() for _ in range(3)]
    lib.cubias_get_version(*[ctypes.byref(x) for x in v])
    return tuple(x.value for x in v)
