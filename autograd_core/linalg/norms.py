"""Norms: ``vector_norm``, ``matrix_norm``, ``norm`` and the condition number ``cond``.

    vector p-norm   ||x||_p = (sum_i |x_i|^p)^(1/p)   (inf: max |x_i|, 0: count of nonzeros)
    Frobenius       ||A||_F = ||vec A||_2
    nuclear / 2     sum_i s_i  /  max_i s_i           (singular values, via `svdvals`)
    1 / inf         max column / row sum of |A|
    cond_p(A)       ||A||_p ||A^{-1}||_p              (p = 2: s_max / s_min)

All are compositions of differentiable operations, so they inherit their rules (at x = 0
the 2-norm's gradient is 0, the subgradient PyTorch picks).
"""

from __future__ import annotations

import math

from ..ops import norm as _ops_norm
from ..ops.norm import norm as _vector_norm
from ..tensor import Tensor
from ._common import check_matrix, check_tensor
from .eigen import svdvals
from .solve import inv_ex


def _nuclear(A: Tensor, dim, keepdim: bool) -> Tensor:
    return matrix_norm(A, "nuc", dim, keepdim)


_ops_norm.matrix_norms["nuc"] = _nuclear  # torch.norm(A, 'nuc') (ops cannot import linalg)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements when None)."""
    check_tensor("linalg.vector_norm", "input", x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r} (the "
                           "matrix norms 'fro' and 'nuc' are in linalg.matrix_norm)")
    return _vector_norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def _two_dims(name: str, A: Tensor, dim) -> tuple[int, int]:
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (d % A.ndim if -A.ndim <= d < A.ndim else None for d in dim)
    if d0 is None or d1 is None:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-A.ndim}, {A.ndim - 1}], but got {dim})")
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,
                dtype=None) -> Tensor:
    """The matrix norm ``ord`` ('fro', 'nuc', 2, -2, 1, -1, inf, -inf) over the two dims."""
    name = "linalg.matrix_norm"
    check_matrix(name, A)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _two_dims(name, A, dim)
    if ord == "fro":
        return _vector_norm(A, p=2, dim=(d0, d1), keepdim=keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(inner, keepdim=True)
        out = sums.amax(outer, keepdim=True) if ord > 0 else sums.amin(outer, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported. Use 'fro', 'nuc', "
                       "2, -2, 1, -1, inf or -inf.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a 2-tuple,
    or a 2-D input with ``ord`` given). With neither ``ord`` nor ``dim``: the 2-norm of all
    elements."""
    check_tensor("linalg.norm", "input", A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number: s_max / s_min for p = None or 2 (s_min / s_max for -2), else
    ||A||_p ||A^{-1}||_p (inf for a singular matrix)."""
    check_matrix("linalg.cond", A)
    if p is None or p in (2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    check_matrix("linalg.cond", A, square=True)
    inverse, info = inv_ex(A)
    out = matrix_norm(A, p) * matrix_norm(inverse, p)
    if bool((info != 0).any()):
        from ..ops.selection import where

        out = where(info != 0, float("inf"), out)
    return out
