"""CuPy arrays (through __cuda_array_interface__). Skips visibly where CuPy does not
import or no CUDA device answers."""
import numpy as np
import pytest

cp = pytest.importorskip("cupy", reason="CuPy not installed")
import cubias  # noqa: E402
from conftest import assert_mean  # noqa: E402

try:
    _HAVE_GPU = cp.cuda.runtime.getDeviceCount() > 0
except Exception:  # pragma: no cover
    _HAVE_GPU = False
pytestmark = pytest.mark.skipif(not _HAVE_GPU, reason="no CUDA device")


def test_stats_and_bias_on_cupy():
    x = cp.random.standard_normal((512, 6), dtype=cp.float32) + 1
    s = cubias.Stats(6, device="cuda").accumulate(x)
    ref = cp.asnumpy(x).astype(np.float64)
    assert_mean(s.mean, ref.mean(0), ref.std(0))
    b = cp.zeros(6, cp.float32)
    cubias.center_from_preact(s, b)
    np.testing.assert_allclose(cp.asnumpy(b), -ref.mean(0), rtol=1e-5)
