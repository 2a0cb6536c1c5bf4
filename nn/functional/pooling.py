"""Pooling and resizing as functions (plays that part of ``torch.nn.functional``).

Each is one fused node of `autograd_core.fused` (see `autograd_core.ops.fused.pool`, `.adaptive_pool` and `.resample`).
"""

from __future__ import annotations

import warnings

import autograd_core as ag
from autograd_core import Tensor

from ._output_size import check_output_size
from .interpolate import resize_separable

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
    "upsample", "upsample_nearest", "upsample_bilinear",
]


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of (N, C, L); with ``return_indices`` also the argmax positions."""
    if isinstance(input, Tensor) and input.ndim in (2, 3) and 0 in input.shape[-2:]:
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got: {list(input.shape)} (only the "
                           f"batch may be empty)")
    return ag.fused.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of (N, C, H, W) (``stride`` defaults to ``kernel_size``); the
    gradient goes to the (first) maximum of each window."""
    return ag.fused.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of (N, C, L)."""
    return ag.fused.avg_pool1d(input, kernel_size, stride, padding, ceil_mode,
                               count_include_pad)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over windows of (N, C, H, W)."""
    return ag.fused.avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
                               count_include_pad, divisor_override)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) to length ``output_size``."""
    return ag.fused.adaptive_avg_pool1d(input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to ``output_size`` (an int, or a pair whose ``None`` entries keep the
    input's size)."""
    check_output_size(input, output_size)
    return ag.fused.adaptive_avg_pool2d(input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) to length ``output_size``."""
    return ag.fused.adaptive_max_pool1d(input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to ``output_size``."""
    check_output_size(input, output_size)
    return ag.fused.adaptive_max_pool2d(input, output_size, return_indices)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize to ``size`` or by ``scale_factor``: modes 'nearest', 'nearest-exact', 'linear'
    (3-D input), 'bilinear' and 'bicubic' (4-D input), 'trilinear' (5-D input) and 'area'.

    Bicubic, trilinear and all 5-D resizes run axis by axis (`nn.functional.interpolate`)."""
    if mode in ("bicubic", "trilinear") or (isinstance(input, Tensor) and input.ndim == 5
                                            and mode in ("nearest", "nearest-exact", "area")):
        if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
        return resize_separable(input, size, scale_factor, mode, align_corners,
                                recompute_scale_factor, antialias)
    return ag.fused.interpolate(input, size, scale_factor, mode, align_corners,
                                recompute_scale_factor, antialias)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of `interpolate` (kept for old scripts)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
