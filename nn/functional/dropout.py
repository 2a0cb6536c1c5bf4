"""Dropout as functions: zero elements (or whole channels) during training, scaled by
1 / (1 - p) so that evaluation needs no change. The mask comes from the library's seeded
generator: ``autograd_core.manual_seed`` reproduces it."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` (only when ``training``)."""
    return ag.fused.dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    return ag.fused.dropout1d(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs with probability ``p``.

    A 3-D input is one unbatched image (C, H, W), as ``Dropout2d``'s documentation says."""
    return ag.fused.dropout2d(input, p, training, inplace)
