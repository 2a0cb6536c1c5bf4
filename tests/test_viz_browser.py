"""The HTML the library writes, loaded in a real browser: headless Chromium driven by Playwright.

The backward trace's step-through (`BackwardTrace.to_html`, what Jupyter shows for a trace) must
load offline with no console error, move through every step with its slider and its
previous/next buttons, and show for each step the node, the gradient arriving and the local
rule. A screenshot of one step is checked against the expected layout. The drawings
(`make_dot`'s SVG, and the HTML shown when Graphviz is missing) load the same way.

CI installs Debian's ``chromium`` and the ``playwright`` package (``.ci/run``); elsewhere these
tests skip when either is missing. ``CHROMIUM_PATH`` points at another Chromium binary.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.viz import make_dot
from autograd_core.viz.trace import trace_backward

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary (apt-get install chromium)")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
VIEWPORT = {"width": 1000, "height": 800}
CURRENT_RGB = (0xD5, 0x5E, 0x00)  # the step being run, in the frames (trace_render._CURRENT)
DONE_RGB = (0x00, 0x72, 0xB2)  # the steps already run (trace_render._DONE)


# ---------------------------------------------------------------------------- helpers
def _xor_trace():
    """One example through a 2-2-1 network (the lectures' worked example), traced."""
    ag.manual_seed(0)
    layer1, layer2 = nn.Linear(2, 2), nn.Linear(2, 1)
    x, d = ag.tensor([[0.0, 1.0]]), ag.tensor([[1.0]])
    u1 = layer1(x)
    u2 = layer2(u1.sigmoid())
    loss = F.mse_loss(u2.sigmoid(), d)
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias, "u1": u1, "u2": u2}
    return trace_backward(loss, params=params)


@pytest.fixture(scope="module")
def xor_page():
    """(trace, its step-through with a drawing per step), built once for the module."""
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    trace = _xor_trace()
    return trace, trace.to_html()


def _document(body: str) -> str:
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>trace</title></head><body>{body}</body></html>'


class Page:
    """A browser tab on one local file, recording console messages, script errors and every
    request that is not for the file itself (the page must not need the network)."""

    def __init__(self, browser, path: Path, init_script: str | None = None, viewport=None):
        self.console, self.errors, self.requests = [], [], []
        self.page = browser.new_page(viewport=viewport or VIEWPORT)
        if init_script:
            self.page.add_init_script(init_script)
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.url = path.as_uri()
        self.page.goto(self.url)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def assert_clean(self):
        problems = [text for kind, text in self.console if kind in ("error", "warning")]
        assert not self.errors, f"script errors: {self.errors}"
        assert not problems, f"console errors/warnings: {problems}"
        assert not self.requests, f"the page asked for other files (it must work offline): {self.requests}"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def open_html(browser, tmp_path):
    """open_html(body) -> Page: writes ``body`` into a whole HTML document and loads it."""
    pages = []

    def open_(body: str, name: str = "page.html", **kwargs) -> Page:
        path = tmp_path / name
        path.write_text(_document(body), encoding="utf-8")
        pages.append(Page(browser, path, **kwargs))
        return pages[-1]

    yield open_
    for p in pages:
        p.page.close()


def _state(page, root: str = ".ag-trace") -> dict:
    """What the reader sees in one step-through: which steps are displayed, the slider's value,
    the counter's text and the displayed step's parts (empty when hidden or missing)."""
    return page.eval_on_selector(root, """root => {
        const shown = el => !!el && getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
        const steps = Array.from(root.querySelectorAll(".ag-step"));
        const on = steps.filter(shown);
        const step = on.length === 1 ? on[0] : null;
        const text = sel => { const el = step && step.querySelector(sel); return shown(el) ? el.innerText : ""; };
        const svg = step && step.querySelector(".ag-frame svg");
        const box = shown(svg) ? svg.getBoundingClientRect() : null;
        return {shown: on.map(s => Number(s.dataset.step)),
                slider: root.querySelector("input[type=range]").value,
                counter: root.querySelector(".ag-counter").innerText,
                current: root.getAttribute("data-current"),
                title: text("h4"),
                info: text(".ag-info"),
                rule: text(".ag-text"),
                latex: text(".ag-latex"),
                frame: box ? [box.width, box.height] : null};
    }""")


def _assert_shows_step(page, trace, i: int, frames: bool = True, root: str = ".ag-trace"):
    """Step ``i`` and only it is displayed, and it shows the node, the gradient arriving at it
    and its local rule (and its frame when there are drawings)."""
    n = len(trace.steps)
    step = trace.steps[i]
    s = _state(page, root)
    assert s["shown"] == [i], f"expected step {i} alone on screen, got {s['shown']}"
    assert s["slider"] == str(i) and s["current"] == str(i)
    assert s["counter"] == f"step {i + 1} / {n}"
    assert s["title"].startswith(f"Step {i + 1} / {n}") and step.label in s["title"]
    assert "gradient arriving" in s["info"] and step.grads_in[0].preview(4) in s["info"]
    if step.kind == "node":
        assert step.rule.forward in s["rule"] and s["latex"].strip()
    else:
        assert f"{step.label}.grad" in s["rule"]
    if frames:
        assert s["frame"] is not None and min(s["frame"]) > 50, f"step {i}: no visible frame ({s['frame']})"
    else:
        assert s["frame"] is None


