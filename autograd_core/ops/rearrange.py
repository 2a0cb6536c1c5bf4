"""Rearranging entries along dims: rot90, diff, repeat_interleave.

Compositions of views, `flip`, `narrow`, `cat` and `index_select`, so their gradients come
from those rules (``g`` is dL/dout):

    diff(x)_i = x_{i+1} - x_i             dx_i = g_{i-1} - g_i   (zero-padded at the ends)
    repeat_interleave(x, r)               dx_i = sum of g over the r_i copies of x_i
"""

from __future__ import annotations

from ..tensor import Tensor, _normalize_dim, _wrap
from .joining import cat, narrow
from .reduction import _xp
from .reorder import flip


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim
    towards the second."""
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _normalize_dim(dims[0], nd), _normalize_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k = k % 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after joining ``prepend``/``append``."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _normalize_dim(dim, input._data.ndim)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    boolean = x._data.dtype.kind == "b"
    for _ in range(n):
        size = x._data.shape[d]
        if size == 0:
            break
        hi, lo = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = hi.logical_xor(lo) if boolean else hi - lo
    return x


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each entry repeated ``repeats`` times (an int, or one count per entry) along ``dim``
    (of the flattened tensor when None). ``repeat_interleave(counts)`` alone gives
    ``0`` counts[0] times, ``1`` counts[1] times, ..."""
    xp = _xp(input)
    if repeats is None:  # the indices form
        counts = input._data
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-d integer tensor, got "
                               f"shape {list(input.shape)} and dtype {input.dtype}")
        return _wrap(xp.repeat(xp.arange(counts.shape[0], dtype="int64"), counts))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _normalize_dim(dim, max(input._data.ndim, 1))
        if input._data.ndim == 0:
            input = input.reshape(1)
    n = input._data.shape[d]
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.ndim == 0 or counts.shape == (1,):
            counts = counts.reshape(())
        elif counts.shape != (n,):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {n}")
    else:
        counts = int(repeats)
    if (counts < 0).any() if hasattr(counts, "any") else counts < 0:
        raise RuntimeError("repeats can not be negative")
    index = xp.repeat(xp.arange(n, dtype="int64"), counts)
    return input.index_select(d, _wrap(index))


# ----------------------------------------------------------------------------- methods
Tensor.rot90 = rot90
Tensor.diff = diff
Tensor.repeat_interleave = repeat_interleave

__all__ = ["rot90", "diff", "repeat_interleave"]
