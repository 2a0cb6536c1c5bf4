"""Negative log-likelihood losses of count and real-valued targets (plays
``poisson_nll_loss`` and ``gaussian_nll_loss`` of ``torch.nn.functional``):

    poisson   exp(x) - t x              (x = log rate; or rate - t log(rate + eps))
    gaussian  (log var + (x - t)^2 / var) / 2

Compositions of Tensor operations; gradients come from the engine.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from .loss import _check_tensors, _legacy_reduction, _reduce

__all__ = ["poisson_nll_loss", "gaussian_nll_loss"]


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of counts t under rate exp(x) (``log_input``) or x,
    without the constant log(t!); ``full`` adds its Stirling approximation
    t log t - t + log(2 pi t) / 2 where t > 1."""
    _check_tensors("poisson_nll_loss", input=input, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = ag.where(big, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ag.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood of targets t under N(x, var):

        loss = (log max(var, eps) + (x - t)^2 / max(var, eps)) / 2   (+ log(2 pi) / 2 if full)

    ``var`` has the input's shape (heteroscedastic), or one axis of size 1 or one axis
    fewer (homoscedastic), or is a float. As in PyTorch, the clamp at ``eps`` does not
    stop the gradient: var receives the gradient taken at the clamped value."""
    _check_tensors("gaussian_nll_loss", input=input, target=target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ag.full_like(input, float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:
            var = var.unsqueeze(-1)
        elif not (len(in_shape) == len(var_shape)
                  and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
            raise ValueError(f"var is of incorrect size: input {list(in_shape)}, var "
                             f"{list(var_shape)} (var must match the input, or have one "
                             f"dimension of size 1, or one dimension fewer)")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp_min(eps) - var).detach()  # clamp the value, keep the gradient
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
