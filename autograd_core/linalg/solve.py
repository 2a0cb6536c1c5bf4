"""Inverses and linear solves: ``inv``, ``solve``, ``solve_triangular`` (and ``_ex`` forms).

For Y = A^{-1}:           dL/dA = -Y^T G Y^T
For X = A^{-1} B:         dL/dB = A^{-T} G  (another solve),   dL/dA = -dL/dB X^T
For X = T^{-1} B, T triangular: the same, with dL/dA kept to T's triangle.

The solves inside the rules go through ``m.apply``, so the gradients are differentiable again.
"""

from __future__ import annotations

from .._backend import backend_of
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor, _wrap
from ._common import (
    LinAlgError,
    check_matrix,
    check_tensor,
    results,
    rule_triangle,
    same_dtype,
    singular_error,
)
from ._lu_array import (
    check_finite,
    is_linalg_failure,
    lu_factor_array,
    quiet,
    triangular_solve_array,
)

InvEx = results("linalg_inv_ex", "inverse", "info")
SolveEx = results("linalg_solve_ex", "result", "info")


def _info(xp, a):
    """LAPACK's ``info`` per matrix: 0, or the 1-based index of the first zero pivot."""
    return lu_factor_array(xp, a)[2]


def _raise_for(name: str, info, message=None) -> None:
    flat = info.reshape(-1)
    bad = [i for i, v in enumerate(flat.tolist()) if v != 0]
    if not bad:
        return
    batch = f"(Batch element {bad[0]}): " if info.ndim > 0 else ""
    if message is None:
        err = singular_error(name, flat[bad[0]])
        raise LinAlgError(f"{name}: {batch}{str(err).split(': ', 1)[1]}")
    raise LinAlgError(f"{name}: {batch}{message}")


class Inv(Function):
    """Y = A^{-1}:  dL/dA = -Y^T G Y^T."""

    rule = Rule("Y = A^-1", r"Y = A^{-1}",
                Input("A", "dY = -Y dA Y", r"dY = -Y\, dA\, Y", "-Y^T G Y^T", r"-Y^{\top} G\, Y^{\top}"),
                None)

    @staticmethod
    def forward(ctx, a, check=True):
        xp = ctx.xp
        try:
            out = check_finite(xp, xp.linalg.inv(a), a)
        except Exception as exc:  # a singular matrix: PyTorch's error, or inf/nan unchecked
            if not is_linalg_failure(exc):
                raise
            info = _info(xp, a)
            if check:
                _raise_for("linalg.inv", info)
            eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
            out = _lu_solve_unchecked(xp, a, eye)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        yt = ctx.math.mT(y)
        return -(yt @ grad @ yt), None


def _lu_solve_unchecked(xp, a, b):
    """A^{-1} B through LU with partial pivoting, giving inf/nan for singular A."""
    from ._lu_array import permutation_matrix, pivots_to_permutation

    lu, piv, _ = lu_factor_array(xp, a)
    perm = pivots_to_permutation(xp, piv, a.shape[-1])
    p = permutation_matrix(xp, perm, a.dtype)
    y = triangular_solve_array(xp, lu, xp.swapaxes(p, -1, -2) @ b, upper=False, unit=True)
    return triangular_solve_array(xp, lu, y, upper=True, unit=False)


