"""Multi-head attention as a function (plays ``torch.nn.functional.multi_head_attention_forward``).

With H heads of size d = E / H, and X_q, X_k, X_v the query, key and value sequences:

    Q = X_q W_q^T + b_q,   K = X_k W_k^T + b_k,   V = X_v W_v^T + b_v      (split into H heads)
    head_h = softmax(Q_h K_h^T / sqrt(d) + M) V_h
    out = concat(head_1, ..., head_H) W_o^T + b_o

M merges ``attn_mask`` and ``key_padding_mask`` (bool masks here say True = "ignore", the
opposite of `scaled_dot_product_attention`'s). ``bias_k``/``bias_v`` append one learned key
and value to the sequence; ``add_zero_attn`` appends a zero key and value.

Everything is composed from graph nodes (linear, split, views, matmul, softmax), so the
engine derives the gradients. The heads are permuted views of the projections: the
sequence-first (L, N, E) and batch-first (N, L, E) layouts cost the same, with no
transposed copy of the input.
"""

from __future__ import annotations

import math
import warnings

import autograd_core as ag
from autograd_core import Tensor

from .attention import scaled_dot_product_attention
from .dropout import dropout
from .linear import linear

__all__ = ["multi_head_attention_forward"]

_NEG_INF = -math.inf


def canonical_mask(mask: Tensor | None, mask_name: str, other: Tensor | None,
                   other_name: str, dtype) -> Tensor | None:
    """A bool mask (True = ignore) as an additive float mask (-inf where True); a float
    mask unchanged. Warns, as PyTorch does, when the two masks' dtypes differ."""
    if mask is None:
        return None
    if mask.dtype != ag.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported, got "
                             f"{mask.dtype}")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if mask.dtype == ag.bool:
        zeros = ag.zeros(tuple(mask.shape), dtype=dtype, device=mask.device)
        return zeros.masked_fill(mask, _NEG_INF)
    return mask


def _check_shapes(query: Tensor, key: Tensor, value: Tensor, key_padding_mask, attn_mask,
                  num_heads: int) -> bool:
    """PyTorch's shape checks (AssertionError); True when the input is batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _heads(x: Tensor, num_heads: int, batch_first: bool) -> Tensor:
    """(T, N, E) or (N, T, E) -> (N, H, T, d), a view."""
    x = x.unflatten(-1, (num_heads, -1))
    return x.permute(0, 2, 1, 3) if batch_first else x.permute(1, 2, 0, 3)


def _project(query, key, value, num_heads, batch_first, packed_weight, bias,
             separate_weights) -> tuple[Tensor, Tensor, Tensor]:
    """Q, K, V as (N, H, T, d). Self-attention (query is key is value) is one linear over
    the packed weight, split into heads by views; key is value is two."""
    embed = query.shape[-1]
    order = (2, 0, 3, 1, 4) if batch_first else (2, 1, 3, 0, 4)  # -> (parts, N, H, T, d)
    if separate_weights is None:
        if query is key and key is value:
            proj = linear(query, packed_weight, bias).unflatten(-1, (3, num_heads, -1))
            return proj.permute(*order).unbind(0)
        if key is value:
            w_q, w_kv = packed_weight.split([embed, 2 * embed])
            b_q, b_kv = bias.split([embed, 2 * embed]) if bias is not None else (None, None)
            kv = linear(key, w_kv, b_kv).unflatten(-1, (2, num_heads, -1))
            k, v = kv.permute(*order).unbind(0)
            return _heads(linear(query, w_q, b_q), num_heads, batch_first), k, v
        weights = packed_weight.chunk(3)
    else:
        weights = separate_weights
    biases = bias.chunk(3) if bias is not None else (None, None, None)
    return tuple(_heads(linear(x, w, b), num_heads, batch_first)
                 for x, w, b in zip((query, key, value), weights, biases))


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """One more (zero) column of an additive mask: the appended key takes part."""
    if mask is None:
        return None
    return ag.cat([mask, ag.zeros((*mask.shape[:-1], 1), dtype=mask.dtype,
                                  device=mask.device)], -1)


def _checked_attn_mask(attn_mask, batch, heads, tgt_len, src_len):
    """attn_mask (L, S) as it is, or (N*H, L, S) as (N, H, L, S): PyTorch's shape checks,
    against the key's own length (before bias_k or a zero key is appended)."""
    if attn_mask is None or attn_mask.ndim == 2:
        if attn_mask is not None and tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {list(attn_mask.shape)}, "
                               f"but should be {[tgt_len, src_len]}.")
        return attn_mask
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (batch * heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {list(attn_mask.shape)}, but should be "
                f"{[batch * heads, tgt_len, src_len]} (batch * num_heads, L, S).")
        return attn_mask.reshape(batch, heads, tgt_len, src_len)
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def _merged_mask(attn_mask, key_padding_mask, batch, src_len):
    """attn_mask and key_padding_mask (N, S), both additive, as one mask that broadcasts
    to the scores (N, H, L, S)."""
    if key_padding_mask is None:
        return attn_mask
    if tuple(key_padding_mask.shape) != (batch, src_len):
        raise AssertionError(f"Expected key_padding_mask of shape {(batch, src_len)} (batch, "
                             f"source length), but got {tuple(key_padding_mask.shape)}")
    padding = key_padding_mask.reshape(batch, 1, 1, src_len)
    return padding if attn_mask is None else attn_mask + padding


