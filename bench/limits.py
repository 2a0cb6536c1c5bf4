"""What limits the two CPU rows that stay behind their goal, measured.

1. **MLP batch 128 against NumPy by hand.** The step by hand keeps each weight as
   (in, out), so its forward products are ``x @ W``; ours keeps PyTorch's (out, in) layout
   (``state_dict`` compatibility, ``weight.is_contiguous()``), so they are ``x @ W.T``, which
   OpenBLAS runs slower at these shapes. The forward is timed four ways: by hand in each
   layout, ours under ``no_grad`` (the same products, plus our per-op bookkeeping) and ours
   recording the graph. Then the whole step, phase by phase (forward, loss, backward, update),
   by hand in PyTorch's layout and ours, the two alternating as in the benchmark; and the
   same step at batch 1, hidden 8, where the arithmetic takes microseconds: what is left
   there is each side's fixed cost per step (ours: about 20 graph nodes and their
   bookkeeping), the part of the batch-128 difference that does not grow with the batch.
2. **LSTM against PyTorch.** PyTorch's CPU LSTM is one oneDNN primitive for the whole
   sequence; ours is a NumPy product and a few NumPy calls per time step. PyTorch is timed
   with oneDNN on (its default) and off (``torch.backends.mkldnn.flags(enabled=False)``:
   its own per-step code).

One thread; each group interleaved in one process, the process's CPU time, medians.

Run: ``python -m bench.limits [--repeats 30]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

import autograd_core as ag

from .mlp_step import LR, make_problem
from .timing import compare, environment, limit_threads, set_clock
from .workloads._common import OURS_LIBRARY, Config
from .workloads.lstm import LSTM
from .workloads.mlp import build


def mlp_forward(repeats: int) -> dict[str, float]:
    """Median ms of the forward of the 784-256-256-10 MLP at batch 128, four ways."""
    x, _, weights = make_problem(128, 256)
    in_out = [w for w in weights]  # (in, out) weights, biases
    out_in = [w.T.copy() if w.ndim == 2 else w for w in weights]

    def by_hand(params, transposed: bool):
        w1, b1, w2, b2, w3, b3 = params

        def forward():
            h = x
            for w, b, last in ((w1, b1, False), (w2, b2, False), (w3, b3, True)):
                z = h @ (w.T if transposed else w)
                z += b
                h = z if last else np.maximum(z, 0)
            return h
        return forward

    model = build(ag.nn, 256)
    with ag.no_grad():
        for layer, w, b in zip(model[::2], out_in[::2], out_in[1::2]):
            layer.weight.copy_(ag.tensor(w))
            layer.bias.copy_(ag.tensor(b))
    xt = ag.tensor(x)

    def ours_no_grad():
        with ag.no_grad():
            return model(xt)

    timings = compare({"by hand, W as (in, out)": by_hand(in_out, False),
                       "by hand, W as (out, in) (PyTorch's layout)": by_hand(out_in, True),
                       "ours, no_grad": ours_no_grad,
                       "ours, recording the graph": lambda: model(xt)}, repeats=repeats)
    return {name: t.median * 1e3 for name, t in timings.items()}


def _hand_step_phases(x, y, params):
    """The by-hand step in PyTorch's weight layout; returns its four phase times."""
    clock = time.process_time
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    t0 = clock()
    z1 = x @ w1.T
    z1 += b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2.T
    z2 += b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3.T
    logits += b3
    t1 = clock()
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    float(np.log(total).mean() - shifted[rows, y].mean())
    t2 = clock()
    delta = exp / total
    delta[rows, y] -= 1
    delta /= n
    d2 = delta @ w3
    d2 *= h2 > 0
    d1 = d2 @ w2
    d1 *= h1 > 0
    grads = [d1.T @ x, d1.sum(axis=0), d2.T @ h1, d2.sum(axis=0), delta.T @ h2, delta.sum(axis=0)]
    t3 = clock()
    for p, g in zip(params, grads):
        p -= LR * g
    t4 = clock()
    return t1 - t0, t2 - t1, t3 - t2, t4 - t3


