"""One call per model: cubias.torch.init_model and cubias.torch.gain_check.

init_model(model, batches, labels=None) walks the model's Linear / Conv / LSTM
/ GRU layers in forward order (found with forward hooks on a first batch),
and for each layer in turn measures its pre-activations over the batches with
forward hooks (after every earlier layer has been changed) and applies:
  - 'lsuv' (default) or 'center' for Linear / Conv layers: unit-variance,
    centred pre-activations (cubias_normalize_from_preact) or centred ones
    (cubias_center_from_preact); 'postact' uses the previous layer's measured
    E[phi(z)] through this layer's weight (cubias_postact_shift) where its
    input is that activation's output, else centering;
  - the head (the last layer) gets the class prior from labels
    (cubias_prior_softmax_from_labels) when labels are given;
  - dead-unit revival for layers followed by ReLU (cubias_revive_quantile):
    units never active on the batches are shifted until p_min are;
  - LSTM / GRU: gate biases (cubias_rnn_gate_bias_pytorch, forget / update gate
    1.0 by default).
Biases (and LSUV's weights) are written through tensor.copy_ under no_grad,
so autograd's version counter sees every write. Returns one dict per layer
saying what changed; verbose=True prints them as a table.

gain_check(model, batches, targets, loss_fn) runs forward and backward passes,
measures each layer's pre-activations and their gradients with hooks, and
returns cubias.gain_report's predicted vs measured chi per layer.
"""
import torch
from torch import nn

import cubias

_ACT_MODULES = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh",
                nn.Sigmoid: "sigmoid", nn.GELU: "gelu", nn.SiLU: "silu", nn.Identity: "identity"}
_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_RNNS = (nn.LSTM, nn.GRU)


def _as_list(batches):
    return [batches] if torch.is_tensor(batches) else list(batches)


def _run(model, batches):
    with torch.no_grad():
        for x in batches:
            model(x) if torch.is_tensor(x) else model(*x)


def forward_order(model, batch):
    """[(name, module, activation)] of the Linear/Conv/LSTM/GRU layers in the order a
    forward pass calls them; activation: the activation module called right after
    (by call order), else 'identity'."""
    calls, hooks = [], []
    for name, m in model.named_modules():
        if isinstance(m, _LAYERS + _RNNS) or type(m) in _ACT_MODULES:
            hooks.append(m.register_forward_hook(lambda mod, i, o, n=name: calls.append((n, mod))))
    try:
        _run(model, [batch])
    finally:
        for h in hooks:
            h.remove()
    out, seen = [], set()
    for k, (name, m) in enumerate(calls):
        if isinstance(m, _LAYERS + _RNNS) and name not in seen:
            seen.add(name)
            nxt = calls[k + 1][1] if k + 1 < len(calls) else None
            act = _ACT_MODULES.get(type(nxt), "identity")
            slope = nxt.negative_slope if isinstance(nxt, nn.LeakyReLU) else 0.0
            out.append((name, m, act, slope))
    return out


def _channels_view(z, module):
    """z as the library reads it: Conv NCHW as is (channel axis 1), Linear [..., out]
    as [rows, out]."""
    z = z.detach()
    if isinstance(module, nn.Linear):
        z = z.reshape(-1, z.shape[-1])
    return z.contiguous()


def measure(model, batches, module, activation="identity", slope=0.0, keep=False):
    """cubias.Stats of module's output over the batches (and the outputs, with keep)."""
    out_ch = module.out_features if isinstance(module, nn.Linear) else module.out_channels
    stats = cubias.Stats(out_ch, activation, slope, device=str(module.weight.device))
    kept = []

    def hook(mod, inp, out):
        z = _channels_view(out, mod)
        stats.accumulate(z)
        if keep:
            kept.append(z)
    h = module.register_forward_hook(hook)
    try:
        _run(model, batches)
    finally:
        h.remove()
    return stats, kept


def _moments(stats):
    r = stats.read()
    live = r["count"] > 0
    return {"mean": float(abs(r["mean"][live]).max()) if live.any() else float("nan"),
            "std_min": float(r["var"][live].min() ** 0.5) if live.any() else float("nan"),
            "std_max": float(r["var"][live].max() ** 0.5) if live.any() else float("nan"),
            "dead": int(((r["count"] > 0) & (r["positive"] == 0)).sum())}


def _gates(name, m, scheme):
    if m.proj_size if hasattr(m, "proj_size") else 0:
        raise cubias.InvalidValueError("cubias.torch: %s has proj_size; not supported" % name)
    params = list(m.parameters())
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    cell = "lstm" if isinstance(m, nn.LSTM) else "gru"
    rep = cubias.rnn_gate_bias_pytorch_flat(flat, cell, m.input_size, m.hidden_size,
                                            m.num_layers, m.bidirectional, **scheme)
    pos = 0
    with torch.no_grad():
        for p in params:
            p.copy_(flat[pos:pos + p.numel()].view_as(p))
            pos += p.numel()
    return {"layer": name, "type": type(m).__name__, "rule": "gates(%s)" % scheme.get("scheme", "constant"),
            "gate_mean": rep["gate_mean"], "units": rep["units"]}


