"""Operations PyTorch exposes under aten names (``torch._softmax_backward_data``,
``torch.ops.aten._safe_softmax``, ...), each composed of public, differentiable operations:

    _softmax_backward_data(g, y, dim)     = y (g - sum_dim(g y))            (softmax's VJP)
    _safe_softmax(x, dim)                 = softmax(x, dim), 0 on rows that are all -inf
    _chunk_cat(ts, dim, k)                = each t cut in k zero-padded chunks along dim,
                                            flattened after dim, the i-th chunks side by side
    _unsafe_masked_index(x, m, idx, f)    = where(m, x[idx clamped into range], f)
    _unsafe_masked_index_put_accumulate(x, m, idx, v) = x with where(m, v, 0) added at idx
    native_dropout_backward(g, mask, s)   = g * mask * s
    slice_tensor(x, dim, start, end, step) = x[..., start:end:step, ...] (aten.slice, a view)
"""

from __future__ import annotations

import math

from ..tensor import Tensor, _normalize_dim
from .joining import cat
from .region_scatter import index_put
from .selection import where
from .softmax import softmax

__all__ = ["_softmax_backward_data", "_safe_softmax", "_chunk_cat", "_unsafe_masked_index",
           "_unsafe_masked_index_put_accumulate"]  # (native_dropout_backward: ops.aten only)


def _softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int,
                           input_dtype=None) -> Tensor:
    """The gradient of ``softmax`` at its ``output`` y: ``y (g - sum_dim(g y))``."""
    d = _normalize_dim(dim, max(output.ndim, 1)) if output.ndim else None
    gy = grad_output * output
    total = gy.sum(d, keepdim=True) if d is not None else gy
    out = output * (grad_output - total) if d is not None else gy - output * gy
    return out if input_dtype is None else out.to(input_dtype)


def _safe_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """`softmax`, with 0 (not NaN) on the slices along ``dim`` that are entirely -inf (their
    gradient is 0 too: those slices are replaced by zeros before the softmax)."""
    if input.numel() == 0 or input.ndim == 0:
        return softmax(input, dim, dtype=dtype)
    d = _normalize_dim(dim, input.ndim)
    dead = (input == float("-inf")).all(d, keepdim=True)
    zero = input.new_zeros(())
    y = softmax(where(dead, zero, input), d, dtype=dtype)
    return where(dead, zero.to(y.dtype), y)


def _chunk_cat(tensors, dim: int, num_chunks: int) -> Tensor:
    """The ``num_chunks`` chunks of each tensor (zero-padded to equal size along ``dim``),
    flattened after ``dim``, concatenated chunk by chunk: shape
    ``lead + (num_chunks, sum_t chunk_t * trailing_t)``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    if num_chunks < 1:
        raise RuntimeError(f"_chunk_cat expects positive num_chunks, got {num_chunks}")
    d = _normalize_dim(dim, tensors[0].ndim)
    lead = tuple(tensors[0].shape[:d])
    parts = []
    for t in tensors:
        if t.ndim <= d or tuple(t.shape[:d]) != lead:
            raise RuntimeError(f"_chunk_cat expects same sizes of 0,...,dim-1 dimensions for "
                               f"all tensors; got shapes {[list(u.shape) for u in tensors]} "
                               f"with dim={dim}")
        n = t.shape[d]
        chunk = math.ceil(n / num_chunks)
        padded = chunk * num_chunks
        if padded > n:
            shape = list(t.shape)
            shape[d] = padded - n
            t = cat([t, t.new_zeros(tuple(shape))], d)
        parts.append(t.reshape(lead + (num_chunks, -1)))
    return cat(parts, d + 1)


def _clamped(indices, x: Tensor) -> tuple:
    out = []
    for k, idx in enumerate(indices):
        if idx is None:
            out.append(None)
            continue
        n = x.shape[k]
        out.append(idx.clamp(-n, n - 1))
    return tuple(out)


def _unsafe_masked_index(x: Tensor, mask: Tensor, indices, fill) -> Tensor:
    """``x[indices]`` where ``mask`` holds, ``fill`` elsewhere (indices off the mask may be
    out of range: they are clamped, and their values dropped)."""
    picked = x[_clamped(indices, x)]
    fill = fill if isinstance(fill, Tensor) else picked.new_full((), fill)
    return where(mask, picked, fill)


def _unsafe_masked_index_put_accumulate(x: Tensor, mask: Tensor, indices,
                                        values: Tensor) -> Tensor:
    """``x`` with ``values`` added at ``indices`` where ``mask`` holds (repeats add up)."""
    kept = where(mask, values, values.new_zeros(()))
    return index_put(x, _clamped(indices, x), kept, accumulate=True)


def native_dropout_backward(grad_output: Tensor, mask: Tensor, scale: float) -> Tensor:
    """The gradient of dropout: ``g * mask * scale``."""
    return grad_output * mask.to(grad_output.dtype) * scale


def slice_tensor(input: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """``input[..., start:end:step, ...]`` along ``dim`` (aten's ``slice.Tensor``), a view."""
    if step is not None and step <= 0:
        raise RuntimeError(f"slice step must be positive, got {step}")
    d = _normalize_dim(dim, input.ndim)
    return input[(slice(None),) * d + (slice(start, end, step),)]
