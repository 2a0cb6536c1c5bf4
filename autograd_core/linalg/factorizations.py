"""Factorizations: ``cholesky`` (A = L L^T), ``qr`` (A = Q R), ``lu_factor``/``lu`` (A = P L U)
and ``lu_solve``.

Backward rules (G_X the gradient of output X; tril/triu the triangles, Φ(X) = tril(X) with
the diagonal halved):

    cholesky:  dL/dA = sym(L^{-T} Φ(L^T G_L) L^{-1}),  sym(X) = (X + X^T)/2
    qr (m>=n): dL/dA = (G_Q + Q copyltu(M)) R^{-T},  M = R G_R^T - G_Q^T Q,
               copyltu(M) = tril(M) + tril(M, -1)^T
    lu:        dL/dA = P L^{-T} (tril(L^T G_L, -1) + triu(G_U U^T)) U^{-T}   (square A)
"""

from __future__ import annotations

import math

from .._backend import backend_of
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor, _wrap
from ._common import (
    LinAlgError,
    check_matrix,
    check_tensor,
    eye_like,
    raw_dtype,
    results,
    rule_eye,
    rule_triangle,
    same_dtype,
    tril,
    triu,
)
from ._lu_array import (
    check_finite,
    is_linalg_failure,
    lu_factor_array,
    permutation_matrix,
    pivots_to_permutation,
)
from .solve import SolveTriangular, solve_triangular

CholeskyEx = results("linalg_cholesky_ex", "L", "info")
QR = results("linalg_qr", "Q", "R")
LUFactorResult = results("linalg_lu_factor", "LU", "pivots")
LUFactorEx = results("linalg_lu_factor_ex", "LU", "pivots", "info")
LUResult = results("linalg_lu", "P", "L", "U")


def _right_solve_upper(m, r, x, unit=False):
    """X R^{-T} for upper-triangular R, as (R^{-1} X^T)^T (differentiable through apply)."""
    return m.mT(m.apply(SolveTriangular, r, m.mT(x), True, unit))


# ----------------------------------------------------------------------------- cholesky
def _cholesky_info(xp, a):
    """Per matrix: 0, or the order of the first leading minor that is not positive definite."""
    flat = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])
    info = []
    for mat in flat:
        bad = 0
        for k in range(1, mat.shape[-1] + 1):
            try:
                check_finite(xp, xp.linalg.cholesky(mat[:k, :k]))
            except Exception:
                bad = k
                break
        info.append(bad)
    return xp.asarray(info, dtype="int32").reshape(a.shape[:-2])


class Cholesky(Function):
    """L with A = L L^T (lower triangle of A read):
    dL/dA = sym(L^{-T} Φ(L^T G) L^{-1}), Φ = lower triangle with the diagonal halved."""

    rule = Rule("L = chol(A), A = L L^T", r"L = \operatorname{chol}(A),\; A = L L^{\top}",
                Input("A", "dL = L Phi(L^-1 dA L^-T)", r"dL = L\, \Phi(L^{-1} dA\, L^{-\top})",
                      "sym(L^-T Phi(L^T G) L^-1)",
                      r"\operatorname{sym}(L^{-\top} \Phi(L^{\top} G) L^{-1})"), None)

    @staticmethod
    def forward(ctx, a, check=True):
        xp = ctx.xp
        try:
            out = check_finite(xp, xp.linalg.cholesky(a), a)
        except Exception as exc:
            if not is_linalg_failure(exc):
                raise
            info = _cholesky_info(xp, a)
            if check:
                _cholesky_error(info)
            out = xp.full(a.shape, float("nan"), dtype=a.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (low,) = ctx.saved
        m = ctx.math
        half_diag = rule_triangle(ctx, low, False) - rule_eye(ctx, low) * 0.5
        phi = (m.mT(low) @ grad) * half_diag
        # L^{-T} phi: L^T is upper triangular; then (.) L^{-1} = (L^{-T} (.)^T)^T
        left = m.apply(SolveTriangular, m.mT(low), phi, True, False)
        ga = m.mT(m.apply(SolveTriangular, m.mT(low), m.mT(left), True, False))
        return (ga + m.mT(ga)) * 0.5, None


def _cholesky_error(info) -> None:
    flat = info.reshape(-1).tolist()
    bad = [i for i, v in enumerate(flat) if v]
    if bad:
        batch = f"(Batch element {bad[0]}): " if info.ndim else ""
        raise LinAlgError(
            f"linalg.cholesky: {batch}The factorization could not be completed because the "
            f"input is not positive-definite (the leading minor of order {flat[bad[0]]} is not "
            "positive-definite).")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L (lower triangular, positive diagonal) with A = L L^T; U = L^T when ``upper``."""
    check_matrix("linalg.cholesky", A, square=True)
    low = Cholesky.apply(A)
    return low.mT if upper else low


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:
    """``cholesky`` returning ``info`` (0, or the order of the failing minor) instead of
    raising."""
    check_matrix("linalg.cholesky_ex", A, square=True)
    info = _cholesky_info(backend_of(A._data).xp, A._data)
    if check_errors:
        _cholesky_error(info)
    low = Cholesky.apply(A, False)
    return CholeskyEx(low.mT if upper else low, _wrap(info))


# ----------------------------------------------------------------------------- qr
class Qr(Function):
    """Q, R with A = Q R (reduced or complete). For A = [X | Y] wider than tall, X = Q U
    (square) and the gradient is split: dL/dY = Q G_V, dL/dX from G_Q + Y G_V^T and G_U."""

    @staticmethod
    def forward(ctx, a, mode):
        q, r = ctx.xp.linalg.qr(a, mode="reduced" if mode == "r" else mode)
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        q, r = ctx.saved
        m = ctx.math
        rows, cols = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and rows > cols:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if rows >= cols:
            return _qr_square_or_tall(m, ctx, q, r, grad_q, grad_r), None
        # wide: A = [X | Y], R = [U | V]
        u, v = r[..., :, :rows], r[..., :, rows:]
        gu, gv = grad_r[..., :, :rows], grad_r[..., :, rows:]
        y = q @ v
        gx = _qr_square_or_tall(m, ctx, q, u, grad_q + y @ m.mT(gv), gu)
        return m.concatenate([gx, q @ gv], -1), None


def _qr_square_or_tall(m, ctx, q, r, gq, gr):
    mat = r @ m.mT(gr) - m.mT(gq) @ q
    low = mat * rule_triangle(ctx, mat, False)
    strict = mat * rule_triangle(ctx, mat, False, -1)
    return _right_solve_upper(m, r, gq + q @ (low + m.mT(strict)))


def qr(A: Tensor, mode: str = "reduced") -> QR:
    """Q (orthonormal columns) and R (upper triangular) with A = Q R. ``mode``: 'reduced'
    (Q is m x k), 'complete' (Q is m x m) or 'r' (R only; Q is empty)."""
    check_matrix("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        from ..factories import empty

        _, r = Qr.apply(A, "r")
        return QR(empty(0, dtype=A.dtype, device=A.device), r)
    return QR(*Qr.apply(A, mode))


# ----------------------------------------------------------------------------- lu
class LUFactor(Function):
    """The packed LU = (L - I) + U of A = P L U, and the pivots. For square A:
    dL/dA = P L^{-T} (tril(L^T G_L, -1) + triu(G_U U^T)) U^{-T}, G_L, G_U the triangles of G;
    a wide (tall) A adds the part of U (L) beyond the square block, solved through L (U)."""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        lu, piv, info = lu_factor_array(xp, a)
        ctx.info = info
        perm = pivots_to_permutation(xp, piv, a.shape[-2])
        ctx.p = permutation_matrix(xp, perm, a.dtype)
        ctx.save_for_backward(lu)
        return lu, piv

    @staticmethod
    def backward(ctx, grad, _grad_pivots=None):
        (lu,) = ctx.saved
        m = ctx.math
        rows, cols = lu.shape[-2:]
        k = min(rows, cols)
        low = lu[..., :, :k] * rule_triangle(ctx, lu[..., :, :k], False, -1) + m.const(
            ctx.xp.eye(rows, k, dtype=raw_dtype(lu)))
        up = lu[..., :k, :] * rule_triangle(ctx, lu[..., :k, :], True)
        g_low = grad[..., :, :k] * rule_triangle(ctx, grad[..., :, :k], False, -1)
        g_up = grad[..., :k, :] * rule_triangle(ctx, grad[..., :k, :], True)
        p = m.const(ctx.p)
        if rows == cols:
            return p @ _lu_square_grad(ctx, low, up, g_low, g_up)
        if rows < cols:  # A = P L [U1 | U2]:  U2's gradient feeds L's and reaches A2 directly
            u1, u2 = up[..., :, :rows], up[..., :, rows:]
            g_u1, g_u2 = g_up[..., :, :rows], g_up[..., :, rows:]
            lt_inv_gu2 = m.apply(SolveTriangular, m.mT(low), g_u2, True, True)  # L^{-T} G_U2
            g_low = g_low - lt_inv_gu2 @ m.mT(u2)
            g1 = _lu_square_grad(ctx, low, u1, g_low, g_u1)
            return p @ m.concatenate([g1, lt_inv_gu2], -1)
        # A = P [L1; L2] U:  L2's gradient feeds U's and reaches A2 directly
        l1, l2 = low[..., :cols, :], low[..., cols:, :]
        g_l1, g_l2 = g_low[..., :cols, :], g_low[..., cols:, :]
        g_l2_ut_inv = _right_solve_upper(m, up, g_l2)  # G_L2 U^{-T}
        g_up = g_up - m.mT(l2) @ g_l2_ut_inv
        top = _lu_square_grad(ctx, l1, up, g_l1, g_up)
        return p @ m.concatenate([top, g_l2_ut_inv], -2)


def _lu_square_grad(ctx, low, up, g_low, g_up):
    """L^{-T} (tril(L^T G_L, -1) + triu(G_U U^T)) U^{-T} for square L (unit) and U."""
    m = ctx.math
    phi = (m.mT(low) @ g_low) * rule_triangle(ctx, low, False, -1) + (
        g_up @ m.mT(up)) * rule_triangle(ctx, up, True)
    left = m.apply(SolveTriangular, m.mT(low), phi, True, True)
    return _right_solve_upper(m, up, left)


def _lu_checks(name: str, A: Tensor) -> None:
    check_matrix(name, A)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorEx:
    """``lu_factor`` with ``info`` (the first zero pivot, 1-based; 0 if none)."""
    _lu_checks("linalg.lu_factor_ex", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv = LUFactor.apply(A)
    info = lu_factor_array(backend_of(A._data).xp, A._data)[2]
    if check_errors and bool((info != 0).any()):
        raise LinAlgError("torch.linalg.lu_factor_ex: the factorization found a zero pivot "
                          "(U is singular)")
    return LUFactorEx(lu, piv, _wrap(info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:
    """P A = L U packed as (LU, pivots): L's strict lower triangle (unit diagonal implied) and
    U in one matrix; pivots are LAPACK's 1-based row swaps."""
    _lu_checks("linalg.lu_factor", A)
    lu, piv, _ = lu_factor_ex(A, pivot=pivot)
    return LUFactorResult(lu, piv)


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:
    """P, L, U with A = P L U (L unit lower triangular m x k, U upper k x n, k = min(m, n))."""
    _lu_checks("linalg.lu", A)
    if not pivot:  # (PyTorch has it on CUDA only)
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU; "
                           "leave pivot=True (the P of the result holds the row swaps)")
    return lu_unpack(*LUFactor.apply(A))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> LUResult:
    """P, L, U from the packed ``lu_factor`` result (differentiable in ``LU_data``); a part
    not asked for is an empty tensor, as in PyTorch."""
    from ..factories import empty

    check_matrix("lu_unpack", LU_data, what="LU_data")
    xp = backend_of(LU_data._data).xp
    rows, cols = LU_data.shape[-2:]
    k = min(rows, cols)
    p = low = up = empty(0, dtype=LU_data.dtype, device=LU_data.device)
    if unpack_pivots:
        perm = pivots_to_permutation(xp, LU_pivots._data, rows)
        p = _wrap(permutation_matrix(xp, perm, LU_data._data.dtype))
    if unpack_data:
        low = tril(LU_data[..., :, :k], -1) + eye_like(LU_data, rows)[:, :k]
        up = triu(LU_data[..., :k, :])
    return LUResult(p, low, up)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """X with A X = B (A^T X = B when ``adjoint``; X A = B when not ``left``) from A's
    ``lu_factor``: X = U^{-1} L^{-1} P^T B."""
    name = "linalg.lu_solve"
    check_matrix(name, LU, square=True, what="LU")
    check_tensor(name, "pivots", pivots)
    check_matrix(name, B, what="B")
    same_dtype(name, LU, B)
    xp = backend_of(LU._data).xp
    n = LU.shape[-1]
    p = _wrap(permutation_matrix(xp, pivots_to_permutation(xp, pivots._data, n), LU._data.dtype))
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    if adjoint:  # A^T = U^T L^T P^T:  X = P L^{-T} U^{-T} B
        y = solve_triangular(LU.mT, B, upper=False)
        return p @ solve_triangular(LU.mT, y, upper=True, unitriangular=True)
    y = solve_triangular(LU, p.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(LU, y, upper=True)
