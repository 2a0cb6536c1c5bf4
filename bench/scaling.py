"""Data-parallel scaling: samples per second of the MLP training step on 1, 2, ... processes.

Weak scaling on one machine over shared memory: every process (rank) trains the same
784-256-256-10 MLP (ReLU, cross-entropy, SGD, float32) on its own batch of ``--batch``
samples, wrapped in `nn.parallel.DistributedDataParallel` (MPI backend). Per process count
it reports

- samples/s of the whole job (ranks x batch / median step time) and the speed-up over one
  process without DDP ("plain"),
- ``all-reduce``: median time from the first gradient bucket's all-reduce starting to the
  last one finishing (during backward),
- ``waited``: the part of that the backward pass spent blocked at its end,
- ``overlap``: 1 - waited / all-reduce, the share of the communication hidden behind the
  rest of backward.

Run: ``python -m bench.scaling --nproc 1 2`` (it starts each job through mpirun; OpenMPI
and mpi4py needed). One BLAS thread per process, so N processes use N cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HIDDEN = 256


def _worker(batch: int, steps: int, warmup: int, bucket_mb: float, plain: bool) -> None:
    import autograd_core as ag
    import autograd_core.distributed as dist
    import nn
    import optim

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                          nn.Linear(HIDDEN, 10))
    net = model if plain else nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
    rng = np.random.default_rng(rank)
    x = ag.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, batch))
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
                stats = net.comm_stats
                reduce_s.append(stats["reduce_s"])
                wait_s.append(stats["wait_s"])
    # the slowest rank sets the pace: gather every rank's median
    mine = ag.tensor([statistics.median(times)], dtype=ag.float64)
    dist.all_reduce(mine, dist.ReduceOp.MAX)
    if rank == 0:
        out = {"nproc": size, "plain": plain, "batch": batch, "step_s": mine.item(),
               "reduce_s": statistics.median(reduce_s) if reduce_s else 0.0,
               "wait_s": statistics.median(wait_s) if wait_s else 0.0,
               "buckets": net.comm_stats["buckets"] if not plain else 0}
        print("RESULT " + json.dumps(out), flush=True)
    dist.destroy_process_group()


def _run_job(nproc: int, args, plain: bool) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    command = ["mpirun", "-n", str(nproc), "--oversubscribe", "--bind-to", "none", sys.executable,
               "-m", "bench.scaling", "--worker", "--batch", str(args.batch), "--steps",
               str(args.steps), "--warmup", str(args.warmup), "--bucket-mb", str(args.bucket_mb)]
    if plain:
        command.append("--plain")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=here, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"mpirun -n {nproc} failed:\n{done.stdout}\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def table(rows: list[dict]) -> str:
    base = next((r for r in rows if r["plain"]), rows[0])
    base_rate = base["batch"] / base["step_s"]
    lines = ["| processes | DDP | samples/s | speed-up | step | all-reduce | waited | overlap |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rate = r["nproc"] * r["batch"] / r["step_s"]
        overlap = "" if r["plain"] else f"{max(0.0, 1 - r['wait_s'] / r['reduce_s']):.0%}" \
            if r["reduce_s"] > 0 else "n/a"
        reduce = "" if r["plain"] else f"{r['reduce_s'] * 1e3:.2f} ms"
        waited = "" if r["plain"] else f"{r['wait_s'] * 1e3:.2f} ms"
        lines.append(f"| {r['nproc']} | {'no' if r['plain'] else 'yes'} | {rate:,.0f} | "
                     f"{rate / base_rate:.2f}x | {r['step_s'] * 1e3:.2f} ms | {reduce} | {waited} | "
                     f"{overlap} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=128, help="samples per process and step")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bucket-mb", type=float, default=0.25,
                        help="DDP bucket size (small buckets start communicating sooner)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.batch, args.steps, args.warmup, args.bucket_mb, args.plain)
        return 0
    rows = [_run_job(1, args, plain=True)] + [_run_job(n, args, plain=False) for n in args.nproc]
    print(f"MLP 784-{HIDDEN}-{HIDDEN}-10, batch {args.batch} per process, float32, SGD; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, one BLAS thread "
          f"per process; median of {args.steps} steps after {args.warmup} warm-up")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