class Solve(Function):
    """X = A^{-1} B (B a batch of matrices):  dL/dB = A^{-T} G,  dL/dA = -dL/dB X^T."""

    rule = Rule("Y = A^-1 B", r"Y = A^{-1} B",
                Input("A", "dY = -A^-1 dA Y", r"dY = -A^{-1} dA\, Y", "-(A^-T G) Y^T",
                      r"-(A^{-\top} G)\, Y^{\top}"),
                Input("B", "dY = A^-1 dB", r"dY = A^{-1} dB", "A^-T G", r"A^{-\top} G"), None)

    @staticmethod
    def forward(ctx, a, b, check=True):
        xp = ctx.xp
        try:
            out = check_finite(xp, xp.linalg.solve(a, b), a, b)
        except Exception as exc:
            if not is_linalg_failure(exc):
                raise
            if check:
                _raise_for("torch.linalg.solve", _info(xp, a),
                           "The solver failed because the input matrix is singular.")
            out = _lu_solve_unchecked(xp, a, b)
        ctx.save_for_backward(a, out if ctx.needs_input_grad[0] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_b = m.apply(Solve, m.mT(a), grad)
        grad_a = -(grad_b @ m.mT(x)) if need_a else None
        return grad_a, (grad_b if need_b else None), None


class SolveTriangular(Function):
    """X = T^{-1} B, T the lower (or upper) triangle of A, with a unit diagonal if asked:
    dL/dB = T^{-T} G,  dL/dA = -tri(dL/dB X^T)."""

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        xp = ctx.xp
        ctx.upper, ctx.unit = upper, unitriangular
        out = triangular_solve_array(xp, a, b, upper, unitriangular)
        ctx.save_for_backward(a, out if ctx.needs_input_grad[0] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_b = m.apply(SolveTriangular, m.mT(a), grad, not ctx.upper, ctx.unit)
        grad_a = None
        if need_a:
            k = int(ctx.unit)
            mask = rule_triangle(ctx, a, ctx.upper, k if ctx.upper else -k)
            grad_a = -(grad_b @ m.mT(x)) * mask
        return grad_a, (grad_b if need_b else None), None, None


# ----------------------------------------------------------------------------- functions
def inv(A: Tensor) -> Tensor:
    """The inverse of a (batch of) square matrix; `LinAlgError` if one is singular."""
    check_matrix("linalg.inv", A, square=True)
    return Inv.apply(A)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvEx:
    """``inv`` that returns ``info`` (0, or the first zero pivot) instead of raising."""
    check_matrix("linalg.inv_ex", A, square=True)
    xp_info = _info_of(A)
    if check_errors:
        _raise_for("linalg.inv_ex", xp_info)
    return InvEx(Inv.apply(A, False), _wrap(xp_info))


def _info_of(A: Tensor):
    return _info(backend_of(A._data).xp, A._data)


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) when it is 1-D, or has A's batch shape."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _check_solve(name: str, A: Tensor, B: Tensor, left: bool) -> None:
    check_matrix(name, A, square=True)
    check_tensor(name, "B", B)
    same_dtype(name, A, B)
    if B.ndim < 1:
        raise RuntimeError(f"{name}: The input tensor B must have at least 1 dimension")
    n = A.shape[-1]
    vec = _is_vector_rhs(A, B)
    k = B.shape[-1] if vec else (B.shape[-2] if left else B.shape[-1])
    if k != n:
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
            f"{'x'.join(str(s) for s in B.shape[-2:])}); B needs {n} "
            f"{'rows' if left else 'columns'}")


def _solve(A: Tensor, B: Tensor, left: bool, check: bool) -> Tensor:
    if _is_vector_rhs(A, B):
        return Solve.apply(A, B[..., None], check)[..., 0]
    if left:
        return Solve.apply(A, B, check)
    return Solve.apply(A.mT, B.mT, check).mT


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B when ``left=False``); batch dims broadcast."""
    _check_solve("linalg.solve", A, B, left)
    return _solve(A, B, left, True)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveEx:
    """``solve`` that returns ``info`` instead of raising for a singular A."""
    _check_solve("linalg.solve_ex", A, B, left)
    info = _info_of(A)
    if check_errors:
        _raise_for("torch.linalg.solve_ex", info,
                   "The solver failed because the input matrix is singular.")
    with quiet(backend_of(A._data).xp):
        return SolveEx(_solve(A, B, left, False), _wrap(info))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with T X = B (or X T = B), T the upper or lower triangle of A (its diagonal taken
    as ones when ``unitriangular``). A zero on the diagonal gives inf/nan, as in PyTorch."""
    name = "linalg.solve_triangular"
    check_matrix(name, A, square=True)
    check_matrix(name, B, what="B")
    same_dtype(name, A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if left:
        return SolveTriangular.apply(A, B, upper, unitriangular)
    return SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
