"""Extremes: max, min, median, amax, amin, argmax, argmin, and their tie conventions.

Two kinds of gradient, as in PyTorch (``g`` is the incoming gradient, broadcast back over
the reduced dims):

    amax / amin  dx = g [x = out] / #{x = out}   (ties share the gradient evenly; so do
                                                  max(), min() and median() of all elements)
    max(dim)     dx = g at the returned index, 0 elsewhere   (also min(dim), median(dim))

Ties: max(dim), min(dim), argmax and argmin return the first index of the extreme value;
median(dim) returns the lower median, the ((n - 1) // 2)-th entry of a stable sort (equal
values keep their order), or the first nan of a row that holds one.

Backward rules are written once for arrays and Tensors (``ctx.math``), so they are
themselves differentiable.
Masks and indices (which entry won a max) are constants.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import dtypes as _dt
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from .reduction import _kept_shape, _xp, expand_reduced, normalize_dims

# The (values, indices) pairs that max/min/median with a dim return (``torch.return_types``).
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])


def _check_nonempty(name: str, input: Tensor, axes, hint: bool = True) -> None:
    """PyTorch's errors for reductions without identity (max, argmax, ...) on empty input."""
    shape = input._data.shape
    if axes is None:
        if input._data.size == 0:
            cls = RuntimeError if hint else IndexError
            tail = (" Specify the reduction dim with the 'dim' argument." if hint else "")
            raise cls(f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                      + tail)
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


class _ScatterAlong(Function):
    """Zeros with ``n`` entries along ``axis``, holding ``g`` at positions ``index``."""

    @staticmethod
    def forward(ctx, g, index, axis, n):
        ctx.index, ctx.axis = index, axis
        xp = ctx.xp
        shape = [1] * g.ndim
        shape[axis] = n
        positions = xp.arange(n).reshape(shape)
        return xp.where(positions == index, g, 0)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_GatherAlong, grad, ctx.index, ctx.axis), None, None, None


