"""Normalisation layers as functions: batch, instance, layer and group normalisation.

Each is one fused node of ``autograd_core.fused`` (see ``autograd_core/ops/fused/norm.py``
for the formulas and the backward rule).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm"]


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel of (N, C, *) inputs.

    ``training=True``: the batch's statistics; the running ones (when given) are updated in
    place, ``running = (1 - momentum) running + momentum batch`` (unbiased variance).
    ``training=False``: the running statistics."""
    return ag.fused.batch_norm(input, running_mean, running_var, weight, bias, training,
                               momentum, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) over its spatial axes."""
    return ag.fused.instance_norm(input, running_mean, running_var, weight, bias,
                                  use_input_stats, momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions, then weight and bias
    (of ``normalized_shape``) elementwise."""
    return ag.fused.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels of each sample over those
    channels and the spatial axes; then weight and bias per channel."""
    return ag.fused.group_norm(input, num_groups, weight, bias, eps)
