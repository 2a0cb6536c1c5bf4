"""Gather/scatter along a dimension, and the ``index_*`` family (``g`` is dL/dout):

    gather(x, d, i)             dL/dx = scatter_add(zeros, d, i, g)
    scatter(x, d, i, s)         dL/dx = g with zeros at i          dL/ds = gather(g, d, i)
    scatter_add(x, d, i, s)     dL/dx = g                          dL/ds = gather(g, d, i)
    index_select(x, d, i)       dL/dx = index_add(zeros, d, i, g)
    index_add(x, d, i, s, a)    dL/dx = g                          dL/ds = a * index_select(g, d, i)

``index_copy``/``index_fill``/``take`` reuse the ``x[key]`` machinery of `indexing`. Each
backward is itself made of these ops, so second derivatives work too.
"""

from __future__ import annotations

import numpy as np

from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from ._broadcast import broadcast_to
from ._inplace import apply_inplace
from ._operands import scalar_value
from .indexing import (
    _FULL,
    IndexPut,
    SliceScatter,
    _add_at,
    _broadcast_shape,
    _Key,
    _out_of_bounds,
    _parse,
    _put_value,
)

_INT64 = np.int64


# ---------------------------------------------------------------------------- array helpers
def _positions(xp, shape: tuple, dim: int, index):
    """Flat positions, in a C-contiguous array of ``shape``, of the elements that an
    ``index`` along ``dim`` addresses (scatter's rule: out[..i[j]..] <- src[..j..])."""
    strides = [1] * len(shape)
    for e in range(len(shape) - 2, -1, -1):
        strides[e] = strides[e + 1] * shape[e + 1]
    lin = index.astype(_INT64) * strides[dim]
    nd = index.ndim
    for e, n in enumerate(index.shape):
        if e != dim and n > 1:
            lin = lin + (xp.arange(n, dtype=_INT64) * strides[e]).reshape(
                (1,) * e + (n,) + (1,) * (nd - e - 1))
    return lin


def _crop(index_shape: tuple, skip: int | None = None) -> tuple:
    return tuple(_FULL if e == skip else slice(0, n) for e, n in enumerate(index_shape))


