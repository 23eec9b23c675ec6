"""PyTorch: tensors in and out, autograd's version counter, cubias.torch on a model.
Skips (visibly) where torch does not import; CUDA cases where no device answers."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed")
import cubias  # noqa: E402
import cubias.torch as ct  # noqa: E402
from conftest import assert_mean, assert_var  # noqa: E402

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_stats_of_tensors(device, dtype):
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(256, 7, generator=g) * 2 + 0.5).to(dtype)
    ref = x.double().numpy()
    s = cubias.Stats(7, "relu", device=device).accumulate(x.to(device))
    assert_mean(s.mean, ref.mean(0), ref.std(0))
    assert_var(s.var, ref.var(0))
    out = torch.zeros(7, dtype=torch.float64, device=device)
    s.write_field("max", out)
    np.testing.assert_array_equal(out.cpu().numpy(), ref.max(0))


@pytest.mark.parametrize("device", DEVICES)
def test_bias_written_through_autograd_and_untouched_on_failure(device):
    lin = torch.nn.Linear(5, 3).to(device)
    x = torch.randn(100, 5, device=device)
    with torch.no_grad():
        z = lin(x)
    s = cubias.Stats(3, device=device).accumulate(z)
    v0 = lin.bias._version
    cubias.center_from_preact(s, lin.bias, target=0.0)
    assert lin.bias._version > v0, "the write bypassed autograd's version counter"
    with torch.no_grad():
        np.testing.assert_allclose(lin(x).mean(0).cpu().numpy(), 0.0, atol=1e-5)
    before, v1 = lin.bias.detach().clone(), lin.bias._version
    with pytest.raises(cubias.InvalidValueError, match="^cubias_revive_constant: "):
        cubias.revive_constant(s, lin.bias, value=-1.0)
    assert lin.bias._version == v1 and torch.equal(lin.bias.detach(), before)


def test_non_contiguous_tensor_refused():
    x = torch.zeros(8, 6)[:, ::2]
    with pytest.raises(cubias.InvalidValueError, match="not contiguous"):
        cubias.Stats(3).accumulate(x)


def test_transposed_weight_read_column_major():
    W = torch.randn(4, 6)
    x = torch.randn(50, 6) + 1
    s = cubias.Stats(6).accumulate(x)
    b1, b2 = torch.zeros(4), torch.zeros(4)
    cubias.center_from_input(s, W, b1)
    cubias.center_from_input(s, W.t().contiguous().t(), b2)
    assert torch.equal(b1, b2)


@pytest.mark.parametrize("cls,gate", [(torch.nn.LSTM, 1), (torch.nn.GRU, 1)])
def test_gate_biases_of_a_module(cls, gate):
    rnn = cls(5, 4, num_layers=2, bidirectional=True)
    w0 = rnn.weight_ih_l0.detach().clone()
    ct.init_model(rnn, [torch.randn(3, 2, 5)])
    H = 4
    for name, p in rnn.named_parameters():
        if name.startswith("bias_ih"):
            assert torch.all(p.detach()[gate * H:(gate + 1) * H] == 1.0), name
        if name.startswith("bias_hh"):
            assert torch.all(p.detach()[gate * H:(gate + 1) * H] == 0.0), name
    assert torch.equal(rnn.weight_ih_l0.detach(), w0)


def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32),
                               torch.nn.ReLU(), torch.nn.Linear(32, 4))


def test_init_model_lsuv_in_forward_order_and_head_prior():
    model = _mlp()
    batches = [torch.randn(64, 10) * 3 + 2 for _ in range(3)]
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 15 + [3] * 5)
    changes = ct.init_model(model, batches, labels=labels)
    assert [c["layer"] for c in changes] == ["0", "2", "4"]
    assert [c["rule"].split("+")[0] for c in changes] == ["lsuv", "lsuv", "prior"]
    x = torch.cat(batches)
    with torch.no_grad():
        z0 = model[0](x)
        z1 = model[2](torch.relu(z0))
    np.testing.assert_allclose(z0.mean(0).numpy(), 0, atol=1e-4)
    np.testing.assert_allclose(z0.std(0, unbiased=False).numpy(), 1, rtol=1e-4)
    np.testing.assert_allclose(z1.std(0, unbiased=False).numpy(), 1, rtol=1e-4)
    c = np.array([50, 30, 15, 5], np.float64)
    lp = np.log((c + 1) / (100 + 4))
    np.testing.assert_allclose(model[4].bias.detach().numpy(), lp - lp.mean(), rtol=1e-6)
    assert "lsuv" in ct.format_changes(changes)


def test_gain_check_predicted_and_measured():
    model = _mlp()
    xs = [torch.randn(128, 10) for _ in range(2)]
    ys = [torch.randint(0, 4, (128,)) for _ in range(2)]
    rep = ct.gain_check(model, xs, ys, torch.nn.functional.cross_entropy)
    assert rep.names == ["0", "2", "4"]
    layers = rep.layers
    assert np.isfinite(layers["chi"]).all()
    assert np.isfinite(layers["measured_ratio"][:-1]).all()
    # He-like init: predicted and measured per-layer ratios agree within a factor 2
    ratio = layers["measured_ratio"][:-1] / layers["pred_ratio"][:-1]
    assert np.all((ratio > 0.5) & (ratio < 2)), ratio
    assert all(p.grad is None for p in model.parameters())


def test_example_trains_with_and_without(capsys):
    import os
    import runpy
    import sys
    from conftest import REPO
    path = os.path.join(REPO, "python", "examples", "train_small.py")
    if not os.path.exists(path):
        pytest.skip("not run from a clone")
    argv, sys.argv = sys.argv, [path, "--steps", "3"]
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = argv
    out = capsys.readouterr().out
    assert "cubias init" in out and "lsuv" in out and "prior" in out


def test_init_model_and_gain_check_on_a_conv_net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 8, 3), torch.nn.Tanh(), torch.nn.Flatten(),
                              torch.nn.Linear(8 * 6 * 6, 5))
    xs = [torch.randn(16, 3, 8, 8) * 2 + 1 for _ in range(2)]
    changes = ct.init_model(net, xs, rule="center")
    assert [(c["layer"], c["activation"], c["rule"]) for c in changes] == [
        ("0", "relu", "center"), ("2", "tanh", "center"), ("5", "identity", "center")]
    x = torch.cat(xs)
    with torch.no_grad():
        z0 = net[0](x)
        z1 = net[2](torch.relu(z0))
    np.testing.assert_allclose(z0.mean((0, 2, 3)).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(z1.mean((0, 2, 3)).numpy(), 0, atol=1e-5)
    ys = [torch.randint(0, 5, (16,)) for _ in range(2)]
    rep = ct.gain_check(net, xs, ys, torch.nn.functional.cross_entropy)
    assert list(rep.layers["fan_in"]) == [27, 72, 288]
    assert np.isfinite(rep.layers["measured_ratio"][:-1]).all()
