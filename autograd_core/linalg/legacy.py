"""The top-level forms PyTorch keeps beside ``torch.linalg``: ``inverse``, ``det``,
``logdet``, ``slogdet``, ``cholesky`` (with ``upper=``), ``pinverse`` (with ``rcond``),
``matrix_exp``, ``matrix_power``, ``svd`` (``some=``, returning V rather than V^T), ``qr``
(``some=``), ``chain_matmul``, ``cholesky_solve``, ``cholesky_inverse``,
``triangular_solve``, ``lu``, ``lu_solve`` and ``lu_unpack``."""

from __future__ import annotations

import importlib

from ..tensor import Tensor

# the modules themselves (the package's names ``det``, ``solve``, ... are the functions)
_common = importlib.import_module("._common", __package__)
_det = importlib.import_module(".det", __package__)
_eigen = importlib.import_module(".eigen", __package__)
_fact = importlib.import_module(".factorizations", __package__)
_misc = importlib.import_module(".misc", __package__)
_solve = importlib.import_module(".solve", __package__)


_TriangularSolve = _common.results("triangular_solve", "solution", "cloned_coefficient")


def inverse(input: Tensor) -> Tensor:
    """``linalg.inv``."""
    return _solve.inv(input)


def det(input: Tensor) -> Tensor:
    """``linalg.det``."""
    return _det.det(input)


def logdet(input: Tensor) -> Tensor:
    """log det A (nan if det A < 0, -inf if 0)."""
    return _det.logdet(input)


def slogdet(input: Tensor):
    """``linalg.slogdet``."""
    return _det.slogdet(input)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """``linalg.cholesky`` in its older form (``upper`` positional)."""
    return _fact.cholesky(input, upper=upper)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``linalg.pinv`` with a relative cutoff ``rcond``."""
    return _misc.pinv(input, rtol=rcond)


def matrix_exp(input: Tensor) -> Tensor:
    """``linalg.matrix_exp``."""
    return _misc.matrix_exp(input)


def matrix_power(input: Tensor, n: int) -> Tensor:
    """``linalg.matrix_power``."""
    return _misc.matrix_power(input, n)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """U, S, V with A = U diag(S) V^T (V, not V^T; ``some`` is the reduced form). Without
    ``compute_uv`` U and V are zero matrices, as in PyTorch."""
    if not compute_uv:
        from ..factories import zeros

        rows, cols = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        s = _eigen.svdvals(input)
        return _eigen.SvdOld(zeros(*batch, rows, rows, dtype=input.dtype, device=input.device),
                             s, zeros(*batch, cols, cols, dtype=input.dtype, device=input.device))
    u, s, vh = _eigen.svd(input, full_matrices=not some)
    return _eigen.SvdOld(u, s, vh.mT)


def qr(input: Tensor, some: bool = True):
    """``linalg.qr`` with ``mode='reduced'`` (``some``) or ``'complete'``."""
    return _fact.qr(input, "reduced" if some else "complete")


def chain_matmul(*matrices: Tensor) -> Tensor:
    """``linalg.multi_dot`` of the matrices (one matrix: itself)."""
    return matrices[0] if len(matrices) == 1 else _misc.multi_dot(matrices)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """X with (L L^T) X = B (or (U^T U) X = B when ``upper``), given the Cholesky factor."""
    low = L.mT if upper else L
    y = _solve.solve_triangular(low, B, upper=False)
    return _solve.solve_triangular(low.mT, y, upper=True)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """(L L^T)^{-1} (or (U^T U)^{-1}) from the Cholesky factor: L^{-T} L^{-1}."""
    low = L.mT if upper else L
    from ..factories import eye

    identity = eye(low.shape[-1], dtype=low.dtype, device=low.device)
    inv_low = _solve.solve_triangular(low, identity.expand(*low.shape), upper=False)
    return inv_low.mT @ inv_low


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """(X, A) with op(T) X = b, T the upper (lower) triangle of A, op the transpose when
    asked; the older form of ``linalg.solve_triangular``."""
    tri = A.mT if transpose else A
    x = _solve.solve_triangular(tri, b, upper=upper != transpose, unitriangular=unitriangular)
    return _TriangularSolve(x, A.clone())


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """(LU, pivots[, infos]): ``linalg.lu_factor_ex`` in its older form."""
    out = _fact.lu_factor_ex(A, pivot=pivot)
    return (out.LU, out.pivots, out.info) if get_infos else (out.LU, out.pivots)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """``linalg.lu_solve`` with the older argument order (b first)."""
    return _fact.lu_solve(LU_data, LU_pivots, b)


lu_unpack = _fact.lu_unpack


if not hasattr(Tensor, "mH"):  # real tensors: the conjugate transpose is the transpose
    Tensor.mH = property(lambda self: self.mT)
    Tensor.adjoint = lambda self: self.mT
Tensor.inverse = inverse
Tensor.det = det
Tensor.logdet = logdet
Tensor.slogdet = slogdet
Tensor.cholesky = cholesky
Tensor.pinverse = pinverse
Tensor.matrix_exp = matrix_exp
Tensor.matrix_power = matrix_power
Tensor.svd = svd
Tensor.qr = qr
Tensor.cholesky_solve = cholesky_solve
Tensor.cholesky_inverse = cholesky_inverse
Tensor.triangular_solve = triangular_solve
Tensor.lu = lu
Tensor.lu_solve = lu_solve

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky", "pinverse", "matrix_exp",
           "matrix_power", "svd", "qr", "chain_matmul", "cholesky_solve",
           "cholesky_inverse", "triangular_solve", "lu", "lu_solve", "lu_unpack"]
