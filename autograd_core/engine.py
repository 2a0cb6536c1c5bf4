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

from . import _anomaly
from ._backend import backend_of

# Running one node (hooks, its rule, the checks) and the observers of `viz`:
from ._backward_node import (  # noqa: F401  (_observers is where observers register)
    _apply_tensor_hooks,
    _as_gradient,
    _call_node,
    _call_node_plain,
    _count_checked,
    _observers,
)
from .function import _SCALAR_TYPES, AccumulateGrad, Function, _as_array, _edge_of
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


def _collect(roots):
    """All nodes reachable from ``roots`` and the number of edges into each (iterative)."""
    dependencies: dict = {}
    seen = set()
    stack = []
    for node, _ in roots:
        if node is not None and node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            dependencies[child] = dependencies.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen, dependencies


def _needed(nodes, targets) -> set:
    """Nodes on some path from a root down to one of the ``targets``."""
    parents: dict = {}
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                parents.setdefault(child, []).append(node)
    needed = set()
    stack = [t for t in targets if t in nodes]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def _run(tensors, seeds, retain_graph, create_graph, inputs=None, accumulate=True):
    if (not create_graph and inputs is None and not _observers
            and not (_anomaly.state.enabled and _anomaly.state.check_nan)):
        _run_plain(tensors, seeds, retain_graph)
        return []
    roots = [_edge_of(t) for t in tensors]
    nodes, dependencies = _collect(roots)

    # What to capture (grad) or which leaves to accumulate into (backward(inputs=...)).
    capture = None
    only_leaves = None
    needed = None
    if inputs is not None:
        input_edges = [_edge_of(t) for t in inputs]
        needed = _needed(nodes, [n for n, _ in input_edges])
        if accumulate:
            only_leaves = {id(t) for t in inputs}
            for t in inputs:
                if t.grad_fn is not None:
                    t.retain_grad()
        else:
            capture = {}
            for i, (node, nr) in enumerate(input_edges):
                capture.setdefault((node, nr), []).append(i)
    captured = [None] * (len(inputs) if inputs is not None and not accumulate else 0)

    buffers: dict = {}
    ready: list = []
    # Arrays already handed to a leaf's .grad (or owned by the caller): a second leaf gets a
    # copy, so no two .grad tensors share memory (in-place clipping must not apply twice).
    stored = {id(_owner(g._data)) for g in seeds}
    order = _seed(roots, seeds, dependencies, buffers, ready, raw=False)

    prev_enabled = _grad_state.enabled
    _grad_state.enabled = create_graph
    heappop, heappush = heapq.heappop, heapq.heappush
    try:
        while ready:
            node = heappop(ready)[2]
            grads = buffers.pop(node, None)
            if grads is None:
                grads = [None] * node.num_outputs
            if capture is not None:
                for nr in range(len(grads)):
                    slots = capture.get((node, nr))
                    if slots:
                        g = _apply_tensor_hooks(node, nr, grads[nr])
                        grads[nr] = g
                        for i in slots:
                            captured[i] = g
            run_it = needed is None or node in needed
            if run_it and type(node) is AccumulateGrad:
                if capture is None:
                    _accumulate(node, grads[0], create_graph, only_leaves, stored)
                continue
            if run_it and capture is not None and not _leads_further(node, needed, capture):
                run_it = False
            outs = _call_node(node, grads, create_graph) if run_it else None
            if not retain_graph and run_it:
                node._release()
            if outs is None:
                for child, _ in node.next_functions:
                    if child is None:
                        continue
                    left = dependencies[child] - 1
                    dependencies[child] = left
                    if left == 0:
                        heappush(ready, (-child._sequence_nr, order(), child))
                continue
            for (child, nr), g in zip(node.next_functions, outs):
                if child is None:
                    continue
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.num_outputs
                    prev = buf[nr]
                    buf[nr] = g if prev is None else prev + g
                left = dependencies[child] - 1
                dependencies[child] = left
                if left == 0:
                    heappush(ready, (-child._sequence_nr, order(), child))
    finally:
        _grad_state.enabled = prev_enabled
    return captured


