"""``linalg.ldl_factor`` (``_ex``) and ``linalg.ldl_solve``: A = P L D L^T P^T for a
symmetric, possibly indefinite A (D with 1x1 and 2x2 blocks, Bunch-Kaufman pivoting), in
LAPACK's compact ``sytrf`` form, as PyTorch. Not differentiable, as in PyTorch (use
``linalg.solve`` for gradients). The algorithm is in `_ldl_array`.
"""

from __future__ import annotations

from .._backend import backend_of
from ..tensor import Tensor, _wrap
from ._common import LinAlgError, check_matrix, check_tensor, results
from ._ldl_array import ldl_factor_array, ldl_solve_array
from ._lu_array import broadcast_shapes

LDLFactor = results("linalg_ldl_factor", "LD", "pivots")
LDLFactorEx = results("linalg_ldl_factor_ex", "LD", "pivots", "info")

__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False,
                  check_errors: bool = False) -> LDLFactorEx:
    """(LD, pivots, info): LD holds L below the diagonal (unit diagonal implied) and D's
    blocks on and just below it; pivots are 1-based, negative twice for a 2x2 block;
    info is the first k with D_kk = 0 (1-based; 0 if none). Reads A's lower triangle."""
    name = "torch.linalg.ldl_factor_ex"
    check_matrix(name, A, square=True)
    xp = backend_of(A._data).xp
    ld, pivots, info = ldl_factor_array(xp, A.detach()._data)
    if check_errors and bool((info != 0).any()):
        raise LinAlgError(f"{name}: the factorization could not be completed: D has a zero "
                          f"diagonal block (info = {int(info.max())}), the matrix is singular")
    return LDLFactorEx(_wrap(ld), _wrap(pivots), _wrap(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False) -> LDLFactor:
    """(LD, pivots) of ``ldl_factor_ex``; raises LinAlgError when D is singular."""
    check_matrix("torch.linalg.ldl_factor", A, square=True)
    ld, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    if bool((info != 0).any()):
        raise LinAlgError(f"torch.linalg.ldl_factor: the matrix is singular: the diagonal "
                          f"block {int(info.max())} of D is zero (use ldl_factor_ex to get "
                          f"info without an error)")
    return LDLFactor(ld, pivots)


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """X with A X = B, from A's ``ldl_factor`` (LD, pivots); batch dims broadcast."""
    name = "torch.linalg.ldl_solve"
    check_matrix(name, LD, square=True, what="LD")
    check_tensor(name, "pivots", pivots)
    check_tensor(name, "B", B)
    if pivots._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: Expected pivots to be integers. Got "
                           f"{pivots.dtype.name.capitalize()} (pass the pivots ldl_factor "
                           f"returned)")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, "
                           f"but got pivots with shape {list(pivots.shape)} instead (LD has "
                           f"shape {list(LD.shape)})")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: B must have at least 2 dimensions (got shape "
                           f"{list(B.shape)}); use B.unsqueeze(-1) for one right-hand side")
    if B._data.dtype != LD._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{B.dtype.name} and A of type {LD.dtype.name} instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is {n} by {n} "
                           f"but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    xp = backend_of(LD._data).xp
    batch = broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2]))
    ld = xp.broadcast_to(LD.detach()._data, batch + (n, n))
    piv = xp.broadcast_to(pivots._data, batch + (n,))
    b = xp.broadcast_to(B.detach()._data, batch + tuple(B.shape[-2:]))
    return _wrap(ldl_solve_array(xp, ld, piv, b))