# ---------------------------------------------------------------------------- the trace page
def test_trace_page_loads_offline_with_no_console_error(open_html, xor_page):
    trace, body = xor_page
    page = open_html(body)
    page.assert_clean()
    _assert_shows_step(page.page, trace, 0)
    assert page.page.locator(".ag-trace script[src], .ag-trace link").count() == 0  # nothing to fetch


def test_previous_and_next_buttons_walk_every_step(open_html, xor_page):
    trace, body = xor_page
    n = len(trace.steps)
    page = open_html(body)
    prev, next_ = page.page.locator("button[data-act=prev]"), page.page.locator("button[data-act=next]")
    prev.click()  # already on the first step: stays there
    _assert_shows_step(page.page, trace, 0)
    for i in range(1, n):
        next_.click()
        _assert_shows_step(page.page, trace, i)
    next_.click()  # on the last step: stays there
    _assert_shows_step(page.page, trace, n - 1)
    for i in range(n - 2, -1, -1):
        prev.click()
        _assert_shows_step(page.page, trace, i)
    page.assert_clean()


def test_slider_moves_through_every_step(open_html, xor_page):
    trace, body = xor_page
    n = len(trace.steps)
    page = open_html(body)
    slider = page.page.locator(".ag-trace input[type=range]")
    slider.focus()
    for i in range(1, n):  # the keyboard moves a focused slider one step at a time
        page.page.keyboard.press("ArrowRight")
        _assert_shows_step(page.page, trace, i)
    page.page.keyboard.press("Home")
    _assert_shows_step(page.page, trace, 0)
    page.page.keyboard.press("End")
    _assert_shows_step(page.page, trace, n - 1)
    box = slider.bounding_box()  # a mouse click near the left end of the track: the first step
    page.page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)
    _assert_shows_step(page.page, trace, 0)
    page.page.locator("button[data-act=next]").click()  # the buttons continue from where the slider is
    _assert_shows_step(page.page, trace, 1)
    page.assert_clean()


def test_page_without_drawings_steps_through_the_text(open_html, monkeypatch):
    trace = _xor_trace()
    monkeypatch.setenv("PATH", "")  # no Graphviz: the page says so and keeps the text of every step
    body = trace.to_html()
    monkeypatch.undo()
    page = open_html(body)
    assert "apt-get install graphviz" in page.page.locator(".ag-trace").inner_text()
    for i in range(len(trace.steps)):
        _assert_shows_step(page.page, trace, i, frames=False)
        page.page.locator("button[data-act=next]").click()
    page.assert_clean()


def test_mathjax_typesets_each_step_it_shows(open_html):
    """In Jupyter, MathJax is on the page: the step shown is handed to it, once per move."""
    stub = ("window.__typeset = [];"
            "window.MathJax = {typesetPromise: els => { window.__typeset.push(els[0].dataset.step);"
            " return Promise.resolve(); }};")
    trace = _xor_trace()
    page = open_html(trace.to_html(frames=False), init_script=stub)
    for _ in range(3):
        page.page.locator("button[data-act=next]").click()
    page.page.locator("button[data-act=prev]").click()
    assert page.page.evaluate("window.__typeset") == ["0", "1", "2", "3", "2"]
    page.assert_clean()


def test_two_step_throughs_on_one_page_move_independently(open_html):
    """A notebook shows several traces on one page: each has its own id and its own controls."""
    first, second = _xor_trace(), _xor_trace()
    page = open_html(first.to_html(frames=False) + second.to_html(frames=False))
    roots = page.page.locator(".ag-trace")
    assert roots.count() == 2
    ids = [roots.nth(k).get_attribute("id") for k in range(2)]
    assert ids[0] != ids[1]
    for _ in range(2):
        roots.nth(1).locator("button[data-act=next]").click()
    _assert_shows_step(page.page, first, 0, frames=False, root=f"#{ids[0]}")
    _assert_shows_step(page.page, second, 2, frames=False, root=f"#{ids[1]}")
    page.assert_clean()


