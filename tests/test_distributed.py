"""autograd_core.distributed and nn.parallel.DistributedDataParallel under ``mpirun -n 2``.

Each test starts one MPI job running scenarios of ``tests/_distributed_worker.py`` (which
assert their own results); skipped only where mpirun or mpi4py is missing (CI installs both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ac
import autograd_core.distributed as dist

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "_distributed_worker.py"

needs_mpi = pytest.mark.skipif(shutil.which("mpirun") is None or not dist.is_mpi_available(),
                               reason="needs OpenMPI's mpirun and mpi4py")


def _mpirun(*args: str, timeout_s: float = 60,
            env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               AUTOGRAD_CORE_DIST_ABORT_GRACE="1", **(env or {}))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = ["mpirun", "-n", "2", "--oversubscribe", sys.executable, str(WORKER), *args]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
    return done, time.monotonic() - start


def _ok(done: subprocess.CompletedProcess, *names: str) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    for name in names:
        for rank in (0, 1):
            assert f"rank {rank}: {name} OK" in done.stdout, done.stdout + done.stderr


@needs_mpi
def test_collectives_results_and_shape_checks():
    done, _ = _mpirun("20", "collectives", "shape_mismatch")
    _ok(done, "collectives", "shape_mismatch")


@needs_mpi
def test_ddp_two_processes_match_one_process_with_twice_the_batch(tmp_path):
    """SGD (momentum) and Adam, with and without no_sync accumulation, several buckets;
    then float64 Adam against PyTorch on the full batch from the same weights."""
    out = tmp_path / "ddp_float64.npz"
    done, _ = _mpirun("30", "ddp_equivalence", "ddp_details", "ddp_float64",
                      env={"AUTOGRAD_CORE_DIST_OUT": str(out)})
    _ok(done, "ddp_equivalence", "ddp_details", "ddp_float64")
    torch = pytest.importorskip("torch")
    saved = dict(np.load(out))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                 torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    names = [n for n, _ in theirs.named_parameters()]
    with torch.no_grad():
        for n, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(saved[f"init.{n}"]))
    opt = torch.optim.Adam(theirs.parameters(), lr=0.01)
    x, y = torch.from_numpy(saved["x"]), torch.from_numpy(saved["y"])
    for step in range(3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(theirs(x), y).backward()
        for n, p in zip(names, theirs.parameters()):
            np.testing.assert_allclose(saved[f"grad{step}.{n}"], p.grad.numpy(), rtol=1e-10,
                                       atol=1e-13, err_msg=f"step {step} {n}")
        opt.step()
    for n, p in zip(names, theirs.parameters()):
        np.testing.assert_allclose(saved[f"final.{n}"], p.detach().numpy(), rtol=1e-10, atol=1e-13)


@needs_mpi
def test_launcher_starts_the_ranks_through_mpirun(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import autograd_core as ac, autograd_core.distributed as dist\n"
                      "dist.init_process_group('mpi')\n"
                      "x = ac.ones(1) * dist.get_rank()\n"
                      "dist.all_reduce(x)\n"
                      "print(f'rank {dist.get_rank()} of {dist.get_world_size()} sum {x.item()}', "
                      "flush=True)\n"
                      "dist.destroy_process_group()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "autograd_core.distributed.run", "--nproc", "2",
                           str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "rank 0 of 2 sum 1.0" in done.stdout and "rank 1 of 2 sum 1.0" in done.stdout


def test_launcher_command_line():
    from autograd_core.distributed import run

    assert run.build_command(4, "train.py", ["--lr", "0.1"], python="py") == [
        "mpirun", "-n", "4", "--oversubscribe", "py", "train.py", "--lr", "0.1"]
    env = run.environment({})
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert env["OMPI_ALLOW_RUN_AS_ROOT"] == "1" and env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] == "1"
    with pytest.raises(ValueError, match="at least 1"):
        run.build_command(0, "train.py", [])


@needs_mpi
def test_a_rank_that_raises_stops_the_others_with_its_error():
    done, seconds = _mpirun("30", "peer_raises")
    assert done.returncode != 0
    assert "ValueError: boom on purpose" in done.stderr
    assert "all_reduce on rank 0 stopped: rank 1 failed with ValueError: boom on purpose" in \
        done.stderr, done.stderr
    assert seconds < 25  # well before the 30 s deadline: the failure was reported, not waited out


@needs_mpi
def test_a_rank_that_never_arrives_times_out_instead_of_hanging():
    done, seconds = _mpirun("2", "peer_hangs")
    assert done.returncode != 0
    assert "all_reduce timed out on rank 0 after 2 s" in done.stderr, done.stderr
    assert seconds < 30  # rank 1 sleeps 60 s: the job was ended by rank 0's deadline


def test_collective_before_init_process_group_says_so():
    assert not dist.is_initialized()
    for call in (lambda: dist.all_reduce(ac.ones(2)), dist.get_rank, dist.get_world_size,
                 dist.barrier, lambda: dist.broadcast(ac.ones(2), 0)):
        with pytest.raises(ValueError, match="call init_process_group"):
            call()


def test_ddp_before_init_process_group_says_so():
    import nn

    with pytest.raises(ValueError, match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="'mpi' on the CPU, 'nccl' on GPUs"):
        dist.init_process_group("gloo")
    assert not dist.is_initialized()


def test_reduce_op_names_match_torch():
    torch = pytest.importorskip("torch")
    ours = [op.name for op in dist.ReduceOp]
    assert set(ours) <= set(torch.distributed.ReduceOp.RedOpType.__members__)
    assert issubclass(dist.DistBackendError, RuntimeError)


def test_scaling_table_reports_speedup_and_overlap():
    from bench.scaling import table

    rows = [{"nproc": 1, "plain": True, "batch": 100, "step_s": 0.01, "reduce_s": 0, "wait_s": 0},
            {"nproc": 2, "plain": False, "batch": 100, "step_s": 0.0125, "reduce_s": 0.004,
             "wait_s": 0.001}]
    text = table(rows)
    assert "| 2 | yes | 16,000 | 1.60x | 12.50 ms | 4.00 ms | 1.00 ms | 75% |" in text, text
