"""One MLP training step: raw tensor ops, `nn` modules, hand-written NumPy and PyTorch.

The network is 784-H-H-10 with ReLU, softmax cross-entropy and plain SGD, float32:
batch 128 / hidden 256 (compute dominates) and batch 32 / hidden 64 (per-operation
overhead dominates). Every contender starts from the same weights; the script checks they
compute the same first loss before timing, then reports each one's median time over the
hand-written NumPy step's, measured in the same run.

Run: ``python -m bench.mlp_step``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import autograd_core as ag
from autograd_core import nn, optim

from .timing import compare, environment, limit_threads

LR = 0.01


def make_problem(batch: int, hidden: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = [784, hidden, hidden, 10]
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return x, y, weights


class NumpyMLP:
    """The step by hand: forward, the delta recursion backward, in-place SGD."""

    def __init__(self, weights) -> None:
        self.params = [w.copy() for w in weights]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        W1, b1, W2, b2, W3, b3 = self.params
        n = x.shape[0]
        z1 = x @ W1
        z1 += b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2
        z2 += b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ W3
        logits += b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.log(total).mean() - shifted[rows, y].mean())
        delta = exp / total  # softmax
        delta[rows, y] -= 1
        delta /= n
        grads = [None] * 6
        grads[4] = h2.T @ delta
        grads[5] = delta.sum(axis=0)
        d2 = delta @ W3.T
        d2 *= h2 > 0
        grads[2] = h1.T @ d2
        grads[3] = d2.sum(axis=0)
        d1 = d2 @ W2.T
        d1 *= h1 > 0
        grads[0] = x.T @ d1
        grads[1] = d1.sum(axis=0)
        for p, g in zip(self.params, grads):
            p -= LR * g
        return loss


class TensorMLP:
    """The same step with autograd_core tensors and raw tensor ops.

    The loss is the lectures' cross-entropy with one-hot desired outputs d:
    J = -(1/N) sum_n sum_k d_nk log softmax(u_n)_k. (Picking the target column with
    ``gather`` instead gives the same loss with two more nodes.)
    """

    def __init__(self, weights, device: str = "cpu") -> None:
        self.params = [ag.tensor(w, device=device, requires_grad=True) for w in weights]
        self._onehot = {}

    def one_hot(self, y: ag.Tensor) -> ag.Tensor:
        key = id(y)
        if key not in self._onehot:
            self._onehot = {key: (y.unsqueeze(1) == ag.arange(10, device=y.device)).float()}
        return self._onehot[key]

    def loss(self, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = (x @ W1 + b1).relu()
        h2 = (h1 @ W2 + b2).relu()
        logits = h2 @ W3 + b3
        d = self.one_hot(y)
        return (logits.log_softmax(dim=1) * d).sum() * (-1.0 / x.shape[0])

    def step(self, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        loss = self.loss(x, y)
        for p in self.params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in self.params:
                p.add_(p.grad, alpha=-LR)
        return loss


class ModuleMLP:
    """The same step with `nn.Sequential`, `nn.CrossEntropyLoss` and `optim.SGD`."""

    def __init__(self, weights, device: str = "cpu") -> None:
        hidden = weights[0].shape[1]
        self.model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                   nn.ReLU(), nn.Linear(hidden, 10)).to(device)
        with ag.no_grad():
            for layer, (w, b) in zip(self.model[::2], zip(weights[::2], weights[1::2])):
                layer.weight.copy_(ag.tensor(w.T.copy()))
                layer.bias.copy_(ag.tensor(b))
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss


class TorchMLP:
    """PyTorch on the CPU, same weights (only when PyTorch is installed)."""

    def __init__(self, weights) -> None:
        import torch

        self.torch = torch
        hidden = weights[0].shape[1]
        tnn = torch.nn
        self.model = tnn.Sequential(tnn.Linear(784, hidden), tnn.ReLU(), tnn.Linear(hidden, hidden),
                                    tnn.ReLU(), tnn.Linear(hidden, 10))
        with torch.no_grad():
            for layer, (w, b) in zip(self.model[::2], zip(weights[::2], weights[1::2])):
                layer.weight.copy_(torch.from_numpy(w.T.copy()))
                layer.bias.copy_(torch.from_numpy(b))
        self.loss_fn = tnn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss


def run(batch: int, hidden: int, repeats: int, threads: int | None = None) -> dict[str, float]:
    x, y, weights = make_problem(batch, hidden)
    hand = NumpyMLP(weights)
    raw, modules = TensorMLP(weights), ModuleMLP(weights)
    xt, yt = ag.tensor(x), ag.tensor(y)
    firsts = {"numpy by hand": hand.step(x, y), "raw tensor ops": raw.step(xt, yt).item(),
              "nn modules": modules.step(xt, yt).item()}
    contenders = {"numpy by hand": lambda: hand.step(x, y),
                  "raw tensor ops": lambda: raw.step(xt, yt),
                  "nn modules": lambda: modules.step(xt, yt)}
    try:
        import torch

        if threads:
            torch.set_num_threads(threads)
        reference = TorchMLP(weights)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        firsts["pytorch"] = reference.step(tx, ty).item()
        contenders["pytorch"] = lambda: reference.step(tx, ty)
    except ImportError:
        print("  (PyTorch not installed: no PyTorch column)")
    for name, value in firsts.items():
        if not np.isclose(value, firsts["numpy by hand"], rtol=1e-5):
            raise SystemExit(f"first-step loss mismatch: {name} {value} vs numpy {firsts['numpy by hand']}")
    timings = compare(contenders, repeats=repeats)
    base = timings["numpy by hand"].median
    print(f"\nMLP 784-{hidden}-{hidden}-10, batch {batch}, float32 "
          f"(first loss {firsts['numpy by hand']:.5f} for all):")
    ratios = {}
    for name, t in timings.items():
        ratios[name] = t.median / base
        print(f"  {t}   x{ratios[name]:.3f} of numpy")
    return ratios


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS / PyTorch threads for every contender (default 1: two threaded libraries "
                             "in one process oversubscribe the cores and distort both; 0 keeps each "
                             "library's own default)")
    args = parser.parse_args(argv)
    if args.threads:
        limit_threads(args.threads, f"{__package__}.mlp_step", list(argv) if argv is not None else sys.argv[1:])
    repeats = 5 if args.quick else args.repeats
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    run(128, 256, repeats, args.threads)
    run(32, 64, repeats * 4, args.threads)


if __name__ == "__main__":
    main()
