"""Hogwild! training: several processes step one model whose parameters live in shared memory.

Written in PyTorch's idiom; it runs unchanged with ``torch`` bound to PyTorch (replace
``autograd_core`` by ``torch`` in the imports). Each process trains the shared MLP on its own
shard of a synthetic regression task, without locks (Recht et al., 2011: with sparse enough
updates, lock-free SGD converges); the main process then evaluates the shared model.

    python examples/hogwild.py --num-processes 2 --start-method spawn

It prints one JSON line: each process's losses, and the main process's view of the model.
"""

import argparse
import json

import numpy as np

import autograd_core as torch
import autograd_core.multiprocessing as mp
from autograd_core import nn

FEATURES = 8


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def make_data(seed, n):
    """Inputs and targets y = sin(x . w) + x_0 x_1 (the same w for every shard)."""
    w = np.linspace(-1.0, 1.0, FEATURES)
    x = np.random.default_rng(seed).standard_normal((n, FEATURES))
    y = np.sin(x @ w) + x[:, 0] * x[:, 1]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32)


def init_weights(model, seed):
    """The same starting weights under any library (drawn with NumPy)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.4, 0.4, size=tuple(p.shape)), dtype=torch.float32))


def train(rank, args, model, results):
    """One Hogwild worker: plain SGD on its shard, stepping the shared parameters in place."""
    x, y = make_data(args.seed + 1 + rank, args.samples)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.5)
    losses = []
    for _ in range(args.epochs):
        for start in range(0, args.samples, args.batch_size):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x[start:start + args.batch_size]), y[start:start + args.batch_size])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    results.put((rank, losses))


def evaluate(model, seed):
    x, y = make_data(seed, 512)
    with torch.no_grad():
        return nn.functional.mse_loss(model(x), y).item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--start-method", default="spawn", choices=mp.get_all_start_methods())
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    mp.set_start_method(args.start_method, force=True)
    model = Net()
    init_weights(model, args.seed)
    model.share_memory()  # the workers step these very parameters
    before = [p.detach().clone() for p in model.parameters()]
    eval_before = evaluate(model, args.seed + 1000)

    results = mp.Queue()
    processes = []
    for rank in range(args.num_processes):
        p = mp.Process(target=train, args=(rank, args, model, results))
        p.start()
        processes.append(p)
    losses = dict(results.get() for _ in processes)
    for p in processes:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"worker exited with code {p.exitcode}")

    change = max((p.detach() - b).abs().max().item() for p, b in zip(model.parameters(), before))
    print(json.dumps({
        "losses": [losses[rank] for rank in range(args.num_processes)],
        "eval_before": eval_before,
        "eval_after": evaluate(model, args.seed + 1000),
        "max_parameter_change": change,
        "parameters": [p.detach().numpy().ravel().tolist() for p in model.parameters()],
    }))


if __name__ == "__main__":
    main()
