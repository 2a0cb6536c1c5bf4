"""How each kind of node looks: a colour-blind-safe palette, a shape per kind, the legend.

Colours are light tints of the Okabe-Ito palette (distinguishable with the common colour
vision deficiencies, and readable under black text); every kind also has its own shape or
border, so the drawing still reads in greyscale.
"""

from __future__ import annotations

from collections.abc import Mapping

# Okabe-Ito: orange E69F00, sky blue 56B4E9, bluish green 009E73, yellow F0E442,
# blue 0072B2, vermillion D55E00, reddish purple CC79A7 (fills are 50% tints).
DEFAULT_PALETTE: dict[str, str] = {
    "function": "#E8E8E8",
    "leaf": "#AAD9F4",
    "parameter": "#7FCEB9",
    "output": "#F7F1A0",
    "saved": "#F2CF7F",
    "nonfinite": "#EAAE7F",
    "module": "#E5BCD3",
    "elided": "#FFFFFF",
    "cluster": "#F7F0F4",
    "grad": "#0072B2",
    "edge": "#4D4D4D",
    "broadcast": "#D55E00",
    "saved_edge": "#E69F00",
    "alert": "#D55E00",
}

_SHAPES: dict[str, dict[str, str]] = {
    "function": {"shape": "box", "style": "rounded,filled"},
    "leaf": {"shape": "box", "style": "filled"},
    "parameter": {"shape": "box3d", "style": "filled"},
    "output": {"shape": "box", "style": "filled", "peripheries": "2"},
    "saved": {"shape": "note", "style": "filled"},
    "nonfinite": {"shape": "octagon", "style": "filled,bold", "penwidth": "2"},
    "module": {"shape": "tab", "style": "filled"},
    "elided": {"shape": "box", "style": "dashed"},
}

LEGEND_TEXT: dict[str, str] = {
    "leaf": "input (requires grad)",
    "parameter": "parameter",
    "output": "output",
    "saved": "saved for backward",
    "function": "backward function",
    "nonfinite": "holds NaN / Inf",
    "module": "module (collapsed)",
    "elided": "elided nodes",
}
_LEGEND_ORDER = ("leaf", "parameter", "function", "output", "saved", "nonfinite", "module", "elided")


def resolve_palette(palette: Mapping[str, str] | None) -> dict[str, str]:
    """The default palette with the user's entries (kind -> colour) on top."""
    merged = dict(DEFAULT_PALETTE)
    if palette:
        unknown = sorted(set(palette) - set(merged))
        if unknown:
            raise ValueError(f"make_dot: unknown palette keys {unknown}; known keys are {sorted(merged)}")
        merged.update(palette)
    return merged


def node_style(kind: str, palette: Mapping[str, str]) -> dict[str, str]:
    """Graphviz attributes for a node of ``kind``."""
    attrs = dict(_SHAPES[kind])
    attrs["fillcolor"] = palette[kind]
    if kind == "nonfinite":
        attrs["color"] = palette["alert"]
    return attrs


def graph_attrs(rankdir: str) -> dict[str, str]:
    return {"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12", "nodesep": "0.3",
            "ranksep": "0.35", "newrank": "true"}


def default_node_attrs() -> dict[str, str]:
    return {"fontname": "Helvetica", "fontsize": "11", "margin": "0.12,0.05", "height": "0.3",
            "color": "#555555"}


def default_edge_attrs(palette: Mapping[str, str]) -> dict[str, str]:
    return {"color": palette["edge"], "arrowsize": "0.7", "fontname": "Helvetica",
            "fontsize": "9"}


def legend(drawing, kinds: set[str], palette: Mapping[str, str], broadcast: bool) -> None:
    """A ``legend`` cluster: one table row per kind present (and the broadcast edge)."""
    rows = []
    for kind in _LEGEND_ORDER:
        if kind not in kinds:
            continue
        style = _SHAPES[kind]
        border = palette["alert"] if kind == "nonfinite" else "#555555"
        dashed = ' style="dashed"' if "dashed" in style["style"] else ""
        rounded = ' style="rounded"' if "rounded" in style["style"] else dashed
        rows.append(f'<tr><td width="22" bgcolor="{palette[kind]}" color="{border}" border="1"{rounded}> </td>'
                    f'<td align="left">{LEGEND_TEXT[kind]}</td></tr>')
    if broadcast:
        rows.append(f'<tr><td><font color="{palette["broadcast"]}"><b>&#8594;</b></font></td>'
                    '<td align="left">gradient summed back (broadcast)</td></tr>')
    if not rows:
        return
    table = ('<<table border="0" cellborder="0" cellspacing="3" cellpadding="1">'
             + "".join(rows) + "</table>>")
    with drawing.subgraph(name="cluster_legend") as c:
        c.attr(label="legend", style="rounded,dashed", color="#999999", fontsize="10", fillcolor="white")
        c.node("legend", table, shape="plaintext", fontsize="9", style="", margin="0")
