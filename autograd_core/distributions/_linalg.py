"""The linear algebra the Gaussian distributions need, as one-rule primitives:
a Cholesky factorisation and a triangular solve (``autograd_core.linalg`` does not exist yet).

    solve:     X = A^-1 B (A triangular)    dB = A^-T G,   dA = -tri(dB X^T)
    cholesky:  A = L L^T                    dA = sym(L^-T Phi(L^T G) L^-1)

where tri keeps A's triangle, Phi keeps the lower triangle with the diagonal halved, and
sym(S) = (S + S^T)/2 (the gradient of a function of a symmetric matrix).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core.function import Function
from autograd_core.tensor import Tensor


def _triangle_mask(xp, n: int, dtype, upper: bool):
    ones = xp.ones((n, n), dtype=dtype)
    return xp.triu(ones) if upper else xp.tril(ones)


class TriangularSolve(Function):
    """X = A^-1 B for triangular A (only A's ``upper`` or lower triangle is read)."""

    @staticmethod
    def forward(ctx, a, b, upper: bool = False):
        xp = ctx.xp
        mask = _triangle_mask(xp, a.shape[-1], a.dtype, upper)
        out = xp.linalg.solve(a * mask, b)
        ctx.save_for_backward(a, out, mask, upper)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out, mask, upper = ctx.saved
        m = ctx.math
        grad_b = m.apply(TriangularSolve, m.mT(a), grad, upper=not upper)
        grad_a = -(grad_b @ m.mT(out)) * mask
        return grad_a, grad_b


class Cholesky(Function):
    """L lower triangular with L L^T = A (A symmetric positive definite)."""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        try:
            out = xp.linalg.cholesky(a)
        except Exception as error:  # NumPy's LinAlgError
            raise RuntimeError(
                "cholesky: The factorization could not be completed because the input is not "
                f"positive-definite (matrix of shape {tuple(a.shape)}); pass a symmetric "
                "positive-definite matrix") from error
        if not bool(xp.isfinite(out).all()):  # CuPy returns NaNs instead of raising
            raise RuntimeError(
                "cholesky: The factorization could not be completed because the input is not "
                f"positive-definite (matrix of shape {tuple(a.shape)})")
        n = a.shape[-1]
        phi = xp.tril(xp.ones((n, n), dtype=a.dtype)) - 0.5 * xp.eye(n, dtype=a.dtype)
        ctx.save_for_backward(out, phi)
        return out

    @staticmethod
    def backward(ctx, grad):
        lower, phi = ctx.saved
        m = ctx.math
        upper = m.mT(lower)
        p = (upper @ grad) * phi
        y = m.apply(TriangularSolve, upper, p, upper=True)  # L^-T P
        s = m.mT(m.apply(TriangularSolve, upper, m.mT(y), upper=True))  # L^-T P L^-1
        return (s + m.mT(s)) * 0.5


def cholesky(a: Tensor) -> Tensor:
    return Cholesky.apply(a)


def solve_triangular(a: Tensor, b: Tensor, upper: bool = False) -> Tensor:
    """A^-1 B for triangular A; batch dimensions broadcast."""
    batch = _broadcast(a.shape[:-2], b.shape[:-2])
    a = a.expand(batch + tuple(a.shape[-2:]))
    b = b.expand(batch + tuple(b.shape[-2:]))
    return TriangularSolve.apply(a, b, upper=upper)


def _broadcast(*shapes) -> tuple:
    import numpy as np

    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


def inverse_spd(a: Tensor) -> Tensor:
    """A^-1 for symmetric positive-definite A, as L^-T L^-1 with L = cholesky(A)."""
    lower = cholesky(a)
    eye = ag.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    inv_lower = solve_triangular(lower, eye)
    return inv_lower.mT @ inv_lower
