"""One CNN training step with `nn` layers vs the same step in PyTorch (CPU), same weights.

The network is the one of the nn issue, on 1x28x28 inputs, batch 64, float32:

    Conv2d(1, 16, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU
    - MaxPool2d(2) - Flatten - Linear(1568, 10), cross-entropy loss, plain SGD.

Both models start from the same weights (ours copied into PyTorch's) and the script checks
that the first step gives the same loss before timing. Timings are medians of interleaved
runs after warm-up (`bench.timing.compare`); the ratio is ours / PyTorch's.

Run: ``python -m bench.cnn_step``: both libraries run single-threaded unless ``--threads N``
says otherwise (steadier on a busy machine); ``--profile`` prints a cProfile of our step.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import autograd_core as ag
from autograd_core import nn, optim

from .timing import compare, environment, limit_threads

LR = 0.01
BATCH = 64


def build_ours(seed: int = 0) -> nn.Module:
    ag.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 10),
    )


def make_batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return x, y


class OursStep:
    def __init__(self, model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
        self.model = model
        self.opt = optim.SGD(model.parameters(), lr=LR)
        self.loss_fn = nn.CrossEntropyLoss()
        self.x, self.y = ag.tensor(x), ag.tensor(y)

    def __call__(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss


class TorchStep:
    def __init__(self, torch, model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
        tnn = torch.nn
        self.torch = torch
        self.model = tnn.Sequential(
            tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Linear(1568, 10),
        )
        state = {k: torch.from_numpy(v.detach().numpy().copy())
                 for k, v in model.state_dict().items()}
        self.model.load_state_dict(state)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss_fn = tnn.CrossEntropyLoss()
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __call__(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def profile(steps: int) -> None:
    import cProfile
    import pstats

    x, y = make_batch()
    step = OursStep(build_ours(), x, y)
    for _ in range(3):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def run(repeats: int, warmup: int, threads: int | None = None) -> float | None:
    x, y = make_batch()
    model = build_ours()
    torch = _torch()
    if torch is not None and threads:
        torch.set_num_threads(threads)
    ours = OursStep(model, x, y)
    contenders = {"autograd_core": ours}
    if torch is not None:
        theirs = TorchStep(torch, model, x, y)  # copies the weights before our first step
        first_theirs = theirs().item()
        first_ours = ours().item()
        if not np.isclose(first_ours, first_theirs, rtol=1e-4):
            raise SystemExit(f"loss mismatch: autograd_core {first_ours} vs torch {first_theirs}")
        contenders["torch"] = theirs
        print(f"   torch: {torch.__version__} ({torch.get_num_threads()} threads)")
        print(f"first-step loss {first_ours:.5f} (autograd_core) vs {first_theirs:.5f} (torch)")
    timings = compare(contenders, repeats=repeats, warmup=warmup)
    print(f"\nCNN step, 1x28x28, batch {BATCH}, float32:")
    for t in timings.values():
        print(f"  {t}")
    if torch is None:
        print("  (PyTorch not installed: no ratio)")
        return None
    ratio = timings["autograd_core"].median / timings["torch"].median
    print(f"  ratio autograd_core / torch = {ratio:.3f}")
    return ratio


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument("--profile", action="store_true", help="cProfile our step")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS / PyTorch threads for every contender (default 1: two threaded libraries "
                             "in one process oversubscribe the cores and distort both; 0 keeps each "
                             "library's own default)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.threads:
        limit_threads(args.threads, f"{__package__}.cnn_step", argv)
    if args.profile:
        profile(5 if args.quick else args.repeats)
        return
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    if args.quick:
        run(3, 1, args.threads)
    else:
        run(args.repeats, args.warmup, args.threads)


if __name__ == "__main__":
    main()
