"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, mode, cummax, cummin.

Each picks entries of ``x`` along one dim at indices it computes in forward,
``y = take_along(x, i)``, so all share one rule (``g`` is dL/dy):

    dx = scatter_add(zeros_like(x), dim, i, g)      (each picked entry gets its gradient back)

which is itself a primitive (its backward is a gather), so second derivatives work too.
The indices are constants. Ties follow PyTorch: sort is stable (equal values keep their
order), descending too; kthvalue takes the k-th entry of that stable order; mode returns
the smallest most frequent value at its last position; cummax/cummin move to the latest
tie (and stay on a nan once one is seen).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from .reduction import _xp
from .scatter_gather import ScatterAdd

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
mode_result = namedtuple("mode", ["values", "indices"])
cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])

_INT64 = _dt.int64.numpy


def stable_argsort(xp, x, axis: int, descending: bool = False):
    """Indices that sort ``x`` along ``axis``, equal values keeping their order (nan last
    ascending, first descending, as in PyTorch)."""
    def ascending(a):  # CuPy's sort is always stable and takes no ``kind``
        return a.argsort(axis=axis, kind="stable") if xp is np else xp.argsort(a, axis=axis)

    if x.dtype.kind == "b":
        x = x.astype(np.int8)
    if not descending:
        return ascending(x)
    n = x.shape[axis]
    return (n - 1) - xp.flip(ascending(xp.flip(x, axis)), axis)


class _TakeAlong(Function):
    """y = take_along(x, dim, i) for indices ``i`` found in forward;
    dx = scatter_add(zeros, dim, i, g)."""

    @staticmethod
    def indices(xp, x, axis: int, arg):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, axis, arg):
        xp = ctx.xp
        index = type(ctx).indices(xp, x, axis, arg).astype(_INT64, copy=False)
        ctx.index, ctx.axis = index, axis
        return xp.take_along_axis(x, index, axis=axis), index

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        m = ctx.math
        zeros = m.zeros(ctx.input_metadata[0][0], grad)
        return m.apply(ScatterAdd, zeros, ctx.axis, m.const(ctx.index), grad), None, None


class Sort(_TakeAlong):
    """arg: descending (bool)."""

    @staticmethod
    def indices(xp, x, axis, descending):
        return stable_argsort(xp, x, axis, descending)


class Topk(_TakeAlong):
    """arg: (k, largest)."""

    @staticmethod
    def indices(xp, x, axis, arg):
        k, largest = arg
        order = stable_argsort(xp, x, axis, descending=largest)
        return xp.take(order, xp.arange(k), axis=axis)


class Kthvalue(_TakeAlong):
    """arg: k (1-based): the k-th smallest entry of a stable sort."""

    @staticmethod
    def indices(xp, x, axis, k):
        return xp.take(stable_argsort(xp, x, axis), xp.arange(k - 1, k), axis=axis)


class Mode(_TakeAlong):
    """The most frequent value (the smallest of equally frequent ones), at its last position."""

    @staticmethod
    def indices(xp, x, axis, arg):
        xm = xp.moveaxis(x, axis, -1)
        n = xm.shape[-1]
        order = stable_argsort(xp, xm, -1)
        s = xp.take_along_axis(xm, order, axis=-1)
        pos = xp.arange(n)
        new_run = xp.concatenate([xp.ones(s.shape[:-1] + (1,), dtype=bool),
                                  s[..., 1:] != s[..., :-1]], axis=-1)
        run_start = xp.maximum.accumulate(xp.where(new_run, pos, 0), axis=-1)
        length = pos - run_start + 1  # length of the run so far, at each sorted position
        # the first position that reaches the longest run ends the smallest most frequent run
        end = xp.argmax(length, axis=-1)[..., None]
        last = xp.take_along_axis(order, end, axis=-1)  # stable: the run's last entry
        return xp.moveaxis(last, -1, axis)


class Cummax(_TakeAlong):
    """y_k = max_{j <= k} x_j; i_k the latest j <= k where x_j equals it."""

    @staticmethod
    def indices(xp, x, axis, arg):
        return _running_index(xp, x, axis, xp.maximum)


class Cummin(_TakeAlong):
    """y_k = min_{j <= k} x_j; i_k the latest j <= k where x_j equals it."""

    @staticmethod
    def indices(xp, x, axis, arg):
        return _running_index(xp, x, axis, xp.minimum)


def _running_index(xp, x, axis: int, ufunc):
    running = ufunc.accumulate(x, axis=axis)
    hit = x == running
    if x.dtype.kind == "f":
        hit = hit | (xp.isnan(x) & xp.isnan(running))
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    pos = xp.arange(x.shape[axis]).reshape(shape)
    return xp.maximum.accumulate(xp.where(hit, pos, -1), axis=axis)


# ----------------------------------------------------------------------------- public
def _along(cls, input: Tensor, dim: int, arg, keep: bool = True):
    """Run ``cls`` along ``dim`` (a 0-d input is handled as one element)."""
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        values, indices = cls.apply(input.reshape(1), 0, arg)
        return values.reshape(()), indices.reshape(())
    axis = _normalize_dim(dim, input._data.ndim)
    values, indices = cls.apply(input, axis, arg)
    if not keep:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return values, indices


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim`` (always stable here)."""
    return sort_result(*_along(Sort, input, dim, bool(descending)))


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        return _wrap(_xp(input).zeros((), dtype=_INT64))
    axis = _normalize_dim(dim, input._data.ndim)
    return _wrap(stable_argsort(_xp(input), input._data, axis, descending).astype(_INT64))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) entries along ``dim``: ``(values, indices)``."""
    n = input._data.shape[_normalize_dim(dim, input._data.ndim)] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: topk() got k={k} for a dimension "
                           f"of size {n}; choose 0 <= k <= {n}")
    return topk_result(*_along(Topk, input, dim, (int(k), bool(largest))))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest entry (1-based) along ``dim``: ``(values, indices)``."""
    n = input._data.shape[_normalize_dim(dim, input._data.ndim)] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}: "
                         f"got k={k}, the dimension has size {n}; choose 1 <= k <= {n}")
    return kthvalue_result(*_along(Kthvalue, input, dim, int(k), keepdim))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` and the index of its last occurrence."""
    if input._data.ndim and input._data.shape[_normalize_dim(dim, input._data.ndim)] == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size.")
    return mode_result(*_along(Mode, input, dim, None, keepdim))


def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim``: ``(values, indices)``."""
    return cummax_result(*_along(Cummax, input, dim, None))


def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim``: ``(values, indices)``."""
    return cummin_result(*_along(Cummin, input, dim, None))


# ----------------------------------------------------------------------------- methods
for _cls in (Sort, Topk, Kthvalue, Mode, Cummax, Cummin):
    _cls._backward_name = _cls.__name__ + "Backward0"
_TakeAlong._backward_name = "TakeAlongBackward0"

Tensor.sort = sort
Tensor.argsort = argsort
Tensor.msort = msort
Tensor.topk = topk
Tensor.kthvalue = kthvalue
Tensor.mode = mode
Tensor.cummax = cummax
Tensor.cummin = cummin

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "mode", "cummax", "cummin"]
