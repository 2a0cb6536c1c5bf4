"""Every ```python block of README.md runs, as extracted from the README itself (so the
README cannot drift from the code), each in a fresh namespace inside a temporary directory
(the files the examples write land there).

A block that needs something a machine may lack is marked on the line above it with
``<!-- readme-test: needs WHAT (why) -->``; WHAT is ``dot`` (Graphviz) or ``cuda`` (a GPU),
and the block is skipped, with that reason, where it is missing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import autograd_core as ag

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MARK = re.compile(r"<!-- readme-test: needs (\w+)(?: \((.*)\))? -->\s*$")
AVAILABLE = {"dot": lambda: shutil.which("dot") is not None, "cuda": ag.cuda.is_available}


def blocks() -> list[tuple[int, str, str | None, str]]:
    """(line, code, requirement, why) of each python block, in README order."""
    text = README.read_text(encoding="utf-8")
    out = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.match(before)
        out.append((line, match.group(1), mark and mark.group(1), mark and (mark.group(2) or "")))
    return out


def test_the_readme_has_its_examples():
    found = blocks()
    assert len(found) >= 3
    assert all(need is None or need in AVAILABLE for _, _, need, _ in found), "unknown readme-test requirement"
    assert "dot" in {need for _, _, need, _ in found}  # the drawing example is marked


@pytest.mark.parametrize("line, code, need, why", [pytest.param(*b, id=f"README.md:{b[0]}") for b in blocks()])
def test_readme_block_runs(line, code, need, why, tmp_path, monkeypatch, capsys):
    if need is not None and not AVAILABLE[need]():
        pytest.skip(f"README example needs {need}: {why}" if why else f"README example needs {need}")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{README}:{line + 1}", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    if "for epoch in range" in code and "print(" in code:  # the training example reports every epoch
        epochs = re.findall(r"epoch (\d+): loss ([\d.]+), train accuracy ([\d.]+)%", out)
        assert [int(e) for e, _, _ in epochs] == list(range(1, 11))
        assert float(epochs[-1][1]) < float(epochs[0][1]) and float(epochs[-1][2]) > 80
