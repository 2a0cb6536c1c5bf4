"""Every teaching notebook runs top to bottom (small sizes: ``NOTEBOOK_QUICK=1``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

needs_jupyter = pytest.mark.skipif(
    importlib.util.find_spec("nbclient") is None or importlib.util.find_spec("ipykernel") is None,
    reason="nbclient and ipykernel are needed to run the notebooks (pip install -e '.[test]')",
)


def _execute():
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        from execute import execute
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return execute


@pytest.mark.slow
@needs_jupyter
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _execute()(path, quick=True)
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, errors


def test_committed_notebooks_have_outputs():
    """A reader sees the plots without running anything: every notebook is stored executed."""
    import json

    for path in PATHS:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code, f"{path.name} has no code cells"
        unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
        assert not unexecuted, f"{path.name}: code cells {unexecuted} were not executed before committing"