# ---------------------------------------------------------------------------- gather/scatter
def _check_index(input: Tensor, dim, index, op: str, src: Tensor | None = None) -> tuple[int, Tensor]:
    """The normalised ``dim`` and the index to use: on a device, clipped into range while the
    bounds check is pending (`Backend.check_index_bounds`), so no op reads outside ``input``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index (got {index.dtype})")
    shape, ishape = input._data.shape, index._data.shape
    d = _normalize_dim(dim, len(shape))
    for name, other in (("input", shape), ("src", None if src is None else src._data.shape)):
        if other is not None and len(ishape) != len(other):
            raise RuntimeError(f"Index tensor must have the same number of dimensions as {name} "
                               f"tensor ({op}: index shape {list(ishape)}, {name} shape "
                               f"{list(other)})")
    for e, n in enumerate(ishape):
        if (e != d and n > shape[e]) or (src is not None and n > src._data.shape[e]):
            against = "" if src is None else f" and to be no larger than src {list(src.shape)}"
            raise RuntimeError(f"{op}(): Expected index {list(ishape)} to be no larger than self "
                               f"{list(shape)} apart from dimension {d}{against}")
    array = index._data
    safe = backend_of(array).check_index_bounds(array, 0, shape[d],
                                                _out_of_bounds(RuntimeError, d, shape[d], op))
    return d, (index if safe is array else _wrap(safe))


def _as_1d(input: Tensor, index: Tensor):
    """0-d input/index are handled as 1-element vectors (PyTorch allows them)."""
    return input.reshape((1,)), index.reshape((1,)) if index._data.ndim == 0 else index


class Gather(Function):
    """``out[i][j] = x[index[i][j]][j]`` (dim 0); backward scatter-adds the gradient."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim = dim
        ctx.save_for_backward(index)
        return ctx.xp.take_along_axis(x[_crop(index.shape, dim)], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved
        m = ctx.math
        zeros = m.zeros(ctx.input_metadata[0][0], grad)
        return m.apply(ScatterAdd, zeros, ctx.dim, index, grad), None, None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Pick ``input`` values along ``dim`` at ``index`` (same number of dimensions)."""
    if input._data.ndim == 0:
        x1, i1 = _as_1d(input, index)
        return gather(x1, dim, i1).reshape(index.shape)
    if (isinstance(index, Tensor) and index._data.size == 0 and index._data.dtype.kind in "iu"
            and index._data.ndim != input._data.ndim):
        # an empty index of any shape picks nothing (PyTorch skips the dimension check)
        _normalize_dim(dim, input._data.ndim)
        return input.reshape(-1)[:0].reshape(index.shape)
    d, index = _check_index(input, dim, index, "gather")
    return Gather.apply(input, d, index)


def _pad_to(m, g, shape: tuple):
    """``g`` in the leading corner of zeros(shape) (src larger than index in scatter)."""
    if g.shape == tuple(shape):
        return g
    return m.apply(SliceScatter, g, _crop(g.shape) + (Ellipsis,), tuple(shape))


class ScatterAdd(Function):
    """``out = x; out[..index[j]..] += src[..j..]``, repeated indices accumulating."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        lin = _positions(ctx.xp, x.shape, dim, index)
        _add_at(ctx.xp, out.reshape(-1), lin.reshape(-1), src[_crop(index.shape)].reshape(-1))
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved
        m = ctx.math
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gs = None
        if need_src:
            gs = _pad_to(m, m.apply(Gather, grad, ctx.dim, index), ctx.input_metadata[3][0])
        return (grad if need_x else None), None, None, gs


class Scatter(Function):
    """``out = x; out[..index[j]..] = src[..j..]`` (or a scalar); where indices repeat,
    one write wins, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        lin = _positions(ctx.xp, x.shape, dim, index).reshape(-1)
        values = src[_crop(index.shape)].reshape(-1) if hasattr(src, "shape") else src
        out.reshape(-1)[lin] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved
        m = ctx.math
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gx = m.apply(Scatter, grad, ctx.dim, index, 0) if need_x else None
        gs = None
        if need_src:
            gs = _pad_to(m, m.apply(Gather, grad, ctx.dim, index), ctx.input_metadata[3][0])
        return gx, None, None, gs


class ScatterMultiply(Function):
    """``scatter(..., reduce='multiply')``: forward only, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x.copy()
        lin = _positions(ctx.xp, x.shape, dim, index).reshape(-1)
        values = src[_crop(index.shape)].reshape(-1) if hasattr(src, "shape") else src
        backend_of(out).multiply_at(out.reshape(-1), lin, values)  # (CuPy lacks multiply.at)
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the derivative for 'scatter' with reduce='multiply' is not "
                           "implemented; use reduce=None or 'add', or scatter_reduce on logs")


