"""Data-parallel scaling: samples per second of the MLP, CNN and Transformer training steps on
1, 2, ... processes.

Weak scaling on one machine over shared memory: every process (rank) trains the same model
(float32, cross-entropy, SGD) on its own batch, wrapped in `nn.parallel.DistributedDataParallel`
(MPI backend). The models are the benchmark's (`bench/workloads/{mlp,cnn,transformer}.py`):

- ``mlp``: 784-256-256-10, ReLU, batch 128 per process;
- ``cnn``: conv16-pool-conv32-pool-linear on 1x28x28, batch 32 per process;
- ``transformer``: one encoder layer (d_model 256, 8 heads, sequence 128), mean-pool, Linear,
  batch 4 per process.

Per model and process count it reports

- samples/s of the whole job (ranks x batch / median step time; the slowest rank's median)
  and the speed-up over one process without DDP ("plain");
- ``all-reduce``: median time from the first gradient bucket's all-reduce starting to the last
  one finishing (during backward);
- ``waited``: the part of that the backward pass spent blocked at its end;
- ``overlap``: 1 - waited / all-reduce, the share of the communication hidden behind the rest
  of backward.

Run: ``python -m bench.scaling --nproc 1 2`` (each job starts through the launcher
``python -m autograd_core.distributed.run``, i.e. mpirun; OpenMPI and mpi4py needed).
``--quick`` runs tiny sizes and a few steps (a smoke test); ``--json PATH`` keeps the rows.
One BLAS thread per process, so N processes use N cores.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Model:
    """One model of the workload: ``build(nn)``, its per-sample input shape, the default
    batch per process, and the same three for ``--quick``."""

    name: str
    title: str
    build: Callable
    sample_shape: tuple
    batch: int
    quick_build: Callable
    quick_sample_shape: tuple
    quick_batch: int
    classes: int = 10
    notes: dict = field(default_factory=dict)


def models() -> dict[str, Model]:
    """The workload's models by name, built from the benchmark's workloads."""
    from .workloads import cnn, mlp, transformer

    full, small = transformer.SIZES, transformer.QUICK_SIZES
    return {m.name: m for m in (
        Model("mlp", "MLP 784-256-256-10", functools.partial(mlp.build, hidden=256), (784,), 128,
              functools.partial(mlp.build, hidden=64), (784,), 16),
        Model("cnn", "CNN conv16-pool-conv32-pool-linear, 1x28x28", cnn.build, (1, 28, 28), 32,
              cnn.build, (1, 28, 28), 4),
        Model("transformer", f"Transformer encoder layer d_model {full['d_model']}, "
              f"{full['heads']} heads, sequence {full['seq']}",
              functools.partial(transformer.build, d_model=full["d_model"], heads=full["heads"]),
              (full["seq"], full["d_model"]), 4,
              functools.partial(transformer.build, d_model=small["d_model"], heads=small["heads"]),
              (small["seq"], small["d_model"]), 2),
    )}


MODEL_NAMES = ("mlp", "cnn", "transformer")


# ---------------------------------------------------------------------------------- one rank
def _measure(model_spec: Model, quick: bool, batch: int | None, steps: int, warmup: int,
             bucket_mb: float, plain: bool) -> dict:
    """Train ``model_spec`` for warmup + steps steps on this rank; the job's numbers (rank 0's
    all-reduce times, the slowest rank's median step) in a dict."""
    import autograd_core as ag
    import autograd_core.distributed as dist
    import nn
    import optim

    rank, size = dist.get_rank(), dist.get_world_size()
    build = model_spec.quick_build if quick else model_spec.build
    shape = model_spec.quick_sample_shape if quick else model_spec.sample_shape
    batch = batch or (model_spec.quick_batch if quick else model_spec.batch)
    ag.manual_seed(0)
    model = build(nn)
    net = model if plain else nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
    rng = np.random.default_rng(rank)
    x = ag.tensor(rng.standard_normal((batch, *shape), dtype=np.float32))
    y = ag.tensor(rng.integers(0, model_spec.classes, batch))
    opt = optim.SGD(model.parameters(), lr=0.01)
    times, reduce_s, wait_s = [], [], []
    for i in range(warmup + steps):
        dist.barrier()
        start = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
            if not plain:
                reduce_s.append(net.comm_stats["reduce_s"])
                wait_s.append(net.comm_stats["wait_s"])
    # the slowest rank sets the pace: every rank's median, the largest kept
    mine = ag.tensor([statistics.median(times)], dtype=ag.float64)
    dist.all_reduce(mine, dist.ReduceOp.MAX)
    return {"model": model_spec.name, "nproc": size, "plain": plain, "batch": batch,
            "step_s": mine.item(),
            "reduce_s": statistics.median(reduce_s) if reduce_s else 0.0,
            "wait_s": statistics.median(wait_s) if wait_s else 0.0,
            "buckets": 0 if plain else net.comm_stats["buckets"],
            "parameters": sum(p.numel() for p in model.parameters())}


def _worker(args: argparse.Namespace) -> None:
    """One rank of a job: every model, plain first when the job has one process (only plain
    with ``--no-ddp``: the baseline when one process is not among the counts asked for)."""
    import autograd_core.distributed as dist

    dist.init_process_group("mpi")
    specs = models()
    kinds = [True] * (dist.get_world_size() == 1) + [False] * (not args.no_ddp)
    for name in args.models:
        for plain in kinds:
            row = _measure(specs[name], args.quick, args.batch, args.steps, args.warmup,
                           args.bucket_mb, plain)
            if dist.get_rank() == 0:
                print("RESULT " + json.dumps(row), flush=True)
    dist.destroy_process_group()


