"""One MLP training step written with raw tensor ops vs the same step in hand-written NumPy.

The network is 784-H-H-10 with ReLU, softmax cross-entropy and plain SGD, float32, as in
the core issue: batch 128 / hidden 256 (compute dominates) and batch 32 / hidden 64
(per-operation overhead dominates). Both start from the same weights and the script
checks they compute the same loss before timing.

Run: ``python -m bench.mlp_raw``.
"""

from __future__ import annotations

import argparse

import numpy as np

import autograd_core as ag
from bench.timing import compare, environment

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
    """The same step with autograd_core tensors and raw tensor ops."""

    def __init__(self, weights, device: str = "cpu") -> None:
        self.params = [ag.tensor(w, device=device, requires_grad=True) for w in weights]

    def loss(self, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = (x @ W1 + b1).relu()
        h2 = (h1 @ W2 + b2).relu()
        logits = h2 @ W3 + b3
        return -logits.log_softmax(dim=1).gather(1, y.unsqueeze(1)).mean()

    def step(self, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        loss = self.loss(x, y)
        for p in self.params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in self.params:
                p.add_(p.grad, alpha=-LR)
        return loss


def run(batch: int, hidden: int, repeats: int) -> float:
    x, y, weights = make_problem(batch, hidden)
    ours, hand = TensorMLP(weights), NumpyMLP(weights)
    xt, yt = ag.tensor(x), ag.tensor(y)
    first_ours = ours.step(xt, yt).item()
    first_hand = hand.step(x, y)
    if not np.isclose(first_ours, first_hand, rtol=1e-5):
        raise SystemExit(f"loss mismatch: tensors {first_ours} vs numpy {first_hand}")
    timings = compare({"autograd_core": lambda: ours.step(xt, yt),
                       "numpy by hand": lambda: hand.step(x, y)}, repeats=repeats)
    ratio = timings["autograd_core"].median / timings["numpy by hand"].median
    print(f"\nMLP 784-{hidden}-{hidden}-10, batch {batch}, float32 (loss {first_ours:.5f} both):")
    for t in timings.values():
        print(f"  {t}")
    print(f"  ratio autograd_core / numpy = {ratio:.3f}")
    return ratio


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else args.repeats
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    run(128, 256, repeats)
    run(32, 64, repeats * 4)


if __name__ == "__main__":
    main()
