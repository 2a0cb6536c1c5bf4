"""One LSTM training step (issue 3) against the same step in PyTorch on the CPU.

Sequence 50, batch 32, input 16, hidden 128; the last hidden state goes through
Linear(128, 1), then MSE loss and plain SGD, float32. Both sides start from the same
weights (copied from the PyTorch model by name) and the script checks that they compute
the same losses over two steps before timing.

Timings are the median of several interleaved runs after warm-up (`bench.timing.compare`),
so a drifting machine load affects both alike; the ratio is ours / PyTorch's.

Run: ``python -m bench.lstm_step`` (``--profile`` prints where our step spends its time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

import numpy as np
from autograd_core.nn import functional as F

import autograd_core as ag
from autograd_core import nn, optim

from .timing import compare, environment, limit_threads

SEQ, BATCH, INPUT, HIDDEN = 50, 32, 16, 128
LR = 0.01


class Model(nn.Module):
    """LSTM -> last hidden state -> Linear(hidden, 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(INPUT, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def make_ours(state: dict):
    model = Model()
    model.load_state_dict({k: ag.tensor(v) for k, v in state.items()})
    opt = optim.SGD(model.parameters(), lr=LR)

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def make_torch(torch):
    class TorchModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(INPUT, HIDDEN)
            self.head = torch.nn.Linear(HIDDEN, 1)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[-1])

    model = TorchModel()
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step(x, y):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return step, state


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument("--profile", action="store_true", help="cProfile our step")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS / PyTorch threads for every contender (default 1: two threaded libraries "
                             "in one process oversubscribe the cores and distort both; 0 keeps each "
                             "library's own default)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.threads:
        limit_threads(args.threads, f"{__package__}.lstm_step", argv)
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    y = rng.standard_normal((BATCH, 1)).astype(np.float32)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None:
        print("PyTorch is not installed: timing our step alone")
        state = {k: v.detach().numpy() for k, v in Model().state_dict().items()}
    else:
        torch.manual_seed(0)
        if args.threads:
            torch.set_num_threads(args.threads)
        print(f"   torch: {torch.__version__} ({torch.get_num_threads()} threads)")
        torch_step, state = make_torch(torch)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    ours = make_ours(state)
    ax, ay = ag.tensor(x), ag.tensor(y)
    if args.profile:
        for _ in range(3):
            ours(ax, ay)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            ours(ax, ay)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    contenders = {"autograd_core": lambda: ours(ax, ay)}
    if torch is not None:
        for k in range(2):  # same losses over two steps: forward, gradients and SGD agree
            a, b = ours(ax, ay).item(), torch_step(tx, ty).item()
            if not np.isclose(a, b, rtol=1e-4, atol=1e-6):
                raise SystemExit(f"loss mismatch at step {k}: ours {a} vs PyTorch {b}")
        contenders["pytorch"] = lambda: torch_step(tx, ty)
    repeats = 5 if args.quick else args.repeats
    timings = compare(contenders, repeats=repeats)
    print(f"\nLSTM step (seq {SEQ}, batch {BATCH}, input {INPUT}, hidden {HIDDEN}, "
          f"Linear({HIDDEN}, 1), MSE, SGD), float32:")
    for t in timings.values():
        print(f"  {t}")
    if torch is not None:
        ratio = timings["autograd_core"].median / timings["pytorch"].median
        print(f"  ratio autograd_core / pytorch = {ratio:.3f} (target <= 1.2)")


if __name__ == "__main__":
    main()
