"""Gradient-flow views: recorded numbers equal independent computations, layers group as
documented, vanishing gradients show up, plots render, and nothing waits for the device."""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core import _backend
from autograd_core.utils.data import DataLoader, TensorDataset
from autograd_core.viz.gradient_flow import GradientFlow, layer_of, plot_gradient_flow
from nn.training import fit

matplotlib.use("Agg")


def _host(t) -> np.ndarray:
    return np.asarray(t.tolist(), dtype=np.float64)


def _mlp(device="cpu"):
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(),
                         nn.Linear(3, 2)).to(device)


def _backward(model, device="cpu", seed=1):
    ag.manual_seed(seed)
    x = ag.randn(8, 4, device=device)
    y = ag.randn(8, 2, device=device)
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    return loss


# ------------------------------------------------------------------ recorded values
def test_grad_stats_equal_the_gradients(device):
    model = _mlp(device)
    flow = GradientFlow(model, by="parameter", weights_only=False)
    _backward(model, device)
    flow.record()
    grads = {n: _host(p.grad) for n, p in model.named_parameters()}
    assert flow.names == list(grads)
    norm, mean_abs, max_abs = (flow.array(k)[0] for k in ("grad_norm", "grad_mean_abs",
                                                          "grad_max_abs"))
    for j, g in enumerate(grads.values()):
        assert norm[j] == pytest.approx(np.linalg.norm(g), rel=1e-6)
        assert mean_abs[j] == pytest.approx(np.abs(g).mean(), rel=1e-6)
        assert max_abs[j] == pytest.approx(np.abs(g).max(), rel=1e-6)
    assert np.all(norm > 0)


def test_layer_rows_measure_the_concatenated_gradients(device):
    model = _mlp(device)
    flow = GradientFlow(model, weights_only=False)
    _backward(model, device)
    flow.record()
    assert flow.names == ["0", "2", "4"]
    for j, layer in enumerate(flow.names):
        w, b = _host(model[int(layer)].weight.grad), _host(model[int(layer)].bias.grad)
        both = np.concatenate([w.ravel(), b.ravel()])
        assert flow.array("grad_norm")[0, j] == pytest.approx(np.linalg.norm(both), rel=1e-6)
        assert flow.array("grad_mean_abs")[0, j] == pytest.approx(np.abs(both).mean(), rel=1e-6)
        assert flow.array("grad_max_abs")[0, j] == pytest.approx(np.abs(both).max(), rel=1e-6)


def test_update_ratio_of_a_manual_sgd_step(device):
    model = _mlp(device)
    flow = GradientFlow(model, by="parameter", weights_only=False)
    _backward(model, device)
    before = {n: _host(p) for n, p in model.named_parameters()}
    flow.record()
    with ag.no_grad():
        for p in model.parameters():
            p -= 0.3 * p.grad
    flow.record_update()
    ratio = flow.array("update_ratio")[0]
    for j, (n, p) in enumerate(model.named_parameters()):
        expected = np.linalg.norm(_host(p) - before[n]) / np.linalg.norm(before[n])
        assert ratio[j] == pytest.approx(expected, rel=1e-5)
        assert ratio[j] > 0


def test_float16_gradients_do_not_overflow():
    w = ag.full((4, 4), 300.0, dtype=ag.float16, requires_grad=True)
    w.grad = ag.full((4, 4), 300.0, dtype=ag.float16)  # 300^2 overflows float16
    flow = GradientFlow({"w": w})
    flow.record()
    assert flow.array()[0, 0] == pytest.approx(1200.0)


