"""Draw the pictures under ``docs/images``: one function per picture, ``main()`` draws them all.

Run from the repository root: ``python docs/make_images.py [output folder]``.
"""

from __future__ import annotations

import sys
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


def xor_trace(out_dir: Path) -> list[Path]:
    """The backward pass of a 2-2-1 sigmoid MLP on one XOR sample, J = (d - y)^2, step by
    step: an animated GIF and the frame where delta^2 reaches the output layer's Linear node."""
    ag.manual_seed(0)
    layer1, layer2 = nn.Linear(2, 2), nn.Linear(2, 1)
    x, d = ag.tensor([[0.0, 1.0]]), ag.tensor([[1.0]])
    u1 = layer1(x)
    u2 = layer2(u1.sigmoid())
    loss = nn.functional.mse_loss(u2.sigmoid(), d)
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias, "u1": u1, "u2": u2}
    trace = viz.trace_backward(loss, params=params)
    gif = trace.save_gif(out_dir / "xor_trace.gif", duration_ms=2200)
    step = next(s.index for s in trace if s.node is u2.grad_fn)
    png = viz.save(trace.frames()[step], out_dir / "xor_trace_step.png", dpi=110)
    return [p for p in (gif, png) if p is not None]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else ROOT / "docs" / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    for make in (mlp_graph, xor_trace):
        for path in make(out_dir):
            print(path)


if __name__ == "__main__":
    main()
