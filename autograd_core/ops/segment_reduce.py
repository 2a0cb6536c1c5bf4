"""``segment_reduce``: reduce consecutive runs (segments) of ``data`` along ``axis``.

Segment ``j`` holds ``lengths[j]`` elements (or ``offsets[j]`` up to ``offsets[j + 1]``):

    sum_j  = initial + sum(seg_j)           prod_j = initial * prod(seg_j)
    max_j  = max(initial, max(seg_j))       min_j  = min(initial, min(seg_j))
    mean_j = (initial + sum(seg_j)) / |seg_j|

(``initial`` left out when not given); an empty segment is ``initial``, or the reduction's
identity (0, 1, -inf, inf, NaN for the mean). Composed of `narrow`, the reductions and `stack`,
so the gradient is theirs (ties of max/min share it evenly, as ``amax`` does).
"""

from __future__ import annotations

import itertools

from ..tensor import Tensor, _normalize_dim
from .joining import stack
from .selection import maximum, minimum

__all__ = ["segment_reduce", "_segment_reduce"]

_EMPTY = {"sum": 0.0, "prod": 1.0, "max": float("-inf"), "min": float("inf"),
          "mean": float("nan")}


def _one(seg: Tensor, reduce: str, initial):
    n = seg.shape[0]
    if n == 0:
        value = _EMPTY[reduce] if initial is None else initial
        return seg.new_full(tuple(seg.shape[1:]), value)
    if reduce == "sum":
        out = seg.sum(0)
        return out if initial is None else out + initial
    if reduce == "prod":
        out = seg.prod(0)
        return out if initial is None else out * initial
    if reduce == "mean":
        out = seg.sum(0)
        return (out if initial is None else out + initial) / n
    out = seg.amax(0) if reduce == "max" else seg.amin(0)
    if initial is None:
        return out
    bound = out.new_full((), initial)
    return maximum(out, bound) if reduce == "max" else minimum(out, bound)


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices=None, offsets: Tensor | None = None, axis: int = 0,
                   unsafe: bool = False, initial=None) -> Tensor:
    """Reduce (``'sum'``, ``'prod'``, ``'mean'``, ``'max'``, ``'min'``) each segment of
    ``data`` along ``axis``; the result has one entry per segment there."""
    if reduce not in _EMPTY:
        raise RuntimeError(f"segment_reduce: unsupported reduction {reduce!r}; use one of "
                           f"{sorted(_EMPTY)}")
    if indices is not None:
        raise NotImplementedError("segment_reduce(indices=...) is not supported; pass lengths= "
                                  "or offsets=")
    if (lengths is None) == (offsets is None):
        raise RuntimeError("segment_reduce: give exactly one of lengths= and offsets=")
    ax = _normalize_dim(axis, data.ndim)
    if lengths is None:
        lengths = offsets[..., 1:] - offsets[..., :-1]
    lens = lengths.tolist()
    lead = tuple(data.shape[:ax])
    if tuple(lengths.shape[:-1]) != lead:
        raise RuntimeError(f"segment_reduce: lengths of shape {list(lengths.shape)} must have "
                           f"data's leading dims {list(lead)} before its segment dim")
    rows = []
    for idx in itertools.product(*[range(n) for n in lead]):
        row = data[idx] if idx else data
        counts = lens
        for k in idx:
            counts = counts[k]
        if any(c < 0 for c in counts) or (not unsafe and sum(counts) != row.shape[0]):
            raise RuntimeError(f"segment_reduce: expected the lengths {counts} (all >= 0) to "
                               f"sum to the size {row.shape[0]} of data along axis {axis}")
        start, out = 0, []
        for c in counts:
            out.append(_one(row.narrow(0, start, c), reduce, initial))
            start += c
        rows.append(stack(out, 0) if out else row.new_zeros((0,) + tuple(row.shape[1:])))
    if not lead:
        return rows[0]
    return stack(rows, 0).reshape(lead + tuple(rows[0].shape))


_segment_reduce = segment_reduce
