"""Derivations I on NumPy arrays against fp64 references; bias written in place."""
import math

import numpy as np
import pytest

import cubias
from conftest import NP_DTYPES, np_dtype, rounded


def _layer(rng, n=400, fan_in=6, out=4, mu=0.5):
    x = rng.normal(mu, 1.5, size=(n, fan_in)).astype(np.float32)
    W = (rng.normal(size=(out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
    return x, W


@pytest.mark.parametrize("dtype_name", NP_DTYPES)
def test_center_from_input(rng, dtype_name):
    dtype = np_dtype(dtype_name)
    x, W = _layer(rng)
    s = cubias.Stats(6).accumulate(x)
    bias = np.full(4, 7.0, dtype)
    assert cubias.center_from_input(s, W, bias, target=0.25) is bias
    ref = 0.25 - W.astype(np.float64) @ x.astype(np.float64).mean(0)
    np.testing.assert_allclose(rounded(bias, np.float64), rounded(ref, dtype), rtol=1e-2 if dtype != np.float32 else 1e-5, atol=1e-5)
    # the transpose view of W^T (column-major) gives the same bias
    bias2 = np.zeros(4, dtype)
    cubias.center_from_input(s, np.ascontiguousarray(W.T).T, bias2, target=0.25)
    np.testing.assert_array_equal(bias2, bias)


def test_center_from_preact_and_normalize(rng):
    x, W = _layer(rng)
    b = rng.normal(size=4).astype(np.float32)
    z = x.astype(np.float64) @ W.T.astype(np.float64) + b
    zs = cubias.Stats(4).accumulate(z.astype(np.float32))
    b1 = b.copy()
    cubias.center_from_preact(zs, b1, target=0.5)
    np.testing.assert_allclose(b1, b - (z.mean(0) - 0.5), rtol=1e-5, atol=1e-6)
    W2, b2 = W.copy(), b.copy()
    assert cubias.normalize_from_preact(zs, W2, b2, s=1.0, t=0.0) == 0
    z2 = x.astype(np.float64) @ W2.T.astype(np.float64) + b2
    np.testing.assert_allclose(z2.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z2.std(0), 1.0, rtol=1e-5)


def _relu_gauss_mean(mu, s):
    t = mu / s
    return mu * 0.5 * (1 + math.erf(t / math.sqrt(2))) + s * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)


def test_postact_shift_measured_and_gaussian(rng):
    z = rng.normal(0.3, 1.2, size=(500, 5)).astype(np.float32)
    zs = cubias.Stats(5, "relu").accumulate(z)
    Wn = rng.normal(size=(3, 5)).astype(np.float32)
    b = np.zeros(3, np.float32)
    cubias.postact_shift(zs, Wn, b, "measured", target=0.1)
    z64 = z.astype(np.float64)
    np.testing.assert_allclose(b, 0.1 - Wn.astype(np.float64) @ np.maximum(z64, 0).mean(0), rtol=1e-5, atol=1e-6)
    rep = cubias.postact_shift(zs, Wn, b, "gaussian", report=True)
    g = np.array([_relu_gauss_mean(m, s) for m, s in zip(z64.mean(0), z64.std(0))])
    np.testing.assert_allclose(rep["gaussian_mean"], g, rtol=1e-5)
    np.testing.assert_allclose(b, -Wn.astype(np.float64) @ g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rep["mean_error"], np.maximum(z64, 0).mean(0) - g, atol=1e-5)


def test_gaussian_act_moments_closed_form():
    m, v, d = cubias.gaussian_act_moments("relu", 0.0, 1.0)
    np.testing.assert_allclose([m, v, d], [1 / math.sqrt(2 * math.pi), 0.5 - 1 / (2 * math.pi), 0.5], rtol=1e-12)


def test_symmetric_shift_finds_the_peak_of_mean_dphi(rng):
    z = (rng.normal(size=(300, 3)) + np.array([0.8, -0.4, 0.0])).astype(np.float32)
    zs = cubias.Stats(3, "tanh").accumulate(z)
    b = np.array([0.1, 0.2, 0.3], np.float32)
    best, delta = cubias.symmetric_shift("tanh", zs, z, b)
    z64 = z.astype(np.float64)
    grid = np.linspace(-3, 3, 6001)
    for c in range(3):
        e = [np.mean(1 - np.tanh(z64[:, c] + d) ** 2) for d in grid]
        assert best[c] >= max(e) - 1e-9
        np.testing.assert_allclose(best[c], np.mean(1 - np.tanh(z64[:, c] + delta[c]) ** 2), rtol=1e-12)
    np.testing.assert_allclose(b, np.float32([0.1, 0.2, 0.3]) + delta, rtol=1e-6)


def test_revive_constant_and_quantile(rng):
    z = rng.normal(size=(200, 3)).astype(np.float32)
    z[:, 0] = -np.abs(z[:, 0]) - 0.5                       # channel 0 never active: dead
    zs = cubias.Stats(3, "relu").accumulate(z)
    b = np.array([-1.0, 2.0, 3.0], np.float32)
    assert cubias.revive_constant(zs, b) == (1, 0)
    np.testing.assert_array_equal(b, np.float32([0.1, 2.0, 3.0]))
    b = np.zeros(3, np.float32)
    before, after = cubias.revive_quantile(zs, z, b, p_min=0.1, margin=1e-3)
    assert (before, after) == (1, 0)
    assert np.mean(z[:, 0] + b[0] >= 1e-3) >= 0.1 and b[1] == 0 and b[2] == 0


def test_bias_of_the_wrong_length_refused_and_untouched(rng):
    x, W = _layer(rng)
    s = cubias.Stats(6).accumulate(x)
    bias = np.full(5, 3.0, np.float32)
    with pytest.raises(cubias.ShapeMismatchError, match="5 entries; this call writes 4"):
        cubias.center_from_input(s, W, bias)
    np.testing.assert_array_equal(bias, 3.0)


def test_library_refusal_writes_nothing(rng):
    zs = cubias.Stats(3, "relu")                      # no data
    b = np.full(3, 5.0, np.float32)
    with pytest.raises(cubias.InvalidValueError, match="^cubias_revive_constant: "):
        cubias.revive_constant(zs, b, value=-1.0)
    with pytest.raises(cubias.InvalidValueError, match="^cubias_normalize_from_preact: "):
        cubias.normalize_from_preact(zs, np.ones((3, 2), np.float32), b, s=-1.0)
    np.testing.assert_array_equal(b, 5.0)
    with pytest.raises(cubias.InvalidValueError, match="read-only"):
        ro = np.zeros(3, np.float32)
        ro.flags.writeable = False
        cubias.center_from_preact(zs, ro)


def test_center_conv_from_input(rng):
    """A Conv2d kernel [out, in, kh, kw]: with circular padding every output
    channel's mean is the target exactly (fp64 reference convolution)."""
    x = (rng.normal(size=(2, 3, 6, 5)) + np.array([-1.0, 0.5, 2.0])[None, :, None, None])
    x = x.astype(np.float32)
    W = rng.normal(scale=0.3, size=(4, 3, 3, 3)).astype(np.float32)
    s = cubias.Stats(3).accumulate(x, channel_axis=1)
    bias = np.full(4, 9.0, np.float32)
    assert cubias.center_conv_from_input(s, W, bias, target=0.25) is bias
    xd, Wd = x.astype(np.float64), W.astype(np.float64)
    out = np.zeros((2, 4, 6, 5))
    for u in range(3):
        for v in range(3):
            shifted = np.roll(xd, shift=(1 - u, 1 - v), axis=(2, 3))  # circular padding
            out += np.einsum("jc,nchw->njhw", Wd[:, :, u, v], shifted)
    out += bias.astype(np.float64)[None, :, None, None]
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.25, atol=1e-5)
    with pytest.raises(cubias.ShapeMismatchError, match="kernel_area 9"):
        cubias.center_conv_from_input(s, np.ascontiguousarray(W[:, :2]), np.zeros(4, np.float32))