# ---------------------------------------------------------------------------------- the jobs
def worker_command(nproc: int, args: argparse.Namespace, ddp: bool = True) -> list[str]:
    """The launcher command that runs one job of ``nproc`` ranks (every model); ``ddp=False``
    runs the plain one-process baseline only."""
    command = [sys.executable, "-m", "autograd_core.distributed.run", "--nproc", str(nproc),
               str(Path(__file__).resolve()), "--worker", "--models", *args.models,
               "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--bucket-mb", str(args.bucket_mb)]
    if args.batch:
        command += ["--batch", str(args.batch)]
    if args.quick:
        command.append("--quick")
    if not ddp:
        command.append("--no-ddp")
    return command


def _run_job(nproc: int, args: argparse.Namespace, ddp: bool = True) -> list[dict]:
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    done = subprocess.run(worker_command(nproc, args, ddp), capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=args.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"the {nproc}-process job failed (exit status {done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return [json.loads(line[len("RESULT "):]) for line in done.stdout.splitlines()
            if line.startswith("RESULT ")]


def overlap(row: dict) -> float | None:
    """The share of the all-reduce time hidden behind backward (None without all-reduce)."""
    if row["plain"] or row["reduce_s"] <= 0:
        return None
    return min(1.0, max(0.0, 1.0 - row["wait_s"] / row["reduce_s"]))


def table(rows: list[dict]) -> str:
    """A Markdown table, one line per (model, processes, DDP); speed-ups over the model's plain
    one-process run (or its first row when there is none)."""
    lines = ["| model | processes | DDP | samples/s | speed-up | step | all-reduce | waited "
             "| overlap |", "|---|---|---|---|---|---|---|---|---|"]
    for model in dict.fromkeys(r.get("model", "mlp") for r in rows):
        mine = [r for r in rows if r.get("model", "mlp") == model]
        base = next((r for r in mine if r["plain"]), mine[0])
        base_rate = base["nproc"] * base["batch"] / base["step_s"]
        for r in mine:
            rate = r["nproc"] * r["batch"] / r["step_s"]
            share = overlap(r)
            hidden = "" if r["plain"] else ("n/a" if share is None else f"{share:.0%}")
            reduce = "" if r["plain"] else f"{r['reduce_s'] * 1e3:.2f} ms"
            waited = "" if r["plain"] else f"{r['wait_s'] * 1e3:.2f} ms"
            lines.append(f"| {model} | {r['nproc']} | {'no' if r['plain'] else 'yes'} | "
                         f"{rate:,.0f} | {rate / base_rate:.2f}x | {r['step_s'] * 1e3:.2f} ms | "
                         f"{reduce} | {waited} | {hidden} |")
    return "\n".join(lines)


def describe(args: argparse.Namespace) -> str:
    """The line above the table: models, batches, machine, threads, how the median was taken."""
    from .timing import cpu_model

    specs = models()
    sizes = ", ".join(f"{name} batch {args.batch or (specs[name].quick_batch if args.quick else specs[name].batch)}"
                      for name in args.models)
    return (f"{'quick (tiny sizes): ' if args.quick else ''}per process {sizes}; float32, SGD; "
            f"{cpu_model()}, {os.cpu_count()} cores, one BLAS thread per process; median of "
            f"{args.steps} steps after {args.warmup} warm-up; DDP buckets {args.bucket_mb} MB")


def default_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to ``cores`` (1 and 2 at least): one process per core."""
    counts = [1, 2]
    while counts[-1] * 2 <= cores:
        counts.append(counts[-1] * 2)
    return counts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling",
                                     description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--nproc", type=int, nargs="+", default=None,
                        help="process counts to run, one job each (default: 1, 2, 4, ... up to "
                             "the number of cores, at least 1 2; --quick: 1 2)")
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES))
    parser.add_argument("--batch", type=int, default=None,
                        help="samples per process and step, for every model (default: per model)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 20; quick 3)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3; quick 1)")
    parser.add_argument("--bucket-mb", type=float, default=0.25,
                        help="DDP bucket size (small buckets start communicating sooner)")
    parser.add_argument("--quick", action="store_true", help="tiny models, few steps: a smoke test")
    parser.add_argument("--json", type=Path, default=None, help="write the rows to this file")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per job")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-ddp", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.steps = args.steps or (3 if args.quick else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    if args.worker:
        _worker(args)
        return 0
    args.nproc = args.nproc or default_counts(1 if args.quick else os.cpu_count() or 1)
    bad = [n for n in args.nproc if n < 1]
    if bad:
        raise SystemExit(f"python -m bench.scaling: --nproc takes counts of at least 1, got {bad}")
    # the plain one-process run is every model's baseline, whatever counts were asked for
    rows = [] if 1 in args.nproc else _run_job(1, args, ddp=False)
    rows += [row for n in dict.fromkeys(args.nproc) for row in _run_job(n, args)]
    order = {name: i for i, name in enumerate(args.models)}
    rows.sort(key=lambda r: (order[r["model"]], r["nproc"], not r["plain"]))
    header = describe(args)
    print(header)
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # started as a script by the launcher: import as bench.scaling
        sys.path[0] = str(ROOT)  # the repository, not bench/, first on the path
        from bench.scaling import main as package_main

        sys.exit(package_main())
    sys.exit(main())
