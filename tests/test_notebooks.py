"""Every teaching notebook runs top to bottom (small sizes: ``NOTEBOOK_QUICK=1``) and asserts the
claims its text makes, so a claim that becomes false fails here."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

needs_jupyter = pytest.mark.skipif(
    importlib.util.find_spec("nbclient") is None or importlib.util.find_spec("ipykernel") is None,
    reason="nbclient and ipykernel are needed to run the notebooks (pip install -e '.[test]')",
)


# notebooks that start MPI jobs (CI installs OpenMPI and mpi4py; elsewhere they are skipped)
NEEDS_MPI = {"13_data_parallel"}


def _mpi_missing() -> bool:
    return shutil.which("mpirun") is None or importlib.util.find_spec("mpi4py") is None


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
    if path.stem in NEEDS_MPI and _mpi_missing():
        pytest.skip(f"{path.name} starts MPI jobs: needs OpenMPI's mpirun and mpi4py")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _execute()(path, quick=True)
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, errors


def _code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_committed_notebooks_have_outputs():
    """A reader sees the plots without running anything: every notebook is stored executed."""
    for path in PATHS:
        code = _code_cells(path)
        assert code, f"{path.name} has no code cells"
        unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
        assert not unexecuted, f"{path.name}: code cells {unexecuted} were not executed before committing"


README = NOTEBOOKS.parent / "README.md"
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]


def test_readme_lists_every_notebook():
    """The README's notebook table links every notebook, in order, and its count is right: a new
    notebook is registered there as well as here (the tests and ``execute.py`` find it by name)."""
    text = README.read_text(encoding="utf-8")
    linked = re.findall(r"^\| \[\d\d · [^]]+\]\(notebooks/(\d\d_\w+\.ipynb)\)", text, re.M)
    names = [p.name for p in PATHS]
    assert linked == names, f"README's notebook table links {linked}; notebooks/ holds {names}"
    count = re.search(r"A course in (\w+) notebooks", text)
    assert count, "README lost its 'A course in N notebooks' sentence"
    assert count.group(1) == NUMBER_WORDS[len(PATHS)], f"README says {count.group(1)}, there are {len(PATHS)}"


CLAIM_MARK = "# Claims checked"


def test_every_notebook_asserts_its_claims():
    """Each notebook has cells, right after the computations its text comments on, that assert
    what the text claims; each says in a comment which claim it checks and prints a line when
    the claims hold (that line is its stored output)."""
    for path in PATHS:
        claims = [c for c in _code_cells(path) if "".join(c["source"]).startswith(CLAIM_MARK)]
        assert len(claims) >= 5, f"{path.name}: {len(claims)} claim cells; the text makes more claims than that"
        for cell in claims:
            source = "".join(cell["source"])
            assert re.search(r"^\s*assert ", source, re.M), f"{path.name}: a claim cell without an assertion:\n{source}"
            stored = "".join("".join(out.get("text", "")) for out in cell["outputs"])
            assert stored.startswith("checked: "), f"{path.name}: a stored output says nothing was checked:\n{source}"


@pytest.mark.slow
@needs_jupyter
def test_a_false_claim_fails_the_run(tmp_path, monkeypatch):
    """The mechanism the claim cells rely on: an assertion that fails stops the run with an error."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = tmp_path / "false_claim.ipynb"
    cells = [nbformat.v4.new_code_cell("x = 1 + 1"),
             nbformat.v4.new_code_cell(f"{CLAIM_MARK}: one plus one is three\nassert x == 3, x")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    with pytest.raises(CellExecutionError, match="one plus one is three"):
        _execute()(path, quick=True)
