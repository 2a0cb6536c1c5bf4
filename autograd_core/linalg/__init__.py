"""``autograd_core.linalg`` (plays ``torch.linalg``): differentiable linear algebra on every
backend. One file per family:

- `solve`           inv, solve, solve_triangular (and the ``_ex`` forms)
- `det`             det, slogdet (and ``logdet``)
- `factorizations`  cholesky, qr, lu_factor, lu, lu_solve
- `eigen`           eigh, eigvalsh, svd, svdvals
- `ldl`             ldl_factor, ldl_factor_ex, ldl_solve (not differentiable)
- `eig`             eig, eigvals (general matrices, complex results)
- `norms`           vector_norm, matrix_norm, norm, cond
- `misc`            matrix_exp, pinv, lstsq, matrix_power, matrix_rank, multi_dot, cross,
                    vecdot, vander, diagonal, tensorinv, tensorsolve, householder_product
"""

from ._common import LinAlgError
from .det import det, slogdet
from .eig import eig, eigvals
from .eigen import eigh, eigvalsh, svd, svdvals
from .factorizations import (
    cholesky,
    cholesky_ex,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    qr,
)
from .ldl import ldl_factor, ldl_factor_ex, ldl_solve
from .misc import (
    cross,
    diagonal,
    householder_product,
    lstsq,
    matrix_exp,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)
from .norms import cond, matrix_norm, norm, vector_norm
from .solve import inv, inv_ex, solve, solve_ex, solve_triangular

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
    "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex",
    "lu_solve", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
    "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals",
    "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
    "ldl_factor", "ldl_factor_ex", "ldl_solve",
]
