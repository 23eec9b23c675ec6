import os

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO_HEADER = os.path.join(REPO, "include", "cubias.h")

try:
    import ml_dtypes
    BF16 = ml_dtypes.bfloat16
except ImportError:  # pragma: no cover
    BF16 = None

# dtypes a NumPy array can carry into cubias: f32, f16, and ml_dtypes' bfloat16 where present
NP_DTYPES = [np.float32, np.float16] + ([BF16] if BF16 is not None else [])


@pytest.fixture
def rng():
    return np.random.default_rng(20)


def rounded(x, dtype):
    """x as stored in dtype, back in fp64 (the data the library sees)."""
    return np.asarray(x, dtype=dtype).astype(np.float64)


def assert_mean(actual, ref_mean, ref_std, msg=""):
    """The documented bound (README, numerics): |mean - ref| <= 1e-7 |ref| + 1e-6 std."""
    actual, ref_mean, ref_std = map(np.asarray, (actual, ref_mean, ref_std))
    bound = 1e-7 * np.abs(ref_mean) + 1e-6 * ref_std
    assert np.all(np.abs(actual - ref_mean) <= bound), (msg, actual, ref_mean, bound)


def assert_var(actual, ref_var, msg=""):
    """Variance within 1e-5 relative (README)."""
    np.testing.assert_allclose(actual, ref_var, rtol=1e-5, err_msg=msg)
