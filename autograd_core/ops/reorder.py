"""Copies that repeat or reorder elements: repeat, tile, flip, roll. Each gradient sends
``g`` back to where the elements came from:

    y = repeat(x, r)           =>  dL/dx = g summed over the r copies of each element
    y = flip(x, d), roll(x, s) =>  dL/dx = flip(g, d), roll(g, -s)

Unlike views, the results own their memory (as in PyTorch).
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor, _normalize_dim
from .shape import _dim_of, _shape_args


def _dims_arg(dims) -> tuple:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def _unique_dims(dims, ndim: int) -> tuple[int, ...]:
    axes = tuple(_normalize_dim(d, ndim) for d in dims)
    seen = set()
    for d in axes:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return axes


# ------------------------------------------------------------------ repeat, flip, roll
class Repeat(Function):
    """Tile ``x``; the gradient of each element is the sum over its copies."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats, ctx.padded = repeats, padded
        return ctx.xp.tile(x.reshape(padded), repeats)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.repeats:
            return grad, None
        split = []
        for r, s in zip(ctx.repeats, ctx.padded):
            split += [r, s]
        g = ctx.math.sum(grad.reshape(tuple(split)), tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(input: Tensor, *sizes) -> Tensor:
    """Repeat the tensor ``sizes[i]`` times along dimension i (extra sizes add dimensions)."""
    sizes = tuple(int(s) for s in _shape_args(sizes))
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           f"of dimensions of tensor (got {len(sizes)} repeat dims for a "
                           f"{input._data.ndim}-D tensor)")
    if any(s < 0 for s in sizes):
        raise RuntimeError("Trying to create tensor with negative dimension: repeats "
                           f"{list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, *dims) -> Tensor:
    """Like `repeat`, but missing leading entries of ``dims`` count as 1."""
    dims = tuple(int(d) for d in _shape_args(dims))
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Flip, grad, ctx.dims), None


def flip(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch); ``dims`` may
    also be passed by keyword."""
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument {sorted(kwargs)[0]!r}")
    dims = _dims_arg(dims)
    if input._data.ndim == 0:
        _unique_dims(dims, 0)
        dims = ()
    return Flip.apply(input, _unique_dims(dims, input._data.ndim))


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        back = -ctx.shifts if ctx.dims is None else tuple(-s for s in ctx.shifts)
        return ctx.math.apply(Roll, grad, back, ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    shifts = (int(shifts),) if not isinstance(shifts, (tuple, list)) else tuple(map(int, shifts))
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = (dims,) if not isinstance(dims, (tuple, list)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for d in dims:
        _dim_of(input, d)
    dims = tuple(_normalize_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts, dims)


Tensor.repeat = repeat
Tensor.tile = tile
Tensor.flip = flip
Tensor.fliplr = fliplr
Tensor.flipud = flipud
Tensor.roll = roll

__all__ = ["tile", "flip", "fliplr", "flipud", "roll"]