def _scatter_src(input: Tensor, src, op: str):
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                               f"(got {input.dtype} and {src.dtype})")
        return src
    value = scalar_value(src)
    if value is None:
        raise TypeError(f"{op}(): src must be a Tensor or a number, got {type(src).__name__}")
    return value


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along
    ``dim``; ``reduce='add'``/``'multiply'`` combine with the old values instead."""
    if src is None:
        src = value
    src = _scatter_src(input, src, "scatter")
    if input._data.ndim == 0:
        x1, i1 = _as_1d(input, index)
        s1 = src.reshape((1,)) if isinstance(src, Tensor) and src._data.ndim == 0 else src
        return scatter(x1, dim, i1, s1, reduce=reduce).reshape(())
    d, index = _check_index(input, dim, index, "scatter", src if isinstance(src, Tensor) else None)
    if reduce is None:
        return Scatter.apply(input, d, index, src)
    if reduce == "add":
        if not isinstance(src, Tensor):
            src = input.new_full(tuple(index.shape), src)
        return ScatterAdd.apply(input, d, index, src)
    if reduce == "multiply":
        return ScatterMultiply.apply(input, d, index, src)
    raise RuntimeError(f"reduce argument must be either add or multiply (got {reduce!r})")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    src = _scatter_src(input, src, "scatter_add")
    if not isinstance(src, Tensor):
        raise TypeError("scatter_add(): src must be a Tensor")
    if input._data.ndim == 0:
        x1, i1 = _as_1d(input, index)
        return scatter_add(x1, dim, i1, src.reshape((1,))).reshape(())
    d, index = _check_index(input, dim, index, "scatter_add", src)
    return ScatterAdd.apply(input, d, index, src)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """`gather` after broadcasting ``input`` and ``indices`` in all dimensions but ``dim``;
    with ``dim=None``, indices into the flattened input. Along a ``dim``, negative indices
    count from the end, as in PyTorch (``gather``, and ``dim=None``, refuse them)."""
    if dim is None:
        return gather(input.reshape((-1,)), 0, indices.reshape((-1,)))
    shape, ishape = input._data.shape, indices._data.shape
    if len(shape) != len(ishape):
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {len(shape)} dimensions for input, and {len(ishape)} "
            f"dimensions for indices")
    d = _normalize_dim(dim, len(shape))
    common = list(_broadcast_shape(tuple(1 if e == d else s for e, s in enumerate(shape)),
                                   tuple(1 if e == d else s for e, s in enumerate(ishape))))
    target_x = tuple(shape[d] if e == d else s for e, s in enumerate(common))
    target_i = tuple(ishape[d] if e == d else s for e, s in enumerate(common))
    indices = _wrap_negative(indices, shape[d])
    return gather(broadcast_to(input, target_x), d, broadcast_to(indices, target_i))


def _wrap_negative(indices: Tensor, size: int) -> Tensor:
    if not isinstance(indices, Tensor) or indices._data.dtype.kind != "i":
        return indices
    return indices + (indices < 0).to(indices.dtype) * size


# ---------------------------------------------------------------------------- index_*
def _check_vector_index(input: Tensor, dim, index: Tensor, op: str):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector (got shape "
                         f"{list(index.shape)})")
    if index._data.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int32/int64 for index (got {index.dtype})")
    d = _normalize_dim(dim, input._data.ndim)
    index = index.reshape((-1,)) if index._data.ndim == 0 else index
    array, n = index._data, (input._data.shape[d] if input._data.ndim else 1)
    if input._data.ndim == 0 and array.size != 1:
        raise RuntimeError(f"{op}(): Index to scalar can have only 1 value, got {array.size} "
                           "value(s)")
    if n == 0 and array.size and input._data.ndim > 1:
        raise RuntimeError(f"{op}(): self indexing axis dim should be positive (dimension {d} "
                           "has size 0)")
    safe = backend_of(array).check_index_bounds(array, 0, n, lambda bad: IndexError(
        f"index out of range in self ({op}: index {'' if bad is None else bad} for dimension "
        f"{d} with size {n})"))
    return d, (index if safe is array else _wrap(safe))  # (clipped while the check is pending)


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim = dim
        ctx.save_for_backward(index)
        return ctx.xp.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved
        m = ctx.math
        zeros = m.zeros(ctx.input_metadata[0][0], grad)
        return m.apply(IndexAdd, zeros, ctx.dim, index, grad, 1), None, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` listed in the 1-D ``index`` (repeats allowed)."""
    d, index = _check_vector_index(input, dim, index, "index_select")
    if input._data.ndim == 0:
        out = index_select(input.reshape((1,)), 0, index)
        return out.reshape(() if index._data.size == 1 else tuple(index.shape))
    return IndexSelect.apply(input, d, index)


