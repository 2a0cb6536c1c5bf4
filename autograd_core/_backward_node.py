"""One node's step of the backward walk, as the engine runs it (the order is `engine.py`).

    1. hooks: the tensor hooks of each output (or of the leaf), each run exactly once, its
       result checked like PyTorch's; then ``retain_grad``;
    2. the rule: the node's one ``backward``, on raw arrays in a plain backward and on
       Tensors under ``create_graph=True`` (a user-defined Function always sees Tensors);
    3. checks: one gradient per input; a gradient of the input's broadcast shape is summed
       back to the input's shape (the one place this happens); the input's dtype (a real
       input's gradient is the real part of a complex one, also only here).

Observers (the backward trace of `viz`) register per thread with `add_observer`; each gets
``before_node(node, grads)``, ``after_node(node, grads_in, grads_out)`` and
``accumulate(node, g)`` for each leaf, with Tensors.
"""

from __future__ import annotations

import threading

from . import _anomaly, _rule_math
from .function import _SCALAR_TYPES, AccumulateGrad
from .tensor import Tensor, _wrap


# ----------------------------------------------------------------------------- observers
class _Observers(threading.local):
    items: tuple = ()


_observers = _Observers()
_NOT_ARRAYS = _SCALAR_TYPES + (Tensor,)


def add_observer(observer) -> None:
    """Let ``observer`` watch the backward passes run by this thread."""
    _observers.items = _observers.items + (observer,)


def remove_observer(observer) -> None:
    _observers.items = tuple(o for o in _observers.items if o is not observer)


def observers() -> tuple:
    """The observers of the backward passes run by this thread."""
    return _observers.items


def as_tensor(g):
    """A value of the walk (array or Tensor) as a Tensor, for hooks and observers."""
    return g if g is None or isinstance(g, Tensor) else _wrap(g)


# ----------------------------------------------------------------------------- 1. hooks
def hooks_of(node, nr: int):
    """The tensor hooks on output ``nr`` of ``node`` (a leaf's own hooks for AccumulateGrad)."""
    if type(node) is AccumulateGrad:
        hooks = node.variable._backward_hooks
        return tuple(hooks.values()) if hooks else ()
    hooks = node._tensor_hooks
    if not hooks:
        return ()
    return tuple(hooks.get(nr, {}).values())


def has_hooks(node) -> bool:
    """Whether step 1 has anything to do for ``node``."""
    if type(node) is AccumulateGrad:
        return bool(node.variable._backward_hooks)
    return bool(node._tensor_hooks or node._retained)


def run_hooks(node, grads: list, graph: bool, stored: set) -> list:
    """Step 1: tensor hooks (each once, results checked), then ``retain_grad``."""
    for nr, g in enumerate(grads):
        if g is None:
            continue
        for hook in hooks_of(node, nr):
            if not graph:  # user code may keep it: a leaf's .grad must not be this memory
                stored.add(id(_owner(g)))
            result = hook(as_tensor(g))
            if result is not None:
                result = _checked_hook_result(hook, g, result)
                g = result if graph else result._data
                if not graph:
                    stored.add(id(_owner(g)))
        grads[nr] = g
    retained = node._retained
    if retained:
        for nr, ref in retained.items():
            t = ref()
            g = grads[nr]
            if t is None or g is None:
                continue
            if graph:
                t._grad = g if t._grad is None else t._grad + g
            elif t._grad is None:
                stored.add(id(_owner(g)))
                t._grad = _wrap(g)
            else:
                t._grad = _wrap(t._grad._data + g)
    return grads


def _checked_hook_result(hook, g, result) -> Tensor:
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(result, Tensor):
        raise TypeError(f"expected a Tensor (or None), but hook '{name}' returned "
                        f"'{type(result).__name__}'")
    data = g._data if isinstance(g, Tensor) else g
    if type(result._data) is not type(data) or result._data.dtype != data.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {_describe(data)} got "
            f"{_describe(result._data)}); return a gradient of the same dtype and device, "
            f"e.g. grad.to(dtype)")
    if result._data.shape != data.shape:
        raise RuntimeError(
            f"hook '{name}' has changed the size of value (was {list(data.shape)} got "
            f"{list(result._data.shape)}); a hook must return a gradient of the same shape")
    return result


def _describe(array) -> str:
    from ._backend import backend_of

    return f"{backend_of(array).device_type} {array.dtype} tensor"


