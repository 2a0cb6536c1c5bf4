"""`autograd_core.viz.make_dot`: the drawn graph (ids, nodes, edges, labels, summaries)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.viz import make_dot
from autograd_core.viz._graph import build_graph, is_broadcast
from autograd_core.viz._preview import has_nonfinite, preview

GOLDEN = """digraph {
\tgraph [fontname=Helvetica fontsize=12 newrank=true nodesep=0.3 rankdir=TB ranksep=0.35]
\tnode [color="#555555" fontname=Helvetica fontsize=11 height=0.3 margin="0.12,0.05"]
\tedge [arrowsize=0.7 color="#4D4D4D" fontname=Helvetica fontsize=9]
\tt0 [label=<<b>output</b><br/><font point-size="9">() float32 cpu</font><br/><font point-size="9">data 9</font>> \
fillcolor="#F7F1A0" peripheries=2 shape=box style=filled]
\tf0 [label=<SumBackward0<br/><font point-size="9" color="#666666">()</font>> fillcolor="#E8E8E8" shape=box \
style="rounded,filled"]
\tf1 [label=<MulBackward0<br/><font point-size="9" color="#666666">(2,)</font>> fillcolor="#E8E8E8" shape=box \
style="rounded,filled"]
\tt1 [label=<<b>a</b><br/><font point-size="9">(2,) float32 cpu</font><br/><font point-size="9">data [1, 2]</font>\
<br/><font point-size="9" color="#0072B2">grad [3, 3]</font>> fillcolor="#7FCEB9" shape=box3d style=filled]
\tt2 [label=<<b>b</b><br/><font point-size="9">(1,) float32 cpu</font><br/><font point-size="9">data [3]</font>\
<br/><font point-size="9" color="#0072B2">grad [3]</font>> fillcolor="#7FCEB9" shape=box3d style=filled]
\tf0 -> t0
\tf1 -> f0
\tt1 -> f1
\tt2 -> f1 [label="(1,) → (2,)" color="#D55E00" fontcolor="#D55E00" penwidth=2]
}
"""


def _tiny():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0], requires_grad=True)
    y = (a * b).sum()
    return a, b, y


def _ops(drawing) -> list[str]:
    """The op names of the drawn function nodes, in id order."""
    return [n.obj.name() for n in drawing.graph.nodes if n.kind == "function"]


def _label(drawing, obj) -> str:
    return drawing.drawn_nodes[drawing.graph.id_of(obj)]["label"]


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf", text)]


# ---------------------------------------------------------------------------- golden + ids
def test_golden_source_of_a_tiny_graph():
    a, b, y = _tiny()
    y.backward()
    assert make_dot(y, params={"a": a, "b": b}, legend=False).source == GOLDEN


def test_ids_are_stable_across_rebuilds_and_follow_the_walk():
    sources = []
    for _ in range(2):
        a, b, y = _tiny()
        sources.append(make_dot(y, params={"a": a, "b": b}).source)
    assert sources[0] == sources[1]
    assert "0x" not in sources[0]  # no memory addresses
    a, b, y = _tiny()
    g = build_graph(y, {"a": a, "b": b})
    assert [n.id for n in g.nodes] == ["t0", "f0", "f1", "t1", "t2"]
    assert g.id_of(y) == "t0" and g.id_of(y.grad_fn) == "f0" and g.id_of(a) == "t1"
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and g.id_of(acc) == g.id_of(a)  # one node
    assert g.id_of(ag.tensor([1.0])) is None


# ---------------------------------------------------------------------------- counts
def test_a_times_a_draws_two_edges_into_mul():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    d = make_dot(y)
    mul = d.graph.id_of(y.grad_fn.next_functions[0][0])
    into_mul = [(s, t) for s, t, _ in d.drawn_edges if t == mul]
    assert into_mul == [(d.graph.id_of(a), mul)] * 2
    assert d.source.count(f"{d.graph.id_of(a)} -> {mul}") == 2


def test_a_diamond_is_drawn_once():
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    b = x.exp()
    y = (b.sin() + b.cos()).sum()
    d = make_dot(y)
    assert sorted(_ops(d)) == sorted(["SumBackward0", "AddBackward0", "SinBackward0", "CosBackward0",
                                      "ExpBackward0"])
    exp = d.graph.id_of(b.grad_fn)
    targets = sorted(t for s, t, _ in d.drawn_edges if s == exp)
    assert targets == sorted([d.graph.id_of(y.grad_fn.next_functions[0][0].next_functions[0][0]),
                              d.graph.id_of(y.grad_fn.next_functions[0][0].next_functions[1][0])])
    assert len(d.drawn_nodes) == 7  # 5 ops, x, the output
    assert sum(1 for line in d.body if "ExpBackward0" in line) == 1


def test_several_outputs_named_by_dict_keys_share_their_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    d = make_dot({"loss": h.sum(), "h": h})
    names = [n.name for n in d.graph.nodes if n.is_output]
    assert names == ["loss", "h"]
    assert _ops(d).count("MulBackward0") == 1
    seq = make_dot([h.sum(), h.mean()])
    assert [n.name for n in seq.graph.nodes if n.is_output] == ["output 0", "output 1"]


def test_a_named_intermediate_names_its_function_node():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    u = x * 3
    d = make_dot((u * u).sum(), params={"x": x, "u": u})
    assert _label(d, u.grad_fn).startswith("<<b>u</b><br/>MulBackward0")
    assert d.graph.node(d.graph.id_of(u.grad_fn)).name == "u"
    assert sum("<b>u</b>" in attrs["label"] for attrs in d.drawn_nodes.values()) == 1


def test_names_come_from_params_then_tensor_name():
    w = ag.tensor([1.0], requires_grad=True)
    v = ag.tensor([2.0], requires_grad=True)
    v.name = "velocity"
    d = make_dot((w * v).sum(), params={"weight": w})
    assert "<b>weight</b>" in _label(d, w) and "<b>velocity</b>" in _label(d, v)
    assert d.graph.node(d.graph.id_of(w)).kind == "parameter"
    assert d.graph.node(d.graph.id_of(v)).kind == "leaf"


# ---------------------------------------------------------------------------- values
def test_the_gradient_shown_equals_grad():
    ag.manual_seed(0)
    w = ag.randn(3, 4, requires_grad=True)
    x = ag.randn(2, 3)
    y = (x @ w).tanh().sum()
    y.backward()
    label = _label(make_dot(y, max_preview=12), w)
    grad_text = label.split("grad ")[1]
    np.testing.assert_allclose(_numbers(grad_text.split("</font>")[0]), w.grad.numpy().ravel(), rtol=1e-3)
    data_text = label.split("data ")[1].split("</font>")[0]
    np.testing.assert_allclose(_numbers(data_text), w.detach().numpy().ravel(), rtol=1e-3)
    short = _label(make_dot(y, max_preview=3), w)
    assert short.count(", …") == 2 and len(_numbers(short.split("grad ")[1].split("</font>")[0])) == 3
    assert "grad" not in _label(make_dot(y, show_grad=False), w)
    assert "data" not in _label(make_dot(y, show_data=False), w)


def test_preview_format():
    assert preview(np.array(2.5, dtype=np.float32), 6) == "2.5"
    assert preview(np.arange(3, dtype=np.int64), 6) == "[0, 1, 2]"
    assert preview(np.arange(10.0), 3) == "[0, 1, 2, …]"
    assert preview(np.array([1 / 3, -0.0, np.nan, np.inf]), 6) == "[0.3333, 0, nan, inf]"
    assert preview(np.zeros((0, 2)), 6) == "[]"
    assert preview(np.arange(4.0), 0) == ""
    assert has_nonfinite(np.array([1.0, np.inf])) and not has_nonfinite(np.array([1.0]))
    assert not has_nonfinite(np.array([1, 2]))


def test_nan_and_inf_are_told_apart():
    x = ag.tensor([-1.0, 1.0], requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x.log().sum()  # log(-1) = nan; its gradient 1/x is finite
        y.backward()
    d = make_dot(y)
    out = d.drawn_nodes[d.graph.id_of(y)]
    assert out["shape"] == "octagon" and "NaN/Inf in data" in out["label"]
    assert d.drawn_nodes[d.graph.id_of(x)]["shape"] == "box"
    assert "holds NaN / Inf" in d.source  # legend row
    z = ag.tensor([0.0, 4.0], requires_grad=True)
    s = z.sqrt().sum()  # d sqrt(z) = 1 / (2 sqrt(z)): inf at 0
    with np.errstate(divide="ignore"):
        s.backward()
    leaf = make_dot(s).drawn_nodes["t1"]
    assert leaf["shape"] == "octagon" and "NaN/Inf in grad" in leaf["label"]
    assert make_dot(s).drawn_nodes["t0"]["shape"] == "box"


def test_broadcast_edges_are_marked_with_both_shapes():
    a = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ag.ones(2, 1, requires_grad=True)
    c = ag.ones(2, 3, requires_grad=True)
    y = (a * b + c).sum()
    d = make_dot(y)
    marked = {(s, t): attrs["label"] for s, t, attrs in d.drawn_edges if "→" in attrs.get("label", "")}
    mul = d.graph.id_of(y.grad_fn.next_functions[0][0].next_functions[0][0])
    assert marked == {(d.graph.id_of(a), mul): "(3,) → (2, 3)", (d.graph.id_of(b), mul): "(2, 1) → (2, 3)"}
    assert "gradient summed back" in d.source
    assert is_broadcast((4,), (5, 4)) and not is_broadcast((5, 4), (5, 4))
    assert not is_broadcast((3,), (2, 3), "StackBackward0") and not is_broadcast((1, 3), (3,))
    assert not is_broadcast((3,), (1, 3))  # same elements: nothing summed


def test_broadcast_marks_are_absent_for_reductions_and_matmul():
    w = ag.ones(3, 5, requires_grad=True)
    x = ag.ones(1, 3, requires_grad=True)
    y = (x @ w).sum()
    d = make_dot(y)
    assert not any("→" in attrs.get("label", "") for _, _, attrs in d.drawn_edges)
    assert "gradient summed back" not in d.source


def test_saved_tensors_are_drawn_and_a_freed_graph_is_handled():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    x = ag.tensor([3.0, 4.0])  # saved by Mul, needs no grad
    y = (a * x).exp().sum()
    d = make_dot(y, show_saved=True)
    saved = [n for n in d.graph.nodes if n.kind == "saved"]
    exp_node = y.grad_fn.next_functions[0][0]
    mul_node = exp_node.next_functions[0][0]
    # Walk order: Exp (keeps its output) comes before Mul (keeps only x, for a's gradient).
    dashed = [(s, t) for s, t, attrs in d.drawn_edges if attrs.get("style") == "dashed"]
    assert dashed == [(saved[0].id, d.graph.id_of(exp_node)), (saved[1].id, d.graph.id_of(mul_node))]
    np.testing.assert_allclose(_numbers(d.drawn_nodes[saved[0].id]["label"].split("data ")[1]),
                               np.exp([3.0, 8.0]), rtol=1e-3)
    np.testing.assert_allclose(_numbers(d.drawn_nodes[saved[1].id]["label"].split("data ")[1]), [3.0, 4.0])
    y.backward()
    after = make_dot(y, show_saved=True)
    assert not [n for n in after.graph.nodes if n.kind == "saved"]
    assert "saved tensors freed" in after.source


def test_retained_grad_of_an_intermediate_is_shown_on_its_function():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = (h * h).sum()
    y.backward()
    label = _label(make_dot(y), h.grad_fn)
    np.testing.assert_allclose(_numbers(label.split("grad ")[1]), h.grad.numpy())


# ---------------------------------------------------------------------------- no side effects
def test_drawing_changes_no_gradient_and_keeps_the_graph():
    def run(draw: bool):
        ag.manual_seed(1)
        w = ag.randn(4, 3, requires_grad=True)
        x = ag.randn(5, 4)
        loss = (x @ w).sigmoid().pow(2).mean()
        if draw:
            make_dot(loss, show_saved=True)
        loss.backward(retain_graph=True)
        first = w.grad.numpy().copy()
        if draw:
            make_dot(loss, show_saved=True)
        loss.backward()  # the graph is still there
        return first, w.grad.numpy().copy()

    plain, drawn = run(False), run(True)
    np.testing.assert_array_equal(plain[0], drawn[0])
    np.testing.assert_array_equal(plain[1], drawn[1])
    np.testing.assert_allclose(drawn[1], 2 * drawn[0])


def test_drawing_before_backward_then_backward_still_works():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    before = make_dot(y, show_saved=True)
    assert "grad [" not in before.source
    y.backward()
    assert a.grad.tolist() == [2.0, 4.0]
    assert "grad [2, 4]" in make_dot(y).source


# ---------------------------------------------------------------------------- higher order
def test_graph_of_a_gradient_built_with_create_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x * x).sum()
    (g,) = ag.autograd.grad(y, x, create_graph=True)  # 3 x^2, itself a graph
    d = make_dot({"dy/dx": g}, params={"x": x})
    ops = _ops(d)
    assert ops and all(name.endswith("Backward0") for name in ops)
    assert "MulBackward0" in ops
    assert d.graph.id_of(x) is not None and "<b>x</b>" in _label(d, x)
    np.testing.assert_allclose(_numbers(_label(d, g).split("data ")[1]), [3.0, 12.0])
    (g2,) = ag.autograd.grad(g.sum(), x, create_graph=True)  # 6 x
    d2 = make_dot(g2, params={"x": x})
    assert len(d2.graph.nodes) > len(d.graph.nodes)


# ---------------------------------------------------------------------------- options
def test_highlight_and_edge_labels():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    mul = y.grad_fn.next_functions[0][0]
    d = make_dot(y, highlight={mul: {"color": "red", "penwidth": 3}, a: {"fillcolor": "yellow"}},
                 edge_labels={(mul, 1): "g = [1, 2]", (y.grad_fn, 0): "ones"})
    assert d.drawn_nodes[d.graph.id_of(mul)]["color"] == "red"
    assert d.drawn_nodes[d.graph.id_of(mul)]["penwidth"] == "3"
    assert d.drawn_nodes[d.graph.id_of(a)]["fillcolor"] == "yellow"
    acc = mul.next_functions[0][0]  # a's AccumulateGrad: the same drawn node as a
    again = make_dot(y, highlight={acc: {"fillcolor": "orange"}})
    assert again.drawn_nodes[again.graph.id_of(a)]["fillcolor"] == "orange"
    labels = [attrs.get("label") for s, t, attrs in d.drawn_edges if t == d.graph.id_of(mul)]
    assert labels == [None, "g = [1, 2]"]  # input 0 and input 1 of Mul: one edge each
    assert [attrs.get("label") for s, t, attrs in d.drawn_edges if t == d.graph.id_of(y.grad_fn)] == ["ones"]


def test_rankdir_title_palette_and_legend_options():
    a, b, y = _tiny()
    d = make_dot(y, rankdir="LR", title="tiny", palette={"leaf": "#123456"}, legend=False)
    assert "rankdir=LR" in d.source and "label=tiny" in d.source
    assert "#123456" in d.drawn_nodes[d.graph.id_of(a)]["fillcolor"]
    assert "cluster_legend" not in d.source
    assert "cluster_legend" in make_dot(y).source


def test_bad_arguments_say_what_to_do():
    a, b, y = _tiny()
    with pytest.raises(ValueError, match="rankdir"):
        make_dot(y, rankdir="UP")
    with pytest.raises(ValueError, match="unknown palette keys"):
        make_dot(y, palette={"leef": "#000000"})
    with pytest.raises(TypeError, match="pass Tensors"):
        make_dot([y, 3.0])
    with pytest.raises(ValueError, match="module_scopes"):
        make_dot(y, collapse_modules=True)
    with pytest.raises(ValueError, match="max_nodes"):
        make_dot(y, max_nodes=0)


def test_an_output_without_history_is_one_node():
    t = ag.tensor([1.0, 2.0])
    d = make_dot(t)
    assert list(d.drawn_nodes) == ["t0"]
    assert d.drawn_edges == []


# ---------------------------------------------------------------------------- large graphs
def _chain(n: int):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.5
    return x, y.sum()


def test_a_10000_node_chain_draws_and_summarises():
    x, loss = _chain(10_000)
    full = make_dot(loss)  # no recursion error, every node there
    assert len(full.graph.nodes) == 10_000 + 3
    d = make_dot(loss, max_nodes=40)
    assert len(d.drawn_nodes) <= 40
    boxes = [attrs["label"] for node_id, attrs in d.drawn_nodes.items() if node_id.startswith("e")]
    assert len(boxes) == 1 and "⋯ 9998 ops ⋯" in boxes[0]
    assert "AddBackward0 ×4999" in boxes[0]
    assert d.graph.id_of(x) in d.drawn_nodes and "t0" in d.drawn_nodes  # both ends stay
    loss.backward()
    after = make_dot(loss, max_nodes=40)
    assert "grad [" in after.drawn_nodes[after.graph.id_of(x)]["label"]


def test_max_nodes_cuts_a_wide_graph_far_from_the_outputs():
    xs = [ag.tensor([float(i)], requires_grad=True) for i in range(50)]
    total = xs[0] * 1.0
    for x in xs[1:]:
        total = total + x * 2.0
    d = make_dot(total.sum(), max_nodes=30)
    assert len(d.drawn_nodes) <= 30
    assert "more" in d.drawn_nodes and "more nodes not drawn" in d.drawn_nodes["more"]["label"]
    assert "t0" in d.drawn_nodes  # the output is kept
    for src, dst, _ in d.drawn_edges:
        assert src in d.drawn_nodes and dst in d.drawn_nodes


def test_highlighted_nodes_survive_summarising():
    x, loss = _chain(200)
    node = loss.grad_fn
    for _ in range(100):
        node = node.next_functions[0][0]
    d = make_dot(loss, max_nodes=12, highlight={node: {"color": "red"}})
    assert d.graph.id_of(node) in d.drawn_nodes
    assert d.drawn_nodes[d.graph.id_of(node)]["color"] == "red"
    boxes = sorted(v["label"].split("<br/>")[0] for k, v in d.drawn_nodes.items() if k.startswith("e"))
    # Two runs around the highlighted op (99 ops above it, 100 below with the sum), each
    # keeping its two end nodes.
    assert boxes == ["<⋯ 97 ops ⋯", "<⋯ 98 ops ⋯"]


def test_a_deep_mlp_elides_layers_with_their_parameters():
    import nn

    deep = nn.Sequential(*[m for _ in range(30) for m in (nn.Linear(4, 4), nn.Sigmoid())])
    loss = deep(ag.randn(2, 4)).sum()
    d = make_dot(loss, params=dict(deep.named_parameters()), max_nodes=20)
    assert len(d.drawn_nodes) <= 20
    (box,) = [v["label"] for k, v in d.drawn_nodes.items() if k.startswith("e")]
    assert "⋯ 58 ops and 58 tensors ⋯" in box and "LinearBackward0 ×29, SigmoidBackward0 ×29" in box


# ---------------------------------------------------------------------------- devices
def test_drawing_on_each_device(device):
    a = ag.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = ag.ones(2, 1, device=device, requires_grad=True)
    y = (a * b).sum()
    y.backward()
    d = make_dot(y, params={"a": a}, show_saved=True)
    label = _label(d, a)
    assert f"float32 {a.device}" in label
    np.testing.assert_allclose(_numbers(label.split("grad ")[1]), [2.0, 2.0, 2.0])
    bad = ag.tensor([float("nan")], device=device, requires_grad=True)
    assert "NaN/Inf in data" in make_dot((bad * 2).sum()).source
