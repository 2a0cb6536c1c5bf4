"""The top-level forms PyTorch keeps beside ``torch.linalg``: ``inverse``, ``det``,
``logdet``, ``slogdet``, ``cholesky`` (with ``upper=``), ``pinverse`` (with ``rcond``),
``matrix_exp``, ``matrix_power``, ``svd`` (``some=``, returning V rather than V^T), ``qr``
(``some=``) and ``cross``/``chain_matmul``."""

from __future__ import annotations

import importlib

from ..tensor import Tensor

# the modules themselves (the package's names ``det``, ``solve``, ... are the functions)
_det = importlib.import_module(".det", __package__)
_eigen = importlib.import_module(".eigen", __package__)
_fact = importlib.import_module(".factorizations", __package__)
_misc = importlib.import_module(".misc", __package__)
_solve = importlib.import_module(".solve", __package__)


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


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``linalg.cross``; without ``dim``, the first dimension of size 3 (PyTorch's older
    default)."""
    if dim is None:
        dim = next((i for i, n in enumerate(input.shape) if n == 3), -1)
    return _misc.cross(input, other, dim=dim)


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
Tensor.cross = cross

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky", "pinverse", "matrix_exp",
           "matrix_power", "svd", "qr", "chain_matmul", "cross"]
