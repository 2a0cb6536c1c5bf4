"""Convolutions as functions (plays the convolution part of ``torch.nn.functional``).

Each call is one node of the graph: ``autograd_core.fused`` lays the input patches out as
columns (im2col) and does one batched matrix product; the backward rules are convolutions
again (see `autograd_core.ops.fused.conv`).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C_in, L) with weight (C_out, C_in/groups, k).

    ``padding``: int, 1-tuple, ``'valid'`` or ``'same'``.
    """
    return ag.fused.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C_in, H, W) with weight
    (C_out, C_in/groups, kh, kw):

        y[n, o] = b[o] + sum_{c, i, j} W[o, c, i, j] x_pad[n, c, s*h + d*i, s*w + d*j]

    ``padding``: int, pair, ``'valid'`` or ``'same'``.
    """
    return ag.fused.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) with weight (C_in, C_out/groups, k)."""
    return ag.fused.conv_transpose1d(input, weight, bias, stride, padding, output_padding,
                                     groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution") of (N, C_in, H, W) with weight
    (C_in, C_out/groups, kh, kw): the gradient of `conv2d` with respect to its input, used
    to upsample in GAN generators and decoders. Output size per axis:
    (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    return ag.fused.conv_transpose2d(input, weight, bias, stride, padding, output_padding,
                                     groups, dilation)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks as columns: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    return ag.fused.unfold(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns back to an image, summing overlaps: (N, C*kh*kw, L) -> (N, C, H, W)."""
    return ag.fused.fold(input, output_size, kernel_size, dilation, padding, stride)
