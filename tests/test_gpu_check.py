"""``python -m bench.gpu_check``: without a GPU it says so and lists every goal as not
measured; its training steps take no host sync on fake-CUDA (counted by the fake)."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
from fake_cupy import (
    HOST_SYNCS,
    REAL_CUDA,
    fake_cuda,  # noqa: F401  (the fixture)
    requires_fake,
)

import autograd_core as ag
from bench import gpu_check


@pytest.mark.skipif(ag.cuda.is_available(), reason="a GPU is present: the check would run")
def test_without_a_gpu_every_goal_is_reported_not_measured():
    done = subprocess.run([sys.executable, "-m", "bench.gpu_check"], capture_output=True, text=True,
                          cwd=gpu_check.ROOT, timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stdout.splitlines() if "not measured: no GPU available" in line]
    assert len(lines) == len(gpu_check.GOALS) == 5
    assert all("python -m bench --device" in line for line in lines)


@contextlib.contextmanager
def _fake_counting():
    HOST_SYNCS.clear()
    yield HOST_SYNCS


@requires_fake
@pytest.mark.usefixtures("fake_cuda")
def test_training_steps_take_no_host_sync_on_fake_cuda():
    """MLP, CNN and LSTM steps (forward, backward, Adam through its kernel): no transfer to
    the host at all, as the design asks of a training step on a GPU."""
    per_step = gpu_check.syncs_per_step(gpu_check.training_steps("cuda"), _fake_counting,
                                        warmup=1, measured=2)
    assert set(per_step) == {"mlp", "cnn", "lstm"}
    assert {name: count for name, (count, _) in per_step.items()} == {"mlp": 0, "cnn": 0, "lstm": 0}, per_step


@requires_fake
@pytest.mark.usefixtures("fake_cuda")
def test_the_sync_count_sees_a_sync():
    """The count can fail: a step that reads its loss back costs two transfers, the value
    and the pending index-bounds flags (all of them in one: `CupyBackend.raise_pending`)."""
    steps = gpu_check.training_steps("cuda")
    mlp = steps["mlp"]
    per_step = gpu_check.syncs_per_step({"mlp": lambda: float(mlp())}, _fake_counting, warmup=1,
                                        measured=2)
    assert per_step["mlp"][0] == 2


@requires_fake
@pytest.mark.usefixtures("fake_cuda")
def test_pending_bounds_checks_are_read_in_one_transfer_and_stay_bounded():
    """Many lookups without a sync: no transfer meanwhile (the flags are folded on the
    device past 64), one transfer at the next read, and the failing check still named."""
    table = ag.randn(10, 3, device="cuda")
    good, bad = ag.tensor([1, 2], device="cuda"), ag.tensor([1, 12], device="cuda")
    HOST_SYNCS.clear()
    for _ in range(100):
        table[good]
    assert sum(HOST_SYNCS.values()) == 0
    table.sum().item()
    assert sum(HOST_SYNCS.values()) == 2  # the pending flags, then the value
    for k in range(100):
        table[bad if k == 30 else good]
    with pytest.raises(IndexError, match="12|out of"):
        table.sum().item()


@pytest.mark.usefixtures("fake_cuda")
def test_the_fused_kernel_table_runs_and_both_forms_agree():
    """The first-GPU check's table of fused kernels against their composed array code runs
    on fake-CUDA at a tiny scale, every workload giving the same numbers both ways, and the
    composed form really takes no kernel."""
    from _fake_cupy_kernels import ElementwiseKernel

    from bench import fused_kernels

    rows = fused_kernels.fused_kernel_table(scale=0.01, repeats=1)
    assert len(rows) == len(fused_kernels.workloads(0.01)) >= 12
    assert all(same for _, same, _, _ in rows), [name for name, same, _, _ in rows if not same]
    step = fused_kernels.workloads(0.01)["sigmoid"]
    with fused_kernels.composed_arrays():
        before = ElementwiseKernel.launches
        step()
        assert REAL_CUDA or ElementwiseKernel.launches == before
    assert "speed-up" in fused_kernels.format_table(rows)


@requires_fake
@pytest.mark.usefixtures("fake_cuda")
def test_the_compile_timing_arguments_run_every_backend_kernel_safely():
    """The arguments the compile-time part launches each backend kernel with (a geometry
    of ones, zero class indices) keep every raw read inside its array: run on the fake's
    interpreter, which refuses a read outside."""
    from fake_cupy import fake_cupy

    from autograd_core.ops.fused_optim import catalog

    for spec in catalog.backend_kernels():
        kernel = fake_cupy.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation, spec.name)
        args = [gpu_check._sample_argument(fake_cupy, p, spec, "float32") for p in spec.in_params.split(",")]
        outs = [fake_cupy.ones(1024, "float32" if p.split()[-2] == "T" else p.split()[-2])
                for p in spec.out_params.split(",")]
        kernel(*args, *outs)
