"""Writing into a region, out of place: select_scatter, slice_scatter, diagonal_scatter,
index_put (and ``index_put_``), put, masked_scatter.

Each is a copy of ``input`` with ``src`` written over one region (or added to it, with
``accumulate=True``). They compose the indexing primitives (``g`` is dL/dout):

    written:      d input = g outside the region, 0 inside      d src = g[region]
    accumulated:  d input = g                                   d src = g[region]
"""

from __future__ import annotations

from ..tensor import Tensor, _normalize_dim, _wrap
from .conversion import clone
from .indexing import IndexAccumulate, _parse
from .reduction import _xp
from .selection import where
from .triangular import DiagEmbed, _diagonal_positions, _two_dims


def _written(input: Tensor, key, src) -> Tensor:
    out = clone(input)
    out[key] = src
    return out


def _check_src(op: str, src: Tensor, expected: tuple) -> None:
    if tuple(src._data.shape) != tuple(expected):
        raise RuntimeError(f"{op}(): expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(expected)}")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``src`` written at ``index`` along ``dim``."""
    d = _normalize_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (int(index),)
    _check_src("select_scatter", src, input._data[key].shape)
    return _written(input, key, src)


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """``input`` with ``src`` written at ``start:end:step`` along ``dim``."""
    d = _normalize_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (slice(start, end, step),)
    _check_src("slice_scatter", src, input._data[key].shape)
    return _written(input, key, src)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """``input`` with ``src`` written on its diagonal ``offset`` over ``dim1``, ``dim2``."""
    d1, d2 = _two_dims(dim1, dim2, input._data.ndim, "diagonal_scatter")
    moved = _xp(input).moveaxis(input._data, (d1, d2), (-2, -1))
    rows, cols = moved.shape[-2:]
    i, j = _diagonal_positions(_xp(input), rows, cols, int(offset))
    _check_src("diagonal_scatter", src, moved[..., i, j].shape)
    mask = _xp(input).zeros((rows, cols), dtype=bool)
    mask[i, j] = True
    placed = DiagEmbed.apply(src, int(offset), rows, cols).movedim((-2, -1), (d1, d2))
    mask = _xp(input).moveaxis(_xp(input).broadcast_to(mask, moved.shape), (-2, -1), (d1, d2))
    return where(_wrap(mask), placed, input)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written (or, with ``accumulate``, added, repeated
    indices adding up) at ``input[indices]``."""
    key = tuple(indices)
    if not accumulate:
        return _written(input, key, values)
    k = _parse(input, key)
    if k.basic is not None:  # (None or slices in the key: index the view, then put back)
        raise NotImplementedError("index_put(accumulate=True) takes index tensors only")
    if not isinstance(values, Tensor):
        values = input.new_tensor(values)
    target = _xp(input).broadcast_to(_xp(input).zeros((), dtype=bool), input._data.shape)
    shape = target[k.advanced].shape
    added = IndexAccumulate.apply(values.to(input.dtype).broadcast_to(shape), k.advanced,
                                  input._data.shape)
    return input + added


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """In-place `index_put`."""
    if not accumulate:
        self[tuple(indices)] = values
        return self
    return self.copy_(index_put(self, indices, values, True))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``source`` written at the flat positions ``index`` (as if 1-d)."""
    if index._data.shape != source._data.shape and index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    flat = input.reshape(-1)
    out = index_put(flat, (index.reshape(-1),), source.reshape(-1), accumulate)
    return out.reshape(input.shape)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the entries where ``mask`` (broadcast) is True replaced, in order, by
    the first entries of ``source``."""
    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    xp = _xp(input)
    shape = tuple(xp.broadcast_shapes(input._data.shape, mask._data.shape))
    base = input if tuple(input.shape) == shape else input.broadcast_to(shape)
    full_mask = _wrap(xp.broadcast_to(mask._data, shape))
    count = int(full_mask._data.sum())
    if count > source.numel():
        raise RuntimeError(f"masked_scatter: expected source to have at least {count} elements "
                           f"(the number of True entries of the mask), got {source.numel()}")
    return _written(base, full_mask, source.reshape(-1)[:count])


# ----------------------------------------------------------------------------- methods
Tensor.select_scatter = select_scatter
Tensor.slice_scatter = slice_scatter
Tensor.diagonal_scatter = diagonal_scatter
Tensor.index_put = index_put
Tensor.index_put_ = index_put_
Tensor.put = put
Tensor.masked_scatter = masked_scatter

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "index_put", "index_put_",
           "put", "masked_scatter"]
