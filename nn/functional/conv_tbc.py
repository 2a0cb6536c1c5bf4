"""`conv_tbc`: 1-D convolution in the (time, batch, channels) layout of sequence models."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["conv_tbc"]


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """input (T, B, C_in), weight (k, C_in, C_out), bias (C_out,) -> (T + 2 pad - k + 1, B,
    C_out): `conv1d` on the (B, C_in, T) view with the weight as (C_out, C_in, k)."""
    if input.ndim != 3:
        raise RuntimeError(f"Input must have 3 dims: time, batch, in_channel (got shape "
                           f"{list(input.shape)})")
    if weight.ndim != 3:
        raise RuntimeError(f"Weight tensor must have 3 dims: kernel_width, in_channels, "
                           f"out_channels (got shape {list(weight.shape)})")
    if bias.ndim != 1:
        raise RuntimeError(f"Bias must be 1-D (got shape {list(bias.shape)})")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError(f"Input dim 2 (input channels) is not == dim 1 in the weight "
                           f"tensor ({input.shape[2]} != {weight.shape[1]})")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError(f"Bias size must equal dim 2 in the weight tensor (output "
                           f"channels): {bias.shape[0]} != {weight.shape[2]}")
    y = ag.fused.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad, 1, 1)
    return y.permute(2, 0, 1)
