"""Where the README's and docs/cli.md's attention-mask claims hold (issue 20, item 6),
measured on cubias' masks against reference softmaxes that sum in f16 and in f32.

A plain softmax (subtract the row max, exp, sum, divide) computed in f16 arithmetic
(each operation rounded to f16, as a hand-written f16 kernel does) or in f32 (an f16
mask upcast and added to f32 scores, as PyTorch's CPU attention does)."""
import numpy as np
import pytest

import cubias

B, T = 4, 8
LENGTHS = np.array([8, 5, 0, 3], np.int32)        # batch 2 has no key: its 8 rows are empty


def softmax(scores, mask, dtype):
    with np.errstate(invalid="ignore", over="ignore"):
        x = scores.astype(dtype) + mask.astype(dtype)
        e = np.exp(x - x.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True, dtype=dtype)).astype(np.float64)


def scores(scale, seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, (B, T, T)).astype(np.float32)


def cubias_mask(dtype, empty_row="equal"):
    m = np.empty((B, T, T), dtype)
    return cubias.attention_mask(m, lengths=LENGTHS, causal=True, empty_row=empty_row)


def naive_mask(dtype, value=-1e9):
    keep = (np.arange(T)[None, None, :] < LENGTHS[:, None, None]) & \
           (np.arange(T)[None, None, :] <= np.arange(T)[None, :, None])
    with np.errstate(over="ignore"):                      # -1e9 -> -inf in f16: the point
        return np.where(keep, 0.0, value).astype(dtype)


def nan_rows(p):
    return int(np.isnan(p).any(-1).sum())


def test_minus_1e9_is_inf_in_f16_and_a_plain_softmax_gives_nan_rows():
    m16 = naive_mask(np.float16)
    assert np.isneginf(m16).sum() > 0                        # -1e9 does not exist in f16
    s = scores(4.0)
    assert nan_rows(softmax(s, m16, np.float16)) == 8        # summed in f16: every empty row
    assert nan_rows(softmax(s, m16, np.float32)) == 8        # the -inf survives the upcast
    assert nan_rows(softmax(s, naive_mask(np.float32), np.float32)) == 0  # -1e9 kept in f32


def test_cubias_mask_never_gives_nan_rows():
    s = scores(1000.0)
    for mdt in (np.float16, np.float32):
        for sdt in (np.float16, np.float32):
            if mdt == np.float32 and sdt == np.float16:
                continue                                     # an f32 mask is not added in f16
            assert nan_rows(softmax(s, cubias_mask(mdt), sdt)) == 0, (mdt, sdt)


def test_empty_row_equal_is_uniform_only_where_the_sum_runs_in_the_masks_dtype():
    uniform = np.full(T, 1.0 / T)
    small, large = scores(7.0), scores(15.7)
    # f16 mask summed in f16: uniform while |s| < 8 (ulp(32752) / 2)
    p = softmax(small, cubias_mask(np.float16), np.float16)
    np.testing.assert_allclose(p[2], np.tile(uniform, (T, 1)), atol=1e-3)
    # f32 mask summed in f32: uniform (|s| far below ~1e31)
    p = softmax(large, cubias_mask(np.float32), np.float32)
    np.testing.assert_allclose(p[2], np.tile(uniform, (T, 1)), rtol=1e-6)
    # f16 mask summed in f32 (PyTorch's CPU attention): the softmax of the raw scores
    p = softmax(large, cubias_mask(np.float16), np.float32)
    raw = softmax(large, np.zeros((B, T, T), np.float32), np.float32)
    np.testing.assert_allclose(p[2], raw[2], atol=1e-3)
    assert np.abs(p[2] - uniform).max() > 0.1                 # far from uniform


def test_empty_row_zero_is_the_softmax_of_the_raw_scores_in_either_precision():
    s = scores(15.7)
    raw = softmax(s, np.zeros((B, T, T), np.float32), np.float32)
    for dt in (np.float16, np.float32):
        p = softmax(s, cubias_mask(dt, "zero"), dt)
        np.testing.assert_allclose(p[2], raw[2], atol=3e-3 if dt == np.float16 else 1e-6)


def test_pytorch_sdpa_sums_in_f32_and_guards_empty_rows():
    """The README's statement about PyTorch (scaled_dot_product_attention on CPU)."""
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    F = torch.nn.functional
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(B, T, 16, generator=g) for _ in range(3))
    for dt in (torch.float32, torch.float16):
        for m in (naive_mask(np.float32), naive_mask(np.float32, -np.inf)):
            out = F.scaled_dot_product_attention(q.to(dt), k.to(dt), v.to(dt),
                                                 attn_mask=torch.from_numpy(m).to(dt))
            assert not torch.isnan(out).any(), dt
    keep = torch.from_numpy(naive_mask(np.float32) == 0)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    assert not torch.isnan(out).any() and torch.all(out[2] == 0)
