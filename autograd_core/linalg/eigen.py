"""Symmetric eigendecomposition and SVD: ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``.

With E_ij = λ_j - λ_i (i ≠ j) and skew(X) = (X - X^T)/2, for A = V diag(λ) V^T:

    dL/dA = V (diag(G_λ) + skew(V^T G_V) / E) V^T

For A = U diag(s) V^T (k = min(m, n)), with F_ij = s_j^2 - s_i^2 (i ≠ j):

    J = ((U^T G_U - G_U^T U) s_j + s_i (V^T G_V - G_V^T V)) / F,
    dL/dA = U (J + diag(G_s)) V^T  (+ (I - U U^T) G_U diag(1/s) V^T when m > n,
                                     + U diag(1/s) G_V^T (I - V V^T) when m < n)

Repeated eigenvalues (singular values) divide by zero: inf/nan, as in PyTorch. The
eigenvectors are defined up to sign, so only losses that do not depend on the sign (the
"gauge") have a meaningful gradient.
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor
from ._common import check_matrix, results, rule_eye
from ._lu_array import quiet

EighResult = results("linalg_eigh", "eigenvalues", "eigenvectors")
SVDResult = results("linalg_svd", "U", "S", "Vh")
SvdOld = results("svd", "U", "S", "V")


class Eigh(Function):
    """λ, V with A = V diag(λ) V^T (ascending λ; the ``UPLO`` triangle of A is read). An
    output that received no gradient arrives as None (not zeros), so eigenvalues alone
    never divide by the gaps: dL/dA = V diag(G_λ) V^T, finite for repeated eigenvalues."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = ctx.xp.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, grad_w, grad_v):
        w, v = ctx.saved
        m = ctx.math
        eye = rule_eye(ctx, v)
        inner = None if grad_w is None else eye * grad_w[..., None, :]
        if grad_v is not None:
            vtg = m.mT(v) @ grad_v
            skew = (vtg - m.mT(vtg)) * 0.5
            gap = w[..., None, :] - w[..., :, None] + eye  # diagonal set to 1
            with quiet(ctx.xp):  # a repeated eigenvalue gives inf/nan, as in PyTorch
                part = skew / gap
            inner = part if inner is None else inner + part
        return v @ inner @ m.mT(v), None


class Svd(Function):
    """U, s, V^T with A = U diag(s) V^T (reduced: U is m x k, V^T is k x n). Outputs that
    received no gradient arrive as None: singular values alone give U diag(G_s) V^T, finite
    for repeated (or zero) singular values, as in PyTorch."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, a):
        u, s, vh = ctx.xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved
        m = ctx.math
        eye = rule_eye(ctx, s)  # k x k
        if grad_u is None and grad_vh is None:
            return u @ (eye * grad_s[..., None, :]) @ vh
        grad_u = m.zeros_like(u) if grad_u is None else grad_u
        grad_vh = m.zeros_like(vh) if grad_vh is None else grad_vh
        grad_s = m.zeros_like(s) if grad_s is None else grad_s
        rows, cols = u.shape[-2], vh.shape[-1]
        v, grad_v = m.mT(vh), m.mT(grad_vh)
        utg = m.mT(u) @ grad_u
        vtg = vh @ grad_v
        sk_u = utg - m.mT(utg)
        sk_v = vtg - m.mT(vtg)
        sq = s * s
        gap = sq[..., None, :] - sq[..., :, None] + eye
        with quiet(ctx.xp):  # repeated singular values give inf/nan, as in PyTorch
            inner = (sk_u * s[..., None, :] + s[..., :, None] * sk_v) / gap
        inner = inner + eye * grad_s[..., None, :]
        out = u @ inner @ vh
        if rows > cols:  # the part of G_U outside U's span
            out = out + ((grad_u - u @ utg) / s[..., None, :]) @ vh
        elif rows < cols:
            out = out + u @ ((m.mT(grad_v) - m.mT(grad_v) @ v @ vh) / s[..., :, None])
        return out


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only the
    ``UPLO`` ('L' or 'U') triangle is read."""
    check_matrix("linalg.eigh", A, square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of a symmetric matrix, ascending (differentiable through `eigh`)."""
    check_matrix("linalg.eigvalsh", A, square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return Eigh.apply(A, UPLO)[0]


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> SVDResult:
    """U, S, Vh with A = U diag(S) Vh, S descending. With ``full_matrices`` U and Vh are
    square (their extra columns / rows are any orthonormal completion and carry no
    gradient)."""
    check_matrix("linalg.svd", A)
    u, s, vh = Svd.apply(A)
    rows, cols = A.shape[-2:]
    if full_matrices and rows != cols:
        from .._backend import backend_of
        from ..tensor import _wrap

        xp = backend_of(A._data).xp
        fu, _, fvh = xp.linalg.svd(A._data, full_matrices=True)
        from ..ops.joining import cat

        k = min(rows, cols)
        if rows > cols:
            u = cat([u, _wrap(fu[..., :, k:])], -1)
        else:
            vh = cat([vh, _wrap(fvh[..., k:, :])], -2)
    return SVDResult(u, s, vh)


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values, descending (differentiable through `svd`)."""
    check_matrix("linalg.svdvals", A)
    return Svd.apply(A)[1]
