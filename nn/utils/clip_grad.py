"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (as ``torch.nn.utils``).

Clipping by norm rescales all gradients together, g <- g * min(1, max_norm / (||g|| + 1e-6)),
where ||g|| is the p-norm of every gradient concatenated into one vector: the direction of
the step is kept, only its length is capped (the usual cure for exploding gradients in
RNNs). Everything stays on the device: the total norm is returned as a tensor and the
scaling never asks the host for a value.
"""

from __future__ import annotations

from collections.abc import Iterable

import autograd_core
from autograd_core import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

_TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: _TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads_of(parameters: _TensorOrTensors) -> list[Tensor]:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The p-norm of all ``tensors`` viewed as one vector: ``|| (||t_1||, ..., ||t_k||) ||``.

    A 0-d tensor on the first tensor's device; ``norm_type`` may be ``inf``.
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return autograd_core.tensor(0.0)
    with autograd_core.no_grad():
        first_device = tensors[0].device
        norms = [autograd_core.norm(t, norm_type) for t in tensors]
        dtype = norms[0].dtype
        for n in norms[1:]:
            dtype = autograd_core.promote_types(dtype, n.dtype)
        norms = [n.to(device=first_device, dtype=dtype) for n in norms]
        total = autograd_core.norm(autograd_core.stack(norms), norm_type)
    if error_if_nonfinite and not bool(autograd_core.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = _grads_of(parameters)
    if not grads:
        return
    with autograd_core.no_grad():
        coef = autograd_core.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(device=g.device, dtype=g.dtype))


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total ``norm_type``
    norm is at most ``max_norm``; returns the total norm before clipping (a tensor).

    ``error_if_nonfinite=True`` raises when that norm is nan or inf (this one check asks
    the device for a value). ``foreach`` is accepted for compatibility and ignored.
    """
    parameters = _as_list(parameters)
    grads = _grads_of(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    with autograd_core.no_grad():
        for g in _grads_of(parameters):
            g.clamp_(min=-clip_value, max=clip_value)
