"""Adaptive pooling: average or max pooling to a given output size.

Window i of an axis of size H pooled to OH covers [floor(i*H/OH), ceil((i+1)*H/OH)).
Sizes that divide the input become an ordinary (fixed-window) pooling of `pool`.
Otherwise adaptive average pooling is linear and separable, y = R_h x R_w^T with constant
averaging matrices (the `_separable` node, dL/dx = R_h^T G R_w), and adaptive max pooling
records the flat input position of each maximum and scatters the gradient back to it
(the scatter and the matching gather are each other's backward).
"""

from __future__ import annotations

import math

import numpy as np

from ...function import Function
from ...tensor import Tensor
from .._operands import int_argument
from ._separable import _resample
from .pool import MaxPool, _flat, _Pool, _unflat, avg_pool2d

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d"]


def _adaptive_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Row i averages x[floor(i*in/out) : ceil((i+1)*in/out)]."""
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        start = (i * in_size) // out_size
        end = -((-(i + 1) * in_size) // out_size)
        m[i, start:end] = 1.0 / (end - start)
    return m


def _adaptive_sizes(op: str, input: Tensor, output_size, dims: int) -> tuple:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != dims:
            raise RuntimeError(f"{op}: output_size must be {dims}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * dims
    spatial = tuple(input.shape[-dims:])
    if output_size is None:
        raise TypeError(f"{op}(): argument 'output_size' must be an int or a tuple of ints "
                        f"(None only inside the tuple, to keep that size), not None")
    sizes = tuple(s if o is None else int_argument(o, "output_size", op)
                  for o, s in zip(sizes, spatial))
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(sizes)}")
    return sizes


def _check_adaptive_input(op: str, input: Tensor, dims: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
                           f"{list(input.shape)}")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a given output size (entries ``None`` keep the input's size).
    Window i of an axis covers [floor(i*H/OH), ceil((i+1)*H/OH))."""
    _check_adaptive_input("adaptive_avg_pool2d", input, 2)
    oh, ow = _adaptive_sizes("adaptive_avg_pool2d", input, output_size, 2)
    h, w = input.shape[-2:]
    if oh > 0 and ow > 0 and h % oh == 0 and w % ow == 0 and h * w > 0:
        return avg_pool2d(input, (h // oh, w // ow))
    mh = None if oh == h else _adaptive_matrix(h, oh)
    mw = None if ow == w else _adaptive_matrix(w, ow)
    return _resample(input, mh, mw)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) to a given length."""
    _check_adaptive_input("adaptive_avg_pool1d", input, 1)
    (ol,) = _adaptive_sizes("adaptive_avg_pool1d", input, output_size, 1)
    length = input.shape[-1]
    return _resample(input, None, None if ol == length else _adaptive_matrix(length, ol))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a given output size. Sizes that divide the input become an ordinary
    max pooling; otherwise windows [floor(i*H/OH), ceil((i+1)*H/OH)) are used."""
    _check_adaptive_input("adaptive_max_pool2d", input, 2)
    oh, ow = _adaptive_sizes("adaptive_max_pool2d", input, output_size, 2)
    h, w = input.shape[-2:]
    if oh == 0 or ow == 0:
        return _no_windows(input, (oh, ow), return_indices)
    return _adaptive_max(input, ((h, oh), (w, ow)), False, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) to a given length."""
    _check_adaptive_input("adaptive_max_pool1d", input, 1)
    (ol,) = _adaptive_sizes("adaptive_max_pool1d", input, output_size, 1)
    if ol == 0:
        return _no_windows(input, (ol,), return_indices)
    return _adaptive_max(input, ((1, 1), (input.shape[-1], ol)), True, return_indices)


def _no_windows(input: Tensor, out_spatial: tuple, return_indices: bool):
    """An output size of 0 has no windows: an empty result, as in PyTorch (a slice of
    the input, so the graph and its zero gradient stay intact)."""
    out = input[(Ellipsis,) + tuple(slice(0, o) for o in out_spatial)]
    if not return_indices:
        return out
    from ...dtypes import int64
    from ...factories import zeros

    return out, zeros(tuple(out.shape), dtype=int64, device=input.device)


def _adaptive_max(input: Tensor, sizes, one_d: bool, return_indices: bool):
    (h, oh), (w, ow) = sizes
    if h % oh == 0 and w % ow == 0:
        kh, kw = h // oh, w // ow
        p = _Pool((h, oh, kh, kh, 1, 0, 0), (w, ow, kw, kw, 1, 0, 0))
        return MaxPool.apply(input, p, one_d, bool(return_indices))
    return _AdaptiveMax.apply(input, sizes, one_d, bool(return_indices))


def _adaptive_windows(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


class _AdaptiveMax(Function):
    """Max over uneven adaptive windows [floor(i*H/OH), ceil((i+1)*H/OH)), one output cell at
    a time. Keeps the flat input position of each maximum; backward is `_IndexScatter`."""

    @staticmethod
    def forward(ctx, x, sizes, one_d, return_indices):
        xp = ctx.xp
        (h, oh), (w, ow) = sizes
        lead = x.shape[:-1] if one_d else x.shape[:-2]
        x3 = _flat(x, one_d)
        m = x3.shape[0]
        out = xp.empty((m, oh, ow), dtype=x.dtype)
        positions = xp.empty((m, oh, ow), dtype=np.int64)
        rows_m = xp.arange(m)
        for i, (h0, h1) in enumerate(_adaptive_windows(h, oh)):
            for j, (w0, w1) in enumerate(_adaptive_windows(w, ow)):
                window = x3[:, h0:h1, w0:w1].reshape(m, -1)
                arg = window.argmax(axis=1)
                out[:, i, j] = window[rows_m, arg]
                positions[:, i, j] = (h0 + arg // (w1 - w0)) * w + w0 + arg % (w1 - w0)
        ctx.args = (positions.reshape(m, -1), x.shape)
        y = _unflat(out, lead, one_d)
        if return_indices:
            return y, _unflat(positions, lead, one_d)
        return y

    @staticmethod
    def backward(ctx, grad, *_):
        positions, in_shape = ctx.args
        return ctx.math.apply(_IndexScatter, grad, positions, in_shape), None, None, None


class _IndexScatter(Function):
    """out[m, pos[m, k]] += g[m, k] for flat positions ``pos`` (M, K); one column of positions
    at a time (each row once per column, so no index repeats within an assignment)."""

    @staticmethod
    def forward(ctx, grad, positions, in_shape):
        xp = ctx.xp
        ctx.args = (positions, grad.shape)
        m = positions.shape[0]
        g = grad.reshape(m, -1)
        out = xp.zeros((m, math.prod(in_shape) // m), dtype=grad.dtype)
        rows = xp.arange(m)
        for k in range(positions.shape[1]):
            out[rows, positions[:, k]] += g[:, k]
        return out.reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        positions, out_shape = ctx.args
        return ctx.math.apply(_IndexGather, grad, positions, out_shape), None, None


class _IndexGather(Function):
    """y[m, k] = x[m, pos[m, k]]: the adjoint of `_IndexScatter`."""

    @staticmethod
    def forward(ctx, x, positions, out_shape):
        ctx.args = (positions, x.shape)
        flat = x.reshape(positions.shape[0], -1)
        return ctx.xp.take_along_axis(flat, positions, axis=1).reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        positions, in_shape = ctx.args
        return ctx.math.apply(_IndexScatter, grad, positions, in_shape), None, None
