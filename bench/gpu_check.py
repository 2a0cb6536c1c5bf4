"""``python -m bench.gpu_check``: the first run on a GPU, in about five minutes.

Five parts, each reported PASS/FAIL (exit status 1 if any fails, 2 without a usable GPU):

1. **kernel compile times**: every elementwise kernel the optimisers can build and every
   fused kernel of the backend (`fused_optim.catalog`: activations, LSTM/GRU gates, dropout,
   softmax and cross-entropy, im2col/col2im), in float32 and float64, compiled by CuPy into
   an empty kernel cache and launched once; the first launch (compile + load) against the
   second;
   then **what each fused kernel buys** (`bench.fused_kernels`): each op that calls one,
   forward and backward, timed with the kernels and with the composed array code, and the
   two checked to give the same numbers;
2. **host syncs per training step**: an MLP, a CNN and an LSTM step (forward, backward,
   Adam) with every transfer to the host counted (``cupy.ndarray.get``/``item``/``tolist``/
   ``bool``/``int``/``float``, ``cupy.asnumpy``): the design wants none inside a step;
3. **the tests on the GPU**: every device-parametrised and fake-CUDA test, with
   ``AUTOGRAD_CORE_REAL_CUDA=1`` mapping the fake to the real device (``tests/fake_cupy.py``);
4. **the benchmark**: ``python -m bench --device all --strict --quick --no-all-cores``
   (``--full``: full sizes and the all-core CPU column, longer than five minutes).

Budget: about a minute of kernel compilation (about 200 kernels), some seconds of fused-kernel
timings, at most 120 s of tests and 100 s of benchmark, each cut off (and reported FAIL)
past its limit.

Without a GPU it prints why, and each GPU goal of the benchmark as not measured, with the
command that measures it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import autograd_core as ag

ROOT = Path(__file__).resolve().parent.parent

# The benchmark's GPU goals, and the command that measures each.
GOALS = [
    ("matmul within 1.05x of bare CuPy at n >= 2048",
     "python -m bench --device cuda --workloads matmul --strict"),
    ("MLP step at batch >= 1024 within 1.3x of PyTorch CUDA",
     "python -m bench --device cuda --workloads mlp --strict"),
    ("CNN step within 3x of PyTorch CUDA", "python -m bench --device cuda --workloads cnn --strict"),
    ("LSTM step within 2x of PyTorch CUDA", "python -m bench --device cuda --workloads lstm --strict"),
    ("GPU over all-core CPU at least 20x on the MLP at batch 4096, hidden 4096",
     "python -m bench --device all --workloads mlp --strict"),
]


# ----------------------------------------------------------------------- 1. compile times
def kernel_compile_times(cupy) -> list[tuple[str, str, float, float]]:
    """(kernel, dtype, first launch s, second launch s) for every catalog kernel, compiled
    into a fresh kernel cache (``CUPY_CACHE_DIR``) so the first launch really compiles."""
    from autograd_core.ops.fused_optim import catalog

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        saved = os.environ.get("CUPY_CACHE_DIR")
        os.environ["CUPY_CACHE_DIR"] = cache
        try:
            for dtype in catalog.KERNEL_DTYPES:
                for k, spec in enumerate(catalog.every_kernel() + catalog.backend_kernels()):
                    kernel = cupy.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation,
                                                    f"{spec.name}_{k}", preamble=spec.preamble)
                    args = [_sample_argument(cupy, param, spec, dtype)
                            for param in spec.in_params.split(",")]
                    outs = [cupy.ones(1024, dtype if param.split()[-2] == "T" else param.split()[-2])
                            for param in spec.out_params.split(",")]
                    times = []
                    for _ in range(2):
                        start = time.perf_counter()
                        kernel(*args, *outs)
                        cupy.cuda.Device().synchronize()
                        times.append(time.perf_counter() - start)
                    rows.append((f"{spec.name}_{k}", dtype, times[0], times[1]))
        finally:
            if saved is None:
                os.environ.pop("CUPY_CACHE_DIR", None)
            else:
                os.environ["CUPY_CACHE_DIR"] = saved
    return rows


def _sample_argument(cupy, param: str, spec, dtype: str):
    """A harmless argument for one kernel parameter: 1024 elements (a raw one 64 times as
    many, so any index a geometry of ones gives stays inside), 1 for an integer scalar."""
    words = param.split()
    kind = dtype if words[-2] == "T" else words[-2]
    if words[0] == "raw":
        return cupy.full(1024 * 64, 0.5, kind)
    if words[-1] in spec.array_inputs:
        return cupy.zeros(1024, kind) if np.dtype(kind).kind in "biu" else cupy.full(1024, 0.5, kind)
    return np.dtype(kind).type(1 if np.dtype(kind).kind in "biu" else 0.9)


# ----------------------------------------------------------------------- 2. host syncs
def training_steps(device: str) -> dict:
    """Small MLP, CNN and LSTM training steps (forward, backward, Adam) on ``device``."""
    import nn
    import optim

    ag.manual_seed(0)
    steps = {}

    def make(model, x, target, loss_fn):
        model = model.to(device)
        opt = optim.Adam(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), target)
            loss.backward()
            opt.step()
            return loss

        return step

    labels = ag.randint(0, 10, (64,), device=device)
    steps["mlp"] = make(nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10)),
                        ag.randn(64, 32, device=device), labels, nn.CrossEntropyLoss())
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8 * 8 * 8, 10))
    steps["cnn"] = make(cnn, ag.randn(16, 1, 16, 16, device=device), labels[:16], nn.CrossEntropyLoss())

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(8, 32, batch_first=True), nn.Linear(32, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    steps["lstm"] = make(Sequence(), ag.randn(16, 12, 8, device=device), ag.randn(16, 1, device=device),
                         nn.MSELoss())
    return steps


@contextlib.contextmanager
def counting_cupy_syncs(cupy):
    """Count every transfer to the host made through CuPy's array API while inside."""
    counts: dict = {}
    patched = []

    def wrap(owner, name):
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return original(*args, **kwargs)

        setattr(owner, name, counted)
        patched.append((owner, name, original))

    for name in ("get", "item", "tolist", "__bool__", "__int__", "__float__"):
        wrap(cupy.ndarray, name)
    wrap(cupy, "asnumpy")
    try:
        yield counts
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