# ------------------------------------------------------------------ grouping and options
def test_grouping_by_layer_name():
    assert layer_of("0.weight") == "0"
    assert layer_of("encoder.fc1.bias") == "encoder.fc1"
    assert layer_of("w") == "w"
    w1 = ag.randn(3, 3, requires_grad=True)
    params = {"enc.fc.weight": w1, "enc.fc.bias": ag.randn(3, requires_grad=True),
              "head.weight": ag.randn(2, 3, requires_grad=True), "scale": ag.randn(1, 1, requires_grad=True),
              "frozen.weight": ag.randn(3, 3)}
    assert GradientFlow(params).names == ["enc.fc", "head", "scale"]
    assert GradientFlow(params).parameter_names == ["enc.fc.weight", "head.weight", "scale"]
    assert GradientFlow(params, weights_only=False).parameter_names == [
        "enc.fc.weight", "enc.fc.bias", "head.weight", "scale"]
    assert GradientFlow(params, by="parameter").names == ["enc.fc.weight", "head.weight", "scale"]
    assert GradientFlow(list(params.items())).names == ["enc.fc", "head", "scale"]


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="weights_only=False"):
        GradientFlow({"b": ag.zeros(3, requires_grad=True)})
    with pytest.raises(TypeError, match="named parameters"):
        GradientFlow(ag.zeros(3, 3, requires_grad=True))
    with pytest.raises(TypeError, match="named parameters"):
        GradientFlow([ag.zeros(3, 3, requires_grad=True)])
    with pytest.raises(ValueError, match="by must be"):
        GradientFlow(_mlp(), by="module")
    flow = GradientFlow(_mlp())
    with pytest.raises(RuntimeError, match="call flow.record"):
        flow.record_update()
    with pytest.raises(ValueError, match="kind must be one of"):
        flow.array("grad")
    with pytest.raises(RuntimeError, match="no step recorded"):
        plot_gradient_flow({"a": flow})
    with pytest.raises(RuntimeError, match="track_updates=True"):
        GradientFlow(_mlp(), track_updates=False).record_update()


def test_missing_gradients_are_nan():
    w1, w2 = ag.randn(2, 2, requires_grad=True), ag.randn(2, 2, requires_grad=True)
    b = ag.randn(2, requires_grad=True)
    flow = GradientFlow({"a.weight": w1, "a.bias": b, "c.weight": w2}, weights_only=False)
    (w1.sum() * 2).backward()  # only a.weight gets a gradient
    flow.record()
    norm = flow.array("grad_norm")[0]
    assert norm[0] == pytest.approx(np.linalg.norm(np.full(4, 2.0)))
    assert np.isnan(norm[1])
    assert flow.array("grad_mean_abs")[0, 0] == pytest.approx(2.0)  # over a.weight only
    assert np.isnan(flow.array("update_ratio")).all()  # no record_update yet


