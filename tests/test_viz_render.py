"""Rendering drawings: SVG/PNG/PDF files, Jupyter's repr, and a missing ``dot`` program."""

from __future__ import annotations

import shutil
import subprocess
import sys

import graphviz
import pytest

import autograd_core as ag
from autograd_core import viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _drawing():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward()
    return viz.make_dot(y, params={"a": a}, title="a·a")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH where no ``dot`` can be found."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")


@needs_dot
def test_save_svg_png_pdf(tmp_path):
    d = _drawing()
    svg = viz.save(d, tmp_path / "g.svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "MulBackward0" in text and "grad [2, 4]" in text
    png = d.save_as(tmp_path / "sub" / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.parent.name == "sub"
    pdf = viz.save(d, tmp_path / "g.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    dot_file = viz.save(d, tmp_path / "g.dot")
    assert dot_file.read_text() == d.source


@needs_dot
def test_png_resolution(tmp_path):
    from PIL import Image

    d = _drawing()
    small = Image.open(viz.save(d, tmp_path / "small.png")).size
    large = Image.open(viz.save(d, tmp_path / "large.png", dpi=192)).size
    assert large[0] == pytest.approx(2 * small[0], rel=0.05) and large[1] == pytest.approx(2 * small[1], rel=0.05)
    assert "dpi" not in d.source  # the drawing itself is unchanged


@needs_dot
def test_jupyter_repr_is_svg(tmp_path):
    d = _drawing()
    bundle = d._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "<svg" in d._repr_svg_()


@needs_dot
def test_render_writes_the_file(tmp_path):
    d = _drawing()
    out = d.render(tmp_path / "r", format="svg")
    assert out.endswith("r.svg") and "<svg" in (tmp_path / "r.svg").read_text()


def test_missing_dot_prints_one_line_and_keeps_the_source(no_dot, tmp_path, capsys):
    d = _drawing()
    written = viz.save(d, tmp_path / "g.png")
    err = capsys.readouterr().err
    assert written == tmp_path / "g.dot" and written.read_text() == d.source
    assert not (tmp_path / "g.png").exists()
    assert err.count("\n") == 1 and "Traceback" not in err
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz",
                 "winget install graphviz", str(written)):
        assert hint in err


def test_missing_dot_in_jupyter_falls_back_to_text(no_dot, capsys):
    d = _drawing()
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"].startswith(viz.missing_dot_message())
    assert d.source in bundle["text/plain"]
    assert "apt-get install graphviz" in bundle["text/html"] and "digraph" in bundle["text/html"]
    assert d._repr_svg_() is None


def test_missing_dot_render_keeps_the_source_file(no_dot, tmp_path, capsys):
    d = _drawing()
    out = d.render(tmp_path / "r", format="png")
    assert out == str(tmp_path / "r")
    assert (tmp_path / "r").read_text() == d.source
    assert "brew install graphviz" in capsys.readouterr().err


def test_save_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        viz.save(_drawing(), tmp_path / "g.xyz")
    assert viz.save(_drawing(), tmp_path / "g.txt", format="dot").read_text().startswith("digraph")


def test_viz_loads_on_first_use():
    assert ag.viz is viz and ag.viz.make_dot is viz.make_dot
    with pytest.raises(AttributeError, match="no attribute 'vizz'"):
        ag.vizz  # noqa: B018


def test_importing_autograd_core_does_not_import_graphviz():
    code = "import sys, autograd_core; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
