"""`embedding_bag`: sums, means or maxima of bags of embedding rows, without building the
(bag, position, dim) tensor of an `embedding` followed by a reduction.

The indices are one flat list cut into bags by ``offsets`` (bag b is
input[offsets[b] : offsets[b+1]]), or the rows of a 2-D input. With M the (bags,
positions) 0/1 membership matrix (``padding_idx`` entries left out) and E the looked-up
rows,

    sum:  M (w * E)          mean: (M E) / |bag|          max: max over the bag's rows

(w: optional ``per_sample_weights``; an empty bag gives zeros). Gradients come from the
lookup node and the matrix product.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .misc import _renorm_rows

__all__ = ["embedding_bag"]


def _flatten_bags(input: Tensor, offsets: Tensor | None, per_sample_weights: Tensor | None,
                  include_last_offset: bool):
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets)}")
        bags, length = input.shape
        offsets = ag.arange(0, bags * length, max(length, 1), dtype=ag.int64,
                            device=input.device)[:bags]
        flat_w = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        return input.reshape(-1), offsets, flat_w, False
    if input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input, offsets, per_sample_weights, include_last_offset
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                     f"{input.ndim}")


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """(bags, embedding_dim): the 'sum', 'mean' or 'max' of each bag's rows of ``weight``."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    flat, offsets, psw, include_last_offset = _flatten_bags(input, offsets, per_sample_weights,
                                                            include_last_offset)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError("sparse gradients are not supported; use sparse=False")
    if psw is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}').")
    n_rows = weight.shape[0]
    if padding_idx is not None:
        if not -n_rows <= padding_idx < n_rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n_rows} "
                               f"through {n_rows - 1}, but got {padding_idx}")
        padding_idx %= n_rows
    offsets = offsets.long()
    if offsets.numel() and int(offsets[0]) != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got "
                           f"{int(offsets[0])}")
    if max_norm is not None:
        _renorm_rows(weight, flat, max_norm, norm_type)
    length = flat.shape[0]
    positions = ag.arange(length, device=flat.device)
    if include_last_offset:
        starts, end = offsets[:-1], offsets[-1:]
        inside = positions < end
    else:
        starts = offsets
        inside = positions >= 0
    bags = starts.shape[0]
    bag_of = (positions.unsqueeze(1) >= starts.unsqueeze(0)).long().sum(1) - 1  # (L,)
    keep = inside if padding_idx is None else inside & (flat != padding_idx)
    member = (bag_of.unsqueeze(0) == ag.arange(bags, device=flat.device).unsqueeze(1)) \
        & keep.unsqueeze(0)  # (B, L)
    rows = ag.fused.embedding(flat, weight, None, scale_grad_by_freq)  # (L, D)
    counts = member.long().sum(1)
    if mode == "max":
        masked = ag.where(member.unsqueeze(-1), rows.unsqueeze(0), float("-inf"))
        best = masked.max(1).values if length else weight.new_zeros((bags, weight.shape[1]))
        return ag.where((counts > 0).unsqueeze(1), best, 0.0)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    total = member.to(weight.dtype) @ rows
    if mode == "sum":
        return total
    return total / counts.clamp_min(1).to(weight.dtype).unsqueeze(1)