def test_every_records_one_call_in_n():
    model = _mlp()
    flow = GradientFlow(model, every=3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with flow.attach(opt):
        for _ in range(7):
            opt.zero_grad()
            _backward(model)
            opt.step()
    assert flow.steps == [0, 3, 6]
    assert np.isfinite(flow.array("update_ratio")).all()


# ------------------------------------------------------------------ optimizer and fit
def test_attach_records_every_step_and_detaches(device):
    model = _mlp(device)
    flow = GradientFlow(model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    handle = flow.attach(opt)
    ratios = []
    for step in range(3):
        opt.zero_grad()
        _backward(model, device, seed=step)
        grad_norms = [np.linalg.norm(_host(model[i].weight.grad)) for i in (0, 2, 4)]
        before = [_host(model[i].weight) for i in (0, 2, 4)]
        opt.step()
        ratios.append([np.linalg.norm(_host(model[i].weight) - b) / np.linalg.norm(b)
                       for i, b in zip((0, 2, 4), before)])
        assert flow.array("grad_norm")[step] == pytest.approx(grad_norms, rel=1e-6)
    np.testing.assert_allclose(flow.array("update_ratio"), ratios, rtol=1e-5)
    handle.remove()
    opt.step()
    assert len(flow) == 3 and flow.steps == [0, 1, 2]


def test_fit_callback_records_each_batch():
    model = _mlp()
    flow = GradientFlow(model)
    opt = optim.SGD(model.parameters(), lr=0.05)
    x, y = ag.randn(24, 4), ag.randn(24, 2)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    fit(model, nn.MSELoss(), opt, loader, epochs=2, callbacks=[flow.callback(opt)], verbose=False)
    assert len(flow) == 6
    assert np.isfinite(flow.array("grad_norm")).all()
    assert (flow.array("update_ratio") > 0).all()
    opt.step()  # hooks were removed at the end of training
    assert len(flow) == 6


def test_recording_never_copies_to_the_host_until_read(device, monkeypatch):
    model = _mlp(device)
    backend = _backend.backend_of(model[0].weight._data)
    downloads = []
    original = backend.to_numpy
    monkeypatch.setattr(backend, "to_numpy", lambda a: downloads.append(1) or original(a))
    flow = GradientFlow(model, weights_only=False)
    opt = optim.SGD(model.parameters(), lr=0.1)
    flow.attach(opt)
    for _ in range(4):
        opt.zero_grad()
        _backward(model, device)
        opt.step()
    assert downloads == []
    flow.array("update_ratio")
    assert len(downloads) == 1  # every pending step, one transfer
    assert flow.array("grad_norm").shape == (4, 3)
    assert len(downloads) == 1


# ------------------------------------------------------------------ vanishing gradients
def _deep_mlp(activation, he_init: bool, depth: int = 10, width: int = 32):
    ag.manual_seed(0)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        if he_init:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    return nn.Sequential(*layers[:-1])


def _first_over_last(model) -> float:
    flow = GradientFlow(model)
    ag.manual_seed(3)
    x, y = ag.randn(64, 32), ag.randn(64, 32)
    for _ in range(3):
        model.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        flow.record()
    norms = flow._at("grad_norm", "mean")
    assert len(norms) == 10
    return norms[0] / norms[-1]


def test_sigmoid_gradients_vanish_relu_with_he_init_much_less():
    sigmoid = _first_over_last(_deep_mlp(nn.Sigmoid, he_init=False))
    relu_he = _first_over_last(_deep_mlp(nn.ReLU, he_init=True))
    assert sigmoid < 1e-5
    assert relu_he > 1e-2
    assert relu_he / sigmoid > 1e4


# ------------------------------------------------------------------ views
def _trained_flow(activation=nn.Tanh) -> GradientFlow:
    model = _deep_mlp(activation, he_init=False, depth=4)
    flow = GradientFlow(model)
    opt = optim.SGD(model.parameters(), lr=0.1)
    flow.attach(opt)
    x, y = ag.randn(16, 32), ag.randn(16, 32)
    for _ in range(5):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
    return flow


def test_plot_returns_a_figure_and_saves_png(tmp_path):
    from matplotlib.figure import Figure

    flow = _trained_flow()
    for kind in ("grad_norm", "update_ratio"):
        fig = flow.plot(kind)
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert len(ax.get_lines()) == 4
        assert ax.get_yscale() == "log"
        np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), flow.array(kind)[:, 2])
        path = tmp_path / f"{kind}.png"
        fig.savefig(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        matplotlib.pyplot.close(fig)
    fig = flow.plot(logy=False)
    assert fig.axes[0].get_yscale() == "linear"
    matplotlib.pyplot.close(fig)


def test_plot_gradient_flow_compares_runs(tmp_path):
    flows = {"sigmoid": _trained_flow(nn.Sigmoid), "tanh": _trained_flow(nn.Tanh),
             "relu": _trained_flow(nn.ReLU)}
    fig = plot_gradient_flow(flows, step=-1)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["sigmoid", "tanh", "relu"]
    np.testing.assert_allclose(lines[1].get_ydata(), flows["tanh"].array("grad_norm")[-1])
    fig.savefig(tmp_path / "flow.png")
    matplotlib.pyplot.close(fig)
    fig = plot_gradient_flow(flows, kind="update_ratio", step="mean")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(),
                               flows["sigmoid"].array("update_ratio").mean(axis=0))
    matplotlib.pyplot.close(fig)
    with pytest.raises(IndexError, match="5 steps recorded"):
        plot_gradient_flow(flows, step=5)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    flow = _trained_flow()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib.*\[plot\]"):
        flow.plot()
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_gradient_flow({"run": flow})


def test_table_and_as_dict():
    flow = _trained_flow()
    text = flow.table()
    lines = text.splitlines()
    assert lines[0].startswith("GradientFlow: 5 step(s) recorded, 4 layers")
    assert lines[1].split() == ["layer", "numel", "grad_norm", "last", "grad_norm", "mean",
                                "update_ratio", "last", "update_ratio", "mean"]
    assert [ln.split()[0] for ln in lines[2:]] == ["0", "2", "4", "6"]
    assert lines[2].split()[2] == f"{flow.array('grad_norm')[-1, 0]:.3e}"
    d = flow.as_dict()
    assert list(d["step"]) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(d["update_ratio"]["6"], flow.array("update_ratio")[:, 3])
    assert set(d) == {"step", "grad_norm", "grad_mean_abs", "grad_max_abs", "update_ratio"}
    assert "no step recorded" in GradientFlow(_mlp()).table()
