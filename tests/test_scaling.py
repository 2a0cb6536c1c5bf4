"""The data-parallel scaling workload (`bench/scaling.py`): its table from given rows, its
command line, and a quick run of every model on 1 and 2 processes under mpirun (through the
launcher); that run is skipped only where mpirun or mpi4py is missing (CI installs both).
Nothing here is timed: the numbers only have to be there and be consistent."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_core as ag
import autograd_core.distributed as dist
from bench import scaling

ROOT = Path(__file__).resolve().parent.parent

needs_mpi = pytest.mark.skipif(shutil.which("mpirun") is None or not dist.is_mpi_available(),
                               reason="needs OpenMPI's mpirun and mpi4py")


def _row(model, nproc, plain, step_s, reduce_s=0.0, wait_s=0.0, batch=100):
    return {"model": model, "nproc": nproc, "plain": plain, "batch": batch, "step_s": step_s,
            "reduce_s": reduce_s, "wait_s": wait_s}


def test_table_speedups_are_per_model_and_overlap_is_the_hidden_share():
    rows = [_row("mlp", 1, True, 0.01), _row("mlp", 2, False, 0.0125, 0.004, 0.001),
            _row("cnn", 1, True, 0.1, batch=10), _row("cnn", 2, False, 0.1, 0.02, 0.02, batch=10)]
    text = scaling.table(rows).splitlines()
    assert text[0].startswith("| model | processes | DDP | samples/s | speed-up |")
    assert "| mlp | 2 | yes | 16,000 | 1.60x | 12.50 ms | 4.00 ms | 1.00 ms | 75% |" in text
    # the CNN's speed-up is over the CNN's own plain run, not the MLP's
    assert "| cnn | 1 | no | 100 | 1.00x | 100.00 ms |  |  |  |" in text
    assert "| cnn | 2 | yes | 200 | 2.00x | 100.00 ms | 20.00 ms | 20.00 ms | 0% |" in text


def test_without_a_plain_row_speedups_are_over_the_first_row_job_rate():
    text = scaling.table([_row("mlp", 2, False, 0.01, 0.001, 0.0), _row("mlp", 4, False, 0.01,
                                                                           0.002, 0.001)])
    assert "| mlp | 2 | yes | 20,000 | 1.00x |" in text and "| mlp | 4 | yes | 40,000 | 2.00x |" in text


def test_overlap_is_clipped_to_zero_one_and_absent_without_communication():
    assert scaling.overlap(_row("mlp", 2, False, 1.0, 0.004, 0.001)) == pytest.approx(0.75)
    assert scaling.overlap(_row("mlp", 2, False, 1.0, 0.004, 0.005)) == 0.0  # clock skew
    assert scaling.overlap(_row("mlp", 1, True, 1.0)) is None
    assert scaling.overlap(_row("mlp", 2, False, 1.0, 0.0, 0.0)) is None
    assert "n/a" in scaling.table([_row("mlp", 2, False, 1.0, 0.0, 0.0)])


def test_jobs_start_through_the_launcher_with_the_chosen_models():
    args = scaling.build_parser().parse_args(["--quick", "--models", "cnn", "transformer",
                                              "--steps", "2", "--warmup", "0"])
    command = scaling.worker_command(2, args)
    assert command[1:5] == ["-m", "autograd_core.distributed.run", "--nproc", "2"]
    assert command[5].endswith("scaling.py") and "--worker" in command and "--quick" in command
    assert command[command.index("--models") + 1:command.index("--steps")] == ["cnn", "transformer"]
    assert "--no-ddp" not in command and "--no-ddp" in scaling.worker_command(1, args, ddp=False)
    with pytest.raises(SystemExit):
        scaling.build_parser().parse_args(["--models", "lstm"])


def test_default_counts_are_powers_of_two_up_to_the_cores():
    assert scaling.default_counts(1) == scaling.default_counts(2) == [1, 2]
    assert scaling.default_counts(6) == [1, 2, 4]
    assert scaling.default_counts(16) == [1, 2, 4, 8, 16]


def test_every_model_builds_and_names_its_sizes():
    import nn

    specs = scaling.models()
    assert list(specs) == list(scaling.MODEL_NAMES)
    for spec in specs.values():
        for build, shape in ((spec.build, spec.sample_shape), (spec.quick_build, spec.quick_sample_shape)):
            model = build(nn)
            assert sum(p.numel() for p in model.parameters()) > 0
            assert tuple(model(ag.zeros((2, *shape))).shape) == (2, spec.classes)


def test_nproc_below_one_is_refused_before_anything_starts():
    with pytest.raises(SystemExit, match="at least 1, got \\[0\\]"):
        scaling.main(["--nproc", "0", "--quick"])


@needs_mpi
def test_quick_run_on_one_and_two_processes_covers_every_model(tmp_path):
    out = tmp_path / "scaling.json"
    done = subprocess.run([sys.executable, "-m", "bench.scaling", "--quick", "--nproc", "1", "2",
                           "--json", str(out)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    got = [(r["model"], r["nproc"], r["plain"]) for r in rows]
    assert got == [(m, n, p) for m in ("mlp", "cnn", "transformer")
                   for n, p in ((1, True), (1, False), (2, False))]
    for r in rows:
        assert r["step_s"] > 0 and r["parameters"] > 0
        if r["plain"]:
            assert r["reduce_s"] == 0 and r["buckets"] == 0
        else:
            # all-reduce started during backward and finished before the step ended
            assert 0 < r["reduce_s"] < r["step_s"] and 0 <= r["wait_s"] <= r["reduce_s"]
            assert r["buckets"] >= 1
    assert done.stdout.count("| yes |") == 6 and "| transformer | 2 | yes |" in done.stdout
