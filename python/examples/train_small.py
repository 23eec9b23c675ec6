"""Train a small MLP on a synthetic, shifted and imbalanced classification task, with
and without cubias.torch.init_model, and print the losses side by side.

    python python/examples/train_small.py [--steps 300]

Needs torch (CPU is enough). The inputs are far from centred (mean 3, scale 4) and the
classes imbalanced, which is where data-dependent biases help: init_model applies
LSUV to the hidden layers (unit-variance, centred pre-activations) and the class
prior to the head, so the first loss is the label entropy instead of a large value.
"""
import argparse

import torch

import cubias.torch as ct


def data(n, gen):
    x = torch.randn(n, 20, generator=gen) * 4 + 3
    w = torch.randn(20, generator=gen)
    score = (x - 3) @ w / 4
    y = torch.bucketize(score, torch.tensor([0.8, 1.6, 2.4]))  # imbalanced 4 classes
    return x, y


def model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                               torch.nn.ReLU(), torch.nn.Linear(64, 4))


def train(net, x, y, steps, lr):
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    losses = []
    for step in range(steps):
        i = torch.randint(0, len(x), (128,), generator=torch.Generator().manual_seed(step))
        loss = torch.nn.functional.cross_entropy(net(x[i]), y[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    x, y = data(8192, gen)
    counts = torch.bincount(y, minlength=4).double()
    p = counts / counts.sum()
    print("class frequencies", [round(v, 3) for v in p.tolist()],
          "label entropy %.4f" % float(-(p * p.log()).sum()))

    plain = model(1)
    init = model(1)
    ct.init_model(init, [x[:1024], x[1024:2048]], labels=y, verbose=True)
    ct.gain_check(init, [x[:512]], [y[:512]], torch.nn.functional.cross_entropy, verbose=True)

    a = train(plain, x, y, args.steps, args.lr)
    b = train(init, x, y, args.steps, args.lr)
    print("%6s %14s %14s" % ("step", "default init", "cubias init"))
    for s in [0, 1, 5, 10, 25, 50, 100, 200, args.steps - 1]:
        if s < args.steps:
            w = slice(max(0, s - 4), s + 1)
            print("%6d %14.4f %14.4f" % (s, sum(a[w]) / len(a[w]), sum(b[w]) / len(b[w])))


if __name__ == "__main__":
    main()
