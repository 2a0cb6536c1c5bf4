"""Scatter with a reduction: scatter_reduce (sum, prod, mean, amax, amin) and index_reduce.

``out[..index[j]..] = reduce(out[..index[j]..], src[..j..])`` over every j that lands on a
place (and the old value, with ``include_self``). The values are computed on arrays; the
gradient is that of the reduction's linearisation at them, one scatter_add with constant
weights (``R`` the result, ``n`` the number of entries reduced into a place, ``t`` the
number of entries equal to ``R`` there):

    sum   w = 1        mean  w = 1 / n        amax, amin  w = [value = R] / t
    prod  w = R / value                       (0 for a value that is 0)

so ``out = R + (E - stop_gradient(E))`` with ``E = scatter_add(w_x x, index, w_src src)``:
exact first derivatives (prod: away from zeros), and second derivatives of sum, mean,
amax, amin (prod's second derivative is not provided). amax/amin/prod use
``maximum.at``/``minimum.at``/``multiply.at`` of the array module.
"""

from __future__ import annotations

from ..tensor import Tensor, _normalize_dim, _wrap
from .indexing import _add_at
from .reduction import _xp
from .scatter_gather import ScatterAdd, _check_index, _crop, _positions
from .selection import where

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _reduced(xp, x, dim, index, src, reduce: str, include_self: bool):
    """The result on arrays, the flat positions hit, and the count reduced into each place."""
    lin = _positions(xp, x.shape, dim, index).reshape(-1)
    values = src[_crop(index.shape)].reshape(-1)
    touched = xp.zeros(x.size, dtype=bool)
    touched[lin] = True
    touched = touched.reshape(x.shape)
    count = xp.zeros(x.size, dtype=x.dtype if x.dtype.kind == "f" else "float64")
    _add_at(xp, count, lin, xp.ones(lin.shape, dtype=count.dtype))
    count = count.reshape(x.shape) + (1 if include_self else ~touched)
    out = x.copy()
    flat = out.reshape(-1)
    if reduce in ("sum", "mean"):
        if not include_self:
            flat[lin] = 0
        _add_at(xp, flat, lin, values)
        if reduce == "mean":
            out = out // count.astype(out.dtype) if out.dtype.kind in "iu" else out / count
    else:
        if not include_self:
            flat[lin] = _identity(xp, reduce, x.dtype)
        ufunc = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
        ufunc.at(flat, lin, values)
    return out, touched, count


def _identity(xp, reduce: str, dtype):
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    info = xp.iinfo(dtype) if dtype.kind in "iu" else None
    return (info.min if reduce == "amax" else info.max) if info else reduce == "amin"


def _weights(xp, x, src_c, index, dim, reduce, result, touched, count, include_self):
    """Constant weights of the linearisation, for ``x`` and for ``src`` (index-shaped)."""
    kept = (xp.ones_like(touched) if include_self else ~touched).astype(x.dtype)
    count = count.astype(x.dtype, copy=False)

    def at(a):  # a's entries at the places each src entry goes to
        return xp.take_along_axis(a[_crop(index.shape, dim)], index, axis=dim)

    if reduce == "sum":
        return kept, xp.ones(index.shape, dtype=x.dtype)
    if reduce == "mean":
        return kept / count, 1 / at(count)
    if reduce in ("amax", "amin"):
        hit_x = kept * (x == result)
        hit_s = (src_c == at(result)).astype(x.dtype)
        ties = hit_x.copy()
        _add_at(xp, ties.reshape(-1), _positions(xp, x.shape, dim, index).reshape(-1),
                hit_s.reshape(-1))
        return hit_x / xp.maximum(ties, 1), hit_s / xp.maximum(at(ties), 1)
    one, zero = xp.ones((), dtype=x.dtype), xp.zeros((), dtype=x.dtype)
    wx = kept * xp.where(x == 0, xp.where(touched, zero, one), result / xp.where(x == 0, one, x))
    nonzero = src_c != 0
    return wx, xp.where(nonzero, at(result) / xp.where(nonzero, src_c, one), zero)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """``input`` with ``src`` reduced (``'sum' 'prod' 'mean' 'amax' 'amin'``) into the
    places ``index`` names along ``dim``."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if not isinstance(src, Tensor) or src.dtype != input.dtype:
        got = src.dtype if isinstance(src, Tensor) else type(src).__name__
        raise RuntimeError(f"scatter_reduce(): Expected self.dtype to be equal to src.dtype "
                           f"(got {input.dtype} and {got})")
    if input._data.ndim == 0:
        out = scatter_reduce(input.reshape(1), 0, index.reshape(1), src.reshape(1), reduce,
                             include_self=include_self)
        return out.reshape(())
    d, index = _check_index(input, dim, index, "scatter_reduce", src)
    xp = _xp(input)
    x, i, s = input._data, index._data, src._data
    result, touched, count = _reduced(xp, x, d, i, s, reduce, include_self)
    out = _wrap(result)
    if not (input.requires_grad or src.requires_grad) or x.dtype.kind != "f":
        return out
    s_c = s[_crop(i.shape)]
    wx, ws = _weights(xp, x, s_c, i, d, reduce, result, touched, count, include_self)
    ws_full = xp.zeros(s.shape, dtype=x.dtype)
    ws_full[_crop(i.shape)] = ws
    linear = ScatterAdd.apply(input * _wrap(wx), d, index, src * _wrap(ws_full))
    change = linear - linear.detach()
    return out + where(_wrap(xp.isfinite(linear._data)), change, 0.0)


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """``input`` with slice ``j`` of ``source`` along ``dim`` reduced (``'prod' 'mean'
    'amax' 'amin'``) into slice ``index[j]``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if index._data.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, got shape "
                         f"{list(index.shape)}")
    nd = max(source._data.ndim, 1)
    d = _normalize_dim(dim, nd)
    if input._data.ndim == 0:
        return scatter_reduce(input, 0, index, source, reduce, include_self=include_self)
    shape = [1] * nd
    shape[d] = -1
    full = index.reshape(shape).broadcast_to(tuple(source.shape) if source._data.ndim else (1,))
    return scatter_reduce(input, d, full, source.reshape(full.shape), reduce,
                          include_self=include_self)


Tensor.scatter_reduce = scatter_reduce
Tensor.index_reduce = index_reduce

__all__ = ["scatter_reduce", "index_reduce"]
