"""One node's backward, as the engine runs it: tensor hooks and ``retain_grad`` first, then
the node's rule (`backward_arrays` on raw arrays when no graph of the gradient is wanted,
else `backward` on Tensors), then checks that it returned one gradient per input with the
input's shape and dtype. The engine (`engine.py`) decides the order; this file runs a node.

Observers (the backward trace of `viz`) register in ``_observers``; each gets
``before_node(node, grads)``, ``after_node(node, grads_in, grads_out)`` and, from the engine,
``accumulate(node, g)`` for each leaf.
"""

from __future__ import annotations

from . import _anomaly
from .function import _SCALAR_TYPES
from .tensor import Tensor, _wrap

_observers: list = []


def _call_node_plain(node, grads: list):
    """`_call_node` for `_run_plain`: raw arrays in, raw arrays out (None: nothing to send).
    Nodes with hooks, ``retain_grad`` or no `backward_arrays` run on Tensors."""
    fast = type(node).backward_arrays
    if (fast is None or node._tensor_hooks or node._retained
            or (node.num_outputs > 1 and node.materialize_grads
                and any(g is None for g in grads))):
        out = _call_node(node, [None if g is None else _wrap(g) for g in grads], False)
        return None if out is None else tuple(None if t is None else t._data for t in out)
    for g in grads:
        if g is not None:
            break
    else:
        return None
    out = fast(node, *grads)
    return out if type(out) is tuple else (out,)


def _apply_tensor_hooks(node, nr: int, g):
    hooks = node._tensor_hooks
    if hooks and g is not None:
        for hook in list(hooks.get(nr, {}).values()):
            result = hook(g)
            if result is not None:
                g = result
    return g


def _call_node(node, grads: list, create_graph: bool):
    """Run one node's backward: tensor hooks, retain_grad, the rule, then checks."""
    if node._tensor_hooks:
        for nr in range(len(grads)):
            grads[nr] = _apply_tensor_hooks(node, nr, grads[nr])
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if create_graph else grads[nr].detach()
                t._grad = g if t._grad is None else t._grad + g
    for g in grads:
        if g is not None:
            break
    else:
        return None
    if node.num_outputs > 1 and node.materialize_grads:
        meta = node._output_meta
        xp = node.xp
        for nr, g in enumerate(grads):
            if g is None and meta[nr] is not None:
                shape, dtype = meta[nr]
                grads[nr] = _wrap(xp.zeros(shape, dtype=dtype))
    if _observers:
        for observer in _observers:
            observer.before_node(node, grads)
    fast = type(node).backward_arrays
    if fast is not None and not create_graph:
        if len(grads) == 1:
            out = fast(node, grads[0]._data)
        else:
            out = fast(node, *[None if g is None else g._data for g in grads])
        checked = _checked_arrays(node, out if type(out) is tuple else (out,))
    else:
        out = type(node).backward(node, *grads)
        checked = _checked_tensors(node, out if type(out) is tuple else (out,))
    if _anomaly.state.enabled and _anomaly.state.check_nan:
        _check_nan(node, checked)
    if _observers:
        for observer in _observers:
            observer.after_node(node, grads, checked)
    return checked


def _count_checked(node, out: tuple) -> tuple:
    """``out`` cut to one gradient per input (extra trailing Nones are allowed)."""
    expected = len(node.next_functions)
    if len(out) != expected:
        if len(out) > expected and all(o is None for o in out[expected:]):
            return out[:expected]
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {expected}, got {len(out)})"
        )
    return out


def _shape_error(node, i: int, got, shape) -> RuntimeError:
    return RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {i} - got "
        f"{list(got)} but expected shape compatible with {list(shape)}"
    )


def _checked_arrays(node, out: tuple) -> list:
    """The raw-array gradients of `backward_arrays` as Tensors, checked against the inputs."""
    out = _count_checked(node, out)
    return [None if o is None or m is None else _wrap(_as_gradient(node, o, m[0], m[1], i))
            for i, (o, m) in enumerate(zip(out, node._input_meta))]


def _checked_tensors(node, out: tuple) -> list:
    """The Tensor gradients of `backward`, checked against the inputs."""
    out = _count_checked(node, out)
    checked = []
    for i, (g, m) in enumerate(zip(out, node._input_meta)):
        if g is None or m is None:
            checked.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {node.name()} returned a {type(g).__name__} as gradient {i}; "
                "backward must return Tensors (or None)"
            )
        shape, dtype = m
        if g._data.shape != shape:
            raise _shape_error(node, i, g._data.shape, shape)
        if g._data.dtype != dtype:
            g = g.to(dtype=_dtype_of(dtype))
        checked.append(g)
    return checked


def _dtype_of(np_dtype):
    from .dtypes import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _check_nan(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is None or g._data.dtype.kind != "f":
            continue
        xp = node.xp
        if bool(xp.isnan(g._data).any()):
            where = _anomaly.user_line(node._anomaly_trace)
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. "
                f"The forward call that created it was: {where}"
            )


def _as_gradient(node, g, shape, dtype, i: int):
    """A raw gradient checked against its input: an array of the input's shape and dtype."""
    if isinstance(g, _SCALAR_TYPES):
        g = node.xp.asarray(g)
    if g.shape != shape:
        raise _shape_error(node, i, g.shape, shape)
    return g if g.dtype == dtype else g.astype(dtype)
