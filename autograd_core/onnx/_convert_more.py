"""Converters of the remaining common primitives: clamping activations (ReLU6, Hardtanh,
clamp), ELU, Softplus, SiLU, max/amax, variance and standard deviation, stack, split, unbind,
expand, clone, where, masked_fill, dtype casts, comparisons and logical operators."""

from __future__ import annotations

import numpy as np
from onnx import helper

from ..ops._broadcast import BroadcastTo
from ..ops.conversion import Cast, Clone
from ..ops.extrema import Amax, MaxDim
from ..ops.fused.activation import ELU, Hardtanh, SiLU, Softplus
from ..ops.joining import Split, Stack, Unbind
from ..ops.masking import MaskedFill
from ..ops.reduction import Std, Var
from ..ops.selection import Clamp, Where
from ._registry import converts
from ._trace import TensorOperator
from .errors import UnsupportedOperatorError


def _c(g, value, like) -> str:
    return g.constant(np.asarray(value, dtype=like._data.dtype), "c")


@converts(Clamp, Hardtanh)
def _clip(g, step):
    """min(max(x, lo), hi): ``Clip`` with number bounds, ``Max``/``Min`` with tensor ones."""
    x, lo, hi = step.args[:3]
    name = g.value(x)
    if not isinstance(lo, (int, float, type(None))) or not isinstance(hi, (int, float, type(None))):
        if lo is not None:
            name = g.one("Max", [name, g.operand(lo, x)])
        return [name if hi is None else g.one("Min", [name, g.operand(hi, x)])]
    return [g.one("Clip", [name, "" if lo is None else _c(g, lo, x), "" if hi is None else _c(g, hi, x)])]


@converts(ELU)
def _elu(g, step):
    """scale * (x if x > 0 else alpha (exp(input_scale x) - 1))."""
    x, alpha, scale, input_scale = step.args[:4]
    name = g.value(x)
    if scale == 1 and input_scale == 1:
        return [g.one("Elu", [name], alpha=float(alpha))]
    neg = g.one("Mul", [g.one("Sub", [g.one("Exp", [g.one("Mul", [name, _c(g, input_scale, x)])]), _c(g, 1, x)]),
                        _c(g, alpha, x)])
    y = g.one("Where", [g.one("Greater", [name, _c(g, 0, x)]), name, neg])
    return [g.one("Mul", [y, _c(g, scale, x)])]


@converts(Softplus)
def _softplus(g, step):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    x, beta, threshold = step.args[:3]
    name = g.value(x)
    bx = g.one("Mul", [name, _c(g, beta, x)])
    soft = g.one("Div", [g.one("Softplus", [bx]), _c(g, beta, x)])
    return [g.one("Where", [g.one("Greater", [bx, _c(g, threshold, x)]), name, soft])]


@converts(SiLU)
def _silu(g, step):
    name = g.value(step.args[0])
    return [g.one("Mul", [name, g.one("Sigmoid", [name])])]


@converts(MaxDim)
def _max_dim(g, step):
    x, dim, keepdim = step.args[:3]
    name = g.value(x)
    values = g.reduce("ReduceMax", name, (dim,), keepdim)
    return [values, g.one("ArgMax", [name], axis=int(dim), keepdims=int(keepdim), select_last_index=0)]


@converts(Amax)
def _amax(g, step):
    x, axes, keepdim = step.args[:3]
    return [g.reduce("ReduceMax", g.value(x), axes, keepdim)]


def _variance(g, x, axes, keepdim, correction) -> str:
    """sum((x - mean)^2) / (n - correction) over ``axes`` (None: all)."""
    name = g.value(x)
    mean = g.reduce("ReduceMean", name, axes, True)
    d = g.one("Sub", [name, mean])
    total = g.reduce("ReduceSum", g.one("Mul", [d, d]), axes, keepdim)
    axes = range(x.ndim) if axes is None else axes
    n = int(np.prod([x.shape[a] for a in axes]))
    return g.one("Div", [total, _c(g, max(n - correction, 0), x)])


@converts(Var)
def _var(g, step):
    return [_variance(g, *step.args[:4])]


@converts(Std)
def _std(g, step):
    return [g.one("Sqrt", [_variance(g, *step.args[:4])])]


@converts(Stack)
def _stack(g, step):
    dim, *tensors = step.args
    axis = g.ints([dim], "axes")
    return [g.one("Concat", [g.one("Unsqueeze", [g.value(t), axis]) for t in tensors], axis=int(dim))]


@converts(Split)
def _split(g, step):
    x, dim, sizes = step.args[:3]
    return g.node("Split", [g.value(x), g.ints(sizes, "split")], n_out=len(sizes), axis=int(dim))


@converts(Unbind)
def _unbind(g, step):
    """The slices along ``dim``, that axis dropped: ``Split`` into ones, then ``Squeeze``."""
    x, dim = step.args[:2]
    n = x.shape[dim]
    parts = g.node("Split", [g.value(x), g.ints([1] * n, "split")], n_out=n, axis=int(dim))
    axes = g.ints([dim], "axes")
    return [g.one("Squeeze", [p, axes]) for p in parts]


@converts(BroadcastTo)
def _expand(g, step):
    x, shape = step.args[:2]
    return [g.one("Expand", [g.value(x), g.ints(shape, "shape")])]


@converts(Clone)
def _clone(g, step):
    return [g.one("Identity", [g.value(step.args[0])])]


@converts(Where)
def _where(g, step):
    cond, a, b = step.args[:3]
    like = step.outputs[0]
    return [g.one("Where", [g.value(cond), g.operand(a, like), g.operand(b, like)])]


@converts(MaskedFill)
def _masked_fill(g, step):
    x, mask, value = step.args[:3]
    return [g.one("Where", [g.value(mask), g.operand(value, x), g.value(x)])]


@converts(Cast)
def _cast(g, step):
    out = step.outputs[0]._data.dtype
    return [g.one("Cast", [g.value(step.args[0])], to=int(helper.np_dtype_to_tensor_dtype(out)))]


_COMPARE = {"__eq__": "Equal", "__lt__": "Less", "__le__": "LessOrEqual", "__gt__": "Greater",
            "__ge__": "GreaterOrEqual"}
_LOGICAL = {"__and__": "And", "__or__": "Or", "__xor__": "Xor", "__rand__": "And", "__ror__": "Or",
            "__rxor__": "Xor"}


@converts(TensorOperator)
def _operator(g, step):
    """``x > 0``, ``a == b``, ``m & n``, ``~m``: comparisons, and logic on bool tensors."""
    op, (x, *rest) = step.kwargs["op"], step.args
    if op == "__invert__" or (op in _LOGICAL and x._data.dtype.kind != "b"):
        if x._data.dtype.kind != "b":
            raise UnsupportedOperatorError(f"onnx.export: the bitwise operator {op} on {x.dtype} tensors is "
                                           "not supported (only the logical form, on bool tensors)")
        if op == "__invert__":
            return [g.one("Not", [g.value(x)])]
    other = g.operand(rest[0], x)
    if op.startswith("__r"):
        return [g.one(_LOGICAL[op], [other, g.value(x)])]
    if op == "__ne__":
        return [g.one("Not", [g.one("Equal", [g.value(x), other])])]
    return [g.one(_COMPARE.get(op) or _LOGICAL[op], [g.value(x), other])]
