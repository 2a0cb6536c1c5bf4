"""`embedding_bag`: sums, means or maxima of bags of embedding rows, without building the
(bag, position, dim) tensor of an `embedding` followed by a reduction.

The indices are one flat list cut into bags by ``offsets`` (bag b is
input[offsets[b] : offsets[b+1]]), or the rows of a 2-D input. With E the looked-up rows
and b(i) the bag of position i (``padding_idx`` entries left out),

    sum:  out[b] = sum_{b(i) = b} w_i E_i       (an `index_add` of the rows by bag)
    mean: sum / |bag|                           max: max over the bag's rows

(w: optional ``per_sample_weights``; an empty bag gives zeros). Gradients come from the
lookup node, index_add and the masked max; memory stays O(positions x dim).
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
    device = flat.device
    if include_last_offset:
        starts, stop = offsets[:-1], offsets[-1:]
    else:
        starts, stop = offsets, ag.tensor([length], dtype=ag.int64, device=device)
    bags = starts.shape[0]
    ends = ag.cat([starts[1:], stop]) if bags else stop[:0]
    # bag of each position: count the bag starts at or before it (a cumulative sum)
    marks = ag.zeros(length + 1, dtype=ag.int64, device=device).index_add(
        0, starts.clamp(0, length), ag.ones(bags, dtype=ag.int64, device=device))
    bag_of = marks.cumsum(0)[:length] - 1
    positions = ag.arange(length, device=device)
    keep = positions < stop
    if padding_idx is not None:
        keep = keep & (flat != padding_idx)
    bag_of = ag.where(keep, bag_of, 0).clamp_min(0)
    rows = ag.fused.embedding(flat, weight, None, scale_grad_by_freq)  # (L, D)
    if mode == "max":
        return _bag_max(rows, keep, starts, ends, weight)
    scale = keep.to(weight.dtype)
    if psw is not None:
        scale = scale * psw
    total = weight.new_zeros((bags, weight.shape[1])).index_add(0, bag_of,
                                                                rows * scale.unsqueeze(1))
    if mode == "sum":
        return total
    counts = weight.new_zeros((bags,)).index_add(0, bag_of, keep.to(weight.dtype))
    return total / counts.clamp_min(1).unsqueeze(1)


def _bag_max(rows: Tensor, keep: Tensor, starts: Tensor, ends: Tensor,
             weight: Tensor) -> Tensor:
    """The elementwise max of each bag's kept rows (zeros for an empty bag): the bags are
    contiguous runs, gathered into a (bags, longest, D) block and maxed over masked rows."""
    bags, dim = starts.shape[0], weight.shape[1]
    lengths = ends - starts
    longest = int(lengths.max()) if bags else 0
    if bags == 0 or longest <= 0 or rows.shape[0] == 0:
        return weight.new_zeros((bags, dim))
    steps = ag.arange(longest, device=rows.device)
    pos = starts.unsqueeze(1) + steps  # (B, longest)
    inside = steps < lengths.unsqueeze(1)
    pos = ag.where(inside, pos, 0).clamp(0, rows.shape[0] - 1)
    valid = inside & keep.index_select(0, pos.reshape(-1)).reshape(bags, longest)
    block = rows.index_select(0, pos.reshape(-1)).reshape(bags, longest, dim)
    best = ag.where(valid.unsqueeze(-1), block, float("-inf")).max(1).values
    return ag.where(valid.any(1, keepdim=True), best, 0.0)
