"""Indexing: ``x[key]``, ``x[key] = v``, gather/scatter, index_select/index_add, masks.

Reading ``y = x[key]`` (``g`` is dL/dy):

    basic key (ints, slices, None, ...)     y is a view of x    dL/dx = zeros, g written at key
    advanced key (index tensors, masks)     y is a copy         dL/dx = zeros, g *added* at key

so an element picked twice (``x[[0, 0]]``) receives both gradients. The other ops follow:

    x[key] = v                  dL/dx_old = g with zeros at key    dL/dv = sum_to(g[key], v.shape)
    gather(x, d, i)             dL/dx = scatter_add(zeros, d, i, g)
    scatter_add(x, d, i, s)     dL/dx = g                          dL/ds = gather(g, d, i)
    index_select(x, d, i)       dL/dx = index_add(zeros, d, i, g)
    masked_fill(x, m, v)        dL/dx = g with zeros where m       dL/dv = sum of g where m

Each backward is itself made of these ops, so second derivatives work too.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from ._broadcast import broadcast_to, sum_to
from ._inplace import apply_inplace
from ._operands import scalar_value
from .shape import _share_version

_INT64 = np.int64
_FULL = slice(None)


# ---------------------------------------------------------------------------- array helpers
def _is_numpy(array) -> bool:
    return type(array) is np.ndarray


def _add_at(xp, flat_out, positions, values) -> None:
    """``flat_out[positions] += values`` where repeated positions accumulate.

    ``ufunc.at`` on 1-D indices is fast in NumPy 2 and implemented by CuPy; ``bincount``
    is the fallback for array modules without it."""
    if positions.size == 0:
        return
    at = getattr(getattr(xp, "add", None), "at", None)
    if at is not None:
        at(flat_out, positions, values)
    else:
        sums = xp.bincount(positions, weights=values, minlength=flat_out.size)
        flat_out += sums.astype(flat_out.dtype)


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


def _accumulate_at(xp, g, key: tuple, shape: tuple):
    """zeros(shape) with ``g`` added at the advanced ``key`` (the backward of ``y[key]``).

    The indexed dimensions are flattened into one of size K and ``g``'s rows are added into
    the (K, rest) result with one scatter-add, so repeated indices accumulate."""
    pos, idx = [], []
    d = 0
    for k in key:
        if isinstance(k, slice):
            d += 1
        elif k.dtype == np.bool_:
            pos.extend(range(d, d + k.ndim))
            idx.extend(xp.nonzero(k))
            d += k.ndim
        else:
            pos.append(d)
            idx.append(k)
            d += 1
    lin, stride = 0, 1
    for p, i in zip(reversed(pos), reversed(idx)):
        n = shape[p]
        i = i.astype(_INT64)
        lin = lin + xp.where(i < 0, i + n, i) * stride
        stride *= n
    lin = xp.asarray(lin, dtype=_INT64)
    nb = lin.ndim
    if pos == list(range(pos[0], pos[0] + len(pos))) and pos[0] > 0 and nb:
        g = xp.moveaxis(g, tuple(range(pos[0], pos[0] + nb)), tuple(range(nb)))
    taken = set(pos)
    rest = [e for e in range(len(shape)) if e not in taken]
    rest_sizes = tuple(shape[e] for e in rest)
    width = math.prod(rest_sizes)
    out = xp.zeros((stride, width), dtype=g.dtype)
    rows = lin.reshape(-1)
    if width == 1:
        flat_pos = rows
    else:
        flat_pos = (rows[:, None] * width + xp.arange(width, dtype=_INT64)).reshape(-1)
    _add_at(xp, out.reshape(-1), flat_pos, g.reshape(-1))
    out = out.reshape(tuple(shape[p] for p in pos) + rest_sizes)
    order = pos + rest
    if order != sorted(order):
        out = out.transpose(tuple(int(i) for i in np.argsort(order)))
    return out


# ---------------------------------------------------------------------------- parsing keys
class _Key:
    """A parsed ``x[key]``, applied in two steps as PyTorch does: ``basic`` (ints, slices,
    None; gives a view; None when it would be the identity), then ``advanced`` (index
    arrays and masks on that view; None when there are none)."""

    __slots__ = ("basic", "advanced")


def _write_key(array, k: _Key, value) -> None:
    """``array[key] = value`` (through the basic view, so ``array`` itself changes)."""
    if k.advanced is None:
        array[k.basic] = value
    else:
        (array if k.basic is None else array[k.basic])[k.advanced] = value


def _slice(s: slice) -> slice:
    start, stop, step = s.start, s.stop, s.step
    if step is not None:
        step = operator.index(step)
        if step <= 0:
            raise ValueError("slice step cannot be zero" if step == 0
                             else "step must be greater than zero")
    if type(start) is not int and start is not None:
        start = operator.index(start)
    if type(stop) is not int and stop is not None:
        stop = operator.index(stop)
    return slice(start, stop, step)


def _index_array(item, x: Tensor):
    """An index tensor/list/array as a token ('mask' | 'array' | 'bool' | 'int', value), its
    array on x's device (a CPU index for a device tensor is copied over)."""
    if isinstance(item, Tensor):
        array = item._data
        if type(array) is not type(x._data):
            if not _is_numpy(array):
                raise RuntimeError(f"indices should be either on cpu or on the same device as "
                                   f"the indexed tensor ({x.device})")
            array = backend_of(x._data).from_numpy(array, x.device.index)
    else:
        if isinstance(item, (list, tuple)) and any(isinstance(e, Tensor) for e in item):
            item = [e._host() if isinstance(e, Tensor) else e for e in item]
        host = np.asarray(item)
        if host.dtype.kind not in "biu":
            if host.size:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 f"tensors (got an index of dtype {host.dtype})")
            host = host.astype(_INT64)
        array = host if _is_numpy(x._data) else backend_of(x._data).from_numpy(
            host, x.device.index)
    kind = array.dtype.kind
    if kind == "b":
        return ("bool", bool(array)) if array.ndim == 0 else ("mask", array)
    if kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors "
                         f"(got {item.dtype if isinstance(item, Tensor) else array.dtype})")
    if array.ndim == 0:  # a 0-d integer index selects, like an int
        return "int", int(array)
    return "array", array


