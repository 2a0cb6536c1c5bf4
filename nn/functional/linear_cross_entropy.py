"""`linear_cross_entropy`: a classifier head and its loss in one call,

    loss = cross_entropy(x W^T + b, target)

with W of shape (C, *out_features, in_features). PyTorch computes it in batch chunks to
save the memory of the (N, C) logits; here it is the fused linear node followed by the
fused cross-entropy node, same values and gradients. `LinearCrossEntropyOptions` (the
chunking and accumulation settings) is accepted and validated; the chunking settings do
not change the result.
"""

from __future__ import annotations

import dataclasses
import math

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["linear_cross_entropy"]

_ACC_POLICIES = {"auto", "accurate", "balanced", "compact"}


@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """Settings of `linear_cross_entropy` (PyTorch's chunking and accumulation knobs)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self) -> None:
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None or (isinstance(self.batch_chunk_size, int)
                                                  and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in (ag.float16, ag.float32,
                                                                 ag.float64):
            raise ValueError(f"acc_dtype must be one of None, float16, float32, float64, got "
                             f"{self.acc_dtype!r}")


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """Cross-entropy of the logits x W^T + b: ``input`` (N, in) or (in,), ``linear_weight``
    (C, *out_features, in), ``target`` class indices (N, *out_features) or probabilities of
    the logits' shape (N, C, *out_features)."""
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")
    batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions "
                           f"(in_features), got {in_features} and {linear_weight.shape[-1]}, "
                           f"respectively")
    classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, "
                           f"{in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    total = math.prod(out_features) * classes
    w = linear_weight.reshape(total, in_features)
    b = linear_bias.reshape(total) if linear_bias is not None else None
    logits = ag.fused.linear(input, w, b).reshape(logits_shape)
    return ag.fused.cross_entropy(logits, target, weight,
                                  -100 if ignore_index is None else ignore_index, reduction,
                                  label_smoothing)
