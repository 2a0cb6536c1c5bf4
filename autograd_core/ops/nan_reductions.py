"""Reductions that skip nan, quantiles, and the running log-sum-exp: nansum, nanmean,
nanmedian, quantile, nanquantile, logcumsumexp.

Compositions of differentiable primitives, so the gradients are theirs:

    nansum(x)  = sum of x where x is not nan           (dx = g there, 0 at the nans)
    nanmean(x) = nansum(x) / #{not nan}
    quantile(x, q) = lerp(s[lo], s[hi], pos - lo)      s = sort(x), pos = q (n - 1),
                                                       lo = floor(pos), hi = ceil(pos)

and one primitive, the running log-sum-exp y_k = log(sum_{i<=k} e^{x_i}), computed as
y_k = logaddexp(y_{k-1}, x_k) (no entry lost to underflow, whatever the row's range), with

    dx_i = sum_{k>=i} g_k e^{x_i - y_k}
         = e^{x_i + rlcse(log g+ - y)_i} - e^{x_i + rlcse(log g- - y)_i}

where rlcse is the running log-sum-exp from the end and g+ / g- the positive and negative
parts of g: every exponential stays bounded, and the rule is made of the primitive itself,
so it is differentiable again.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from .reduction import _xp
from .scatter_gather import gather
from .selection import where
from .sorting import sort, stable_argsort

nanmedian_result = namedtuple("nanmedian", ["values", "indices"])


def _without_nan(input: Tensor) -> Tensor:
    if not input.dtype.is_floating_point:
        return input
    return where(input.isnan(), 0.0, input)


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` treating nan as zero."""
    x = _without_nan(input)
    if dim is None:
        return x.sum(dtype=dtype) if not keepdim else x.sum(tuple(range(x.ndim)), True,
                                                            dtype=dtype)
    return x.sum(dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the entries that are not nan (nan where there are none)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype}; convert first, e.g. x.float()")
    count = nansum((~input.isnan()).to(input.dtype), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of the entries that are not nan: ``nanmedian(x)`` (0-d) or
    ``nanmedian(x, dim)`` -> ``(values, indices)``."""
    if dim is None:
        return nanmedian(input.reshape(-1), 0).values
    nd = input._data.ndim
    axis = _normalize_dim(dim, nd) if nd else 0
    x = input.reshape(1) if nd == 0 else input
    if x._data.shape[axis] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {axis} to have non-zero size.")
    xp = _xp(x)
    order = stable_argsort(xp, x._data, axis)
    valid = (~xp.isnan(x._data)).sum(axis=axis, keepdims=True)
    k = xp.maximum(valid - 1, 0) // 2
    index = xp.take_along_axis(order, k, axis=axis).astype("int64")
    values = gather(x, axis, _wrap(index))
    index = _wrap(index)
    if not keepdim or nd == 0:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return nanmedian_result(values, index)


_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, skip_nan: bool,
              name: str) -> Tensor:
    if interpolation not in _MODES:
        raise ValueError(f"{name}() interpolation must be one of linear, lower, higher, "
                         f"midpoint or nearest. Got {interpolation}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype, got "
                           f"{input.dtype}")
    xp = _xp(input)
    scalar_q = not isinstance(q, Tensor)
    qs = xp.asarray([float(q)] if scalar_q else q._data.reshape(-1), dtype=input._data.dtype)
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got shape {list(q.shape)}")
    if bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1], got {qs.tolist()}")
    nd = input._data.ndim
    if dim is None:
        x, axis = input.reshape(-1), 0
    else:
        axis = _normalize_dim(dim, max(nd, 1))
        x = input.reshape(1) if nd == 0 else input
    x = x.movedim(axis, -1)
    n = x._data.shape[-1]
    if n == 0:
        raise IndexError(f"{name}() input tensor must be non-empty")
    s = sort(x, -1).values
    nan = xp.isnan(x._data)
    if skip_nan:
        count = (~nan).sum(axis=-1, keepdims=True)
        pos = qs * xp.maximum(count - 1, 0)
        pos = xp.where(count == 0, n - 1, pos)
    else:
        pos = xp.where(nan.any(axis=-1, keepdims=True), float(n - 1), qs * (n - 1))
    lo, hi = xp.floor(pos), xp.ceil(pos)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(pos)
    s_lo = gather(s, -1, _wrap(lo.astype("int64")))
    s_hi = gather(s, -1, _wrap(hi.astype("int64")))
    if interpolation == "midpoint":
        out = s_lo + (s_hi - s_lo) * 0.5
    elif interpolation == "linear":
        out = s_lo + (s_hi - s_lo) * _wrap((pos - lo).astype(input._data.dtype))
    else:
        out = s_lo
    out = out.movedim(-1, 0)  # (q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape((out.shape[0],) + (1,) * nd)
        elif nd:
            out = out.unsqueeze(axis + 1)
    return out[0] if scalar_q else out


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or 1-d tensor in [0, 1]) over ``dim`` (all entries by
    default); a tensor ``q`` adds a leading dim. nan if a reduced slice holds nan."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """`quantile` of the entries that are not nan."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


class LogCumSumExp(Function):
    """y_k = log(sum_{i<=k} e^{x_i}) along ``axis`` (from the end when ``reverse``)."""

    @staticmethod
    def forward(ctx, x, axis, reverse):
        xp = ctx.xp
        ctx.axis, ctx.reverse = axis, reverse
        # the log of a zero part of g: finite (no inf - inf), and far enough from the
        # dtype's limit that adding x or y to it cannot overflow
        ctx.lowest = float(np.finfo(x.dtype).min) / 4
        source = xp.flip(x, axis) if reverse else x
        try:
            out = xp.logaddexp.accumulate(source, axis=axis)
        except (AttributeError, NotImplementedError, TypeError):  # no ufunc.accumulate
            out = xp.array(source, copy=True)
            for k in range(1, source.shape[axis]):
                here = (slice(None),) * axis + (k,)
                before = (slice(None),) * axis + (k - 1,)
                out[here] = xp.logaddexp(out[before], source[here])
        out = xp.flip(out, axis) if reverse else out
        ctx.save_for_backward(x, out)
        return xp.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m = ctx.math
        axis, back, low = ctx.axis, not ctx.reverse, ctx.lowest
        log_g = m.log(m.where(grad == 0, 1.0, m.abs(grad)))
        positive = m.where(grad > 0, log_g, low) - out
        negative = m.where(grad < 0, log_g, low) - out
        up = m.exp(m.apply(LogCumSumExp, positive, axis, back) + x)
        down = m.exp(m.apply(LogCumSumExp, negative, axis, back) + x)
        return up - down, None, None


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, as a running logaddexp (no underflow)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"logcumsumexp(): expected a floating point input, got {input.dtype}")
    nd = input._data.ndim
    if nd == 0:
        _normalize_dim(dim, 0)
        return input * 1
    axis = _normalize_dim(dim, nd)
    if input._data.shape[axis] == 0:
        return input * 1
    return LogCumSumExp.apply(input, axis, False)


for _fn in (nansum, nanmean, nanmedian, quantile, nanquantile, logcumsumexp):
    setattr(Tensor, _fn.__name__, _fn)

__all__ = ["nansum", "nanmean", "nanmedian", "quantile", "nanquantile", "logcumsumexp"]