def init_model(model, batches, labels=None, rule="lsuv", revive=True, p_min=0.05,
               gate_scheme=None, verbose=False):
    """Apply the rules layer by layer in forward order (see the module's doc).
    batches: a tensor or a list of input tensors (or tuples of model arguments).
    labels: class indices (int64/int32 tensor) for the head's softmax prior.
    Returns [dict per layer]: what was measured before and after, and the rule."""
    if rule not in ("lsuv", "center", "postact"):
        raise cubias.InvalidValueError("cubias.torch: rule must be 'lsuv', 'center' or 'postact'")
    batches = _as_list(batches)
    order = forward_order(model, batches[0])
    layers = [e for e in order if isinstance(e[1], _LAYERS)]
    head = layers[-1][1] if layers else None
    changes, prev = [], None
    for name, m, act, slope in order:
        if isinstance(m, _RNNS):
            changes.append(_gates(name, m, gate_scheme or {}))
            continue
        if m.bias is None and rule != "lsuv":
            prev = None
            continue
        z_stats, _ = measure(model, batches, m, act, slope)
        before = _moments(z_stats)
        if m is head and labels is not None:
            cubias.prior_softmax_from_labels(labels, m.out_features, m.bias)
            what = "prior"
        elif (rule == "postact" and prev is not None and isinstance(m, nn.Linear)
              and isinstance(prev[0], nn.Linear) and m.in_features == prev[0].out_features):
            cubias.postact_shift(prev[1], m.weight.detach(), m.bias, "measured")
            what = "postact"
        elif rule == "lsuv":
            cubias.normalize_from_preact(z_stats, m.weight, m.bias)
            what = "lsuv"
        else:
            cubias.center_from_preact(z_stats, m.bias)
            what = "center"
        z_after, kept = measure(model, batches, m, act, slope, keep=revive and act == "relu")
        after = _moments(z_after)
        if kept and after["dead"] and m.bias is not None and m is not head:
            cubias.revive_quantile(z_after, kept, m.bias, p_min)
            what += "+revive"
            z_after, _ = measure(model, batches, m, act, slope)
            after = _moments(z_after)
        prev = (m, z_after)
        changes.append({"layer": name, "type": type(m).__name__, "activation": act, "rule": what,
                        "before": before, "after": after})
    if verbose:
        print(format_changes(changes))
    return changes


def format_changes(changes):
    lines = ["%-16s %-8s %-10s %-14s %28s   %s" % ("layer", "type", "act", "rule",
                                                   "before |mean| std[min,max] dead", "after")]
    for c in changes:
        if "before" not in c:
            lines.append("%-16s %-8s %-10s %-14s gate mean %.4f over %d units"
                         % (c["layer"], c["type"], "", c["rule"], c["gate_mean"], c["units"]))
            continue
        b, a = c["before"], c["after"]
        lines.append("%-16s %-8s %-10s %-14s %9.3g [%.3g, %.3g] %3d   %9.3g [%.3g, %.3g] %3d"
                     % (c["layer"], c["type"], c["activation"], c["rule"], b["mean"], b["std_min"],
                        b["std_max"], b["dead"], a["mean"], a["std_min"], a["std_max"], a["dead"]))
    return "\n".join(lines)


def gain_check(model, batches, targets, loss_fn, threshold=0.0, verbose=False):
    """Predicted vs measured gradient gain per Linear/Conv layer (cubias.gain_report):
    forward and backward passes over (batches, targets) with hooks that accumulate
    each layer's pre-activations and their gradients dL/dz. Gradients are zeroed
    afterwards; the parameters are not changed."""
    batches = _as_list(batches)
    targets = _as_list(targets)
    order = [e for e in forward_order(model, batches[0]) if isinstance(e[1], _LAYERS)]
    pre, grad, hooks = {}, {}, []
    for name, m, act, slope in order:
        ch = m.out_features if isinstance(m, nn.Linear) else m.out_channels
        dev = str(m.weight.device)
        pre[name] = cubias.Stats(ch, act, slope, device=dev)
        grad[name] = cubias.Stats(ch, "identity", device=dev)

        def hook(mod, inp, out, n=name):
            pre[n].accumulate(_channels_view(out, mod))
            def on_grad(g, mod=mod):
                grad[n].accumulate(_channels_view(g, mod))      # returns None: g unchanged
            out.register_hook(on_grad)
        hooks.append(m.register_forward_hook(hook))
    try:
        for x, y in zip(batches, targets):
            model.zero_grad(set_to_none=True)
            loss = loss_fn(model(x) if torch.is_tensor(x) else model(*x), y)
            loss.backward()
    finally:
        for h in hooks:
            h.remove()
        model.zero_grad(set_to_none=True)
    rep = cubias.gain_report([(m.weight.detach(), pre[n], grad[n]) for n, m, _, _ in order],
                             threshold=threshold)
    rep.names = [n for n, _, _, _ in order]
    if verbose:
        print(rep.table())
    return rep
