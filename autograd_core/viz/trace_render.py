"""Showing a `BackwardTrace`: a text table, drawn frames (SVG/PNG files, an animated GIF)
and an interactive step-through in HTML and JavaScript (a slider, previous/next buttons).

Frames are `make_dot` drawings of the traced graph: the node of the current step is
highlighted and every edge shows the contribution it has carried so far. They need
graphviz's ``dot``; without it the table and the HTML text still work, and drawing prints
the one-line install message.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import textwrap
from pathlib import Path

import graphviz

from ..function import AccumulateGrad

__all__ = ["frame", "frames", "save_frames", "save_gif", "table", "to_html"]

_CURRENT = {"color": "#D55E00", "penwidth": "3", "style": "rounded,filled,bold"}
_CURRENT_LEAF = {"color": "#D55E00", "penwidth": "3"}
_DONE = {"color": "#0072B2", "penwidth": "1.5"}


# ---------------------------------------------------------------------------- text table
def _grad_text(record, max_preview: int) -> str:
    return "None" if record is None else record.preview(max_preview)


def _accumulate_text(step, max_preview: int) -> str:
    after = "?" if step.grad_after is None else step.grad_after.preview(max_preview)
    if step.grad_before is None:
        return f"{step.label}.grad was None, becomes {after}"
    before = step.grad_before.preview(max_preview)
    return f"{step.label}.grad = {before} + {_grad_text(step.grads_in[0], max_preview)} = {after}"


def _sent_lines(step, max_preview: int) -> list[str]:
    if step.kind == "accumulate":
        n = len(step.received)
        if n == 0:
            return ["(the seed)"]
        steps = ", ".join(str(c.step + 1) for c in step.received)
        return [f"sum of {n} contribution{'s' if n > 1 else ''} (from step{'s' if n > 1 else ''} {steps})"]
    lines = []
    for c in step.contributions:
        target = f"leaf {c.target_label}" if type(c.target) is AccumulateGrad else c.target_label
        text = f"{c.symbol} -> {target}: {_grad_text(c.grad, max_preview)}"
        if c.count > 1 and c.total is not None:
            text += f"  (sum so far: {c.total.preview(max_preview)})"
        lines.append(text)
    return lines or ["(nothing: no input needs a gradient)"]


def _rule_lines(step, max_preview: int) -> list[str]:
    if step.kind == "accumulate":
        return [_accumulate_text(step, max_preview)]
    rule = step.rule
    lines = [rule.forward]
    for r in rule.inputs:
        if r is not None:
            lines.append(r.derivative + (f" ({r.note})" if r.note else ""))
    return lines


def table(trace, max_preview: int = 4, width: int = 120) -> str:
    """The trace as a text table: step, node, gradient in, local rule, what was sent."""
    from .trace import _summary

    head = f"Backward trace: {_summary(trace)}; g = dJ/dy arriving at the node"
    if not trace.steps:
        return head + "\n(no backward ran while recording)"
    columns = ("step", "node", "gradient in (g)", "local rule", "sent along each edge")
    widths = [4, 22, 20, 32, 0]
    widths[4] = max(24, width - sum(widths[:4]) - 2 * 4)
    rows = []
    for s in trace.steps:
        label = s.label if s.kind == "node" else f"{s.label} (leaf)"
        grad_in = "; ".join(_grad_text(g, max_preview) for g in s.grads_in)
        if s.kind == "node" and not s.received:
            grad_in = f"{grad_in} (seed)"
        cells = [[str(s.index + 1)], [label], [grad_in], _rule_lines(s, max_preview), _sent_lines(s, max_preview)]
        if s.kind == "node" and not s.finished:
            cells[4] = ["(backward raised an error here)"]
        rows.append(cells)
    out = [head, _row([[c] for c in columns], widths), _row([["-" * w] for w in widths[:4]] + [["-" * 20]], widths)]
    out.extend(_row(r, widths) for r in rows)
    return "\n".join(out)


def _row(cells, widths) -> str:
    wrapped = []
    for lines, w in zip(cells, widths):
        col = []
        for line in lines:
            col.extend(textwrap.wrap(line, w, subsequent_indent="  ", break_long_words=True) or [""])
        wrapped.append(col)
    height = max(len(c) for c in wrapped)
    out = []
    for i in range(height):
        parts = []
        for k, (col, w) in enumerate(zip(wrapped, widths)):
            text = col[i] if i < len(col) else ""
            parts.append(text.rjust(w) if k == 0 else text.ljust(w) if k < len(widths) - 1 else text)
        out.append("  ".join(parts).rstrip())
    return "\n".join(out)


# ---------------------------------------------------------------------------- frames
def _outputs(trace, outputs):
    outputs = trace.outputs if outputs is None else outputs
    if outputs is None or (isinstance(outputs, tuple) and not outputs):
        raise ValueError(
            "drawing a trace needs the tensors backward started from: use trace_backward(loss), "
            "BackwardTrace(outputs=loss), or pass outputs=loss"
        )
    return outputs if not isinstance(outputs, tuple) or len(outputs) != 1 else outputs[0]


def _title_lines(step, total: int, max_preview: int) -> list[str]:
    head = f"Step {step.index + 1} of {total}: "
    if step.kind == "accumulate":
        n = len(step.received)
        where = ", ".join(str(c.step + 1) for c in step.received)
        return [head + f"accumulate into {step.label}.grad",
                _accumulate_text(step, max_preview),
                f"(the sum of {n} contribution{'s' if n != 1 else ''}, sent at step{'s' if n != 1 else ''} {where})"
                if n else "(the seed)"]
    rule = step.rule
    g = "; ".join(_grad_text(x, max_preview) for x in step.grads_in)
    wrt = step.output_name or "y"
    lines = [head + f"{step.label}, the backward of  {rule.forward}", f"gradient arriving:  g = dJ/d{wrt} = {g}"]
    for c in step.contributions:
        r = rule.for_input(c.input_index)
        if r is None:
            continue
        lines.append(f"to {c.symbol}:  {r.derivative};   sends {r.sends} = {_grad_text(c.grad, max_preview)}")
    return lines


def _edge_text(c, max_preview: int) -> str:
    return f"{c.symbol}: {_grad_text(c.grad, max_preview)}"


_EDGE_LINE = re.compile(r"^(\t\S+ -> (\S+))( \[(.*)\])?$")


def _style_edges(drawing, sent: dict, index: int) -> None:
    """Colour the edges by when their contribution is sent: this step (bold, orange),
    earlier (blue), later (label kept for a steady layout, but invisible)."""
    graph = drawing.graph
    by_head: dict = {}
    for (consumer, _), (step, text) in sent.items():
        head = graph.id_of(consumer)
        if head is not None:
            by_head.setdefault(head, []).append((step, text))
    body = drawing.body
    for i, line in enumerate(body):
        m = _EDGE_LINE.match(line.rstrip("\n"))
        if m is None or m.group(2) not in by_head or m.group(4) is None:
            continue
        attrs = m.group(4)
        for step, text in by_head[m.group(2)]:
            if html.escape(text, quote=False) in attrs or text in attrs:
                if step == index:
                    extra = f'color="{_CURRENT["color"]}" fontcolor="{_CURRENT["color"]}" penwidth=2.5'
                elif step < index:
                    extra = f'color="{_DONE["color"]}" fontcolor="{_DONE["color"]}"'
                else:
                    extra = "fontcolor=transparent"
                body[i] = f"{m.group(1)} [{attrs} {extra}]\n"
                break


def frame(trace, index: int, outputs=None, max_preview: int = 4, _title_height: int | None = None,
          **make_dot_kwargs):
    """The drawing of step ``index`` (see `frames`)."""
    from .dot import make_dot

    outputs = _outputs(trace, outputs)
    step = trace.steps[index]
    highlight = {}
    for s in trace.steps[:index]:
        highlight[s.node] = dict(_DONE)
    highlight[step.node] = dict(_CURRENT if step.kind == "node" else _CURRENT_LEAF)
    sent = {}
    for s in trace.steps:
        for c in s.contributions:
            sent[(s.node, c.input_index)] = (s.index, _edge_text(c, max_preview))
    kwargs = {"params": trace.params or None, "show_grad": False, "show_data": True, "legend": False,
              "max_preview": max_preview}
    kwargs.update(make_dot_kwargs)
    title = kwargs.pop("title", None)
    drawing = make_dot(outputs, highlight=highlight, edge_labels={k: v[1] for k, v in sent.items()}, **kwargs)
    _style_edges(drawing, sent, index)
    if title is None:
        lines = _title_lines(step, len(trace.steps), max_preview)
        height = _title_height or _max_title_height(trace, max_preview)
        lines += [" "] * (height - len(lines))  # the same height in every frame: no jumping
        lines += ["orange: this step and what it sends;  blue: steps done;  edges carry dJ/d(input)", " "]
        title = "".join(_dot_escape(line) + "\\l" for line in lines)
    drawing.attr(label=title, labelloc="t", labeljust="l", fontsize="13", nodesep="0.5")
    return drawing


def _max_title_height(trace, max_preview: int) -> int:
    return max(len(_title_lines(s, len(trace.steps), max_preview)) for s in trace.steps)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\")


def frames(trace, outputs=None, max_preview: int = 4, **make_dot_kwargs) -> list:
    """One `make_dot` drawing per step: the step's node highlighted (done nodes outlined in
    blue) and every edge labelled with the contribution it has carried so far."""
    height = _max_title_height(trace, max_preview) if trace.steps else 0
    return [frame(trace, i, outputs=outputs, max_preview=max_preview, _title_height=height, **make_dot_kwargs)
            for i in range(len(trace.steps))]


frames_of = frames  # (to_html has an argument named ``frames``)


def _dot_available() -> bool:
    try:
        graphviz.version()
    except graphviz.ExecutableNotFound:
        return False
    return True


def _missing_dot() -> None:
    from .render import _report_missing

    _report_missing()


def save_frames(trace, directory, format: str = "svg", outputs=None, **make_dot_kwargs) -> list[Path]:
    """Write ``step_000.<format>``, ``step_001.<format>``... into ``directory``.

    Without ``dot``: prints the install message and writes the DOT sources instead."""
    fmt = format.lower()
    if fmt not in ("svg", "png", "pdf", "dot"):
        raise ValueError(f"save_frames: format must be 'svg', 'png', 'pdf' or 'dot', got {format!r}")
    from .render import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(trace.steps))))
    paths = []
    for i, drawing in enumerate(frames(trace, outputs=outputs, **make_dot_kwargs)):
        paths.append(save(drawing, directory / f"step_{i:0{width}d}.{fmt}"))
    return paths


def save_gif(trace, path, duration_ms: int = 1200, outputs=None, loop: int = 0, dpi: int = 96,
             **make_dot_kwargs) -> Path | None:
    """An animated GIF, one frame per step (PNG frames from ``dot``, put together by Pillow).

    The frames are padded to one size so the animation does not jump. Returns the path, or
    None (after the install message) when ``dot`` is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_gif needs Pillow to assemble the frames: pip install pillow "
                          "(or pip install \"autograd-core[plot]\")") from None
    if not _dot_available():
        _missing_dot()
        return None
    import io

    images = []
    for drawing in frames(trace, outputs=outputs, **make_dot_kwargs):
        drawing.graph_attr["dpi"] = str(dpi)
        data = drawing.pipe(format="png")
        images.append(Image.open(io.BytesIO(data)).convert("RGB"))
    if not images:
        raise ValueError("save_gif: the trace has no steps (run a backward inside the trace)")
    w = max(im.width for im in images)
    h = max(im.height for im in images)
    padded = []
    for im in images:
        canvas = Image.new("RGB", (w, h), "white")
        canvas.paste(im, ((w - im.width) // 2, 0))
        padded.append(canvas.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    padded[0].save(path, save_all=True, append_images=padded[1:], duration=int(duration_ms), loop=loop,
                   optimize=False, disposal=1)
    return path


# ---------------------------------------------------------------------------- HTML
_ids = itertools.count()

_CSS = """
#{id} {{ font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; font-size: 13px; }}
#{id} .ag-controls {{ display: flex; align-items: center; gap: 8px; margin: 4px 0 8px 0; }}
#{id} .ag-controls input[type=range] {{ flex: 1; max-width: 480px; }}
#{id} .ag-controls button {{ padding: 2px 10px; }}
#{id} .ag-step {{ display: none; }}
#{id} .ag-step.ag-on {{ display: block; }}
#{id} .ag-info h4 {{ margin: 4px 0; }}
#{id} .ag-info table {{ border-collapse: collapse; margin: 4px 0; }}
#{id} .ag-info td, #{id} .ag-info th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left;
  font-family: Menlo, Consolas, monospace; font-size: 12px; }}
#{id} .ag-text {{ background: #f6f6f6; padding: 4px 6px; margin: 4px 0; white-space: pre-wrap; }}
#{id} .ag-frame svg {{ max-width: 100%; height: auto; }}
"""

_SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  if (!root) { return; }
  var steps = root.querySelectorAll(".ag-step");
  var slider = root.querySelector("input[type=range]");
  var counter = root.querySelector(".ag-counter");
  var buttons = root.querySelectorAll("button");
  var n = steps.length;
  function typeset(el) {
    var mj = window.MathJax;
    if (!mj) { return; }
    if (mj.typesetPromise) { mj.typesetPromise([el]).catch(function () {}); }
    else if (mj.Hub && mj.Hub.Queue) { mj.Hub.Queue(["Typeset", mj.Hub, el]); }
  }
  function show(i) {
    i = Math.max(0, Math.min(n - 1, i));
    for (var k = 0; k < n; k++) {
      steps[k].className = k === i ? "ag-step ag-on" : "ag-step";
    }
    slider.value = String(i);
    counter.textContent = "step " + (i + 1) + " / " + n;
    typeset(steps[i]);
    root.setAttribute("data-current", String(i));
    return i;
  }
  var current = 0;
  slider.addEventListener("input", function () { current = show(parseInt(slider.value, 10)); });
  for (var b = 0; b < buttons.length; b++) {
    (function (button) {
      var delta = button.getAttribute("data-act") === "prev" ? -1 : 1;
      button.addEventListener("click", function () { current = show(current + delta); });
    })(buttons[b]);
  }
  current = show(0);
})();
"""


def _latex(step) -> str:
    if step.kind == "accumulate":
        name = step.label.replace("_", "\\_")
        return (f"\\mathrm{{{name}}}.\\mathrm{{grad}} \\mathrel{{+}}= \\textstyle\\sum_k "
                f"\\bar{{{name}}}^{{(k)}}")
    rule = step.rule
    return "\\begin{gathered} " + rule.latex + " \\end{gathered}"


def _strip_xml(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _step_html(trace, step, max_preview: int, svg: str | None) -> str:
    e = html.escape
    total = len(trace.steps)
    if step.kind == "accumulate":
        title = f"Step {step.index + 1} / {total}: accumulate into {e(step.label)}.grad"
    else:
        title = f"Step {step.index + 1} / {total}: {e(step.label)}"
    if step.node_id:
        title += f' <span style="color:#888">(node {e(step.node_id)} in make_dot)</span>'
    on = " ag-on" if step.index == 0 else ""
    parts = [f'<div class="ag-step{on}" data-step="{step.index}"><div class="ag-info">', f"<h4>{title}</h4>"]
    grads = "; ".join(_grad_text(g, max_preview) for g in step.grads_in)
    seed = " (the seed)" if step.kind == "node" and not step.received else ""
    parts.append(f"<div>gradient arriving, g = dJ/dy: <code>{e(grads)}</code>{seed}</div>")
    parts.append(f'<div class="ag-latex">\\[{e(_latex(step))}\\]</div>')
    parts.append(f'<div class="ag-text">{e(chr(10).join(_rule_lines(step, max_preview)))}</div>')
    if step.kind == "node" and step.contributions:
        parts.append("<table><tr><th>input</th><th>sends</th><th>value</th><th>to</th>"
                     "<th>sum arrived there so far</th></tr>")
        for c in step.contributions:
            r = step.rule.for_input(c.input_index)
            so_far = _grad_text(c.total, max_preview) if c.count > 1 else ""
            parts.append(f"<tr><td>{e(c.symbol)}</td><td>{e(r.sends if r is not None else '')}</td>"
                         f"<td>{e(_grad_text(c.grad, max_preview))}</td><td>{e(c.target_label)}</td>"
                         f"<td>{e(so_far)}</td></tr>")
        parts.append("</table>")
    elif step.kind == "accumulate":
        parts.append(f"<div>{e(_sent_lines(step, max_preview)[0])}</div>")
    parts.append("</div>")
    if svg:
        parts.append(f'<div class="ag-frame">{_strip_xml(svg)}</div>')
    parts.append("</div>")
    return "".join(parts)


def to_html(trace, outputs=None, frames: bool = True, max_preview: int = 4, max_frames: int = 80,
            **make_dot_kwargs) -> str:
    """A self-contained HTML step-through: slider and previous/next buttons (plain
    JavaScript), each step's rule in LaTeX (typeset where MathJax is loaded, as in Jupyter)
    and as text, and the step's frame as inline SVG when ``dot`` is available."""
    dom_id = f"ag-trace-{os.getpid()}-{next(_ids)}"
    svgs: list = [None] * len(trace.steps)
    note = ""
    want = frames and len(trace.steps) > 0
    if want and (trace.outputs or outputs is not None):
        if len(trace.steps) > max_frames:
            note = f"({len(trace.steps)} steps: more than max_frames={max_frames}, so no drawings)"
        elif not _dot_available():
            from .render import missing_dot_message

            note = missing_dot_message()
        else:
            for i, drawing in enumerate(frames_of(trace, outputs=outputs, max_preview=max_preview,
                                                  **make_dot_kwargs)):
                svgs[i] = drawing.pipe(format="svg", encoding="utf-8")
    n = len(trace.steps)
    head = html.escape(repr(trace))
    parts = [f'<div id="{dom_id}" class="ag-trace">', f"<style>{_CSS.format(id=dom_id)}</style>",
             f"<div><b>{head}</b></div>"]
    if note:
        parts.append(f"<div><i>{html.escape(note)}</i></div>")
    if n == 0:
        parts.append("<div>(no backward ran while recording)</div></div>")
        return "".join(parts)
    parts.append('<div class="ag-controls"><button type="button" data-act="prev">&#9664; prev</button>'
                 f'<input type="range" min="0" max="{n - 1}" step="1" value="0">'
                 '<button type="button" data-act="next">next &#9654;</button>'
                 f'<span class="ag-counter">step 1 / {n}</span></div>')
    for step, svg in zip(trace.steps, svgs):
        parts.append(_step_html(trace, step, max_preview, svg))
    parts.append(f"<script>{_SCRIPT % {'id': json.dumps(dom_id)}}</script></div>")
    return "".join(parts)
