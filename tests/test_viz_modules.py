"""Module clusters: `viz.module_scopes` records which module made each node; `make_dot` groups
(or collapses) them."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import viz


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x)) + x  # the residual add belongs to Block itself


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        h = self.block(x * 2.0)  # the scaling belongs to Net (the root)
        return self.head(h).relu()


def _run(model, x):
    with viz.module_scopes(model) as scopes:
        out = model(x)
    loss = out.sum()
    return scopes, loss


def _walk(loss) -> dict[str, list]:
    """Every function node reachable from ``loss``, by op name."""
    found: dict[str, list] = {}
    stack, seen = [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found.setdefault(node.name(), []).append(node)
        stack.extend(child for child, _ in node.next_functions)
    return found


def _cluster_depth(source: str, node_id: str) -> int:
    """How many tabs indent ``node_id``'s statement (1 = top level, 2 = in one cluster...)."""
    match = re.search(rf"^(\t+){node_id} \[", source, re.MULTILINE)
    assert match, f"{node_id} is not drawn"
    return len(match.group(1))


def test_each_node_belongs_to_its_innermost_module():
    model = Net()
    x = ag.randn(4, 3, requires_grad=True)
    scopes, loss = _run(model, x)
    ops = _walk(loss)
    assert scopes.owner_of(ops["MulBackward0"][0]) == ""
    assert scopes.owner_of(ops["ReluBackward0"][0]) == ""
    assert scopes.owner_of(ops["AddBackward0"][0]) == "block"
    assert scopes.owner_of(ops["TanhBackward0"][0]) == "block.act"
    linears = {scopes.owner_of(n) for n in ops["LinearBackward0"]}
    assert linears == {"block.fc", "head"}
    assert scopes.owner_of(ops["SumBackward0"][0]) is None  # made outside the model
    assert scopes.owner_of(model.block.fc.weight) == "block.fc"
    assert scopes.calls == {"": 1, "block": 1, "block.fc": 1, "block.act": 1, "head": 1}


def test_clusters_are_nested_like_the_modules():
    model = Net()
    x = ag.randn(4, 3, requires_grad=True)
    scopes, loss = _run(model, x)
    loss.backward()
    params = dict(model.named_parameters())
    d = viz.make_dot(loss, params=params, modules=scopes)
    src = d.source
    for label in ("label=Net", 'label="block (Block)"', 'label="block.fc (Linear)"', 'label="head (Linear)"'):
        assert label in src
    g = d.graph
    ops = _walk(loss)
    assert _cluster_depth(src, g.id_of(ops["SumBackward0"][0])) == 1
    assert _cluster_depth(src, g.id_of(ops["MulBackward0"][0])) == 2  # in Net
    assert _cluster_depth(src, g.id_of(ops["AddBackward0"][0])) == 3  # in Net > block
    assert _cluster_depth(src, g.id_of(ops["TanhBackward0"][0])) == 4  # in Net > block > act
    assert _cluster_depth(src, g.id_of(model.block.fc.weight)) == 4  # its parameter too
    assert _cluster_depth(src, g.id_of(x)) == 1  # the input is outside the model


def test_collapsed_modules_are_one_box_each():
    model = Net()
    x = ag.randn(4, 3, requires_grad=True)
    scopes, loss = _run(model, x)
    params = dict(model.named_parameters())
    d = viz.make_dot(loss, params=params, modules=scopes, collapse_modules=True)
    boxes = {k: v["label"] for k, v in d.drawn_nodes.items() if k.startswith("m")}
    assert len(boxes) == 2
    block_label = next(v for v in boxes.values() if "block (Block)" in v)
    assert "3 ops, 2 parameters" in block_label
    head_label = next(v for v in boxes.values() if "head (Linear)" in v)
    assert "1 op, 2 parameters" in head_label
    ops = _walk(loss)
    g = d.graph
    for name in ("MulBackward0", "ReluBackward0", "SumBackward0"):
        assert g.id_of(ops[name][0]) in d.drawn_nodes  # outside the collapsed modules
    assert g.id_of(model.head.weight) not in d.drawn_nodes
    block, head = (k for k, v in boxes.items() if "block (" in v), (k for k, v in boxes.items() if "head (" in v)
    block, head = next(block), next(head)
    mul = g.id_of(ops["MulBackward0"][0])
    # Mul feeds the block twice (fc and the residual): one merged edge, counted.
    assert [(s, t, a.get("label")) for s, t, a in d.drawn_edges if t == block] == [(mul, block, "×2")]
    assert [(s, t) for s, t, _ in d.drawn_edges if s == block] == [(block, head)]
    for src, dst, _ in d.drawn_edges:
        assert src in d.drawn_nodes and dst in d.drawn_nodes
    assert "module (collapsed)" in d.source


def test_collapse_depth_two_and_zero():
    model = Net()
    x = ag.randn(4, 3, requires_grad=True)
    scopes, loss = _run(model, x)
    d2 = viz.make_dot(loss, modules=scopes, collapse_modules=2)
    labels = [v["label"] for k, v in d2.drawn_nodes.items() if k.startswith("m")]
    assert len(labels) == 2 and any("block.fc (Linear)" in v for v in labels)
    assert any("block.act (Tanh)" in v for v in labels)
    assert d2.graph.id_of(_walk(loss)["AddBackward0"][0]) in d2.drawn_nodes  # Block's own op stays
    d0 = viz.make_dot(loss, modules=scopes, collapse_modules=0)
    labels0 = [v["label"] for k, v in d0.drawn_nodes.items() if k.startswith("m")]
    assert len(labels0) == 1 and "6 ops" in labels0[0]


def test_a_module_called_twice_owns_both_calls():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.Tanh(), lin)  # the same module twice
    x = ag.randn(3, 2)
    scopes, loss = _run(model, x)
    ops = _walk(loss)
    assert {scopes.owner_of(n) for n in ops["LinearBackward0"]} == {"0"}
    assert scopes.calls["0"] == 2 and "×2" in scopes.label("0")
    assert scopes.owner_of(ops["TanhBackward0"][0]) == "1"


def test_nodes_made_before_the_call_are_not_claimed():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    offset = w * 3.0  # made before the module runs, not passed to it

    class AddOffset(nn.Module):
        def forward(self, x):
            return x + offset

    model = AddOffset()
    x = ag.tensor([1.0, 1.0], requires_grad=True)
    scopes, loss = _run(model, x)
    ops = _walk(loss)
    assert scopes.owner_of(ops["AddBackward0"][0]) == ""
    assert scopes.owner_of(ops["MulBackward0"][0]) is None


def test_hooks_are_removed_after_the_block_and_gradients_are_unchanged():
    ag.manual_seed(0)
    model = Net()
    x = ag.randn(4, 3, requires_grad=True)
    scopes, loss = _run(model, x)
    assert len(model._forward_hooks) == 0 and len(model.block.fc._forward_pre_hooks) == 0
    assigned = len(scopes)
    model(x).sum()
    assert len(scopes) == assigned
    loss.backward()
    with_scopes = model.head.weight.grad.numpy().copy()
    model.zero_grad()
    model(x).sum().backward()
    np.testing.assert_array_equal(with_scopes, model.head.weight.grad.numpy())


def test_module_scopes_needs_a_module():
    with pytest.raises(TypeError, match="named_modules"):
        with viz.module_scopes(object()):
            pass
