"""``norm_except_dim``: the norm weight normalisation divides by."""

from __future__ import annotations

from autograd_core import Tensor


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """||v||_pow over every dim except ``dim``, kept as size-1 dims so it broadcasts
    against v (``dim=-1``: the norm of the whole tensor, a 0-d tensor)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.dim() if v.dim() else 0
    others = tuple(d for d in range(v.dim()) if d != dim)
    if not others:
        return v.abs()
    return v.norm(pow, others, keepdim=True)
