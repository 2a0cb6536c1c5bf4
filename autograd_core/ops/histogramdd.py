"""``histogramdd``: counts of D-dimensional points in a grid of bins (not differentiable).

``input`` holds points in its last dim (shape (..., D)); ``bins`` is one count for every
dim, a count per dim, or the edges per dim. Without ``range`` each dim spans its data's
[min, max] (widened by 1/2 on each side when they are equal); ``range`` is the flat list
``[min_0, max_0, min_1, max_1, ...]``. ``weight`` sums weights instead of counting;
``density`` divides by the total and the bin volume, so the histogram integrates to 1.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

from ..tensor import Tensor, _wrap
from .reduction import _xp

__all__ = ["histogramdd"]

histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def _edges(xp, column, bins, lo_hi, dtype):
    if isinstance(bins, Tensor):
        return bins._data.astype(dtype)
    n = int(bins)
    if n < 1:
        raise RuntimeError(f"torch.histogramdd(): bins must be > 0, but got {n}")
    if lo_hi is None:
        lo, hi = (float(column.min()), float(column.max())) if column.size else (0.0, 0.0)
    else:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd(): expected the leftmost edge {lo} to be at "
                               f"most the rightmost edge {hi}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return xp.linspace(lo, hi, n + 1, dtype=dtype)


def histogramdd(input: Tensor, bins=10, *, range=None, weight: Tensor | None = None,  # noqa: A002
                density: bool = False):
    """``(hist, bin_edges)``: the D-dimensional histogram of the points in ``input``'s last
    dim, and the bin edges of each dim."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"torch.histogramdd: input tensor should be of a floating point "
                           f"type, got {input.dtype}")
    if input.ndim < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension")
    xp = _xp(input)
    dtype = input._data.dtype
    dims = input.shape[-1]
    points = input._data.reshape(-1, dims)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * dims
    if len(per_dim) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for a "
                           f"{dims}-dimensional histogram but got {len(per_dim)}")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram, range "
                           f"should have {2 * dims} elements, but got {len(range)}")
    edges = [_edges(xp, points[:, d], per_dim[d],
                    None if range is None else range[2 * d:2 * d + 2], dtype)
             for d in builtins.range(dims)]
    keep = xp.ones(points.shape[0], dtype=bool)
    flat = xp.zeros(points.shape[0], dtype="int64")
    for d, e in enumerate(edges):  # bin i of dim d holds e[i] <= v < e[i+1] (last: v <= e[-1])
        v = points[:, d]
        keep &= (v >= e[0]) & (v <= e[-1])
        pos = xp.searchsorted(e, v, side="right") - 1
        pos = xp.clip(pos, 0, max(e.shape[0] - 2, 0))
        flat = flat * (e.shape[0] - 1) + pos
    shape = tuple(e.shape[0] - 1 for e in edges)
    w = xp.ones(points.shape[0], dtype="float64") if weight is None else \
        weight._data.reshape(-1).astype("float64")
    size = 1
    for n in shape:
        size *= n
    hist = xp.bincount(flat[keep], weights=w[keep], minlength=size)[:size].reshape(shape)
    if density:
        volume = xp.ones(shape, dtype="float64")
        for d, e in enumerate(edges):
            widths = xp.diff(e.astype("float64")).reshape(
                tuple(-1 if k == d else 1 for k in builtins.range(len(edges))))
            volume = volume * widths
        hist = hist / hist.sum() / volume
    return histogramdd_result(_wrap(hist.astype(dtype)), tuple(_wrap(e) for e in edges))

