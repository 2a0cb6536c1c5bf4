"""Helpers shared by the distributions: broadcasting parameters, probabilities and logits,
a cached property, and a few compositions (softplus, batched diagonal) the core lacks."""

from __future__ import annotations

import numbers

import numpy as np

import autograd_core as ag
from autograd_core.tensor import Tensor


def dtype_info(t: Tensor):
    """NumPy's finfo of a float tensor's dtype (eps, tiny, max)."""
    return np.finfo(t._data.dtype)


def broadcast_shapes(*shapes) -> tuple:
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


def broadcast_all(*values) -> tuple:
    """Tensors (numbers become tensors of the default float dtype, or of the first tensor's
    dtype and device) broadcast to one shape."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number or Tensor, "
                             f"got {type(v).__name__}")
    like = tensors[0] if tensors else None
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif like is not None:
            out.append(ag.tensor(float(v), dtype=like.dtype, device=like.device))
        else:
            out.append(ag.tensor(float(v), dtype=ag.get_default_dtype()))
    shape = broadcast_shapes(*[t.shape for t in out])
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in out)


def softplus(x: Tensor) -> Tensor:
    """log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) (no overflow)."""
    return x.clamp_min(0.0) + (-x.abs()).exp().log1p()


def clamp_probs(probs: Tensor) -> Tensor:
    eps = float(dtype_info(probs).eps)
    return probs.clamp(eps, 1.0 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def diagonal(m: Tensor) -> Tensor:
    """The diagonal of the last two dimensions: (..., n, n) -> (..., n)."""
    return ag.einsum("...ii->...i", m)


def diag_embed(v: Tensor) -> Tensor:
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    n = v.shape[-1]
    eye = ag.eye(n, dtype=v.dtype, device=v.device)
    return v[..., None] * eye


def one_hot(index: Tensor, n: int, like: Tensor) -> Tensor:
    """(...,) integer index -> (..., n) one-hot in ``like``'s dtype."""
    classes = ag.arange(n, device=index.device)
    return (index[..., None] == classes).to(like.dtype)


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x log y, 0 where x == 0."""
    return ag.where(x == 0, ag.zeros_like(y), x * ag.where(x == 0, ag.ones_like(y), y).log())


class lazy_property:
    """A property computed on first use and then stored on the instance."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
