"""Reductions built from others: aminmax, dist, renorm, and the trapezoid rule (trapezoid,
trapz, cumulative_trapezoid). Compositions of differentiable primitives:

    dist(x, y, p)          = || x - y ||_p
    renorm(x, p, d, m)_i   = x_i * min(1, m / (||x_i||_p + 1e-7))   (x_i: the slices along d)
    trapezoid(y, dx)       = dx sum_k (y_k + y_{k+1}) / 2
"""

from __future__ import annotations

from collections import namedtuple

from ..tensor import Tensor, _normalize_dim
from .cumulative import cumsum
from .joining import narrow
from .norm import norm
from .selection import where

aminmax_result = namedtuple("aminmax", ["min", "max"])


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all entries by default)."""
    d = () if dim is None else dim
    empty = input.numel() == 0 if dim is None else (
        input._data.ndim > 0 and input._data.shape[_normalize_dim(dim, input._data.ndim)] == 0)
    if empty and dim is not None:  # (PyTorch: IndexError for a given empty dim)
        raise IndexError(f"aminmax(): Expected reduction dim {dim} to have non-zero size; the "
                         f"operation has no identity over an empty dimension.")
    if empty:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return aminmax_result(input.amin(d, keepdim), input.amax(d, keepdim))


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast)."""
    for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"dist(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")
    return norm(input - other, p=p)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so that its ``p``-norm is at most ``maxnorm``."""
    if input._data.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got "
                           f"{input._data.ndim} dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (got p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _normalize_dim(dim, input._data.ndim)
    others = tuple(k for k in range(input._data.ndim) if k != d)
    n = norm(input, p=p, dim=others, keepdim=True) if others else input.abs()
    over = n > maxnorm
    return input * where(over, maxnorm / (where(over, n, 1.0) + 1e-7), 1.0)


def _spacing(dx, x, y: Tensor, d: int, n: int):
    if x is None:
        return dx
    if x._data.ndim == 1:
        shape = [1] * y._data.ndim
        shape[d] = x._data.shape[0] - 1
        return (x[1:] - x[:-1]).reshape(shape)
    return narrow(x, d, 1, n - 1) - narrow(x, d, 0, n - 1)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x``."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received both x and dx; give one")
    d = _normalize_dim(dim, y._data.ndim)
    n = y._data.shape[d]
    if n == 0:
        return y.sum(d)
    mid = (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * 0.5
    return (mid * _spacing(1.0 if dx is None else dx, x, y, d, n)).sum(d)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
          dim: int = -1) -> Tensor:
    """Alias of `trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """Running trapezoid-rule integral along ``dim`` (one entry shorter than ``y``)."""
    d = _normalize_dim(dim, y._data.ndim)
    n = y._data.shape[d]
    if n == 0:
        return y * 1
    mid = (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * 0.5
    return cumsum(mid * _spacing(1.0 if dx is None else dx, x, y, d, n), d)


Tensor.aminmax = aminmax
Tensor.dist = dist
Tensor.renorm = renorm

__all__ = ["aminmax", "dist", "renorm", "trapezoid", "trapz", "cumulative_trapezoid"]