def test_screenshot_of_one_step_has_the_expected_layout(open_html, xor_page):
    """Step 3 of the trace (the output layer's LinearBackward0): controls on top, then the
    step's title, gradient, rule and table, then its frame, as wide as the page allows, with
    the current node drawn in orange and the steps already run in blue."""
    from PIL import Image

    trace, body = xor_page
    page = open_html(body)
    slider = page.page.locator(".ag-trace input[type=range]")
    slider.focus()
    for _ in range(2):
        page.page.keyboard.press("ArrowRight")
    _assert_shows_step(page.page, trace, 2)
    assert "LinearBackward0 (u2)" in _state(page.page)["title"]

    def box(selector):
        return page.page.locator(selector).bounding_box()

    root, controls = box(".ag-trace"), box(".ag-trace .ag-controls")
    title, rule = box(".ag-step.ag-on h4"), box(".ag-step.ag-on .ag-text")
    table, frame = box(".ag-step.ag-on table"), box(".ag-step.ag-on .ag-frame svg")
    # top to bottom, each below the one before; all inside the trace's box and the page's width
    order = [controls, title, rule, table, frame]
    assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(order, order[1:])), order
    assert root["width"] == VIEWPORT["width"] - 16  # the body's default 8 px margins
    for part in order:
        assert root["x"] <= part["x"] and part["x"] + part["width"] <= root["x"] + root["width"] + 1
    assert page.page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    assert 300 <= frame["height"] <= 1500 and frame["width"] >= 300

    shot = Image.open(io.BytesIO(page.page.locator(".ag-trace").screenshot())).convert("RGB")
    assert abs(shot.size[0] - root["width"]) <= 1 and abs(shot.size[1] - root["height"]) <= 1
    pixels = np.asarray(shot, dtype=np.int16)
    # the screenshot shows the controls (the blue slider) and, below, the frame with colours:
    # orange where the current node and its edges are, blue for the steps already run
    top = int(frame["y"] - root["y"])
    drawing = pixels[top:]

    def near(rgb, tol=40):
        return int((np.abs(drawing - np.array(rgb)).sum(axis=-1) < tol).sum())

    assert near(CURRENT_RGB) > 300, "the current step is not drawn in orange"
    assert near(DONE_RGB) > 100, "the steps already run are not drawn in blue"
    assert (pixels[: top] < 128).all(axis=-1).sum() > 200  # text above the frame
    assert (pixels.std(axis=(0, 1)) > 10).all()  # not a blank image
    page.assert_clean()


def test_narrow_window_scales_the_frame_down(open_html, xor_page):
    """On a phone-sized window the drawing shrinks to fit instead of overflowing sideways."""
    trace, body = xor_page
    page = open_html(body, viewport={"width": 420, "height": 700})
    frame = page.page.locator(".ag-step.ag-on .ag-frame svg").bounding_box()
    assert frame["width"] <= 420 - 16 + 1
    page.assert_clean()


def _stored_trace_pages():
    """The step-through pages stored in the committed notebooks (what a reader opens)."""
    pages = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                html = out.get("data", {}).get("text/html")
                if html and "ag-trace" in "".join(html):
                    pages.append(pytest.param("".join(html), id=path.stem))
    return pages


@pytest.mark.parametrize("body", _stored_trace_pages())
def test_step_through_stored_in_a_notebook_works(open_html, body):
    page = open_html(body)
    n = page.page.locator(".ag-step").count()
    assert n > 1
    next_ = page.page.locator("button[data-act=next]")
    for i in range(n):
        s = _state(page.page)
        assert s["shown"] == [i] and s["counter"] == f"step {i + 1} / {n}"
        assert s["title"].startswith(f"Step {i + 1} / {n}") and "gradient arriving" in s["info"] and s["rule"]
        next_.click()
    page.assert_clean()


# ---------------------------------------------------------------------------- drawings
@needs_dot
def test_make_dot_svg_loads_and_shows_every_node(open_html):
    x = ag.tensor(1.5, requires_grad=True)
    g = x**2
    f = g.exp()
    f.backward()
    drawing = make_dot(f, params={"x": x, "g": g})
    page = open_html(drawing._repr_svg_())
    svg = page.page.locator("svg")
    assert svg.count() == 1 and svg.is_visible()
    text = page.page.evaluate("document.querySelector('svg').textContent")
    for label in ("x", "PowBackward0", "ExpBackward0", "output"):
        assert label in text
    titles = page.page.eval_on_selector_all("svg g.node > title", "ts => ts.map(t => t.textContent)")
    assert set(drawing.drawn_nodes) <= set(titles)  # every node make_dot drew is in the picture
    boxes = page.page.eval_on_selector_all("svg g.node", "gs => gs.map(g => g.getBoundingClientRect().width)")
    assert min(boxes) > 10
    page.assert_clean()


def test_drawing_without_dot_shows_the_install_hint(open_html, monkeypatch):
    x = ag.tensor(1.5, requires_grad=True)
    drawing = make_dot((x * 2).sum(), params={"x": x})
    monkeypatch.setenv("PATH", "")
    bundle = drawing._repr_mimebundle_()
    monkeypatch.undo()
    page = open_html(bundle["text/html"])
    shown = page.page.locator("pre").inner_text()
    assert "apt-get install graphviz" in shown and "digraph" in shown
    page.assert_clean()
