"""Loss functions (plays the losses of ``torch.nn.functional``).

Every loss takes ``reduction`` = 'none' (one value per element or sample), 'mean' or
'sum'; the legacy ``size_average`` / ``reduce`` arguments are accepted and mapped onto it
as in PyTorch. Cross-entropy, NLL and the binary cross-entropies are single fused nodes
(``autograd_core.fused``, stable for logits of 1000); the regression and embedding losses
are short compositions of Tensor operations, each step with its own backward rule:

    mse        (x - t)^2                         dx = 2 (x - t)
    l1         |x - t|                           dx = sign(x - t)
    smooth_l1  (x - t)^2 / (2 beta)  if |x - t| < beta,  |x - t| - beta / 2  otherwise
    huber      (x - t)^2 / 2  if |x - t| < delta,  delta (|x - t| - delta / 2)  otherwise
    kl_div     t (log t - x)    (x holds log-probabilities; 0 where t = 0)
"""

from __future__ import annotations

import warnings

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average`` / ``reduce`` flags."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args are deprecated; use reduction='none', 'mean' "
                  "or 'sum' instead.", UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def _check_tensors(name: str, **tensors) -> None:
    for label, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not "
                            f"{type(t).__name__}")


def _warn_sizes(input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)


def _weighted(loss: Tensor, input: Tensor, weight, reduction: str,
              mean_by_weight: bool) -> Tensor:
    """Apply an elementwise ``weight`` of the input's size (PyTorch's 2.x ``weight=``)."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Squared error (x - t)^2; 'mean' with ``weight`` is sum(w l) / sum(w)."""
    _check_tensors("mse_loss", input=input, target=target)
    _warn_sizes(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if weight is None:
        return ag.fused.mse_loss(input, target, reduction)
    diff = input - target
    return _weighted(diff * diff, input, weight, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Absolute error |x - t|; 'mean' with ``weight`` is sum(w l) / sum(w)."""
    _check_tensors("l1_loss", input=input, target=target)
    _warn_sizes(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _weighted((input - target).abs(), input, weight, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, linear above (the L1 loss when beta = 0)."""
    _check_tensors("smooth_l1_loss", input=input, target=target)
    _warn_sizes(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    z = (input - target).abs()
    if beta == 0:
        return _reduce(z, reduction)
    loss = ag.where(z < beta, z * z * (0.5 / beta), z - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Quadratic below ``delta``, linear (slope delta) above; 'mean' with ``weight`` is
    mean(w l)."""
    _check_tensors("huber_loss", input=input, target=target)
    _warn_sizes(input, target)
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    z = (input - target).abs()
    loss = ag.where(z < delta, z * z * 0.5, (z - 0.5 * delta) * delta)
    return _weighted(loss, input, weight, reduction, False)


# ----------------------------------------------------------------------------- classification
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x (each log clamped at -100)."""
    _check_tensors("binary_cross_entropy", input=input, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None and tuple(weight.shape) != tuple(target.shape):
        weight = weight.expand(tuple(target.shape))
    return ag.fused.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one node, finite for logits of +-1000;
    ``pos_weight`` (broadcast along the last dim) weighs the positive examples."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return ag.fused.binary_cross_entropy_with_logits(input, target, weight, pos_weight,
                                                     reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Log-softmax and negative log-likelihood in one node.

    ``input``: logits (C,), (N, C) or (N, C, d1, ...). ``target``: class indices of shape
    (), (N,) or (N, d1, ...), or class probabilities of the input's shape. Options as in
    PyTorch: per-class ``weight`` (weighted mean), ``ignore_index``, ``label_smoothing``.
    Backward: dx = (softmax(x) sum(q) - q) / normaliser, q the smoothed weighted target."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return ag.fused.cross_entropy(input, target, weight, ignore_index, reduction,
                                  label_smoothing)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-w_y x_y for log-probabilities ``input`` and class indices ``target``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is not None and isinstance(input, ag.Tensor) and weight.dtype != input.dtype:
        names = {"float16": "Half", "float32": "Float", "float64": "Double"}
        raise RuntimeError(f"expected scalar type {names.get(input.dtype.name, input.dtype.name)} "
                           f"but found {names.get(weight.dtype.name, weight.dtype.name)} (nll_loss: "
                           f"the weight must have the input's dtype; convert it with .to(input.dtype))")
    return ag.fused.nll_loss(input, target, weight, ignore_index, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: t (log t - x), with x log-probabilities (and t
    given as log-probabilities too when ``log_target``). 'batchmean' divides the sum by the
    batch size, which is the true KL divergence; 'mean' divides by the number of elements."""
    _check_tensors("kl_div", input=input, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size. 'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition. 'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        zero = target == 0
        t_log_t = ag.where(zero, 0.0, target * ag.where(zero, 1.0, target).log())
        loss = t_log_t - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- embeddings
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    _check_tensors("cosine_embedding_loss", input1=input1, input2=input2, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.ndim > 1:
        raise RuntimeError("cosine_embedding_loss: 1D target tensor expected, multi-target "
                           "not supported")
    if tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss: Input1 and input2 should have same shape, "
                           f"but got {list(input1.shape)} and {list(input2.shape)}")
    if target.ndim == 1 and input1.ndim != 2:
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if target.ndim == 0 and input1.ndim != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.ndim - 1
    eps = 1e-12
    dot = (input1 * input2).sum(dim)
    sq1 = (input1 * input1).sum(dim) + eps
    sq2 = (input2 * input2).sum(dim) + eps
    cos = dot / (sq1 * sq2).sqrt()
    pos = ag.where(target == 1, 1.0 - cos, 0.0)
    neg = ag.where(target == -1, (cos - margin).clamp_min(0.0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1, below when -1."""
    _check_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0.0)
    return _reduce(loss, reduction)
