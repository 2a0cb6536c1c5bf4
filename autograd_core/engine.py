"""The backward engine: the chain rule applied over the graph in reverse topological order
(the order; running one node is `_backward_node.py`).

    1. Walk the graph from the roots (iteratively: no recursion limit) and count, for each
       node, how many edges point at it.
    2. Start from the roots with their gradients ("seeds", ones for a scalar loss).
    3. Take a node whose every consumer has already sent its gradient (its count is zero),
       call its backward with the summed incoming gradients, and send each resulting
       gradient along the matching edge, adding it into that node's buffer.
    4. At a leaf (`AccumulateGrad`) add the gradient into ``.grad``.

Each node runs once, after all its consumers, so a tensor used twice (``x * x``) gets the
sum of both contributions. Saved tensors are freed after use unless ``retain_graph``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from . import _backward_node as _node  # running one node: hooks, its rule, the checks
from ._backend import backend_of
from ._backward_node import add_observer, observers, remove_observer  # noqa: F401  (public)
from .function import AccumulateGrad, Function, _as_array, _edge_of
from .grad_mode import _state as _grad_state
from .tensor import Tensor, _wrap


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the sum of gradients of ``tensors`` w.r.t. graph leaves into their ``.grad``."""
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    seeds = _make_seeds(tensors, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    _run(tensors, seeds, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not require grad")
    seeds = _make_seeds(outputs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    results = _run(outputs, seeds, retain_graph, create_graph, inputs=inputs, accumulate=False)
    final = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is not None and not isinstance(g, Tensor):
            g = _wrap(g)
        if g is None:
            if materialize_grads:
                g = _zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}], shape {tuple(t.shape)}) "
                    "appears to not have been used in the graph. Set allow_unused=True if this "
                    "is the desired behavior."
                )
        final.append(g)
    return tuple(final) if not single_input else (final[0],)


# ---------------------------------------------------------------------------- helpers
def _as_tuple(x) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    if x is None:
        return ()
    return tuple(x)


def _zeros_like(t: Tensor) -> Tensor:
    xp = _xp(t)
    return _wrap(xp.zeros(t._data.shape, dtype=t._data.dtype))


def _xp(t: Tensor):
    return backend_of(t._data).xp


def _make_seeds(tensors: Sequence[Tensor], grad_tensors, create_graph: bool) -> list:
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    else:
        grad_tensors = tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"got {len(grad_tensors)} gradients for {len(tensors)} outputs; pass one per output"
        )
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: outputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
                if i == 0 else
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (got an output of "
                    f"shape {tuple(t.shape)}); pass gradient= with that shape"
                )
            g = _wrap(_xp(t).ones(t._data.shape, dtype=t._data.dtype))
        else:
            if not isinstance(g, Tensor):
                from .factories import tensor as _tensor

                g = _tensor(g, dtype=t.dtype, device=t.device)
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(t.shape)}."
                )
            if type(g._data) is not type(t._data):
                raise RuntimeError(
                    f"gradient for output {i} is on {g.device} but the output is on {t.device}"
                )
            if not create_graph:
                g = g.detach()
        seeds.append(g)
    return seeds


def _count_dependencies(roots, parents: dict | None = None) -> dict:
    """For each node below ``roots``, the number of edges into it (iterative); fills
    ``parents`` (child -> nodes feeding it) when given."""
    dependencies: dict = {}
    stack = list(dict.fromkeys(node for node, _ in roots if node is not None))  # each root once
    tops = set(stack)
    while stack:
        node = stack.pop()
        for child in node._next_nodes:
            if child is None:
                continue
            if parents is not None:
                parents.setdefault(child, []).append(node)
            n = dependencies.get(child)
            if n is None:
                dependencies[child] = 1
                if child not in tops:
                    stack.append(child)
            else:
                dependencies[child] = n + 1
    return dependencies


