"""Searching and set membership: unique, unique_consecutive, searchsorted, bucketize, isin.

All return indices, counts or distinct values and are not differentiable (as in PyTorch).
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor, _normalize_dim, _wrap
from .reduction import _xp

_INT64 = _dt.int64.numpy


def _unique_results(values, inverse, counts, return_inverse: bool, return_counts: bool):
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.astype(_INT64)))
    if return_counts:
        out.append(_wrap(counts.astype(_INT64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct values (sorted), and optionally where each input entry went
    (``inverse``) and how often each value occurs (``counts``); with ``dim``, distinct
    slices along it."""
    xp = _xp(input)
    x = input._data
    if dim is None:
        values, inverse, counts = xp.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(x.shape)
    else:
        d = _normalize_dim(dim, x.ndim)
        values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None):
    """Collapse each run of equal consecutive values (or slices along ``dim``) to one."""
    xp = _xp(input)
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        change = flat[1:] != flat[:-1]
    else:
        d = _normalize_dim(dim, x.ndim)
        flat = xp.moveaxis(x, d, 0)
        change = (flat[1:] != flat[:-1]).reshape(max(flat.shape[0] - 1, 0), -1).any(axis=1)
    n = flat.shape[0]
    starts = xp.concatenate([xp.ones(min(n, 1), dtype=bool), change])
    first = xp.nonzero(starts)[0]
    values = flat[first]
    if dim is not None:
        values = xp.moveaxis(values, 0, d)
    inverse = xp.cumsum(starts) - 1
    if dim is None:
        inverse = inverse.reshape(x.shape)
    counts = xp.diff(xp.concatenate([first, xp.asarray([n], dtype=first.dtype)]))
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None):
    """Where ``input`` would be inserted in the innermost dim of ``sorted_sequence`` to keep
    it sorted (the first such place, or the last with ``right=True``/``side='right'``)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    xp = _xp(sorted_sequence)
    seq = sorted_sequence._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input, dtype=seq.dtype) if scalar else input._data
    which = "right" if right else "left"
    if seq.ndim <= 1:
        out = xp.searchsorted(seq, values, side=which)
    else:
        if values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               f"the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(values.shape)}")
        rows_seq = seq.reshape(-1, seq.shape[-1])
        rows_val = values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=which)
                        for s, v in zip(rows_seq, rows_val)]).reshape(values.shape)
    return _wrap(xp.asarray(out).astype(_dt.int32.numpy if out_int32 else _INT64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among the sorted 1-d ``boundaries``."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """True where an entry of ``elements`` occurs in ``test_elements``."""
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = _xp(like)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _wrap(xp.asarray(xp.isin(a, b, invert=invert)))


Tensor.unique = unique
Tensor.unique_consecutive = unique_consecutive
Tensor.isin = isin

__all__ = ["unique", "unique_consecutive", "searchsorted", "bucketize", "isin"]
