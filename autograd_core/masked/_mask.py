"""What every masked operation shares: the canonical mask, the canonical dims, and the
*identity* of a reduction, the value that masked-out elements take so that they change
nothing (0 for a sum, 1 for a product, -inf for a max, NaN for nanmedian, ...).

``op(input, mask=m)`` is then ``op(where(m, input, identity))``: `where` sends the gradient
of the kept elements through and gives the masked-out ones exactly zero, so the masked ops
are differentiable by composition, with the gradients of the unmasked ones.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import bool_
from ..ops._broadcast import broadcast_to
from ..ops.selection import where
from ..tensor import Tensor


def canonical_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int, a tuple; ``()`` meaning all) as sorted non-negative dims."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    rank = max(ndim, 1)
    dims: list[int] = []
    for d in ((dim,) if isinstance(dim, int) else tuple(dim)):
        if not -rank <= d < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                             f"{rank - 1}], but got {d}); the input has {ndim} dimensions")
        if d % rank in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims "
                               f"{tuple(dim)}; name each dimension once")
        dims.append(d % rank)
    return tuple(sorted(dims))


def reduce_dims(dims: tuple[int, ...], ndim: int):
    """The ``dim`` argument for a reduction over ``dims`` (None: every dim, also of a 0-d
    tensor)."""
    return None if ndim == 0 or len(dims) == ndim else dims


def input_mask(input: Tensor, mask: Tensor) -> Tensor:
    """The mask broadcast to the input's shape, as bool."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"mask must be a Tensor (bool), got {type(mask).__name__}")
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise IndexError(f"the mask must broadcast to the input: mask of shape "
                             f"{list(mask.shape)} has more dimensions than the input of shape "
                             f"{list(input.shape)}")
        mask = broadcast_to(mask, tuple(input.shape))
    return mask if mask.dtype == bool_ else mask.to(bool_)


def identity(op: str, dtype, ord=2.0):
    """The value masked-out elements take for the reduction ``op`` on ``dtype``."""
    floating = dtype.is_floating_point
    if op == "norm":  # the norm of order -inf is a min of |x|; every other one ignores 0
        return float("inf") if ord == float("-inf") else 0
    if op == "sum":
        return 0
    if op == "prod":
        return 1
    if op in ("amax", "logsumexp"):
        return float("-inf") if floating else int(np.iinfo(dtype.numpy).min)
    if op == "amin":
        return float("inf") if floating else int(np.iinfo(dtype.numpy).max)
    if op == "median":
        return float("nan")
    raise ValueError(f"no identity for the masked reduction {op!r}")


def combine(op: str, input: Tensor, mask: Tensor | None, ord=2.0) -> Tensor:
    """``where(mask, input, identity(op))``, or the input itself when there is no mask."""
    if mask is None:
        return input
    return where(input_mask(input, mask), input, identity(op, input.dtype, ord))