# ----------------------------------------------------------------------------- 2. the rule
def run_rule(node, grads: list, graph: bool, stored: set):
    """Steps 2 and 3: the node's rule, its results checked against the inputs (None when
    no gradient arrived). ``stored``: memory that user code may hold (a user-defined rule's
    inputs and results), which a leaf's ``.grad`` must then copy rather than take."""
    for g in grads:
        if g is not None:
            break
    else:
        return None
    if node.num_outputs > 1 and node.materialize_grads:
        for nr, (g, m) in enumerate(zip(grads, node._output_meta)):
            if g is None and m is not None:
                z = node.xp.zeros(m[0], dtype=m[1])
                grads[nr] = _wrap(z) if graph else z
    watching = _observers.items
    if watching:
        shown = [as_tensor(g) for g in grads]
        for observer in watching:
            observer.before_node(node, shown)
    if node._builtin or graph:
        out = type(node).backward(node, *grads)
    else:  # a user-defined rule sees Tensors in a plain backward too (and may keep them)
        for g in grads:
            if g is not None:
                stored.add(id(_owner(g)))
        out = type(node).backward(node, *[as_tensor(g) for g in grads])
        for g in out if type(out) is tuple else (out,):
            if isinstance(g, Tensor):
                stored.add(id(_owner(g._data)))
    if type(out) is not tuple:
        out = (out,)
    if len(out) != len(node._next_nodes):
        out = count_checked(node, out)
    meta = node._input_meta
    checked = []
    for i, g in enumerate(out):
        m = meta[i]
        if g is None or m is None:
            checked.append(None)
        elif not graph and not isinstance(g, _NOT_ARRAYS) and g.shape == m[0] and g.dtype == m[1]:
            checked.append(g)  # the common case: an array of the input's shape and dtype
        else:
            checked.append(checked_gradient(node, i, g, m, graph))
    if _anomaly.state.enabled and _anomaly.state.check_nan:
        _check_nan(node, checked)
    if watching:
        outs = [as_tensor(g) for g in checked]
        for observer in watching:
            observer.after_node(node, shown, outs)
    return checked


# ----------------------------------------------------------------------------- 3. checks
def count_checked(node, out: tuple) -> tuple:
    """``out`` cut to one gradient per input (extra trailing Nones are allowed)."""
    expected = len(node._next_nodes)
    if len(out) != expected:
        if len(out) > expected and all(o is None for o in out[expected:]):
            return out[:expected]
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {expected}, got {len(out)})"
        )
    return out


def checked_gradient(node, i: int, g, meta, graph: bool):
    """Gradient ``i`` as a value of the walk, with its input's shape and dtype: a gradient
    of a broadcast shape is summed back to the input's shape, and a complex gradient of a
    real input taken to its real part (once, here, for every op)."""
    shape, dtype = meta
    if graph:
        if not isinstance(g, Tensor):
            if isinstance(g, _SCALAR_TYPES) or hasattr(g, "shape"):
                g = _wrap(node.xp.asarray(g))
            else:
                raise _type_error(node, i, g)
        data = g._data
    else:
        if isinstance(g, Tensor):
            g = g._data
        elif isinstance(g, _SCALAR_TYPES):
            g = node.xp.asarray(g)
        elif not hasattr(g, "shape"):
            raise _type_error(node, i, g)
        data = g
    if data.shape != shape:
        if not _expandable(shape, data.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(data.shape)} but expected shape compatible with {list(shape)}")
        g = _rule_math.for_tensors().sum_to(g, shape) if graph else \
            _rule_math.for_arrays(node.xp).sum_to(g, shape)
        data = g._data if graph else g
    if data.dtype != dtype:
        if data.dtype.kind == "c" and dtype.kind != "c":
            # a real input that met a complex value gets the real part of its gradient
            # (PyTorch's convention): here, once for every built-in rule, not in each one
            if not node._builtin:
                raise RuntimeError(
                    f"Function {node.name()} returned a complex gradient ({data.dtype}) for "
                    f"its real input {i} ({dtype}); return its real part, grad.real")
            g = _rule_math.for_tensors().real(g) if graph else g.real
            data = g._data if graph else g
        if graph:
            from .dtypes import from_numpy_dtype

            if data.dtype != dtype:
                g = g.to(from_numpy_dtype(dtype))
        else:
            g = g.astype(dtype)
    return g


def _type_error(node, i: int, g) -> TypeError:
    return TypeError(f"function {node.name()} returned a {type(g).__name__} as gradient {i}; "
                     "backward must return Tensors (or None)")


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (so a gradient of ``target`` sums back)."""
    if len(shape) > len(target):
        return False
    for n, t in zip(reversed(shape), reversed(target)):
        if n != t and n != 1:
            return False
    return True


def _check_nan(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g._data if isinstance(g, Tensor) else g
        if data.dtype.kind in "fV" and bool(node.xp.isnan(data).any()):
            where = _anomaly.user_line(node._anomaly_trace)
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. "
                f"The forward call that created it was: {where}"
            )


def _owner(array):
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    base = getattr(array, "base", None)
    while base is not None and hasattr(base, "shape"):
        array = base
        base = getattr(array, "base", None)
    return array
