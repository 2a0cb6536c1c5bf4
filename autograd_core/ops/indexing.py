"""Indexing: ``x[key]`` and ``x[key] = v``.

Reading ``y = x[key]`` (``g`` is dL/dy):

    basic key (ints, slices, None, ...)     y is a view of x    dL/dx = zeros, g written at key
    advanced key (index tensors, masks)     y is a copy         dL/dx = zeros, g *added* at key

so an element picked twice (``x[[0, 0]]``) receives both gradients. Writing:

    x[key] = v                  dL/dx_old = g with zeros at key    dL/dv = sum_to(g[key], v.shape)

Each backward is itself made of these ops, so second derivatives work too. The key parser
and the scatter-add helper here are shared with `scatter_gather` and `masking`.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from .._backend import backend_of
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor
from ._inplace import apply_inplace
from ._operands import scalar_value
from .shape import _share_version

_INT64 = np.int64
_FULL = slice(None)


# ---------------------------------------------------------------------------- array helpers
def _out_of_bounds(cls, d: int, n: int, op: str = ""):
    """The error for an index outside ``[-n, n)`` (``bad`` is None when the device found it)."""
    where = f" (in {op})" if op else ""

    def error(bad):
        value = "" if bad is None else f" {bad}"
        return cls(f"index{value} is out of bounds for dimension {d} with size {n}{where}")

    return error


def _add_at(xp, flat_out, positions, values) -> None:
    """``flat_out[positions] += values`` where repeated positions accumulate: the backend
    knows its array library's limits (CuPy's ``add.at`` refuses bool and narrow integers)."""
    backend_of(flat_out).add_at(flat_out, positions, values)


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
            if backend_of(array).device_type != "cpu":
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
        array = backend_of(x._data).from_numpy(host, x.device.index)
    if array.dtype == np.uint8:  # PyTorch's legacy byte mask
        warnings.warn("indexing with dtype uint8 is now deprecated, please use a dtype bool "
                      "instead.", UserWarning, stacklevel=3)
        array = array.astype(bool)
    kind = array.dtype.kind
    if kind == "b":
        return ("bool", bool(array)) if array.ndim == 0 else ("mask", array)
    if kind not in "iu" or array.dtype.itemsize < 4:
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
    if t is range:  # x[range(a, b)] is the index list [a, ..., b - 1]
        return _index_array(list(item), x)
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
            a = backend_of(a).check_index_bounds(a, -n, n, _out_of_bounds(IndexError, d, n))
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

    rule = Rule("y = a[idx]", r"y = a[\mathrm{idx}]",
                Input("a", "dy/da = 1 at the selected positions",
                      r"\frac{\partial y_k}{\partial a_{\mathrm{idx}_k}} = 1",
                      "zeros of a's shape with g added at idx", r"\bar a[\mathrm{idx}] \mathrel{+}= g"))

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(SliceScatter, grad, ctx.key, ctx.input_metadata[0][0]), None


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
        return ctx.math.apply(Slice, grad, ctx.key), None, None


class Index(Function):
    """``x[key]`` for an advanced key (index arrays, masks): a copy."""

    rule = Slice.rule

    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(IndexAccumulate, grad, ctx.key, ctx.input_metadata[0][0]), None


class IndexAccumulate(Function):
    """zeros(shape) with ``g`` added at an advanced key (the backward of `Index`)."""

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        return _accumulate_at(ctx.xp, g, key, shape)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Index, grad, ctx.key), None, None


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
        m, k = ctx.math, ctx.k
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = m.apply(IndexPut, grad, 0, k) if need_x else None
        gv = None
        if need_v:
            gv = grad if k.basic is None else m.apply(Slice, grad, k.basic)
            if k.advanced is not None:
                gv = m.apply(Index, gv, k.advanced)
            # the value broadcast to the indexed shape, maybe with extra leading 1s
            shape = ctx.input_metadata[1][0]
            lead = len(shape) - gv.ndim
            if lead > 0:
                gv = m.sum_to(gv, shape[lead:]).reshape(shape)
        return gx, gv, None


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


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem

__all__: list[str] = []  # methods only: Tensor.__getitem__ / Tensor.__setitem__
