"""Derivations II (priors, gates, masks) on NumPy arrays against closed forms."""
import math

import numpy as np
import pytest

import cubias


def logit(p):
    return math.log(p / (1 - p))


@pytest.mark.parametrize("itype", [np.int32, np.int64])
def test_softmax_prior_from_labels(rng, itype):
    labels = rng.choice(5, size=1000, p=[0.5, 0.2, 0.15, 0.1, 0.05]).astype(itype)
    c = np.bincount(labels, minlength=5).astype(np.float64)
    lp = np.log((c + 1) / (1000 + 5))
    b = np.zeros(5, np.float32)
    cubias.prior_softmax_from_labels(labels, 5, b)
    np.testing.assert_allclose(b, lp - lp.mean(), rtol=1e-6)
    cubias.prior_softmax_from_labels(labels, 5, b, alpha=0.5, anchor="pin_class", pin_class=2)
    lp = np.log((c + 0.5) / (1000 + 2.5))
    np.testing.assert_allclose(b, lp - lp[2], rtol=1e-6, atol=1e-7)
    b16 = np.zeros(5, np.float16)
    cubias.prior_softmax_from_labels(labels, 5, b16, anchor="log_prob")
    np.testing.assert_array_equal(b16, np.log((c + 1) / 1005).astype(np.float16))


def test_out_of_range_labels_refused_nothing_written():
    b = np.full(3, 9.0, np.float32)
    with pytest.raises(cubias.InvalidValueError, match="^cubias_prior_softmax_from_labels: .*2"):
        cubias.prior_softmax_from_labels(np.array([0, 1, 3, 7], np.int32), 3, b)
    np.testing.assert_array_equal(b, 9.0)


def test_sigmoid_priors(rng):
    t = (rng.random((300, 4)) < [0.1, 0.5, 0.9, 0.02]).astype(np.uint8)
    b = np.zeros(4, np.float32)
    cubias.prior_sigmoid_from_targets(t, b)
    c = t.sum(0).astype(np.float64)
    np.testing.assert_allclose(b, np.log((c + 1) / (300 - c + 1)), rtol=1e-6)
    cubias.prior_sigmoid_from_probs([0.1, 0.5, 0.25, 0.01], b)
    np.testing.assert_allclose(b, [logit(p) for p in (0.1, 0.5, 0.25, 0.01)], rtol=1e-6, atol=1e-7)
    cubias.prior_softmax_from_probs([2, 1, 1, 4], b)
    lp = np.log(np.array([2, 1, 1, 4]) / 8.0)
    np.testing.assert_allclose(b, lp - lp.mean(), rtol=1e-6)


def test_constant_heads():
    b = np.zeros(6, np.float32)
    cubias.prior_single(0.01, b)
    np.testing.assert_allclose(b, -4.595120, rtol=1e-6)
    cubias.gate_target(0.8, b)
    np.testing.assert_allclose(b, logit(0.8), rtol=1e-6)
    assert cubias.optimistic_value(1.0, 0.99, b) == pytest.approx(100.0, rel=1e-12)
    np.testing.assert_allclose(b, 100.0)
    v = cubias.optimistic_value(2.0, 0.9, b, horizon=10)
    assert v == pytest.approx(2.0 * (1 - 0.9 ** 10) / 0.1, rel=1e-12)
    cubias.relpos_bias_zero(b)
    assert not b.any()


def test_regression_prior_from_stats(rng):
    y = rng.normal([1.0, -2.0], 0.5, size=(100, 2)).astype(np.float32)
    b = np.zeros(2, np.float32)
    cubias.prior_regression_from_stats(cubias.Stats(2).accumulate(y), b)
    np.testing.assert_allclose(b, y.astype(np.float64).mean(0), rtol=1e-6)


