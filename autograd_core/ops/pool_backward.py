"""``max_pool2d_with_indices_backward``: max pooling's gradient as an operation of its own
(as ATen exposes it). Each window's gradient goes to the input position its max came from:

    dx[n, c, p] = sum over windows w with indices[n, c, w] = p of g[n, c, w]

a scatter-add of ``grad_output`` at the flat ``indices`` (which `max_pool2d` returns), so it is
linear and differentiable in ``grad_output``; its derivative in ``input`` is zero, as in PyTorch.
"""

from __future__ import annotations

from ..dtypes import bool_
from ..tensor import Tensor
from .scatter_gather import scatter_add
from .selection import where

__all__: list[str] = []  # (reached as ops.aten.max_pool2d_with_indices_backward, as in PyTorch)


def max_pool2d_with_indices_backward(grad_output: Tensor, input: Tensor, kernel_size, stride,
                                     padding, dilation, ceil_mode: bool,
                                     indices: Tensor) -> Tensor:
    """The gradient of ``max_pool2d`` with respect to ``input``, given ``grad_output`` and the
    ``indices`` of the maxima (flat positions in each (H, W) plane)."""
    if tuple(grad_output.shape) != tuple(indices.shape):
        raise RuntimeError(f"max_pool2d_with_indices_backward: grad_output of shape "
                           f"{list(grad_output.shape)} and indices of shape "
                           f"{list(indices.shape)} must match")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"max_pool2d_with_indices_backward: expected a 3-d or 4-d input, got "
                           f"shape {list(input.shape)}")
    lead = tuple(input.shape[:-2])
    planes = input.new_zeros(lead + (input.shape[-2] * input.shape[-1],))
    g = grad_output.reshape(lead + (-1,)).to(input.dtype)
    flat = scatter_add(planes, input.ndim - 2, indices.reshape(lead + (-1,)), g)
    out = flat.reshape(input.shape)
    # (attached to ``input`` with a zero derivative, as PyTorch's is)
    return where(input.new_zeros((), dtype=bool_), input, out)
