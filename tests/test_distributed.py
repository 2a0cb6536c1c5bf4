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

import pytest

import autograd_core as ac
import autograd_core.distributed as dist

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "_distributed_worker.py"

needs_mpi = pytest.mark.skipif(shutil.which("mpirun") is None or not dist.is_mpi_available(),
                               reason="needs OpenMPI's mpirun and mpi4py")


def _mpirun(*args: str, timeout_s: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               AUTOGRAD_CORE_DIST_ABORT_GRACE="1")
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
def test_ddp_two_processes_match_one_process_with_twice_the_batch():
    """SGD (momentum) and Adam, with and without no_sync accumulation, several buckets."""
    done, _ = _mpirun("30", "ddp_equivalence", "ddp_details")
    _ok(done, "ddp_equivalence", "ddp_details")


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
