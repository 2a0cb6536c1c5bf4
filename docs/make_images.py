"""Draw the pictures under ``docs/images``: one function per picture, ``main()`` draws them all.

Run from the repository root: ``python docs/make_images.py [output folder] [--only NAME ...]``
(``--only trace_page`` redraws just that picture).

``trace_page`` photographs the step-through page (`BackwardTrace.to_html`) in headless
Chromium, driven by Playwright (``pip install playwright``, ``apt-get install chromium``;
``CHROMIUM_PATH`` names another binary); without them it says so and draws nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # works from a checkout, installed or not

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
from autograd_core import viz  # noqa: E402


def mlp_graph(out_dir: Path) -> list[Path]:
    """The backward graph of a 2-3-1 MLP's loss after backward, one cluster per layer."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = ag.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ag.tensor([[0.0], [1.0], [1.0], [0.0]])
    with viz.module_scopes(model) as scopes:
        prediction = model(x)
    loss = nn.functional.mse_loss(prediction, y)
    loss.backward()
    drawing = viz.make_dot({"loss": loss}, params=dict(model.named_parameters()), modules=scopes,
                           max_preview=4, title="2-3-1 MLP on XOR: the loss after backward")
    return [viz.save(drawing, out_dir / "mlp_graph.svg"), viz.save(drawing, out_dir / "mlp_graph.png", dpi=144)]


def _xor_trace() -> tuple[viz.BackwardTrace, int]:
    """The backward pass of a 2-2-1 sigmoid MLP on one XOR sample, J = (d - y)^2, traced; and
    the index of the step where delta^2 reaches the output layer's Linear node."""
    ag.manual_seed(0)
    layer1, layer2 = nn.Linear(2, 2), nn.Linear(2, 1)
    x, d = ag.tensor([[0.0, 1.0]]), ag.tensor([[1.0]])
    u1 = layer1(x)
    u2 = layer2(u1.sigmoid())
    loss = nn.functional.mse_loss(u2.sigmoid(), d)
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias, "u1": u1, "u2": u2}
    trace = viz.trace_backward(loss, params=params)
    return trace, next(s.index for s in trace if s.node is u2.grad_fn)


def xor_trace(out_dir: Path) -> list[Path]:
    """The XOR trace step by step: an animated GIF and the frame where delta^2 reaches the
    output layer's Linear node."""
    trace, step = _xor_trace()
    gif = trace.save_gif(out_dir / "xor_trace.gif", duration_ms=2200)
    png = viz.save(trace.frames()[step], out_dir / "xor_trace_step.png", dpi=110)
    return [p for p in (gif, png) if p is not None]


def trace_page(out_dir: Path, width: int = 900) -> list[Path]:
    """A screenshot of the step-through page (`trace.to_html()`, what Jupyter shows for a
    trace) at the same step as ``xor_trace_step.png``, reached by pressing its *next* button:
    the controls, the step's gradient, rule and table, and its frame. The rule's LaTeX source
    line (typeset where MathJax is loaded, as in Jupyter; raw text offline) is hidden; its plain
    text version stays."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("trace_page: needs Playwright (pip install playwright); skipped", file=sys.stderr)
        return []
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print(f"trace_page: no Chromium at {chromium} (apt-get install chromium, or set CHROMIUM_PATH); "
              "skipped", file=sys.stderr)
        return []
    trace, step = _xor_trace()
    page_html = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>backward trace</title></head>'
                 f"<body>{trace.to_html()}</body></html>")
    out = out_dir / "trace_page.png"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = Path(tmp) / "trace.html"
        path.write_text(page_html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.add_style_tag(content=".ag-trace .ag-latex { display: none; }")
            for _ in range(step):
                page.click("button[data-act=next]")
            counter = page.inner_text(".ag-trace .ag-counter")
            if errors or counter != f"step {step + 1} / {len(trace.steps)}":
                raise RuntimeError(f"the step-through did not reach step {step + 1}: it shows {counter!r}, "
                                   f"script errors: {errors}")
            page.locator(".ag-trace").screenshot(path=str(out))
        finally:
            browser.close()
    return [out]


PICTURES = {"mlp_graph": mlp_graph, "xor_trace": xor_trace, "trace_page": trace_page}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw the pictures under docs/images.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=ROOT / "docs" / "images", help="output folder")
    parser.add_argument("--only", nargs="+", choices=sorted(PICTURES), help="draw only these pictures")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.only or PICTURES:
        for path in PICTURES[name](args.out_dir):
            print(path)


if __name__ == "__main__":
    main()
