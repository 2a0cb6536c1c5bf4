"""Flat vectors for the second-order optimisers (L-BFGS, Newton, Newton-CG).

These methods see all parameters as one vector θ ∈ Rⁿ: the gradient is flattened into
one 1-D tensor, directions live in that space, and a step ``θ += t d`` is applied back
to each parameter through views of ``d``. Everything here runs under ``no_grad`` on the
public tensor API, so it works on every device.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor


def flatten(tensors, like) -> Tensor:
    """One new 1-D tensor holding all of ``tensors`` (None counts as zeros like ``like``)."""
    with ag.no_grad():
        parts = [(ag.zeros_like(p) if t is None else t.detach()).reshape(-1)
                 for t, p in zip(tensors, like)]
        return ag.cat(parts) if len(parts) != 1 else parts[0].clone()


def unflatten(flat: Tensor, like) -> list:
    """Views of a flat vector, shaped like each tensor of ``like`` (no copy)."""
    out, offset = [], 0
    with ag.no_grad():
        for p in like:
            n = p.numel()
            out.append(flat[offset:offset + n].view(tuple(p.shape)))
            offset += n
    return out


def add_flat_(params, flat: Tensor, alpha: float) -> None:
    """``θ_i += alpha · flat[slice_i]`` for each parameter, in place."""
    with ag.no_grad():
        for p, part in zip(params, unflatten(flat, params)):
            p.add_(part, alpha=alpha)


def copy_flat_(params, flat: Tensor) -> None:
    """Set the parameters from a flat vector."""
    with ag.no_grad():
        for p, part in zip(params, unflatten(flat, params)):
            p.copy_(part)


def dot(a: Tensor, b: Tensor) -> float:
    """``aᵀb`` as a Python float."""
    with ag.no_grad():
        return a.dot(b).item()


def abs_max(a: Tensor) -> float:
    """``max_i |a_i|`` (0 for an empty vector)."""
    if a.numel() == 0:
        return 0.0
    with ag.no_grad():
        return a.abs().max().item()


def abs_sum(a: Tensor) -> float:
    with ag.no_grad():
        return a.abs().sum().item()


def axpy_(y: Tensor, alpha: float, x: Tensor) -> Tensor:
    """``y += alpha · x`` in place."""
    with ag.no_grad():
        return y.add_(x, alpha=alpha)


def basis_vector(index: int, like: Tensor) -> Tensor:
    """The flat vector ``e_index`` with the size, dtype and device of ``like``."""
    with ag.no_grad():
        e = ag.zeros_like(like)
        e[index] = 1.0
    return e


def stack_rows(rows) -> Tensor:
    """A matrix whose rows are the given flat vectors."""
    with ag.no_grad():
        return ag.stack(list(rows))