def _pytorch_lstm_layout(input_size, H, layers, dirs, G):
    """(name, size) of each parameter in torch.cat([p.reshape(-1) for p in rnn.parameters()])."""
    out = []
    for l in range(layers):
        fan = input_size if l == 0 else H * dirs
        for d in range(dirs):
            out += [("w_ih", G * H * fan), ("w_hh", G * H * H), ("b_ih", G * H), ("b_hh", G * H)]
    return out


@pytest.mark.parametrize("cell,G,gate", [("lstm", 4, 1), ("gru", 3, 1)])
def test_pytorch_gate_layout(cell, G, gate):
    H, layout = 3, _pytorch_lstm_layout(5, 3, 2, 2, G)
    flat = np.full(sum(n for _, n in layout), 7.0, np.float32)
    rep = cubias.rnn_gate_bias_pytorch_flat(flat, cell, 5, H, num_layers=2, bidirectional=True)
    assert rep["units"] == 2 * 2 * H and rep["gate_mean"] == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-12)
    pos = 0
    for name, n in layout:
        part = flat[pos:pos + n]
        if name == "b_ih":
            np.testing.assert_array_equal(part[gate * H:(gate + 1) * H], 1.0)
        elif name == "b_hh":
            np.testing.assert_array_equal(part[gate * H:(gate + 1) * H], 0.0)
        rest = np.delete(part, np.s_[gate * H:(gate + 1) * H]) if name.startswith("b") else part
        np.testing.assert_array_equal(rest, 7.0)
        pos += n


def test_keras_and_cudnn_gates_and_schemes():
    H = 4
    kb = np.zeros(4 * H, np.float32)                       # Keras LSTM: i, f, c, o
    cubias.rnn_gate_bias_keras(kb, "lstm", H, scheme="retention", retention=0.5, steps=10)
    np.testing.assert_allclose(kb[H:2 * H], logit(0.5 ** 0.1), rtol=1e-6)
    assert not kb[:H].any() and not kb[2 * H:].any()
    ids = [np.full(H, 3.0, np.float32) for _ in range(8)]  # cuDNN LSTM ids 0-7
    rep = cubias.rnn_gate_bias_cudnn([ids], "lstm", H, scheme="chrono", t_max=20, seed=7)
    bf = ids[1]
    assert np.all(bf >= 0) and np.all(bf < math.log(19))
    np.testing.assert_array_equal(ids[0], -bf)              # chrono: b_i = -b_f
    np.testing.assert_array_equal(ids[5], 0.0)
    np.testing.assert_array_equal(ids[4], 0.0)
    np.testing.assert_array_equal(ids[2], 3.0)
    assert rep["bias_min"] == pytest.approx(float(bf.min()), rel=1e-6)
    with pytest.raises(cubias.ShapeMismatchError):
        cubias.rnn_gate_bias_keras(np.zeros(3 * H, np.float32), "lstm", H)


def _mask_ref(B, Tq, Tk, lengths=None, causal=False, off=0, m=-1.0):
    keep = np.ones((B, Tq, Tk), bool)
    j = np.arange(Tk)[None, None, :]
    if causal:
        keep &= j <= np.arange(Tq)[None, :, None] + off
    if lengths is not None:
        keep &= j < np.asarray(lengths)[:, None, None]
    return np.where(keep, 0.0, m), keep


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_attention_masks(dtype):
    m = cubias.mask_value(dtype)
    assert m == -float(np.finfo(dtype).max) / 2
    out = np.ones((3, 4, 5), dtype)
    lengths = np.array([5, 2, 0], np.int32)
    cubias.attention_mask(out, lengths=lengths, causal=True, causal_offset=1)
    ref, keep = _mask_ref(3, 4, 5, lengths, True, 1, m)
    np.testing.assert_array_equal(out, ref.astype(dtype))       # empty rows (b=2): all m
    cubias.attention_mask(out, lengths=lengths, empty_row="zero")
    ref, keep = _mask_ref(3, 4, 5, lengths, m=m)
    ref[2] = 0.0                                                # the empty rows are all 0
    np.testing.assert_array_equal(out, ref.astype(dtype))
