"""Stats on NumPy arrays against fp64 references."""
import numpy as np
import pytest

import cubias
from conftest import NP_DTYPES, np_dtype, assert_mean, assert_var, rounded


def _ref(z):
    """Per-channel fp64 reference of [N, C] data (finite entries only)."""
    return {"count": np.isfinite(z).sum(0), "mean": np.nanmean(z, 0), "var": np.nanvar(z, 0),
            "min": np.nanmin(z, 0), "max": np.nanmax(z, 0),
            "active_fraction": (z > 0).sum(0) / np.isfinite(z).sum(0),
            "phi_mean": np.maximum(z, 0).mean(0), "phi_sq_mean": (np.maximum(z, 0) ** 2).mean(0),
            "dphi_sq_mean": (z > 0).mean(0)}


@pytest.mark.parametrize("dtype_name", NP_DTYPES)
def test_batches_against_fp64_reference(rng, dtype_name):
    dtype = np_dtype(dtype_name)
    x = (rng.normal(0.3, 2.0, size=(300, 5))).astype(dtype)
    s = cubias.Stats(5, "relu")
    s.accumulate(x[:100]).accumulate(x[100:])
    r = s.read()
    ref = _ref(rounded(x, dtype))
    for k in ("count", "min", "max", "active_fraction"):           # exact
        np.testing.assert_array_equal(r[k], ref[k], err_msg=k)
    assert_mean(r["mean"], ref["mean"], np.sqrt(ref["var"]))
    assert_var(r["var"], ref["var"])
    assert_var(r["var_unbiased"], ref["var"] * 300 / 299)
    for k in ("phi_mean", "phi_sq_mean", "dphi_sq_mean"):        # 1e-6 relative
        np.testing.assert_allclose(r[k], ref[k], rtol=1e-6, err_msg=k)
    np.testing.assert_allclose(s.std, np.sqrt(ref["var"]), rtol=1e-5)
    assert r.dtype.names == tuple(f for f in cubias.FIELDS if f != "std")


def test_nchw_and_channel_last(rng):
    x = rng.normal(size=(4, 3, 5, 6)).astype(np.float32)
    s = cubias.Stats(3).accumulate(x)                        # NCHW: channel axis 1
    ref = x.astype(np.float64).transpose(1, 0, 2, 3).reshape(3, -1)
    assert_mean(s.mean, ref.mean(1), ref.std(1))
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    t = cubias.Stats(3).accumulate(nhwc, channel_axis=-1)
    assert_var(t.var, ref.var(1))


def test_nonfinite_counted_and_left_out():
    x = np.array([[1.0, np.nan], [3.0, np.inf], [np.nan, 2.0]], np.float32)
    r = cubias.Stats(2).accumulate(x).read()
    assert list(r["count"]) == [2, 1] and list(r["nonfinite"]) == [1, 2]
    np.testing.assert_allclose(r["mean"], [2.0, 2.0])


def test_merge_reset_export(rng):
    x = rng.normal(size=(50, 4)).astype(np.float32)
    a, b = cubias.Stats(4).accumulate(x[:20]), cubias.Stats(4).accumulate(x[20:])
    a.merge(b)
    x64 = x.astype(np.float64)
    assert_mean(a.mean, x64.mean(0), x64.std(0))
    c = cubias.Stats(4).import_merge(b.export())
    assert_var(c.var, x64[20:].var(0))
    a.reset()
    assert list(a.read()["count"]) == [0] * 4 and np.isnan(a.mean).all()


def test_write_field_into_given_array(rng):
    x = rng.normal(size=(10, 3)).astype(np.float32)
    s = cubias.Stats(3).accumulate(x)
    out = np.zeros(3)
    assert s.write_field("max", out) is out
    np.testing.assert_array_equal(out, x.max(0))
    with pytest.raises(cubias.InvalidValueError, match="float64"):
        s.write_field("max", np.zeros(3, np.float32))


def test_non_contiguous_refused_with_a_clear_error():
    x = np.zeros((8, 6), np.float32)[:, ::2]
    s = cubias.Stats(3)
    with pytest.raises(cubias.InvalidValueError, match="not C-contiguous"):
        s.accumulate(x)
    assert s.read()["count"].sum() == 0


def test_wrong_dtype_and_channels_refused_with_the_library_message():
    s = cubias.Stats(3)
    with pytest.raises(cubias.InvalidValueError, match="float64"):
        s.accumulate(np.zeros((2, 3)))
    with pytest.raises(cubias.ShapeMismatchError, match="^cubias_stats_accumulate: ") as e:
        s.accumulate(np.zeros((2, 4), np.float32))
    assert e.value.status == cubias.ENUMS["CUBIAS_STATUS_SHAPE_MISMATCH"]
    assert e.value.message == cubias.lib.cubias_get_last_error(None).decode()
    with pytest.raises(cubias.InvalidValueError, match="^cubias_stats_create: "):
        cubias.Stats(0)
    with pytest.raises(cubias.InvalidValueError, match="not one of"):
        cubias.Stats(3, "swish")


class _OnlyDLPack:
    """An array known only through DLPack (the protocol CuPy, JAX, ... speak)."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, stream=None):
        return self.a.__dlpack__()

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


def test_dlpack_array_accepted_and_strides_checked(rng):
    x = rng.normal(size=(40, 3)).astype(np.float32)
    s = cubias.Stats(3).accumulate(_OnlyDLPack(x))
    assert_mean(s.mean, x.astype(np.float64).mean(0), x.astype(np.float64).std(0))
    with pytest.raises(cubias.InvalidValueError, match="not C-contiguous"):
        s.accumulate(_OnlyDLPack(x.T))


class _FakeCudaArray:
    def __init__(self, strides):
        self.__cuda_array_interface__ = {"shape": (4, 3), "typestr": "<f4", "data": (0, False),
                                         "strides": strides, "version": 3}


def test_cuda_array_interface_strides_checked_before_any_cuda_call():
    with pytest.raises(cubias.InvalidValueError, match="not C-contiguous"):
        cubias.center_from_preact(cubias.Stats(3), _FakeCudaArray((4, 16)))


def test_unknown_object_refused():
    with pytest.raises(cubias.InvalidValueError, match="NumPy array, a PyTorch tensor"):
        cubias.Stats(3).accumulate([[1.0, 2.0, 3.0]])
