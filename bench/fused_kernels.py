"""What each fused CUDA kernel buys: the ops that call one, timed with the kernels and with
their composed array code, on the same device in the same run (part of ``bench.gpu_check``).

The composed code is what the ops run when the backend offers no kernel: `composed_arrays`
takes the CUDA backend out of `_backend.KERNEL_BACKENDS` for the duration, so the same op
calls take their array path. Each workload is a forward and a backward at a size students
use; both variants must give the same numbers (checked, and reported), then the table gives
the median times and the speed-up.

``scale`` shrinks every workload (the tests run it on the fake CUDA device at a tiny scale).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

import autograd_core as ag
from autograd_core import _backend

from .timing import compare


@contextlib.contextmanager
def composed_arrays(device: str = "cuda"):
    """Inside the block the ops on ``device`` run their composed array code (no kernels)."""
    backend = _backend.backend_for(ag.device(device))
    removed = _backend.KERNEL_BACKENDS.pop(backend.xp, None)
    try:
        yield
    finally:
        if removed is not None:
            _backend.KERNEL_BACKENDS[backend.xp] = removed


def _step(forward: Callable, *shapes, seed: int = 0, device: str = "cuda") -> Callable:
    """A zero-argument callable: ``forward(*tensors)`` then backward of its weighted sum;
    returns the output and the gradients as NumPy arrays (for the equality check)."""
    rng = np.random.default_rng(seed)
    inputs = [ag.tensor(rng.standard_normal(s).astype(np.float32), device=device,
                        requires_grad=True) for s in shapes]

    def run():
        for t in inputs:
            t.grad = None
        out = forward(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        (out * out).sum().backward()
        return [out] + [t.grad for t in inputs]

    return run


def workloads(scale: float = 1.0, device: str = "cuda") -> dict[str, Callable]:
    """name -> a step of the op that calls the kernel (forward + backward)."""
    import nn
    from autograd_core.ops.fused.lstm_sequence import lstm_sequence
    from autograd_core.ops.fused.recurrent import gru_cell

    F = nn.functional

    def n(size: int) -> int:
        return max(1, int(size * scale))

    rows, cols = n(4096), n(1024)
    classes = n(1000)
    target = ag.tensor(np.random.default_rng(1).integers(0, classes, rows), device=device)
    t, b, i, h = n(32), n(64), n(128), n(256)
    return {
        "relu": _step(ag.relu, (rows, cols), device=device),
        "sigmoid": _step(ag.sigmoid, (rows, cols), device=device),
        "tanh": _step(ag.tanh, (rows, cols), device=device),
        "silu": _step(F.silu, (rows, cols), device=device),
        "gelu (tanh)": _step(lambda x: F.gelu(x, approximate="tanh"), (rows, cols), device=device),
        "dropout": _step(lambda x: (ag.manual_seed(0), F.dropout(x, 0.5))[1], (rows, cols),
                         device=device),
        "softmax": _step(lambda x: F.softmax(x, dim=-1), (rows, classes), device=device),
        "log_softmax": _step(lambda x: F.log_softmax(x, dim=-1), (rows, classes), device=device),
        "cross_entropy": _step(lambda x: F.cross_entropy(x, target), (rows, classes),
                               device=device),
        "lstm layer": _step(lstm_sequence, (t, b, i), (b, h), (b, h), (4 * h, i), (4 * h, h),
                            (4 * h,), device=device),
        "gru cell": _step(gru_cell, (b, 3 * h), (b, h), (3 * h, h), (3 * h,), device=device),
        "conv2d 3x3 (im2col/col2im)": _step(lambda x, w: F.conv2d(x, w, padding=1),
                                            (n(32), n(64), n(32), n(32)), (n(64), n(64), 3, 3),
                                            device=device),
    }


def fused_kernel_table(scale: float = 1.0, repeats: int = 10, device: str = "cuda",
                       sync: Callable[[], None] | None = None) -> list[tuple]:
    """(workload, same numbers?, fused median s, composed median s) for each workload."""
    rows = []
    for name, step in workloads(scale, device).items():
        fused = [a.detach().cpu().numpy() for a in step()]
        with composed_arrays(device):
            composed = [a.detach().cpu().numpy() for a in step()]
        same = all(np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)
                   for a, b in zip(fused, composed))

        def run_composed(step=step):
            with composed_arrays(device):
                step()

        times = compare({"fused": step, "composed": run_composed}, repeats=repeats, warmup=2,
                        sync=sync)
        rows.append((name, same, times["fused"].median, times["composed"].median))
    return rows


def format_table(rows: list[tuple]) -> str:
    lines = [f"   {'workload (forward + backward)':32} {'fused ms':>9} {'composed ms':>12} "
             f"{'speed-up':>9}  same numbers"]
    for name, same, fused, composed in rows:
        lines.append(f"   {name:32} {fused * 1e3:9.3f} {composed * 1e3:12.3f} "
                     f"{composed / fused:8.2f}x  {'yes' if same else 'NO'}")
    return "\n".join(lines)