def syncs_per_step(steps: dict, counting, warmup: int = 2, measured: int = 5) -> dict:
    """Host transfers per step of each training step, counted by the ``counting`` context."""
    out = {}
    for name, step in steps.items():
        for _ in range(warmup):
            step()
        with counting() as counts:
            for _ in range(measured):
                step()
        out[name] = (sum(counts.values()) / measured, dict(counts))
    return out


# ----------------------------------------------------------------------- 3, 4. subprocesses
TEST_SELECTION = ("(cuda or gpu or device or fake) and not fake_arrays and not replay "
                  "and not kernels_compile")


def run(command: list[str], timeout: float, env: dict | None = None) -> tuple[bool, float, str]:
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True)
        ok, output = done.returncode == 0, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        ok, output = False, f"timed out after {timeout:.0f} s\n{exc.stdout or ''}"
    return ok, time.perf_counter() - start, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the benchmark at full sizes (longer)")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--skip-bench", action="store_true")
    args = parser.parse_args(argv)
    if not ag.cuda.is_available():
        print(f"no GPU: {ag.cuda.unavailable_reason()}")
        for goal, command in GOALS:
            print(f"- {goal}: not measured: no GPU available (measure: {command})")
        return 2
    from autograd_core import _backend

    cupy = _backend.cuda_backend().xp
    print(f"GPU: {ag.cuda.get_device_name()}  CuPy {cupy.__version__}  "
          f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}")
    verdicts = {}

    rows = kernel_compile_times(cupy)
    first = sorted(r[2] for r in rows)
    print(f"\n1. {len(rows)} kernels compiled: total {sum(first):.1f} s, median {first[len(first) // 2] * 1e3:.0f} "
          f"ms, max {first[-1] * 1e3:.0f} ms ({max(rows, key=lambda r: r[2])[0]}); second launch median "
          f"{sorted(r[3] for r in rows)[len(rows) // 2] * 1e6:.0f} us")
    verdicts["kernels compile"] = True

    from bench.fused_kernels import format_table, fused_kernel_table

    table = fused_kernel_table(sync=ag.cuda.synchronize)
    print("\n   what each fused kernel buys (float32, median of 10, same device):")
    print(format_table(table))
    verdicts["fused kernels equal the composed code"] = all(same for _, same, _, _ in table)

    per_step = syncs_per_step(training_steps("cuda"), lambda: counting_cupy_syncs(cupy))
    print("\n2. host syncs per training step (design: 0)")
    for name, (count, kinds) in per_step.items():
        print(f"   {name:5} {count:g}  {kinds}")
    verdicts["no host sync in a step"] = all(c == 0 for c, _ in per_step.values())

    if not args.skip_tests:
        env = dict(os.environ, AUTOGRAD_CORE_REAL_CUDA="1")
        ok, seconds, output = run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
                                   "-k", TEST_SELECTION], timeout=120, env=env)
        print(f"\n3. tests on the GPU ({seconds:.0f} s): {output.strip().splitlines()[-1] if output.strip() else ''}")
        if not ok:
            print(output[-4000:])
        verdicts["tests on the GPU"] = ok
    if not args.skip_bench:
        command = [sys.executable, "-m", "bench", "--device", "all", "--strict", "--quiet"]
        command += [] if args.full else ["--quick", "--no-all-cores"]  # (the all-core CPU run: --full)
        ok, seconds, output = run(command, timeout=None if args.full else 100)
        print(f"\n4. {' '.join(command[1:])} ({seconds:.0f} s), exit {'0' if ok else 'non-zero'}")
        print(output[-6000:])
        verdicts["benchmark --strict"] = ok

    print("\nGPU goals of the benchmark (measure each at full size):")
    for goal, command in GOALS:
        print(f"- {goal}: {command}")
    print("\n" + "\n".join(f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in verdicts.items()))
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
