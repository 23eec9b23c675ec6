"""Weight gain, the gain report and the mean-field theory against closed forms."""
import numpy as np
import pytest

import cubias


def test_weight_gain(rng):
    Ws = [rng.normal(0, np.sqrt(2 / 8), size=(6, 8)).astype(np.float32),
          rng.normal(size=(4, 3, 3, 3)).astype(np.float32)]
    g = cubias.weight_gain(Ws)
    ref = [W.shape[1] * np.mean(W.astype(np.float64) ** 2) if W.ndim == 2 else
           27 * np.mean(W.astype(np.float64) ** 2) for W in Ws]
    np.testing.assert_allclose(g, ref, rtol=1e-6)  # float squares in runs of 16


def test_gain_report_against_numpy_forward(rng):
    sizes = [10, 16, 16, 4]
    Ws = [rng.normal(0, np.sqrt(2 / a), size=(b, a)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    a = rng.normal(size=(256, 10)).astype(np.float32)
    layers, ref_chi = [], []
    for i, W in enumerate(Ws):
        z = (a.astype(np.float64) @ W.T.astype(np.float64)).astype(np.float32)
        act = "relu" if i < len(Ws) - 1 else "identity"
        s = cubias.Stats(W.shape[0], act).accumulate(z)
        layers.append((W, s, None))
        dphi = np.mean(z > 0) if act == "relu" else 1.0
        ref_chi.append(W.shape[1] * np.mean(W.astype(np.float64) ** 2) * dphi)
        a = np.maximum(z, 0) if act == "relu" else z
    rep = cubias.gain_report(layers)
    np.testing.assert_allclose(rep.layers["chi"], ref_chi, rtol=1e-6)
    assert rep.summary["n_layers"] == 3
    assert rep.summary["chi_total"] == pytest.approx(np.prod(ref_chi), rel=1e-6)
    assert all(v in ("stable", "exploding", "vanishing", "unknown") for v in rep.verdict_names())
    table = rep.table()
    assert table == str(rep) and len(table.splitlines()) >= 4
    assert "(chi %.4g)" % max(ref_chi, key=lambda c: abs(np.log(c))) in table
    js = rep.json()
    assert len(js["layers"]) == 3 and js["layers"][0]["chi"] == pytest.approx(ref_chi[0], rel=1e-6)


def test_gain_report_refusal_carries_message():
    W = np.ones((3, 2), np.float32)
    with pytest.raises(cubias.NoDataError, match="^cubias_gain_report: "):
        cubias.gain_report([(W, cubias.Stats(3, "relu"))])


def test_meanfield():
    assert cubias.meanfield_critical("relu") == pytest.approx(2.0, rel=1e-10)
    assert cubias.meanfield_critical("identity") == pytest.approx(1.0, rel=1e-10)
    assert cubias.meanfield_critical("tanh", sigma_b2=0.05) == pytest.approx(1.761, abs=1e-3)
    fp = cubias.meanfield_fixed_point("relu", 2.0)
    assert fp["chi1"] == pytest.approx(1.0, rel=1e-10)
    phi2, dphi2 = cubias.meanfield_moments("relu", 1.0)
    assert (phi2, dphi2) == (pytest.approx(0.5, rel=1e-10), pytest.approx(0.5, rel=1e-10))
