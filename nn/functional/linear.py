"""Affine maps: `linear` (one fused node) and `bilinear` (one Einstein sum)."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b over the last dimension of ``input`` (shape (..., in_features)).

    Backward: dx = g W, dW = g^T x, db = sum g (over all leading dimensions)."""
    return ag.fused.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for x1 (..., in1), x2 (..., in2), A (out, in1, in2).

    One ``einsum`` node, whose backward is again an einsum:
    dx1 = sum_k g_k A_k x2,  dx2 = sum_k g_k A_k^T x1,  dA_k = g_k x1 x2^T."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape "
                           f"{list(weight.shape)}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{list(bias.shape)} but expected [{weight.shape[0]}]")
    out = ag.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
