"""The linear solve of Newton's step (``optim.Newton``): a Cholesky factorisation of the
Hessian, damped until it is positive definite (Levenberg–Marquardt).
"""

from __future__ import annotations

from ..._backend import backend_of
from ...tensor import Tensor, _wrap


def _is_factor(xp, factor, matrix):
    """Whether ``factor`` is a Cholesky factor of ``matrix`` and that matrix numerically
    positive definite: finite, ``L Lᵀ = A`` up to rounding (``max|L Lᵀ - A| <= τ``), and
    each pivot ``L_jj² > τ`` (a singular ``A`` can factor with a pivot of rounding size),
    ``τ = 64 n ε max|A|``; as a 0-d array
    (one host sync to read). Needed on every backend: CuPy's default linear-algebra
    setting neither raises nor writes NaN on a matrix that is not positive definite, it
    returns the factor as far as it got, with the rest of the matrix left as it was."""
    n = matrix.shape[0]
    if n == 0:
        return True
    tol = 64 * n * float(xp.finfo(matrix.dtype).eps)
    tau = tol * xp.abs(matrix).max()
    residual = xp.abs(factor @ factor.T - matrix).max()
    pivots = xp.diagonal(factor)
    return xp.isfinite(factor).all() & (pivots * pivots > tau).all() & (residual <= tau)


def damped_solve(matrix: Tensor, rhs: Tensor, damping: float = 0.0,
                 max_tries: int = 60) -> tuple[Tensor, float]:
    """Solve ``(H + λI) x = rhs`` with the smallest ``λ >= damping`` (from 0, then growing
    tenfold from a scale of H's diagonal) for which Cholesky succeeds, i.e. ``H + λI``
    is positive definite (Levenberg–Marquardt). Returns ``(x, λ)``.
    """
    xp = backend_of(matrix._data).xp
    h = matrix._data
    h = 0.5 * (h + h.T)
    n = h.shape[0]
    eye = xp.eye(n, dtype=h.dtype)
    scale = float(xp.abs(xp.diagonal(h)).mean()) if n else 1.0
    lam = float(damping)
    step = max(1e-3 * scale, 1e-8)
    for _ in range(max_tries):
        damped = h + lam * eye if lam else h
        try:
            factor = xp.linalg.cholesky(damped)
        except Exception:  # LinAlgError on NumPy
            ok = False
        else:
            ok = bool(_is_factor(xp, factor, damped))
        if ok:
            y = xp.linalg.solve(factor, rhs._data)
            x = xp.linalg.solve(factor.T, y)
            return _wrap(x), lam
        lam = step if lam < step else lam * 10.0
    raise RuntimeError(
        f"could not make the {n}x{n} Hessian positive definite with damping up to {lam:g}; "
        "the loss may be non-finite at this point"
    )
