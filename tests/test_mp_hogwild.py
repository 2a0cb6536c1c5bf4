"""The Hogwild program (examples/hogwild.py), run as a script under our library and under
PyTorch (the same source with ``autograd_core`` replaced by ``torch`` in its imports)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "hogwild.py"


def _run(path: Path, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(path), *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=path.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_spawned_processes_train_the_shared_model():
    out = _run(PROGRAM, "--num-processes", "2", "--start-method", "spawn")
    assert len(out["losses"]) == 2
    # the main process sees the workers' steps: its parameters moved and its loss dropped
    assert out["max_parameter_change"] > 0.1
    assert out["eval_after"] < 0.6 * out["eval_before"]
    for losses in out["losses"]:
        assert np.mean(losses[-8:]) < np.mean(losses[:8])


def test_one_process_matches_torch_from_identical_weights(tmp_path):
    pytest.importorskip("torch")
    theirs_program = tmp_path / "hogwild_torch.py"
    theirs_program.write_text(PROGRAM.read_text().replace("autograd_core", "torch"))
    args = ("--num-processes", "1", "--start-method", "fork")
    ours, theirs = _run(PROGRAM, *args), _run(theirs_program, *args)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4, atol=1e-6)
    for a, b in zip(ours["parameters"], theirs["parameters"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert ours["eval_after"] == pytest.approx(theirs["eval_after"], rel=1e-4)
    assert ours["eval_after"] < ours["eval_before"]
