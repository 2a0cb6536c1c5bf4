"""Showing a drawing: inline in Jupyter, or saved to SVG, PNG or PDF from a script.

Rendering needs Graphviz's ``dot`` program. When it is missing, one line says how to
install it and the DOT source is still kept (returned in Jupyter, written next to the file
asked for): never a traceback.
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path

import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` program was not found, so the drawing was not rendered; install it with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or `winget install graphviz` (Windows)"
)

_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "dot", "gv")


def missing_dot_message(source_path: str | os.PathLike | None = None) -> str:
    """The one line printed when ``dot`` is missing."""
    if source_path is None:
        return INSTALL_HINT + "."
    return f"{INSTALL_HINT}; the DOT source was written to {source_path}."


def _report_missing(source_path=None) -> None:
    print(missing_dot_message(source_path), file=sys.stderr)


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` that shows itself in Jupyter and saves itself, and copes with a
    missing ``dot`` program (the DOT source is then kept and one line says what to install).

    `make_dot` also leaves what it drew: ``graph`` (the walked graph, with ``id_of``),
    ``drawn_nodes`` (id -> Graphviz attributes) and ``drawn_edges`` ((src, dst, attributes)).
    """

    graph = None
    drawn_nodes: dict | None = None
    drawn_edges: list | None = None

    def save_as(self, path: str | os.PathLike, format: str | None = None, dpi: int | None = None) -> Path:
        """Write the drawing to ``path`` (format from its suffix); see `save`."""
        return save(self, path, format=format, dpi=dpi)

    def render(self, *args, **kwargs) -> str:
        """`graphviz.Digraph.render`; without ``dot``, the message and the source's path."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            _report_missing(self.filepath)
            return self.filepath

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            text = missing_dot_message() + "\n" + self.source
            return {"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return None


def save(drawing: graphviz.Digraph, path: str | os.PathLike, format: str | None = None,
         dpi: int | None = None) -> Path:
    """Write ``drawing`` to ``path`` as SVG, PNG, PDF... (``.dot``/``.gv``: the source);
    ``dpi`` sets the resolution of a PNG (Graphviz's default is 96).

    Returns the path written. Without ``dot``, prints one line saying how to install it,
    writes the DOT source to ``path`` with the suffix ``.dot`` instead, and returns that path.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in _FORMATS:
        raise ValueError(f"save: cannot tell the format of {str(path)!r} (suffix {path.suffix!r}); "
                         f"use one of {', '.join('.' + f for f in _FORMATS)} or pass format=")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        path.write_text(drawing.source, encoding="utf-8")
        return path
    if dpi is not None:
        drawing = drawing.copy()
        drawing.attr(dpi=str(dpi))
    try:
        data = drawing.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        source_path = path.with_suffix(".dot")
        source_path.write_text(drawing.source, encoding="utf-8")
        _report_missing(source_path)
        return source_path
    path.write_bytes(data)
    return path
