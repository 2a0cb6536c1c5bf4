"""Combining tensors: broadcast_tensors, meshgrid, cartesian_prod, combinations, kron, cross,
cdist.

All compose differentiable primitives (broadcasting, indexing, products, `norm`), so their
gradients come from those rules:

    kron(a, b)[i p + k, j q + l] = a[i, j] b[k, l]
    cross(a, b) = (a_1 b_2 - a_2 b_1, a_2 b_0 - a_0 b_2, a_0 b_1 - a_1 b_0)
    cdist(x, y)[i, j] = || x_i - y_j ||_p          (gradient 0 where the distance is 0)
"""

from __future__ import annotations

import itertools
import warnings

from ..tensor import Tensor, _normalize_dim, _wrap
from ._broadcast import broadcast_to
from .indexing import _broadcast_shape
from .joining import stack
from .norm import norm
from .reduction import _xp


def broadcast_shapes(*shapes) -> tuple:
    """The shape that all ``shapes`` broadcast to."""
    out: tuple = ()
    for s in shapes:
        s = (s,) if isinstance(s, int) else tuple(s)
        try:
            out = _broadcast_shape(out, s)
        except (RuntimeError, ValueError, IndexError):
            raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape; "
                               f"got shapes {[list(x) for x in shapes]}") from None
    from ..tensor import Size

    return Size(out)


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """The tensors broadcast to their common shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = tuple(broadcast_shapes(*(t._data.shape for t in tensors)))
    return tuple(t if t._data.shape == shape else broadcast_to(t, shape) for t in tensors)


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple:
    """Coordinate grids of 1-d (or 0-d) tensors: with ``indexing='ij'`` output ``k`` varies
    along dim ``k``; ``'xy'`` swaps the first two dims (NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                      "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                         f"received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t._data.ndim}D (shape {list(t.shape)})")
    vectors = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v._data.shape[0] for v in vectors)
    n = len(vectors)
    grids = [broadcast_to(v.reshape((1,) * k + (-1,) + (1,) * (n - k - 1)), shape)
             for k, v in enumerate(vectors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All tuples of one entry from each 1-d tensor, one row each (the first varies slowest)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of a 1-d tensor's entries, one row each."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input._data.shape[0]), r)) if r else []
    xp = _xp(input)
    index = _wrap(xp.asarray(rows, dtype="int64").reshape(len(rows), r))
    out = input[index]  # (kept in the graph when empty too)
    return out.reshape(0) if r == 0 else out


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every entry of ``input`` times a whole copy of ``other``."""
    n = max(input._data.ndim, other._data.ndim)
    a = input.reshape((1,) * (n - input._data.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other._data.ndim) + tuple(other.shape))
    # a[i0, 1, i1, 1, ...] * b[1, k0, 1, k1, ...] -> (i0 k0, i1 k1, ...)
    sa, sb = a._data.shape, b._data.shape
    a = a.reshape(tuple(x for s in sa for x in (s, 1)))
    b = b.reshape(tuple(x for s in sb for x in (1, s)))
    return (a * b).reshape(tuple(p * q for p, q in zip(sa, sb)))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
    shape = tuple(broadcast_shapes(input._data.shape, other._data.shape))
    n = len(shape)
    sa = (1,) * (n - input._data.ndim) + tuple(input._data.shape)
    sb = (1,) * (n - other._data.ndim) + tuple(other._data.shape)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross.",
                      UserWarning, stacklevel=2)
        dim = next((k for k in range(n) if sa[k] == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {list(sa)} and "
                               f"{list(sb)})")
    d = _normalize_dim(dim, n)
    if sa[d] != 3 or sb[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{sa[d]} and {sb[d]}")
    a, b = broadcast_tensors(input, other)
    xp = _xp(input)
    nxt, prev = _wrap(xp.asarray([1, 2, 0])), _wrap(xp.asarray([2, 0, 1]))
    return a.index_select(d, nxt) * b.index_select(d, prev) - (
        a.index_select(d, prev) * b.index_select(d, nxt))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise ``p``-norm distances between the rows of ``x1`` (..., P, M) and ``x2``
    (..., R, M): shape (..., P, R)."""
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: "
                           f"{x1._data.ndim}D, X2 got: {x2._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return norm(diff, p=p, dim=-1)


__all__ = ["broadcast_shapes", "broadcast_tensors", "meshgrid", "cartesian_prod",
           "combinations", "kron", "cross", "cdist"]
