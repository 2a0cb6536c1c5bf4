"""Cumulative ops: running sums and products along one dim (cumsum, cumprod).

``g`` is the incoming gradient, ``y`` the output:

    cumsum       dx_i = sum_{k >= i} g_k         cumprod      dx_i = sum_{k >= i} g_k y_k / x_i

Backward rules are written once for arrays and Tensors (``ctx.math``), so they are
themselves differentiable.
Masks (where the zeros are) are constants.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor, _normalize_dim


class _ReverseCumsum(Function):
    """y_i = sum_{k >= i} g_k along ``axis``: the adjoint of cumsum (and vice versa)."""

    @staticmethod
    def forward(ctx, g, axis):
        ctx.axis = axis
        xp = ctx.xp
        return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Cumsum, grad, ctx.axis, None), None


# ----------------------------------------------------------------------------- cumulative
class Cumsum(Function):
    """y_k = sum_{i <= k} x_i. Backward: dx_i = sum_{k >= i} g_k (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        ctx.axis = axis
        return ctx.xp.cumsum(x, axis=axis, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_ReverseCumsum, grad, ctx.axis), None, None


class Cumprod(Function):
    """y_k = prod_{i <= k} x_i. Backward: dx_i = sum_{k >= i} g_k prod_{j <= k, j != i} x_j,
    which is reversed_cumsum(g y)_i / x_i when x has no zeros.

    With zeros (z the first zero of a slice): entries before z use that formula, entries
    after z get 0, and dx_z = reversed_cumsum(g y')_z with y' the cumprod of x with x_z set
    to 1. First derivatives are exact with zeros; second derivatives are exact for inputs
    without zeros (at a zero, the gradient of the entries after it is taken as constant).
    """

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        ctx.axis = axis
        out = ctx.xp.cumprod(x, axis=axis, dtype=np_dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m, axis = ctx.math, ctx.axis
        if not bool(m.any(x == 0)):  # (one host sync, as in PyTorch)
            return m.apply(_ReverseCumsum, grad * out, axis) / x, None, None
        zero = m.cast(x == 0, x)  # constant masks from here on
        seen = m.apply(Cumsum, zero, axis, None)  # zeros up to and including each entry
        before = m.cast(seen == 0, x)
        first = zero * m.cast(seen == 1, x)
        safe_x = x * before + (1.0 - before)
        head = before * m.apply(_ReverseCumsum, grad * out, axis) / safe_x
        skipped = m.apply(Cumprod, x * (1.0 - first) + first, axis, None)
        at_zero = first * m.apply(_ReverseCumsum, grad * skipped, axis)
        return head + at_zero, None, None


def _cumulative(cls, input: Tensor, dim, dtype) -> Tensor:
    if dim is None or isinstance(dim, (tuple, list)):
        raise TypeError(f"{cls.__name__.lower()}(): argument 'dim' must be int, not "
                        f"{type(dim).__name__}")
    if dtype is not None:
        np_dtype = _dt.as_dtype(dtype).numpy
    elif input._data.dtype.kind in "biu":
        np_dtype = _dt.int64.numpy
    else:
        np_dtype = None
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        return cls.apply(input.reshape(1), 0, np_dtype).reshape(())
    return cls.apply(input, _normalize_dim(dim, input._data.ndim), np_dtype)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``. Integers and bools accumulate as int64."""
    return _cumulative(Cumsum, input, dim, dtype)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``. Integers and bools accumulate as int64."""
    return _cumulative(Cumprod, input, dim, dtype)


# ----------------------------------------------------------------------------- methods
# Node names as PyTorch shows them (without the leading underscore).
_ReverseCumsum._backward_name = "ReverseCumsumBackward0"

Tensor.cumsum = cumsum
Tensor.cumprod = cumprod

__all__ = ["cumsum", "cumprod"]
