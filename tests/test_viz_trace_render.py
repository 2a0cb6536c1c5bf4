"""Showing a backward trace: the text table, the frames (SVG/PNG/GIF) and the HTML
step-through with its slider script, with and without graphviz's ``dot``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.viz.trace import BackwardTrace, trace_backward

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node.js is not installed")


def _xor_trace(device="cpu"):
    ag.manual_seed(0)
    layer1, layer2 = nn.Linear(2, 2).to(device), nn.Linear(2, 1).to(device)
    x = ag.tensor([[0.0, 1.0]], device=device)
    d = ag.tensor([[1.0]], device=device)
    u1 = layer1(x)
    u2 = layer2(u1.sigmoid())
    loss = F.mse_loss(u2.sigmoid(), d)
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias, "u1": u1, "u2": u2}
    return trace_backward(loss, params=params)


class _Tags(HTMLParser):
    """Counts opened and closed div/table/script tags."""

    def __init__(self):
        super().__init__()
        self.depth = {"div": 0, "table": 0, "script": 0, "svg": 0}

    def handle_starttag(self, tag, attrs):
        if tag in self.depth:
            self.depth[tag] += 1

    def handle_endtag(self, tag):
        if tag in self.depth:
            self.depth[tag] -= 1


def _balanced(page: str) -> bool:
    parser = _Tags()
    parser.feed(page)
    return all(v == 0 for v in parser.depth.values())


# ---------------------------------------------------------------------------- table
def test_table_mentions_every_node_and_leaf():
    trace = _xor_trace()
    text = trace.table()
    assert str(trace) == text
    for step in trace:
        assert step.label in text
    assert "LinearBackward0 (u2)" in text and "MSELossBackward0" in text
    assert "1 (seed)" in text
    lines = text.splitlines()
    assert lines[0].startswith("Backward trace: 9 steps (5 nodes, 4 leaf accumulations)")
    numbered = [int(m.group(1)) for line in lines if (m := re.match(r"^\s*(\d+)  \S", line))]
    assert numbered == list(range(1, 10))
    assert max(len(line) for line in lines) <= 120
    assert "dL/da = 2(a - b)" in text


def test_table_of_an_empty_trace():
    with BackwardTrace() as trace:
        pass
    assert "no backward ran" in trace.table()
    assert "no backward ran" in trace.to_html()


# ---------------------------------------------------------------------------- HTML
@needs_dot
def test_html_has_one_frame_per_step_and_the_rules():
    trace = _xor_trace()
    page = trace._repr_html_()
    n = len(trace)
    assert page.count('<div class="ag-step') == n
    assert page.count('<div class="ag-frame"><svg') == n
    assert page.count('<div class="ag-step ag-on"') == 1  # the first step shows without JavaScript
    assert f'max="{n - 1}"' in page and 'data-act="prev"' in page and 'data-act="next"' in page
    assert "\\frac{\\partial L}{\\partial a} = 2(a - b)" in page  # LaTeX for MathJax
    assert "dL/da = 2(a - b)" in page  # and the same rule as text
    assert "(node f0 in make_dot)" in page
    assert "<?xml" not in page
    assert _balanced(page)


def test_html_without_dot_keeps_the_text(monkeypatch):
    trace = _xor_trace()
    monkeypatch.setenv("PATH", "")
    page = trace.to_html()
    assert page.count('<div class="ag-step') == len(trace)
    assert "<svg" not in page
    assert "apt-get install graphviz" in page
    assert "d(ab)" not in page and "dy/da = sigmoid(a)(1 - sigmoid(a)) = y(1 - y)" in page
    assert _balanced(page)


def test_html_without_outputs_or_too_many_steps_has_no_frames():
    x = ag.ones(3, requires_grad=True)
    with BackwardTrace() as trace:
        (x * 2).sum().backward()
    page = trace.to_html()
    assert "<svg" not in page and page.count('<div class="ag-step') == len(trace)
    page = _xor_trace().to_html(max_frames=3)
    assert "more than max_frames=3" in page and "<svg" not in page


_DOM_STUB = """
function El(cls) { this.className = cls; this.attrs = {}; this.listeners = {}; this.textContent = "";
                   this.value = "0"; }
