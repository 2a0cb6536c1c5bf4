"""Normalisation across neighbouring channels: `LocalResponseNorm` and its legacy form
`CrossMapLRN2d` (AlexNet's "brightness normalisation").

Both divide each activation by a power of the energy of the channels around it:

    y[n, c] = x[n, c] / (k + alpha / size * sum_{c' near c} x[n, c']^2)^beta
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from ..module import Module

__all__ = ["LocalResponseNorm", "CrossMapLRN2d"]


class LocalResponseNorm(Module):
    """Local response normalisation of (N, C, *) inputs over windows of ``size``
    channels, c - size//2 .. c + (size-1)//2."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """The legacy (Lua Torch) cross-channel LRN of (N, C, H, W) inputs: a symmetric window
    c - h .. c + h with h = (size - 1) // 2 (so an even ``size`` uses size - 1 channels).

    As in PyTorch's running-sum implementation, channel 0 stays in the sum of every
    channel c > h (its square is never subtracted), so the values match PyTorch's; the
    gradient is the exact derivative of that forward."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D "
                             f"instead.")
        n, c, h, w = input.shape
        half = (self.size - 1) // 2
        sq = input.square().reshape(n, 1, c, h * w)
        sums = F.avg_pool2d(F.pad(sq, (0, 0, half, half)), (2 * half + 1, 1), 1,
                            divisor_override=1)
        sums = sums.reshape(n, c, h, w)
        if c > half + 1:
            first = sq.reshape(n, c, h, w).narrow(1, 0, 1)
            keeps_first = (ag.arange(c, device=input.device) > half).reshape(1, c, 1, 1)
            sums = sums + first * keeps_first.to(input.dtype)
        scale = sums * (self.alpha / self.size) + self.k
        return input * scale.pow(-self.beta)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
