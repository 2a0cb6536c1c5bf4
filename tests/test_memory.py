"""Training does not leak: each step's graph is freed as soon as nothing refers to it.

The graph of a step (its Function nodes, their saved tensors) hangs off the loss tensor.
When the loop rebinds ``loss`` on the next step, the old graph must be released by
reference counting alone, without waiting for the cycle collector, and resident memory
must stay flat over a long loop.
"""

from __future__ import annotations

import gc
import os
import sys
import weakref

import pytest

import autograd_core as ag
import nn
import optim


def _model_and_data():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 10))
    x = ag.randn(64, 32)
    y = ag.randint(0, 10, (64,))
    return model, x, y


def _graph_nodes(root) -> list:
    """Every node reachable from ``root`` through ``next_functions``."""
    seen, stack, nodes = set(), [root], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(fn for fn, _ in getattr(node, "next_functions", ()))
    return nodes


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.exists("/proc/self/statm"),
                    reason="reads resident memory from /proc/self/statm (Linux)")
def test_1000_step_training_loop_keeps_resident_memory_flat():
    model, x, y = _model_and_data()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    rss_at = {}
    for step in range(1, 1001):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # a float, not the tensor: keeping tensors keeps graphs
        if step in (100, 1000):
            rss_at[step] = _resident_bytes()
    growth_mb = (rss_at[1000] - rss_at[100]) / 2**20
    # Measured on Linux: about 0.02 MB. Keeping every step's graph with its saved
    # activations adds about 40 MB over these 900 steps, and keeping only the loss tensors
    # (whose nodes have dropped their saved tensors after backward) about 5 MB; the bound
    # of 2 MB catches both and leaves room for allocator noise.
    assert growth_mb < 2.0, f"resident memory grew by {growth_mb:.1f} MB from step 100 to 1000"
    assert losses[-1] < losses[0]


def test_a_steps_graph_is_freed_by_reference_counting():
    model, x, y = _model_and_data()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    refs = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # freeing must not depend on the cycle collector
    try:
        for _ in range(5):
            out = model(x)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            nodes = [n for n in _graph_nodes(loss.grad_fn) if type(n).__name__ != "AccumulateGrad"]
            assert len(nodes) >= 5  # linear, relu, linear, tanh, linear, loss
            refs.append([weakref.ref(loss), weakref.ref(out)] + [weakref.ref(n) for n in nodes])
            del nodes
        del out, loss
        alive = [r() for step_refs in refs for r in step_refs if r() is not None]
        assert not alive, f"{len(alive)} graph objects outlived their step: {alive[:5]}"
    finally:
        if gc_was_enabled:
            gc.enable()


def test_graph_is_freed_without_backward():
    """A forward pass whose loss is dropped (e.g. a validation pass that forgot no_grad)
    frees its graph too."""
    model, x, y = _model_and_data()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        loss = nn.CrossEntropyLoss()(model(x), y)
        refs = [weakref.ref(n) for n in _graph_nodes(loss.grad_fn)
                if type(n).__name__ != "AccumulateGrad"]
        assert refs
        del loss
        assert all(r() is None for r in refs)
    finally:
        if gc_was_enabled:
            gc.enable()


def test_no_grad_records_no_graph():
    model, x, y = _model_and_data()
    with ag.no_grad():
        loss = nn.CrossEntropyLoss()(model(x), y)
    assert loss.grad_fn is None and not loss.requires_grad


def test_backward_releases_saved_tensors():
    """After backward (without retain_graph) the nodes drop what they saved, so holding
    on to the loss keeps only the small node objects, not the activations: a second
    backward has nothing to work with and raises PyTorch's error."""
    model, x, y = _model_and_data()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