El.prototype.getAttribute = function (k) { return k in this.attrs ? this.attrs[k] : null; };
El.prototype.setAttribute = function (k, v) { this.attrs[k] = v; };
El.prototype.addEventListener = function (e, f) { (this.listeners[e] = this.listeners[e] || []).push(f); };
El.prototype.fire = function (e) { (this.listeners[e] || []).forEach(function (f) { f(); }); };
var steps = []; for (var i = 0; i < N; i++) { steps.push(new El("ag-step")); }
var slider = new El(""), counter = new El(""), prev = new El(""), next = new El("");
prev.attrs["data-act"] = "prev"; next.attrs["data-act"] = "next";
var root = new El("");
root.querySelectorAll = function (s) { return s === ".ag-step" ? steps : s === "button" ? [prev, next] : []; };
root.querySelector = function (s) { return s.indexOf("input") === 0 ? slider : s === ".ag-counter" ? counter : null; };
var typeset = 0;
global.window = {MathJax: {typesetPromise: function (els) { typeset += els.length; return Promise.resolve(); }}};
global.document = {getElementById: function (id) { return id === ID ? root : null; }};
function shown() { return steps.map(function (s) { return s.className.indexOf("ag-on") >= 0 ? 1 : 0; }); }
var log = [];
function snap() { log.push({shown: shown(), value: slider.value, counter: counter.textContent}); }
"""

_DOM_DRIVE = """
snap();                                     // after load: step 1
next.fire("click"); snap();                 // 2
next.fire("click"); snap();                 // 3
prev.fire("click"); snap();                 // 2
slider.value = String(N - 1); slider.fire("input"); snap();   // last
next.fire("click"); snap();                 // stays on the last
slider.value = "0"; slider.fire("input"); prev.fire("click"); snap();   // stays on the first
console.log(JSON.stringify({log: log, typeset: typeset}));
"""


@needs_node
def test_slider_script_steps_through_the_frames(tmp_path):
    trace = _xor_trace()
    page = trace.to_html(frames=False)
    n = len(trace)
    dom_id = re.search(r'<div id="([^"]+)" class="ag-trace">', page).group(1)
    script = re.search(r"<script>(.*)</script>", page, re.S).group(1)
    program = f"var N = {n}; var ID = {json.dumps(dom_id)};\n" + _DOM_STUB + script + _DOM_DRIVE
    path = tmp_path / "drive.js"
    path.write_text(program)
    result = subprocess.run(["node", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    positions = [entry["shown"].index(1) for entry in out["log"]]
    assert positions == [0, 1, 2, 1, n - 1, n - 1, 0]
    assert all(sum(entry["shown"]) == 1 for entry in out["log"])
    assert [entry["value"] for entry in out["log"]] == [str(p) for p in positions]
    assert out["log"][4]["counter"] == f"step {n} / {n}"
    assert out["typeset"] == 8  # MathJax asked once per step shown (load + 7 moves)


# ---------------------------------------------------------------------------- frames
@needs_dot
def test_frames_highlight_the_step_and_label_the_edges():
    trace = _xor_trace()
    drawings = trace.frames()
    assert len(drawings) == len(trace)
    hidden = [d.source.count("fontcolor=transparent") for d in drawings]
    assert hidden[0] == 7 and hidden[-1] == 0  # 8 contributions; the first step sends one
    assert hidden == sorted(hidden, reverse=True)
    for k, (d, step) in enumerate(zip(drawings, trace)):
        assert f"Step {k + 1} of {len(trace)}" in d.source
        current = d.graph.id_of(step.node)
        line = next(x for x in d.body if x.lstrip().startswith(f"{current} ["))
        assert 'color="#D55E00"' in line
    lin = drawings[2].source  # LinearBackward0 (u2): sends to X, W and b at once
    assert lin.count('fontcolor="#D55E00" penwidth=2.5') == 3
    assert "sends G^T @ X = [[" in lin


@needs_dot
def test_save_frames_svg_and_png(tmp_path):
    trace = _xor_trace()
    svgs = trace.save_frames(tmp_path / "svg")
    pngs = trace.save_frames(tmp_path / "png", format="png")
    assert [p.name for p in svgs] == [f"step_{i:03d}.svg" for i in range(len(trace))]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in svgs)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    with pytest.raises(ValueError, match="format must be"):
        trace.save_frames(tmp_path, format="bmp")


@needs_dot
def test_gif_has_one_frame_per_step(tmp_path):
    from PIL import Image

    trace = _xor_trace()
    path = trace.save_gif(tmp_path / "trace.gif", duration_ms=300)
    with Image.open(path) as im:
        assert im.n_frames == len(trace)
        sizes = set()
        for k in range(im.n_frames):
            im.seek(k)
            sizes.add(im.size)
            assert im.info["duration"] == 300
        assert len(sizes) == 1


def test_without_dot_frames_print_the_install_message(monkeypatch, tmp_path, capsys):
    trace = _xor_trace()
    monkeypatch.setenv("PATH", "")
    assert trace.save_gif(tmp_path / "t.gif") is None
    assert "apt-get install graphviz" in capsys.readouterr().err
    paths = trace.save_frames(tmp_path / "f", format="png")
    assert len(paths) == len(trace) and all(p.suffix == ".dot" for p in paths)
    assert "brew install graphviz" in capsys.readouterr().err
    assert "MSELossBackward0" in trace.table()


def test_frames_need_the_outputs():
    x = ag.ones(2, requires_grad=True)
    loss = (x * 3).sum()
    with BackwardTrace({"x": x}) as trace:
        loss.backward()
    with pytest.raises(ValueError, match="outputs=loss"):
        trace.frames()
    drawings = trace.frames(outputs=loss)
    assert len(drawings) == len(trace)
    with BackwardTrace({"x": x}, outputs=loss) as trace2:
        x.grad = None
        (x * 3).sum().backward()
    # another graph than ``outputs``: only the shared leaf x has an id in the drawing
    assert [s.node_id for s in trace2] == [None, None, "t1"]
    with BackwardTrace({"x": x}, outputs=(y := (x * 3).sum())) as trace3:
        y.backward()
    assert [s.node_id for s in trace3] == ["f0", "f1", "t1"]


def test_renders_on_a_fake_cuda_device(device):
    trace = _xor_trace(device)
    assert "LinearBackward0 (u1)" in trace.table()
    page = trace.to_html(frames=shutil.which("dot") is not None)
    assert page.count('<div class="ag-step') == len(trace)
    np.testing.assert_allclose(trace.grad_of(trace.params["b1"]).cpu().numpy(),
                               trace.params["b1"].grad.cpu().numpy())