def _token(item, x: Tensor):
    if item is None:
        return ("none",)
    if item is Ellipsis:
        return ("ellipsis",)
    t = type(item)
    if t is int:
        return "int", item
    if t is slice:
        return "slice", _slice(item)
    if t is bool or t is np.bool_:
        return "bool", bool(item)
    if isinstance(item, (Tensor, list, tuple, np.ndarray)):
        return _index_array(item, x)
    if isinstance(item, np.integer) or hasattr(item, "__index__"):
        return "int", operator.index(item)
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                     f"tensors are valid indices (got {type(item).__name__})")


def _parse_simple(shape: tuple, items: tuple) -> _Key | None:
    """The common case, ints and slices only, parsed quickly (None: use `_parse`)."""
    if len(items) > len(shape):
        return None
    out = []
    for d, item in enumerate(items):
        t = type(item)
        if t is int:
            n = shape[d]
            if not -n <= item < n:
                raise IndexError(f"index {item} is out of bounds for dimension {d} with size {n}")
            out.append(item)
        elif t is slice:
            out.append(item if item.step is None and type(item.start) in _PLAIN
                       and type(item.stop) in _PLAIN else _slice(item))
        else:
            return None
    k = _Key()
    k.basic = (*out, Ellipsis)
    k.advanced = None
    return k


_PLAIN = (int, type(None))