def _needed(parents: dict, targets) -> set:
    """Nodes on some path from a root down to one of the ``targets``."""
    needed = set()
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def _run(tensors, seeds, retain_graph, create_graph, inputs=None, accumulate=True):
    """The walk. Values between nodes are raw arrays in a plain backward and Tensors under
    ``create_graph`` (then the rules record the graph of the gradient). ``inputs`` limits
    the walk to the nodes that lead to them; with ``accumulate=False`` (`grad`) their
    gradients are captured and returned instead of added into ``.grad``."""
    graph = bool(create_graph)
    roots = [_edge_of(t) for t in tensors]
    parents = {} if inputs is not None else None
    dependencies = _count_dependencies(roots, parents)
    capture = needed = only_leaves = None
    captured = []
    if inputs is not None:
        input_edges = [_edge_of(t) for t in inputs]
        needed = _needed(parents, [n for n, _ in input_edges])
        if accumulate:
            only_leaves = {id(t) for t in inputs}
            for t in inputs:
                if t.grad_fn is not None:
                    t.retain_grad()
        else:
            capture = {}
            for i, edge in enumerate(input_edges):
                capture.setdefault(edge, []).append(i)
            captured = [None] * len(inputs)
    watching = _node.observers()
    # a leaf's last gradient goes straight into .grad (no queue) when nothing watches
    direct = needed is None and not watching

    # Arrays already handed to a .grad (or owned by the caller): a second holder gets a copy,
    # so no two .grad tensors share memory (in-place clipping must not apply twice).
    stored = {id(_node._owner(g._data)) for g in seeds}
    buffers: dict = {}
    ready: list = []
    for (node, nr), g in zip(roots, seeds):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
        v = g if graph else g._data
        buf[nr] = v if buf[nr] is None else _add(buf[nr], v)
    order = itertools.count().__next__
    heappop, heappush = heapq.heappop, heapq.heappush
    for node in dict.fromkeys(n for n, _ in roots):
        if dependencies.get(node, 0) == 0:
            heappush(ready, (-node._sequence_nr, order(), node))

    prev_enabled = _grad_state.enabled
    _grad_state.enabled = graph
    follow = None  # the next node when it was the only one to become ready (no queue needed)
    try:
        while ready or follow is not None:
            if follow is not None:
                node, follow = follow, None
            else:
                node = heappop(ready)[2]
            grads = buffers.pop(node, None)
            run_it = needed is None or node in needed
            leaf = type(node) is AccumulateGrad
            if grads is not None and run_it:
                # (step 1 only when the node has hooks or retained outputs: `has_hooks`, inlined)
                if (node.variable._backward_hooks if leaf else
                        (node._tensor_hooks or node._retained)):
                    grads = _node.run_hooks(node, grads, graph, stored)
                if capture is not None:
                    for nr, g in enumerate(grads):
                        for i in capture.get((node, nr), ()):
                            captured[i] = g
            if leaf:
                if (run_it and capture is None and grads is not None and grads[0] is not None
                        and (only_leaves is None or id(node.variable) in only_leaves)):
                    _accumulate(node, grads[0], graph, stored, watching)
                continue
            if run_it and capture is not None and not _leads_further(node, needed):
                run_it = False
            out = _node.run_rule(node, grads, graph, stored) if run_it and grads is not None else None
            if run_it and not retain_graph:
                node._release()
            if out is None:  # no gradient to send: the consumers' counts still go down
                out = (None,) * len(node._next_nodes)
            for child, nr, g in zip(node._next_nodes, node._next_nrs, out):
                if child is None:
                    continue
                if g is not None:
                    if (direct and type(child) is AccumulateGrad and dependencies[child] == 1
                            and child not in buffers and not child.variable._backward_hooks):
                        del dependencies[child]  # its only (or last) gradient: into .grad now
                        _accumulate(child, g, graph, stored, watching)
                        continue
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.num_outputs
                    prev = buf[nr]
                    buf[nr] = g if prev is None else _add(prev, g)
                left = dependencies[child] - 1
                dependencies[child] = left
                if left == 0:
                    if follow is not None:
                        heappush(ready, (-follow._sequence_nr, order(), follow))
                    follow = child
            if follow is not None and ready:  # others are waiting: let the queue choose
                heappush(ready, (-follow._sequence_nr, order(), follow))
                follow = None
    finally:
        _grad_state.enabled = prev_enabled
    return captured


def _add(a, b):
    """a + b as a new value (NumPy gives a scalar for 0-d operands: keep an array)."""
    out = a + b
    return out if type(out) is type(a) else _as_array(out, backend_of(a).xp)


def _writeable(array) -> bool:
    return getattr(array.flags, "writeable", True)  # CuPy arrays are always writable


def _leads_further(node, needed) -> bool:
    """Whether running ``node`` matters for grad(): some needed node lies below it."""
    for child in node._next_nodes:
        if child is not None and child in needed:
            return True
    return False


def _accumulate(node: AccumulateGrad, g, graph: bool, stored: set, watching) -> None:
    """Add gradient ``g`` into the leaf's ``.grad``: in place when nothing holds a graph on
    it (an earlier reference to ``x.grad`` stays valid, as in PyTorch), out of place when
    the gradient is itself recorded (``create_graph``)."""
    variable = node.variable
    for observer in watching:
        observer.accumulate(node, _node.as_tensor(g))
    current = variable._grad
    if not graph or not g._requires_grad:
        array = g._data if isinstance(g, Tensor) else g
        if current is None:
            # .grad gets memory of its own, contiguous and writable (in-place clipping and
            # optimisers write into it): copy a broadcast or transposed view, or an array
            # another leaf (or the caller) already holds.
            owner = id(_node._owner(array))
            if owner in stored or not array.flags.c_contiguous or not _writeable(array):
                # (a copy that keeps a 0-d array 0-d: ascontiguousarray makes it 1-d)
                array = backend_of(array).xp.array(array, order="C", copy=True)
            else:
                stored.add(owner)
            variable._grad = _wrap(array)
        elif current._requires_grad:
            variable._grad = current + _wrap(array)
        elif _writeable(current._data) and current._data.shape == array.shape:
            data = current._data
            data += array
            current._version_counter[0] += 1
        else:
            variable._grad = _wrap(_add(current._data, array))
        return
    if current is None:
        # a gradient with a graph: a clone when another leaf or the caller holds its
        # memory or it is not contiguous
        owner = id(_node._owner(g._data))
        if owner in stored or not g._data.flags.c_contiguous:
            g = g.clone(memory_format=None)
        else:
            stored.add(owner)
        variable._grad = g
    else:
        variable._grad = current + g


__all__ = ["backward", "grad", "Function"]
