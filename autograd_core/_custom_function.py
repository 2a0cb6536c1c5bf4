"""User-defined `Function`s: their ``apply`` (forward on Tensors, run without recording, as
in PyTorch) and `once_differentiable`. The built-in primitives' ``apply`` is in `function`."""

from __future__ import annotations

from . import _anomaly
from ._backend import backend_of
from ._saved_values import _resolve_saved
from .function import (
    _DIFFERENTIABLE_KINDS,
    _NO_EDGE,
    Function,
    _device_mismatch,
    _edge_of,
    _sequence,
)
from .grad_mode import _state as _grad_state
from .tensor import Tensor, _wrap


def _apply_custom(cls, args, kwargs):
    """`Function.apply` for a user-defined Function: ``forward`` sees the Tensors themselves
    (run without recording, as in PyTorch) and returns Tensors; the outputs are new tensors
    whose ``grad_fn`` is ``ctx`` when an input requires grad."""
    from .grad_mode import no_grad

    ctx = cls()
    first = None
    for a in args:
        if isinstance(a, Tensor):
            if first is None:
                first = a
            elif type(a._data) is not type(first._data):
                _device_mismatch(cls, first, a)
    if first is not None:
        ctx.xp = backend_of(first._data).xp
    record = _grad_state.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
    ctx.needs_input_grad = tuple(record and isinstance(a, Tensor) and a._requires_grad
                                 for a in args)
    with no_grad():
        raw = cls.forward(ctx, *args, **kwargs)
    single = type(raw) is not tuple
    outs = (raw,) if single else raw
    to_save = ctx._to_save
    ctx._to_save = None
    if not record:
        results = tuple(_custom_output(o, args) for o in outs)
        return results[0] if single else results
    edges, meta = [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            edges.append(_edge_of(a))
            meta.append((a._data.shape, a._data.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    ctx._sequence_nr = next(_sequence)
    ctx.next_functions = edges
    ctx._input_meta = tuple(meta)
    ctx.num_outputs = len(outs)
    non_diff = ctx._non_differentiable or ()
    results = []
    for nr, o in enumerate(outs):
        r = _custom_output(o, args)
        if (isinstance(r, Tensor) and r._data.dtype.kind in _DIFFERENTIABLE_KINDS
                and id(o) not in non_diff):
            r.grad_fn = ctx
            r._output_nr = nr
            r._requires_grad = True
        results.append(r)
    ctx._output_meta = tuple((r._data.shape, r._data.dtype) if isinstance(r, Tensor) else None
                             for r in results)
    if to_save is not None:
        # outputs are saved as the output tensors (so double backward reaches this node)
        out_ids = {id(o): i for i, o in enumerate(outs) if isinstance(o, Tensor)}
        items = tuple(results[out_ids[id(t)]]._data if id(t) in out_ids
                      and not any(t is a for a in args) else t for t in to_save)
        _resolve_saved(ctx, items, args, [None] * len(args), results,
                       [r._data if isinstance(r, Tensor) else r for r in results])
    if _anomaly.state.enabled:
        ctx._anomaly_trace = _anomaly.capture()
    return results[0] if single else tuple(results)


def _custom_output(o, args):
    """A user forward's result as a new tensor (an input returned as is stays an alias)."""
    if not isinstance(o, Tensor):
        return o
    out = _wrap(o._data)
    if any(o is a for a in args) or o._base is not None:
        out._version_counter = o._version_counter
    return out


def once_differentiable(backward):
    """Mark a backward as not differentiable itself: it runs without recording, and
    differentiating its result (``create_graph=True``) raises a clear error."""
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        from .grad_mode import no_grad

        with no_grad():
            result = backward(ctx, *grads)
        if not _grad_state.enabled:  # plain backward: nothing more to do
            return result
        # create_graph=True: the result must not pass for a differentiable gradient.
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        wrapped = tuple(_delayed_error(o, type(ctx).__name__) if isinstance(o, Tensor) else o
                        for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


def _delayed_error(t: Tensor, name: str) -> Tensor:
    """``t`` with a grad_fn that raises when anything differentiates through it."""
    node = _DelayedError()
    node.fn_name = name
    node._sequence_nr = next(_sequence)
    node.next_functions = ((None, 0),)
    node._input_meta = (None,)
    out = _wrap(t._data)
    out.grad_fn = node
    out._requires_grad = True
    return out


class _DelayedError(Function):
    """Stands where a once-differentiable backward was differentiated."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({ctx.fn_name}); its second derivative is not implemented"
        )