class IndexAdd(Function):
    """``out = x; out[.., index[j], ..] += alpha * source[.., j, ..]`` along ``dim``."""

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        out = x.copy()
        along = index.reshape(tuple(-1 if e == dim else 1 for e in range(x.ndim)))
        lin = _positions(ctx.xp, x.shape, dim, ctx.xp.broadcast_to(along, source.shape))
        values = source if alpha == 1 else source * alpha
        _add_at(ctx.xp, out.reshape(-1), lin.reshape(-1), values.reshape(-1))
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gs = None
        if need_src:
            gs = ctx.math.apply(IndexSelect, grad, ctx.dim, index)
            gs = gs if ctx.alpha == 1 else gs * ctx.alpha
        return (grad if need_x else None), None, None, gs, None


def _check_source(input: Tensor, d: int, index: Tensor, source: Tensor, op: str) -> None:
    shape, sshape = input._data.shape, source._data.shape
    n = index._data.size
    if len(sshape) != len(shape) or any(a != b for e, (a, b) in enumerate(zip(shape, sshape))
                                        if e != d):
        raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, "
                           f"excluding the specified dimension. Got self.shape = {list(shape)} "
                           f"source.shape = {list(sshape)}")
    if sshape[d] != n:
        raise RuntimeError(f"{op}(): Number of indices ({n}) should be equal to "
                           f"source.size(dim): ({sshape[d]}), for dim: {d}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}(): self ({input.dtype}) and source ({source.dtype}) must "
                           "have the same scalar type")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at the slices ``index`` along
    ``dim`` (repeated indices add up)."""
    d, index = _check_vector_index(input, dim, index, "index_add_")
    if _scalar_case(input, source) and input._data.ndim == source._data.ndim:  # both 0-d
        return index_add(input.reshape((-1,)), 0, index, source.reshape((-1,)),
                         alpha=alpha).reshape(input.shape)
    _check_source(input, d, index, source, "index_add_")
    return IndexAdd.apply(input, d, index, source, alpha)


def _scalar_case(input: Tensor, source) -> bool:
    return (isinstance(source, Tensor) and (input._data.ndim == 0 or source._data.ndim == 0)
            and input._data.ndim <= 1 and source._data.ndim <= 1)


def _index_key(input: Tensor, d: int, index: Tensor) -> _Key:
    return _parse(input, (_FULL,) * d + (index,))


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices ``index`` along ``dim`` are ``source``'s."""
    d, index = _check_vector_index(input, dim, index, "index_copy_")
    if _scalar_case(input, source):
        return index_copy(input.reshape((-1,)), 0, index, source.reshape((-1,))).reshape(
            input.shape)
    _check_source(input, d, index, source, "index_copy_")
    return IndexPut.apply(input, source, _index_key(input, d, index))


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value``."""
    d, index = _check_vector_index(input, dim, index, "index_fill_")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    if input._data.ndim == 0:
        return index_fill(input.reshape((1,)), 0, index, value).reshape(())
    unique = _wrap(backend_of(index._data).xp.unique(index._data))  # each slice filled once
    return IndexPut.apply(input, _put_value(input, value), _index_key(input, d, unique))


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (result has ``index``'s shape)."""
    return input.reshape((-1,))[index]


# ---------------------------------------------------------------------------- in place
def _inplace(fn, name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return apply_inplace(self, lambda t, *a: fn(t, *a, **kwargs), *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place `{fn.__name__}`."
    return method


Tensor.gather = gather
Tensor.scatter = scatter
Tensor.scatter_ = _inplace(scatter, "scatter_")
Tensor.scatter_add = scatter_add
Tensor.scatter_add_ = _inplace(scatter_add, "scatter_add_")
Tensor.take_along_dim = take_along_dim
Tensor.index_select = index_select
Tensor.index_add = index_add
Tensor.index_add_ = _inplace(index_add, "index_add_")
Tensor.index_copy = index_copy
Tensor.index_copy_ = _inplace(index_copy, "index_copy_")
Tensor.index_fill = index_fill
Tensor.index_fill_ = _inplace(index_fill, "index_fill_")
Tensor.take = take

__all__ = ["gather", "scatter", "scatter_add", "take_along_dim", "index_select", "index_add",
           "index_copy", "index_fill", "take"]