def _static(t: Tensor, batch: int, heads: int, head_dim: int, name: str) -> Tensor:
    if t.shape[0] != batch * heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t.reshape(batch, heads, t.shape[1], head_dim)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False, *, batch_first: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention over sequence-first inputs (L, N, E) (or unbatched (L, E));
    ``batch_first=True`` (ours, used by `nn.MultiheadAttention`) takes (N, L, E) instead.

    Returns (output, weights): weights (N, L, S) averaged over heads, or (N, H, L, S) with
    ``average_attn_weights=False``, or None with ``need_weights=False``. ``is_causal`` is a
    hint that ``attn_mask`` is the causal mask (which must still be given).

    A query whose keys are all masked gets NaN with ``need_weights=True`` (a plain softmax
    over -inf, as PyTorch computes it) and zeros with ``need_weights=False``."""
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        self_attention, shared_kv = query is key and key is value, key is value
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if shared_kv:  # keep the identities that select the packed projections
            value = key = query if self_attention else key
        batch_first = True
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    b_dim, t_dim = (0, 1) if batch_first else (1, 0)
    tgt_len, batch, embed_dim = query.shape[t_dim], query.shape[b_dim], query.shape[2]
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                      "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                                 f"match value's {tuple(value.shape[:2])}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _project(query, key, value, num_heads, batch_first, in_proj_weight,
                       in_proj_bias, separate)
    attn_mask = _checked_attn_mask(attn_mask, batch, num_heads, tgt_len, k.shape[2])
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must both be set or both be None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = ag.cat([k, bias_k.reshape(1, num_heads, 1, head_dim).expand(batch, -1, -1, -1)], 2)
        v = ag.cat([v, bias_v.reshape(1, num_heads, 1, head_dim).expand(batch, -1, -1, -1)], 2)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    if static_k is not None:
        k = _static(static_k, batch, num_heads, head_dim, "static_k")
    if static_v is not None:
        v = _static(static_v, batch, num_heads, head_dim, "static_v")
    if add_zero_attn:
        zeros = ag.zeros((batch, num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = ag.cat([k, zeros], 2), ag.cat([v, zeros], 2)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    mask = _merged_mask(attn_mask, key_padding_mask, batch, k.shape[2])
    if not training:
        dropout_p = 0.0
    weights = None
    if need_weights:  # the weights are returned: the plain softmax, as PyTorch computes it
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.mT
        if mask is not None:
            scores.add_(mask)  # in place: the matmul keeps its inputs, not its output
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        heads = weights @ v
        weights = weights.mean(1) if average_attn_weights else weights
    else:
        heads = scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal)
    heads = heads.permute(0, 2, 1, 3) if batch_first else heads.permute(2, 0, 1, 3)
    out = linear(heads.reshape(*heads.shape[:2], embed_dim), out_proj_weight, out_proj_bias)
    if not batched:
        out = out.squeeze(0)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights
