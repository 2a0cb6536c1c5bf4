"""Reductions: ``sum`` and ``mean`` over all or some dimensions (``dim`` int or tuple,
negative allowed, ``keepdim``).

    d(sum x)/dx_i = 1            -> the gradient is broadcast back to x's shape
    d(mean x)/dx_i = 1 / n
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor, _normalize_dim
from ._broadcast import broadcast_to


def normalize_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_normalize_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
        return axes
    return (_normalize_dim(dim, ndim),)


def expand_reduced(grad: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Undo a reduction's shape: put back the reduced axes (size 1), then broadcast."""
    if axes is None:
        axes = tuple(range(len(in_shape)))
    if not keepdim and axes and grad._data.ndim:
        kept = list(in_shape)
        for a in axes:
            kept[a] = 1
        grad = grad.reshape(tuple(kept))
    return broadcast_to(grad, in_shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        shape, dtype = ctx._input_meta[0]
        g = expand_reduced(grad, shape, ctx.axes, ctx.keepdim)
        return g, None, None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        if axes is None:
            ctx.count = x.size
        else:
            count = 1
            for a in axes:
                count *= x.shape[a]
            ctx.count = count
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx._input_meta[0][0]
        g = expand_reduced(grad / ctx.count, shape, ctx.axes, ctx.keepdim)
        return g, None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims when None). Integers and bools sum as int64, as in PyTorch."""
    axes = normalize_dims(dim, input._data.ndim)
    if dtype is not None:
        np_dtype = _dt.as_dtype(dtype).numpy
    elif input._data.dtype.kind in "biu":
        np_dtype = _dt.int64.numpy
    else:
        np_dtype = None
    return Sum.apply(input, axes, keepdim, np_dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim``; refuses integer tensors as PyTorch does."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    axes = normalize_dims(dim, input._data.ndim)
    return Mean.apply(input, axes, keepdim)


Tensor.sum = sum
Tensor.mean = mean

__all__ = ["sum", "mean"]
