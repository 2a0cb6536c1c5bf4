"""Normalisation layers as functions: batch, instance, layer and group normalisation.

Each is one fused node of ``autograd_core.fused`` (see ``autograd_core/ops/fused/norm.py``
for the formulas and the backward rule).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .misc import pad

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]

# machine epsilon per floating dtype: rms_norm's default eps
_EPS = {"float16": 0.0009765625, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16}


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


def _check_normalized_shape(input: Tensor, normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    return shape


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation (Zhang & Sennrich 2019) over the last
    ``len(normalized_shape)`` dimensions:

        y = x / sqrt(mean(x^2) + eps) * weight

    (layer norm without centring). ``eps=None`` is the machine epsilon of the dtype."""
    shape = _check_normalized_shape(input, normalized_shape)
    if eps is None:
        eps = _EPS.get(str(input.dtype).replace("autograd_core.", ""), 1.1920928955078125e-07)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels (Krizhevsky et al. 2012):

        y[n, c] = x[n, c] / (k + alpha / size * sum_{c' in window(c)} x[n, c']^2)^beta

    with a window of ``size`` channels, c - size//2 .. c + (size-1)//2, zero beyond the
    edges. The channel sums are an average pooling of x^2 over the channel axis."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    sq = input.square().reshape(n, 1, c, -1)
    sq = ag.fused.avg_pool2d(pad(sq, (0, 0, size // 2, (size - 1) // 2)), (size, 1), 1)
    div = (sq.reshape(tuple(input.shape)) * alpha + k).pow(beta)
    return input / div