def mlp_step_phases(repeats: int, batch: int = 128, hidden: int = 256) -> dict[str, dict[str, float]]:
    """Median ms of each phase of the MLP step: by hand in PyTorch's layout and ours,
    alternating. At batch 1, hidden 8 the arithmetic is a few microseconds, so what is left
    is each side's fixed cost per step (ours: the per-node bookkeeping)."""
    clock = time.process_time
    x, y, weights = make_problem(batch, hidden)
    params = [w.T.copy() if w.ndim == 2 else w.copy() for w in weights]
    model = build(ag.nn, hidden)
    with ag.no_grad():
        for layer, w, b in zip(model[::2], params[::2], params[1::2]):
            layer.weight.copy_(ag.tensor(w))
            layer.bias.copy_(ag.tensor(b))
    optimizer = ag.optim.SGD(model.parameters(), lr=LR)
    loss_fn = ag.nn.CrossEntropyLoss()
    xt, yt = ag.tensor(x), ag.tensor(y)

    def ours():
        optimizer.zero_grad()
        t0 = clock()
        out = model(xt)
        t1 = clock()
        loss = loss_fn(out, yt)
        t2 = clock()
        loss.backward()
        t3 = clock()
        optimizer.step()
        t4 = clock()
        return t1 - t0, t2 - t1, t3 - t2, t4 - t3

    samples = {"by hand, PyTorch's layout": [], "ours": []}
    for round_ in range(repeats + 3):
        for name, run in (("by hand, PyTorch's layout", lambda: _hand_step_phases(x, y, params)),
                          ("ours", ours)):
            phases = run()
            if round_ >= 3:  # (three warm-up rounds)
                samples[name].append(phases)
    names = ("forward", "loss", "backward", "update")
    return {who: {phase: float(np.median([s[i] for s in runs])) * 1e3
                  for i, phase in enumerate(names)} for who, runs in samples.items()}


def lstm_steps(repeats: int, batches=(8, 32, 128)) -> dict[int, dict[str, float]] | None:
    """Median ms of the benchmark's LSTM step: ours, PyTorch with and without oneDNN."""
    from .peers import load_torch

    torch_lib = load_torch(1)
    if torch_lib is None:
        return None
    import torch

    warnings.filterwarnings("ignore", message=".*TF32.*")  # printed when oneDNN is switched
    results = {}
    steps = {}
    for batch in batches:
        config = Config(batch, batch, "", None, {"seq": 50})
        ours = LSTM().contender(OURS_LIBRARY, config, "cpu").step
        steps[batch] = theirs = LSTM().contender(torch_lib, config, "cpu").step
        timings = compare({"ours": ours, "pytorch (oneDNN LSTM)": theirs}, repeats=repeats)
        results[batch] = {name: t.median * 1e3 for name, t in timings.items()}
    # PyTorch without oneDNN last: once switched off and on, its LSTM runs slower after
    with torch.backends.mkldnn.flags(enabled=False):
        for batch in batches:
            timing = compare({"pytorch (oneDNN off)": steps[batch]}, repeats=repeats)
            results[batch]["pytorch (oneDNN off)"] = timing["pytorch (oneDNN off)"].median * 1e3
    return results


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.limits", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    limit_threads(1, "bench.limits", argv)
    set_clock("cpu")
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    print("\nMLP 784-256-256-10 forward, batch 128 (median ms):")
    forward = mlp_forward(args.repeats)
    base = forward["by hand, W as (in, out)"]
    for name, ms in forward.items():
        print(f"  {name:45s} {ms:7.3f}  {ms / base:.2f}x")
    for batch, hidden in ((128, 256), (1, 8)):
        print(f"\nMLP 784-{hidden}-{hidden}-10 step at batch {batch} by phase, by hand in PyTorch's "
              f"layout and ours, alternating (median ms):")
        phases = mlp_step_phases(args.repeats, batch, hidden)
        hand, ours = phases["by hand, PyTorch's layout"], phases["ours"]
        for phase in hand:
            print(f"  {phase:9s} by hand {hand[phase]:6.3f}   ours {ours[phase]:6.3f}   "
                  f"difference {ours[phase] - hand[phase]:+6.3f}")
        print(f"  {'step':9s} by hand {sum(hand.values()):6.3f}   ours {sum(ours.values()):6.3f}   "
              f"{sum(ours.values()) / sum(hand.values()):.2f}x")
    print("\nLSTM training step, hidden 128, sequence 50 (median ms):")
    lstm = lstm_steps(max(5, args.repeats // 2))
    if lstm is None:
        print("  PyTorch is not installed: pip install torch")
        return
    for batch, row in lstm.items():
        ours = row["ours"]
        cells = "  ".join(f"{name} {ms:.2f}" for name, ms in row.items())
        print(f"  batch {batch:4d}: {cells}  | ours/oneDNN {ours / row['pytorch (oneDNN LSTM)']:.2f}x"
              f"  ours/oneDNN-off {ours / row['pytorch (oneDNN off)']:.2f}x")


if __name__ == "__main__":
    main()