def _parse(x: Tensor, key) -> _Key:
    shape = x._data.shape
    items = key if type(key) is tuple else (key,)
    simple = _parse_simple(shape, items)
    if simple is not None:
        return simple
    ndim = len(shape)
    tokens = [_token(item, x) for item in items]
    consumed, ellipses, advanced = 0, 0, False
    for tok in tokens:
        kind = tok[0]
        if kind in ("int", "slice"):
            consumed += 1
        elif kind == "array":
            consumed += 1
            advanced = True
        elif kind == "mask":
            consumed += tok[1].ndim
            advanced = True
        elif kind == "ellipsis":
            ellipses += 1
        elif kind == "bool" and not tok[1]:
            advanced = True
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv = [], []
    d = 0
    for tok in tokens:
        kind = tok[0]
        if kind == "slice":
            basic.append(tok[1])
            adv.append(_FULL)
            d += 1
        elif kind == "int":  # always a basic step (a select), as in PyTorch
            i, n = tok[1], shape[d]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
            basic.append(i)
            d += 1
        elif kind == "none" or kind == "bool":
            basic.append(None)
            adv.append(_FULL if kind == "none" or tok[1] else
                       backend_of(x._data).xp.zeros(0, dtype=_INT64))
        elif kind == "ellipsis":
            k = ndim - consumed
            basic.extend([_FULL] * k)
            adv.extend([_FULL] * k)
            d += k
        elif kind == "array":
            a, n = tok[1], shape[d]
            if a.size and _is_numpy(a):
                lo, hi = int(a.min()), int(a.max())
                if hi >= n or lo < -n:
                    bad = hi if hi >= n else lo
                    raise IndexError(f"index {bad} is out of bounds for dimension {d} with "
                                     f"size {n}")
            basic.append(_FULL)
            adv.append(a)
            d += 1
        else:  # mask
            m = tok[1]
            for j, size in enumerate(m.shape):
                if size != shape[d + j]:
                    raise IndexError(f"The shape of the mask {list(m.shape)} at index {j} does "
                                     f"not match the shape of the indexed tensor {list(shape)} "
                                     f"at index {d + j}")
            basic.extend([_FULL] * m.ndim)
            adv.append(m)
            d += m.ndim
    k = _Key()
    if advanced:
        trivial = all(b is _FULL or b == _FULL for b in basic)
        k.basic = None if trivial else (*basic, Ellipsis)
        k.advanced = tuple(adv)
    else:
        k.basic = (*basic, Ellipsis)
        k.advanced = None
    return k


# ---------------------------------------------------------------------------- x[key]
class Slice(Function):
    """``x[key]`` for a basic key: a view."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return SliceScatter.apply(grad, ctx.key, ctx._input_meta[0][0]), None


class SliceScatter(Function):
    """zeros(shape) with ``g`` written at a basic key (the backward of `Slice`)."""

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        out[key] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return Slice.apply(grad, ctx.key), None, None


class Index(Function):
    """``x[key]`` for an advanced key (index arrays, masks): a copy."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return IndexAccumulate.apply(grad, ctx.key, ctx._input_meta[0][0]), None


class IndexAccumulate(Function):
    """zeros(shape) with ``g`` added at an advanced key (the backward of `Index`)."""

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        return _accumulate_at(ctx.xp, g, key, shape)

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, ctx.key), None, None


def _index_get(t: Tensor, k: _Key) -> Tensor:
    if k.advanced is None:
        return Slice.apply(t, k.basic)
    y = t if k.basic is None else Slice.apply(t, k.basic)
    return Index.apply(y, k.advanced)