def _run_plain(tensors, seeds, retain_graph) -> None:
    """`_run` for the usual ``loss.backward()``: no graph of the gradient, no ``inputs``, no
    observers. The same walk, with the gradients kept as raw arrays between the nodes (a
    node's hooks, ``retain_grad`` and a backward without `backward_arrays` still see
    Tensors)."""
    roots = [_edge_of(t) for t in tensors]
    dependencies = _count_dependencies(roots)
    buffers: dict = {}
    ready: list = []
    stored = {id(_owner(g._data)) for g in seeds}
    order = _seed(roots, seeds, dependencies, buffers, ready, raw=True)
    prev_enabled = _grad_state.enabled
    _grad_state.enabled = False
    heappop, heappush = heapq.heappop, heapq.heappush
    follow = None  # the next node when it was the only one to become ready (no queue needed)
    try:
        while ready or follow is not None:
            if follow is not None:
                node, follow = follow, None
            else:
                node = heappop(ready)[2]
            grads = buffers.pop(node, None)
            kind = type(node)
            if kind is AccumulateGrad:
                if grads is not None and grads[0] is not None:
                    _accumulate(node, _wrap(grads[0]), False, None, stored)
                continue
            out = None
            if grads is not None:
                fast = kind.backward_arrays
                if (fast is None or len(grads) != 1 or node._tensor_hooks or node._retained):
                    out = _call_node_plain(node, grads)
                else:
                    out = fast(node, grads[0])
                    if type(out) is not tuple:
                        out = (out,)
            if not retain_graph:
                node._release()
            edges = node.next_functions
            if out is not None and len(out) != len(edges):
                out = _count_checked(node, out)
            meta = node._input_meta
            for i, (child, nr) in enumerate(edges):
                if child is None:
                    continue
                g = None if out is None else out[i]
                if g is not None:
                    shape, dtype = meta[i]
                    if isinstance(g, _SCALAR_TYPES) or g.shape != shape or g.dtype != dtype:
                        g = _as_gradient(node, g, shape, dtype, i)
                    if (type(child) is AccumulateGrad and dependencies[child] == 1
                            and child not in buffers and not child.variable._backward_hooks):
                        # the last (or only) gradient for a leaf, and nothing is waiting in
                        # its buffer: into .grad now, not through the queue
                        del dependencies[child]
                        _accumulate_array(child.variable, g, stored)
                        continue
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.num_outputs
                    prev = buf[nr]
                    buf[nr] = g if prev is None else _add_arrays(prev, g)
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


def _count_dependencies(roots) -> dict:
    """For each node below ``roots``, the number of edges into it (`_collect` without the
    set of nodes)."""
    dependencies: dict = {}
    stack = [node for node, _ in roots if node is not None]
    tops = set(stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            n = dependencies.get(child)
            if n is None:
                dependencies[child] = 1
                if child not in tops:
                    stack.append(child)
            else:
                dependencies[child] = n + 1
    return dependencies


def _accumulate_array(variable: Tensor, g, stored: set) -> None:
    """Add a raw gradient into a leaf's ``.grad`` (no hooks, no graph of the gradient)."""
    current = variable._grad
    if current is None:
        # .grad gets memory of its own, contiguous and writable (in-place clipping and
        # optimisers write into it): copy a broadcast or transposed view, or an array
        # another leaf (or the caller) already holds.
        owner = id(_owner(g))
        if owner in stored or not g.flags.c_contiguous:
            own = backend_of(g).xp.ascontiguousarray(g)
            g = own.copy() if own is g else own
        else:
            stored.add(owner)
        variable._grad = _wrap(g)
    elif current._requires_grad:
        variable._grad = current + _wrap(g)
    else:
        variable._grad = _wrap(_add_arrays(current._data, g))


def _seed(roots, seeds, dependencies, buffers, ready, raw: bool):
    """Put the seed gradients in the roots' buffers (arrays if ``raw``, else Tensors), queue
    the roots nobody else feeds, and return the counter that breaks ties in the queue (leaves
    share a sequence number: they run in the order they became ready)."""
    for (node, nr), g in zip(roots, seeds):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
        if raw:
            buf[nr] = g._data if buf[nr] is None else _add_arrays(buf[nr], g._data)
        else:
            buf[nr] = g if buf[nr] is None else buf[nr] + g
    order = itertools.count().__next__
    for node in dict.fromkeys(n for n, _ in roots):
        if dependencies.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, order(), node))
    return order


def _add_arrays(a, b):
    """a + b as a new array (NumPy gives a scalar for 0-d operands: keep an array)."""
    out = a + b
    return out if type(out) is type(a) else _as_array(out, backend_of(a).xp)


def _leads_further(node, needed, capture) -> bool:
    """Whether running ``node`` matters for grad(): some needed node lies below it."""
    for child, _ in node.next_functions:
        if child is not None and child in needed:
            return True
    return False


def _owner(array):
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    base = getattr(array, "base", None)
    while base is not None and hasattr(base, "shape"):
        array = base
        base = getattr(array, "base", None)
    return array


def _accumulate(node: AccumulateGrad, g, create_graph: bool, only_leaves, stored) -> None:
    variable = node.variable
    if g is None:
        return
    if only_leaves is not None and id(variable) not in only_leaves:
        return
    if variable._backward_hooks:
        for hook in list(variable._backward_hooks.values()):
            result = hook(g)
            if result is not None:
                g = result
    for observer in _observers:
        observer.accumulate(node, g)
    if not create_graph:
        g = g.detach() if g._requires_grad else g
    current = variable._grad
    if not g._requires_grad and (current is None or not current._requires_grad):
        _accumulate_array(variable, g._data, stored)
    elif current is None:
        # a gradient with a graph (create_graph): a clone when another leaf or the caller
        # holds its memory or it is not contiguous, as in `_accumulate_array`
        owner = id(_owner(g._data))
        if owner in stored or not g._data.flags.c_contiguous:
            g = g.clone(memory_format=None)
        else:
            stored.add(owner)
        variable._grad = g
    else:
        variable._grad = current + g


__all__ = ["backward", "grad", "Function"]
