import os

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO_HEADER = os.path.join(REPO, "include", "cubias.h")

# dtypes a NumPy array can carry into cubias: f32, f16, and ml_dtypes' bfloat16 where
# it imports (the bfloat16 cases skip visibly where it does not)
NP_DTYPES = ["float32", "float16", "bfloat16"]


def np_dtype(name):
    if name == "bfloat16":
        ml = pytest.importorskip("ml_dtypes", reason="NumPy bfloat16 needs ml_dtypes")
        return ml.bfloat16
    return np.dtype(name).type


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