def _getitem(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for ints/slices/None/..., a copy for index tensors and masks."""
    k = _parse(self, key)
    if k.advanced is None:
        return _share_version(Slice.apply(self, k.basic), self)
    return _index_get(self, k)


# ---------------------------------------------------------------------------- x[key] = v
class IndexPut(Function):
    """A copy of ``x`` with ``value`` written at ``key`` (out of place)."""

    @staticmethod
    def forward(ctx, x, value, k):
        ctx.k = k
        out = x.copy()
        _write_key(out, k, value)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = IndexPut.apply(grad, 0, ctx.k) if need_x else None
        gv = None
        if need_v:
            gv = _reduce_to(_index_get(grad, ctx.k), ctx._input_meta[1][0])
        return gx, gv, None


def _reduce_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum a gradient to a broadcast value's shape (which may have extra leading 1s)."""
    lead = len(shape) - g._data.ndim
    target = shape[lead:] if lead > 0 else shape
    g = sum_to(g, target)
    return g.reshape(shape) if lead > 0 else g


def _put_value(self: Tensor, value):
    """``value`` as a Python number or a tensor of ``self``'s dtype and device."""
    if not isinstance(value, Tensor):
        s = scalar_value(value)
        if s is not None:
            return s
        from ..factories import as_tensor

        return as_tensor(value, dtype=self.dtype, device=self.device)
    if type(value._data) is not type(self._data) and value._data.ndim == 0:
        return value.item()
    if value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    return value


def _index_put(self: Tensor, k: _Key, value) -> Tensor:
    return IndexPut.apply(self, value, k)


def _fast_put(array, k: _Key, value) -> None:
    _write_key(array, k, value)


def _setitem(self: Tensor, key, value) -> None:
    """``self[key] = value`` in place (recorded in the graph when gradients are needed)."""
    k = _parse(self, key)
    value = _put_value(self, value)
    try:
        apply_inplace(self, _index_put, k, value, op_name="index_put_", fast=_fast_put)
    except ValueError:  # NumPy/CuPy could not broadcast the value
        target = self._data if k.basic is None else self._data[k.basic]
        target = target if k.advanced is None else target[k.advanced]
        got = list(value.shape) if isinstance(value, Tensor) else []
        raise RuntimeError(f"shape mismatch: value tensor of shape {got} cannot be broadcast "
                           f"to indexing result of shape {list(target.shape)}") from None


# ---------------------------------------------------------------------------- gather/scatter
def _check_index(input: Tensor, dim, index, op: str, src: Tensor | None = None) -> int:
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
    if array.size and _is_numpy(array):
        lo, hi, n = int(array.min()), int(array.max()), shape[d]
        if lo < 0 or hi >= n:
            raise RuntimeError(f"index {hi if hi >= n else lo} is out of bounds for dimension "
                               f"{d} with size {n}")
    return d


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
        (index,) = ctx.saved_tensors
        zeros = grad.new_zeros(ctx._input_meta[0][0])
        return ScatterAdd.apply(zeros, ctx.dim, index, grad), None, None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Pick ``input`` values along ``dim`` at ``index`` (same number of dimensions)."""
    if input._data.ndim == 0:
        x1, i1 = _as_1d(input, index)
        return gather(x1, dim, i1).reshape(index.shape)
    d = _check_index(input, dim, index, "gather")
    return Gather.apply(input, d, index)


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """``g`` in the leading corner of zeros(shape) (src larger than index in scatter)."""
    if g._data.shape == tuple(shape):
        return g
    return SliceScatter.apply(g, _crop(g._data.shape) + (Ellipsis,), tuple(shape))


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
        (index,) = ctx.saved_tensors
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gs = Gather.apply(grad, ctx.dim, index) if need_src else None
        return (grad if need_x else None), None, None, (
            _pad_to(gs, ctx._input_meta[3][0]) if need_src else None)


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
        (index,) = ctx.saved_tensors
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gx = Scatter.apply(grad, ctx.dim, index, 0) if need_x else None
        gs = None
        if need_src:
            gs = _pad_to(Gather.apply(grad, ctx.dim, index), ctx._input_meta[3][0])
        return gx, None, None, gs


class ScatterMultiply(Function):
    """``scatter(..., reduce='multiply')``: forward only, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x.copy()
        lin = _positions(ctx.xp, x.shape, dim, index).reshape(-1)
        values = src[_crop(index.shape)].reshape(-1) if hasattr(src, "shape") else src
        ctx.xp.multiply.at(out.reshape(-1), lin, values)
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
    d = _check_index(input, dim, index, "scatter", src if isinstance(src, Tensor) else None)
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
    d = _check_index(input, dim, index, "scatter_add", src)
    return ScatterAdd.apply(input, d, index, src)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """`gather` after broadcasting ``input`` and ``indices`` in all dimensions but ``dim``;
    with ``dim=None``, indices into the flattened input."""
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
    return gather(broadcast_to(input, target_x), d, broadcast_to(indices, target_i))


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
    if array.size and _is_numpy(array):
        lo, hi = int(array.min()), int(array.max())
        if lo < 0 or hi >= n:
            raise IndexError(f"index out of range in self ({op}: index "
                             f"{hi if hi >= n else lo} for dimension {d} with size {n})")
    return d, index


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim = dim
        ctx.save_for_backward(index)
        return ctx.xp.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        zeros = grad.new_zeros(ctx._input_meta[0][0])
        return IndexAdd.apply(zeros, ctx.dim, index, grad, 1), None, None


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
        (index,) = ctx.saved_tensors
        need_x, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        gs = None
        if need_src:
            gs = IndexSelect.apply(grad, ctx.dim, index)
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
    _check_source(input, d, index, source, "index_add_")
    return IndexAdd.apply(input, d, index, source, alpha)


def _index_key(input: Tensor, d: int, index: Tensor) -> _Key:
    return _parse(input, (_FULL,) * d + (index,))


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices ``index`` along ``dim`` are ``source``'s."""
    d, index = _check_vector_index(input, dim, index, "index_copy_")
    _check_source(input, d, index, source, "index_copy_")
    return IndexPut.apply(input, source, _index_key(input, d, index))


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value``."""
    d, index = _check_vector_index(input, dim, index, "index_fill_")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    unique = _wrap(backend_of(index._data).xp.unique(index._data))  # each slice filled once
    return IndexPut.apply(input, _put_value(input, value), _index_key(input, d, unique))


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (result has ``index``'s shape)."""
    return input.reshape((-1,))[index]


# ---------------------------------------------------------------------------- masks
def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_mask(mask, op: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): mask must be a Tensor, got {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    return mask


class MaskedFill(Function):
    """``where(mask, value, x)``; the value gets the sum of the gradient where mask is set."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        fill = value.astype(x.dtype) if hasattr(value, "dtype") else ctx.xp.asarray(
            value, dtype=x.dtype)
        return ctx.xp.where(mask, fill, x)

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_v = ctx.needs_input_grad
        gx = gv = None
        if need_x:
            gx = sum_to(MaskedFill.apply(grad, _wrap(ctx.mask), 0), ctx._input_meta[0][0])
        if need_v:
            keep = ctx.xp.asarray(ctx.xp.logical_not(ctx.mask))
            gv = MaskedFill.apply(grad, _wrap(keep), 0).sum()
        return gx, None, gv


def _fill_value(input: Tensor, value, op: str):
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if type(value._data) is not type(input._data):
            return value.item()
        return value
    s = scalar_value(value)
    if s is None:
        raise TypeError(f"{op}(): value must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    return s


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (mask broadcasts)."""
    mask = _check_mask(mask, "masked_fill_")
    _broadcast_shape(input._data.shape, mask._data.shape)
    return MaskedFill.apply(input, mask, _fill_value(input, value, "masked_fill_"))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(input._data.shape, mask._data.shape)
    return broadcast_to(input, shape)[broadcast_to(mask, shape)]


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per
    dimension with ``as_tuple=True``. Not differentiable."""
    data = input._data
    xp = backend_of(data).xp
    found = xp.nonzero(data if data.ndim else data.reshape(1))
    if as_tuple:
        return tuple(_wrap(i.astype(_INT64)) for i in found)
    if data.ndim == 0:
        return _wrap(xp.zeros((found[0].size, 0), dtype=_INT64))
    return _wrap(xp.stack(found, axis=1).astype(_INT64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ---------------------------------------------------------------------------- in place
def _fast_masked_fill(array, mask, value) -> None:
    xp = backend_of(array).xp
    xp.copyto(array, xp.asarray(value, dtype=array.dtype), where=mask)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    mask = _check_mask(mask, "masked_fill_")
    shape = _broadcast_shape(self._data.shape, mask._data.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"masked_fill_: output with shape {list(self.shape)} doesn't match "
                           f"the broadcast shape {list(shape)}")
    return apply_inplace(self, masked_fill, mask, _fill_value(self, value, "masked_fill_"),
                         op_name="masked_fill_", fast=_fast_masked_fill)


def _inplace(fn, name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return apply_inplace(self, lambda t, *a: fn(t, *a, **kwargs), *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place `{fn.__name__}`."
    return method


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem
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
Tensor.masked_fill = masked_fill
Tensor.masked_fill_ = masked_fill_
Tensor.masked_select = masked_select
Tensor.nonzero = nonzero
Tensor.argwhere = argwhere

__all__ = ["gather", "scatter", "scatter_add", "take_along_dim", "index_select", "index_add",
           "index_copy", "index_fill", "take", "masked_fill", "masked_select", "nonzero",
           "argwhere"]
