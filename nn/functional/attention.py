"""Scaled dot-product attention, written as a composition of differentiable ops.

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    A = softmax(s Q K^T + M)        (..., L, S), s = 1 / sqrt(E) unless ``scale`` is given
    out = dropout(A) V              (..., L, Ev)

M is the additive mask: 0 where query i may look at key j, -inf where it may not (a bool
``attn_mask`` says True = "may look"; a float one is added as it is; ``is_causal`` allows
j <= i). Every step is an existing graph node (matmul, add, softmax, dropout), so the engine
derives the backward pass, and its backward again (``create_graph=True``):

    dV = A^T dout,   dA = dout V^T,   dZ = A * (dA - sum_j dA * A),   dQ = s dZ K,   dK = s dZ^T Q

Kept small on purpose: the scale multiplies Q (L x E numbers) rather than the scores
(L x S), a bool mask becomes an additive one of its own (small) shape that is added to
the scores in place, and there is one softmax. A query row whose keys are all masked
gives zeros (not NaN), as in PyTorch.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]

_NEG_INF = -math.inf


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    """The broadcast of two shapes, or None when they do not broadcast."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(out)


def causal_mask(target_len: int, source_len: int, dtype=None, device=None) -> Tensor:
    """The additive causal mask (L, S): 0 where j <= i, -inf above the diagonal."""
    rows = ag.arange(target_len, device=device)[:, None]
    cols = ag.arange(source_len, device=device)[None, :]
    zeros = ag.zeros((target_len, source_len), dtype=dtype, device=device)
    return zeros.masked_fill(cols > rows, _NEG_INF)


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, dropout_p: float) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): {name} must be a Tensor, got "
                            f"{type(t).__name__}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"scaled_dot_product_attention(): expected floating-point query, "
                           f"key and value, but got {query.dtype}; convert them with .float()")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention(): query (shape {list(query.shape)}) and key "
            f"(shape {list(key.shape)}) must have the same embedding size (last dimension)")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention(): key (shape {list(key.shape)}) and value "
            f"(shape {list(value.shape)}) must have the same sequence length (dimension -2)")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_heads(t: Tensor, heads: int, name: str, query_heads: int) -> Tensor:
    """Repeat each of ``t``'s heads (dimension -3) so that there are ``query_heads`` of them:
    head h of the query uses head h // (query_heads / heads) of ``t``."""
    if heads == query_heads:
        return t
    if heads == 0 or query_heads % heads:
        raise RuntimeError(
            f"Number of heads in key and value must divide the number of heads in query: "
            f"query has {query_heads} heads, {name} has {heads} (shape {list(t.shape)})")
    groups = query_heads // heads
    lead = tuple(t.shape[:-3])
    expanded = t.unsqueeze(-3).expand(*lead, heads, groups, *t.shape[-2:])
    return expanded.reshape(*lead, query_heads, *t.shape[-2:])


def additive_mask(attn_mask: Tensor, dtype, scores_shape: tuple) -> tuple[Tensor, Tensor]:
    """(M, dead): ``attn_mask`` as an additive float mask of its own shape (bool: True
    means "may attend"), and the bool rows (mask shape without its last dim) where no key
    is allowed. In those rows M is set to 0, so that the softmax stays finite; the caller
    zeros the rows of the output."""
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"scaled_dot_product_attention(): attn_mask must be a Tensor or "
                        f"None, got {type(attn_mask).__name__}")
    if attn_mask.dtype == ag.bool:
        allowed = attn_mask
    elif attn_mask.dtype == dtype:
        allowed = attn_mask != _NEG_INF
    else:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {dtype} instead.")
    if _broadcast(tuple(attn_mask.shape), scores_shape) != tuple(scores_shape):
        raise RuntimeError(
            f"scaled_dot_product_attention(): attn_mask of shape {list(attn_mask.shape)} does "
            f"not broadcast to the attention scores' shape {list(scores_shape)} "
            "(batch..., target length L, source length S); give it shape (L, S) or one that "
            "broadcasts to the scores")
    dead = allowed.any(-1).logical_not()[..., None]
    if attn_mask.dtype == ag.bool:
        zeros = ag.zeros(tuple(attn_mask.shape), dtype=dtype, device=attn_mask.device)
        mask = zeros.masked_fill(allowed.logical_not() & dead.logical_not(), _NEG_INF)
    else:
        mask = attn_mask.masked_fill(dead, 0.0)
    return mask, dead


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(s Q K^T + M) V over the last two dimensions (see the module docstring).

    ``attn_mask`` broadcasts to (..., L, S): bool (True = take part) or float (added).
    ``is_causal`` masks keys after the query's position (top-left aligned, as
    ``tril(ones(L, S))``); it cannot be combined with ``attn_mask``. ``dropout_p`` drops
    attention weights (always, as in PyTorch: pass 0 in evaluation). ``enable_gqa`` lets key
    and value have fewer heads (dimension -3) than the query, each shared by a group.
    """
    _check_inputs(query, key, value, dropout_p)
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa and min(query.ndim, key.ndim, value.ndim) >= 3:
        heads = query.shape[-3]
        key = _repeat_heads(key, key.shape[-3], "key", heads)
        value = _repeat_heads(value, value.shape[-3], "value", heads)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    if scale != 1.0:
        query = query * scale  # L x E products instead of L x S
    scores = query @ key.mT
    dead = None
    if is_causal:  # in place: the matmul keeps its inputs, not ``scores``
        scores.add_(causal_mask(query.shape[-2], key.shape[-2], scores.dtype, scores.device))
    elif attn_mask is not None:
        mask, dead = additive_mask(attn_mask, scores.dtype, tuple(scores.shape))
        scores.add_(mask)
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    out = weights @ value
    if dead is not None:
        out = out.masked_fill(dead, 0.0)
    return out
