"""Power-average pooling (plays ``lp_pool1d/2d/3d`` of ``torch.nn.functional``):

    y = (sum_{window} x^p)^(1/p)

computed as (K * mean_{window} x^p)^(1/p) with K the window's size, from the average
pooling nodes. p = 1 is sum pooling, p -> inf max pooling (of |x|), as in PyTorch.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from .pooling3d import avg_pool3d, max_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _tuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value) * n if len(value) == 1 else tuple(value)
    return (value,) * n


def _lp(input: Tensor, norm_type: float, kernel_size, stride, ceil_mode: bool, dims: int,
        avg, max_pool) -> Tensor:
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    window = math.prod(_tuple(kernel_size, dims))
    out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu() * window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over windows of (N, C, L))^(1/p)."""
    return _lp(input, norm_type, kernel_size, stride, ceil_mode, 1, ag.fused.avg_pool1d,
               ag.fused.max_pool1d)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over windows of (N, C, H, W))^(1/p)."""
    return _lp(input, norm_type, kernel_size, stride, ceil_mode, 2, ag.fused.avg_pool2d,
               ag.fused.max_pool2d)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over windows of (N, C, D, H, W))^(1/p)."""
    return _lp(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d, max_pool3d)
