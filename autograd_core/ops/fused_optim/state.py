"""Small helpers for optimiser state: in-place updates of one-element tensors (step
counts, NAdam's μ product) and new zero buffers shaped like a parameter.
"""

from __future__ import annotations

from ..._backend import backend_of
from ...tensor import Tensor, _wrap


def add_scalar_(tensor: Tensor, value: float) -> float:
    """``tensor += value`` for a one-element (step-count) tensor; returns the new value."""
    data = tensor._data
    new = float(data) + value
    data[...] = new
    tensor._version_counter[0] += 1
    return float(data)


def mul_scalar_(tensor: Tensor, value: float) -> float:
    """``tensor *= value`` for a one-element tensor (NAdam's μ product); returns the value."""
    tensor._data[...] *= value
    tensor._version_counter[0] += 1
    return float(tensor._data)


def zeros_like(tensor: Tensor) -> Tensor:
    """New zero state buffer like a parameter (same device, dtype, shape; contiguous)."""
    return _wrap(backend_of(tensor._data).xp.zeros(tensor._data.shape, tensor._data.dtype))
