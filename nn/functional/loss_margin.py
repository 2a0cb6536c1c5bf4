"""Margin and ranking losses (plays that part of ``torch.nn.functional``): hinges that ask
a score, a distance or a similarity to clear a margin.

    soft_margin          log(1 + exp(-y x))                       (smooth hinge, y = +-1)
    hinge_embedding      x  for y = 1,   max(0, margin - x)  for y = -1
    multi_margin         sum_{i != y} max(0, margin - x_y + x_i)^p / C
    multilabel_margin    sum_{j in Y} sum_{i not in Y} max(0, 1 - (x_j - x_i)) / C
    multilabel_soft      -mean_c [y_c log s(x_c) + (1 - y_c) log s(-x_c)]  (s = sigmoid)
    triplet_margin       max(0, margin + d(a, p) - d(a, n))

All are compositions of Tensor operations, so their gradients come from the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import autograd_core as ag
from autograd_core import Tensor

from .loss import _check_reduction, _check_tensors, _legacy_reduction, _reduce
from .misc import pairwise_distance

__all__ = ["soft_margin_loss", "hinge_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss"]


def _reduction(size_average, reduce, reduction: str) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) elementwise, for targets y = +-1 (computed as softplus(-y x),
    finite for large margins)."""
    _check_tensors("soft_margin_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = ag.fused.softplus(-target * input, 1.0, 20.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance: similar
    pairs are pulled together, dissimilar ones pushed beyond ``margin``)."""
    _check_tensors("hinge_embedding_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction)
    hinge = ag.where(target != 1, (margin - input).clamp_min(0.0), 0.0)
    linear = ag.where(target != -1, input, 0.0)
    return _reduce(hinge + linear, reduction)


def _as_batch(input: Tensor, name: str) -> Tensor:
    """(N, C) scores: a vector is one sample, a 0-d score one sample of one class."""
    if input.ndim == 0:
        return input.reshape(1, 1)
    if input.ndim > 2 or input.numel() == 0 and input.ndim == 1:
        raise RuntimeError(f"{name}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    return input if input.ndim == 2 else input.unsqueeze(0)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores (N, C) or (C,) for class indices y:

        loss_n = sum_{i != y_n} w_{y_n} max(0, margin - x[n, y_n] + x[n, i])^p / C"""
    _check_tensors("multi_margin_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x = _as_batch(input, "multi_margin_loss")
    n, c = x.shape
    t = target.reshape(-1)
    if (input.ndim == 2 and target.ndim != 1) or t.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    if n and (int(t.min()) < 0 or int(t.max()) >= c):
        raise RuntimeError(f"target out of range: class indices must lie in [0, {c - 1}]")
    x_y = x.gather(1, t.unsqueeze(1))
    z = (margin - x_y + x).clamp_min(0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t).unsqueeze(1)
    own = t.unsqueeze(1) == ag.arange(c, device=x.device)
    loss = ag.where(own, 0.0, z).sum(1) / c
    if input.ndim <= 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss of scores (N, C) or (C,). Each target row lists the sample's
    classes Y, ended by the first -1; every class in Y should score 1 above every class
    not in Y:

        loss_n = sum_{j in Y_n} sum_{i not in Y_n} max(0, 1 - (x[n, j] - x[n, i])) / C"""
    _check_tensors("multilabel_margin_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction)
    x = _as_batch(input, "multilabel_margin_loss")
    n, c = x.shape
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    t = target.reshape(n, c)
    valid = (t != -1).long().cumprod(-1) == 1  # entries before the first -1
    if bool((valid & ((t < 0) | (t >= c))).any()):
        raise RuntimeError(f"argument #2 'target' is out of range: class indices must lie in "
                           f"[0, {c - 1}], or be -1 to end the list")
    t = ag.where(valid, t, 0)
    classes = ag.arange(c, device=x.device)
    is_target = ((t.unsqueeze(-1) == classes) & valid.unsqueeze(-1)).any(1)  # (N, C)
    x_t = x.gather(1, t)  # (N, K): the scores of the listed classes
    hinge = (1.0 - x_t.unsqueeze(-1) + x.unsqueeze(1)).clamp_min(0.0)  # (N, K, C)
    counted = valid.unsqueeze(-1) & ~is_target.unsqueeze(1)
    loss = ag.where(counted, hinge, 0.0).sum((1, 2)) / c
    if input.ndim <= 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of each class's logit against a 0/1 target, averaged over the
    classes (the last dimension):

        loss_n = -1/C sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)]"""
    _check_tensors("multilabel_soft_margin_loss", input=input, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    log_p = ag.fused.logsigmoid(input)
    log_q = ag.fused.logsigmoid(-input)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    dim = input.ndim - 1
    loss = loss.sum(dim) / input.shape[dim]
    return _reduce(loss, reduction)


def _check_triplet_dims(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{p}D, and negative {n}D inputs")


def _triplet(d_pos: Tensor, d_neg: Tensor, margin: float, reduction: str) -> Tensor:
    return _reduce((margin + d_pos - d_neg).clamp_min(0.0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm `pairwise_distance`; ``swap``
    uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)."""
    _check_tensors("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ag.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _triplet(d_pos, d_neg, margin, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor]
                                      | None = None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """`triplet_margin_loss` with any ``distance_function(x1, x2)`` (default: the
    Euclidean `pairwise_distance`)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    distance = distance_function if distance_function is not None else pairwise_distance
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = ag.minimum(d_neg, distance(positive, negative))
    return _triplet(d_pos, d_neg, margin, reduction)
