"""Randomised low-rank SVD and PCA (Halko, Martinsson and Tropp, 2011): ``svd_lowrank`` and
``pca_lowrank``.

To approximate the top q singular triplets of an (m, n) matrix A: draw a Gaussian (n, q) R,
take an orthonormal basis Q of the range of A R (QR), sharpen it with ``niter`` power
iterations Q <- qr(A qr(A^T Q)), then

    B = Q^T A  (q, n),   B = U_B S V^T (exact SVD),   A ~ (Q U_B) S V^T.

Every step is a differentiable operation (matmul, QR, SVD), so the factors are too. The
draws make the signs of the singular vectors random, as PyTorch's are.
"""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["svd_lowrank", "pca_lowrank"]


def _basis(a: Tensor, q: int, niter: int) -> Tensor:
    from ..factories import randn
    from ..linalg import qr

    r = randn(tuple(a.shape[:-2]) + (a.shape[-1], q), dtype=a.dtype, device=a.device)
    basis = qr(a @ r).Q
    for _ in range(niter):
        basis = qr(a.mT @ basis).Q
        basis = qr(a @ basis).Q
    return basis


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int = 2, M: Tensor | None = None) -> tuple:
    """``(U, S, V)`` with ``A - M ~ U diag(S) V^T`` for the ``q`` largest singular values."""
    from ..linalg import svd

    q = 6 if q is None else int(q)
    a = A if M is None else A - M
    m, n = a.shape[-2:]
    if q < 0:
        raise ValueError(f"svd_lowrank: q(={q}) must be non-negative (a q above min(m, n) = "
                         f"{min(m, n)} gives min(m, n) triplets)")
    if m < n:  # (work on the taller transpose, and swap the factors back)
        v, s, u = svd_lowrank(a.mT, q, niter)
        return u, s, v
    basis = _basis(a, q, niter)
    u_b, s, vh = svd(basis.mT @ a, full_matrices=False)
    return basis @ u_b, s, vh.mT


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2) -> tuple:
    """``svd_lowrank`` of ``A`` with each column's mean removed first (``center``): the
    principal directions are V's columns."""
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else int(q)
    if not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q(={q}) must be non-negative and at most min(m, n) = "
                         f"{min(m, n)} for a matrix of shape {list(A.shape)}")
    a = A - A.mean(-2, keepdim=True) if center else A
    return svd_lowrank(a, q, niter)
