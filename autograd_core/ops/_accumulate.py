"""Half precision accumulates in single precision.

float16 holds values up to 65504 with 11 significant bits: the sum of a few hundred
squares of 100 overflows to inf, and a long sum stops growing once the increments fall
below its last bit. As in PyTorch, every reduction and normalisation of a float16 tensor
computes in float32 and rounds once, at the end:

    forward:   y = f16( f(f32(x)) )          the rule:   dx = f16( f'(f32(x), f32(g)) )

Other dtypes pass through unchanged. The forward side works on raw arrays (`wide`); the
rule side on arrays or Tensors alike (`up`, through ``ctx.math``).
"""

from __future__ import annotations

import numpy as np

from ..dtypes import _is_bfloat16

HALF = np.dtype(np.float16)
_WIDE = np.float32


def is_half(x) -> bool:
    dtype = getattr(x, "dtype", None)  # bfloat16 accumulates in float32 too, as in PyTorch
    return isinstance(dtype, np.dtype) and (dtype == HALF or _is_bfloat16(dtype))


def wide(x):
    """``x`` in its accumulation dtype: float32 for float16, else ``x`` itself."""
    return x.astype(_WIDE) if is_half(x) else x


def narrow(y, like):
    """``y`` rounded back to ``like``'s dtype (once, at the end of a forward)."""
    if getattr(y, "dtype", like.dtype) == like.dtype:
        return y
    with np.errstate(over="ignore"):  # beyond float16's range is inf, as in PyTorch
        return y.astype(like.dtype)


def remember(ctx, x) -> None:
    """In a forward: note for the rule whether ``x`` is half (``ctx.wide``: a float32
    constant to cast against, or None)."""
    ctx.wide = ctx.xp.zeros((), dtype=_WIDE) if is_half(x) else None


def up(m, ctx, v):
    """In a rule: ``v`` (array or Tensor) in float32 when the forward was half."""
    if v is None or getattr(ctx, "wide", None) is None:
        return v
    return m.cast(v, m.const(ctx.wide))
