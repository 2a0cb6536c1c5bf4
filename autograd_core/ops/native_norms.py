"""The ATen normalisations that return their statistics with the result (what PyTorch's
``torch.native_batch_norm``, ``torch.native_layer_norm``, ``torch.native_group_norm``,
``torch._native_batch_norm_legit`` and ``aten._batch_norm_with_update`` give):

    y = (x - mu) * rstd * w + b,      rstd = 1 / sqrt(sigma^2 + eps)

with mu and sigma^2 (biased) over the normalised dims. The result is ``(y, mu, rstd)``;
batch norm in eval mode normalises with the running statistics and returns empty ones.
In training the running statistics are updated in place (the variance unbiased):

    running <- (1 - momentum) running + momentum statistic

Composed of mean, var and arithmetic, so every gradient is theirs. As in PyTorch, the
statistics of batch and layer norm are returned detached; group norm's require grad (PyTorch's
backward drops their gradients; here they are their derivatives).
"""

from __future__ import annotations

from ..grad_mode import no_grad
from ..tensor import Tensor

# (_batch_norm_with_update is reached as ops.aten._batch_norm_with_update, as in PyTorch)
__all__ = ["native_batch_norm", "_native_batch_norm_legit", "native_layer_norm",
           "native_group_norm"]


def _channel(t: Tensor | None, ndim: int) -> Tensor | None:
    """A per-channel (dim 1) vector shaped to broadcast against an ``ndim``-d input."""
    return None if t is None else t.reshape((1, -1) + (1,) * (ndim - 2))


def _affine(y: Tensor, weight, bias) -> Tensor:
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _check_channels(input: Tensor, name: str, t: Tensor | None) -> None:
    if t is not None and (t.ndim != 1 or t.shape[0] != input.shape[1]):
        raise RuntimeError(f"batch_norm: expected {name} of shape [{input.shape[1]}] (one per "
                           f"channel of the input of shape {list(input.shape)}), got "
                           f"{list(t.shape)}")


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None,
                      training: bool, momentum: float, eps: float) -> tuple:
    """Batch norm over every dim but 1: ``(y, mean, rstd)``; in eval mode with the running
    statistics and empty ``mean``/``rstd``."""
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), "
                           f"got shape {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_channels(input, name, t)
    nd = input.ndim
    w, b = _channel(weight, nd), _channel(bias, nd)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                               "evaluation mode")
        rstd = (_channel(running_var, nd) + eps).rsqrt()
        y = _affine((input - _channel(running_mean, nd)) * rstd, w, b)
        empty = input.new_zeros((0,))
        return y, empty, empty.clone()
    dims = (0,) + tuple(range(2, nd))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    rstd = (var + eps).rsqrt()
    y = _affine((input - mean) * rstd, w, b)
    if running_mean is not None or running_var is not None:
        n = input.numel() // max(input.shape[1], 1)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.reshape(-1).detach() * momentum)
            if running_var is not None:
                unbiased = var.reshape(-1).detach() * (n / max(n - 1, 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    return y, mean.reshape(-1).detach(), rstd.reshape(-1).detach()


def _native_batch_norm_legit(input: Tensor, weight, bias, *args) -> tuple:
    """`native_batch_norm` under ATen's two spellings: ``(input, weight, bias, running_mean,
    running_var, training, momentum, eps)`` or, with no running statistics, ``(input,
    weight, bias, training, momentum, eps)``."""
    if len(args) == 3:
        return native_batch_norm(input, weight, bias, None, None, *args)
    return native_batch_norm(input, weight, bias, *args)


def _batch_norm_with_update(input: Tensor, weight, bias, running_mean: Tensor,
                            running_var: Tensor, momentum: float, eps: float) -> tuple:
    """Training-mode `native_batch_norm` updating the running statistics: ``(y, mean, rstd,
    reserve)``, the reserve an empty uint8 buffer, as PyTorch's."""
    y, mean, rstd = native_batch_norm(input, weight, bias, running_mean, running_var, True,
                                      momentum, eps)
    from ..dtypes import uint8

    return y, mean, rstd, input.new_zeros((0,), dtype=uint8)


def native_layer_norm(input: Tensor, normalized_shape, weight: Tensor | None,
                      bias: Tensor | None, eps: float) -> tuple:
    """Layer norm over the last ``len(normalized_shape)`` dims: ``(y, mean, rstd)``, the
    statistics of shape ``input.shape[:-k] + (1,) * k``."""
    shape = tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(n) for n in shape)}], but got input of size "
                           f"{list(input.shape)}")
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    rstd = (var + eps).rsqrt()
    y = _affine((input - mean) * rstd, weight, bias)
    return y, mean.detach(), rstd.detach()


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int,
                      C: int, HxW: int, group: int, eps: float) -> tuple:
    """Group norm of an (N, C, *) input with ``group`` groups of channels: ``(y, mean,
    rstd)``, the statistics of shape (N, group)."""
    if C % group:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={group}")
    if input.numel() != N * C * HxW:
        raise RuntimeError(f"native_group_norm: N * C * HxW = {N} * {C} * {HxW} does not match "
                           f"the input of shape {list(input.shape)}")
    grouped = input.reshape(N, group, -1)
    mean = grouped.mean(2, keepdim=True)
    var = grouped.var(2, unbiased=False, keepdim=True)
    rstd = (var + eps).rsqrt()
    y = ((grouped - mean) * rstd).reshape(input.shape)
    y = _affine(y, _channel(weight, input.ndim), _channel(bias, input.ndim))
    return y, mean.reshape(N, group), rstd.reshape(N, group)