class _GatherAlong(Function):
    """The entries of ``x`` at positions ``index`` along ``axis`` (adjoint of the scatter)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.index, ctx.axis, ctx.n = index, axis, x.shape[axis]
        return ctx.xp.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_ScatterAlong, grad, ctx.index, ctx.axis, ctx.n), None, None


# ----------------------------------------------------------------------------- extremes
class _EvenSplit(Function):
    """A reduction that picks a value (amax, amin, full max/min/median); the gradient is
    shared evenly among the entries equal to it: dx = g [x = out] / #{x = out}."""

    @staticmethod
    def pick(xp, x, axes, keepdim):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        out = ctx.xp.asarray(type(ctx).pick(ctx.xp, x, axes, keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m = ctx.math
        o = out.reshape(_kept_shape(x.shape, ctx.axes))
        hit = m.cast((x == o) | (m.isnan(x) & m.isnan(o)), x)  # a constant mask
        g = expand_reduced(m, grad, x.shape, ctx.axes, ctx.keepdim)
        return g * (hit / m.sum(hit, ctx.axes, True)), None, None


class Amax(_EvenSplit):
    rule = Rule("y = max_i a_i", r"y = \max_i a_i",
                Input("a", "dy/da_i = 1 at the max, else 0", r"\frac{\partial y}{\partial a_i} = \mathbb{1}[a_i = y]",
                      "g at the position of the max, 0 elsewhere", r"g\,\mathbb{1}[a = y]"))

    @staticmethod
    def pick(xp, x, axes, keepdim):
        return x.max(axis=axes, keepdims=keepdim)


class Amin(_EvenSplit):
    rule = Rule("y = min_i a_i", r"y = \min_i a_i",
                Input("a", "dy/da_i = 1 at the min, else 0", r"\frac{\partial y}{\partial a_i} = \mathbb{1}[a_i = y]",
                      "g at the position of the min, 0 elsewhere", r"g\,\mathbb{1}[a = y]"))

    @staticmethod
    def pick(xp, x, axes, keepdim):
        return x.min(axis=axes, keepdims=keepdim)


class Max(Amax):
    """max() over every element (ties share the gradient, as in PyTorch)."""


class Min(Amin):
    """min() over every element."""


class Median(_EvenSplit):
    """The lower median of all elements (nan if any is nan)."""

    @staticmethod
    def pick(xp, x, axes, keepdim):
        flat = x.reshape(-1)
        if flat.size == 0:
            return xp.full((), math.nan, dtype=x.dtype)
        value = xp.sort(flat)[(flat.size - 1) // 2]
        if x.dtype.kind == "f":
            value = xp.where(xp.isnan(flat).any(), math.nan, value)
        return value


class _ByIndex(Function):
    """max/min/median along one dim: (values, indices); the gradient goes to the index."""

    @staticmethod
    def index(xp, x, axis):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        xp = ctx.xp
        index = xp.expand_dims(type(ctx).index(xp, x, axis), axis)
        values = xp.take_along_axis(x, index, axis=axis)
        ctx.index, ctx.axis, ctx.keepdim, ctx.n = index, axis, keepdim, x.shape[axis]
        if keepdim:
            return values, index
        return values.squeeze(axis), index.squeeze(axis)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        shape = ctx.input_metadata[0][0]
        g = grad if ctx.keepdim else grad.reshape(_kept_shape(shape, (ctx.axis,)))
        return ctx.math.apply(_ScatterAlong, g, ctx.index, ctx.axis, ctx.n), None, None


class MaxDim(_ByIndex):
    rule = Amax.rule

    @staticmethod
    def index(xp, x, axis):
        return xp.argmax(x, axis=axis)


class MinDim(_ByIndex):
    rule = Amin.rule

    @staticmethod
    def index(xp, x, axis):
        return xp.argmin(x, axis=axis)


class MedianDim(_ByIndex):
    @staticmethod
    def index(xp, x, axis):
        # Ties keep their order (CuPy's sort is always stable and takes no ``kind``).
        order = x.argsort(axis=axis, kind="stable") if xp is np else xp.argsort(x, axis=axis)
        k = (x.shape[axis] - 1) // 2
        index = xp.take(order, k, axis=axis)
        if x.dtype.kind == "f":  # a row holding nan has median nan: point at its first nan
            nan = xp.isnan(x)
            index = xp.where(nan.any(axis=axis), xp.argmax(nan, axis=axis), index)
        return index


def _by_dim(cls, name: str, result, input: Tensor, dim, keepdim: bool):
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        values, indices = cls.apply(input.reshape(1), 0, False)
        return result(values, indices)
    axis = _normalize_dim(dim, input._data.ndim)
    _check_nonempty(name, input, (axis,))
    values, indices = cls.apply(input, axis, keepdim)
    return result(values, indices)


def _binary(name: str, input: Tensor, other: Tensor) -> Tensor:
    from . import selection

    fn = getattr(selection, name, None)
    if fn is None:
        raise NotImplementedError(f"{name}() of two tensors is not available in this build")
    return fn(input, other)


def _check_tensor(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}; for numbers use Python's builtins.{name}")


def max(input: Tensor, dim=None, keepdim: bool = False):
    """``max(x)``: the largest element (0-d); ``max(x, dim)``: ``(values, indices)``;
    ``max(x, other)``: the elementwise maximum (`maximum`)."""
    _check_tensor("max", input)
    if isinstance(dim, Tensor):
        return _binary("maximum", input, dim)
    if dim is None:
        _check_nonempty("max", input, None)
        return Max.apply(input, None, False)
    return _by_dim(MaxDim, "max", max_result, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, other)``."""
    _check_tensor("min", input)
    if isinstance(dim, Tensor):
        return _binary("minimum", input, dim)
    if dim is None:
        _check_nonempty("min", input, None)
        return Min.apply(input, None, False)
    return _by_dim(MinDim, "min", min_result, input, dim, keepdim)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median: ``median(x)`` (0-d) or ``median(x, dim)`` -> ``(values, indices)``."""
    if dim is None:
        return Median.apply(input, None, False)
    return _by_dim(MedianDim, "median", median_result, input, dim, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    axes = normalize_dims(dim, input._data.ndim)
    _check_nonempty("amax", input, axes)
    return Amax.apply(input, axes, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    axes = normalize_dims(dim, input._data.ndim)
    _check_nonempty("amin", input, axes)
    return Amin.apply(input, axes, keepdim)


def _arg(name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    x, xp = input._data, _xp(input)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input; convert first, e.g. x.int()")
    find = xp.argmax if name == "argmax" else xp.argmin
    if dim is None or x.ndim == 0:
        if dim is not None:
            _normalize_dim(dim, 0)
        _check_nonempty(name, input, None, hint=False)
        index = xp.asarray(find(x.reshape(-1)), dtype=_dt.int64.numpy)
        return _wrap(index.reshape((1,) * x.ndim) if keepdim and dim is None else index)
    axis = _normalize_dim(dim, x.ndim)
    _check_nonempty(name, input, (axis,))
    index = xp.asarray(find(x, axis=axis), dtype=_dt.int64.numpy)
    return _wrap(xp.expand_dims(index, axis) if keepdim else index)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmin", input, dim, keepdim)


# ----------------------------------------------------------------------------- methods
# Node names as PyTorch shows them (max(dim) is MaxBackward0, max() is MaxBackward1).
for _cls, _name in ((_ScatterAlong, "ScatterAlong"), (_GatherAlong, "GatherAlong"),
                    (MaxDim, "Max"), (MinDim, "Min"), (MedianDim, "Median")):
    _cls._backward_name = _name + "Backward0"
for _cls in (Max, Min, MedianDim):
    _cls._backward_name = _cls._backward_name[:-1] + "1"

Tensor.max = max
Tensor.min = min
Tensor.median = median
Tensor.amax = amax
Tensor.amin = amin
Tensor.argmax = argmax
Tensor.argmin = argmin

__all__ = ["max", "min", "median", "amax", "amin", "argmax", "argmin"]
