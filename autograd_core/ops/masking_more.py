"""Two mask-like queries: ``isreal`` and ``nonzero_static`` (neither is differentiable).

``isreal(x)`` is True where the imaginary part is 0: every element of a real tensor.
``nonzero_static(x, size=k)`` is `nonzero` cut or padded with ``fill_value`` to exactly ``k``
rows, so its shape does not depend on the values.
"""

from __future__ import annotations

from ..tensor import Tensor, _wrap
from .masking import nonzero
from .reduction import _xp


def isreal(input: Tensor) -> Tensor:
    """True where ``input`` has no imaginary part (everywhere, for real dtypes)."""
    xp = _xp(input)
    return _wrap(xp.ones(input._data.shape, dtype=bool))


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """The first ``size`` rows of ``nonzero(input)``, padded with ``fill_value`` rows."""
    size = int(size)
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    found = nonzero(input)._data[:size]
    xp = _xp(input)
    pad = xp.full((size - found.shape[0], found.shape[1]), fill_value, dtype=found.dtype)
    return _wrap(xp.concatenate([found, pad], axis=0))


Tensor.isreal = isreal
Tensor.nonzero_static = nonzero_static

__all__ = ["isreal", "nonzero_static"]
