"""``parametrizations.orthogonal``: W = Q with Q^T Q = I (or Q Q^T = I for a wide W),
computed from an unconstrained matrix X (as PyTorch's):

- ``"matrix_exp"`` (default for square W): Q = exp(A), A = L - L^T with L the lower
  triangle of X; A is skew-symmetric, so exp(A) is orthogonal. exp is computed by scaling
  and squaring, exp(A) = (sum_{j<=18} (A/2^s)^j / j!)^(2^s), with ||A|| / 2^s <= 1/2.
- ``"householder"`` (default otherwise): Q = H_1 ... H_k, H_i = I - tau_i v_i v_i^T, the
  reflections whose vectors v_i are the columns below X's diagonal (with a 1 on it) and
  tau_i = 2 / ||v_i||^2; then each column is signed by X's (+-1) diagonal.
- ``"cayley"``: Q = (I - A/2)^{-1} (I + A/2), A as for ``"matrix_exp"`` (the solve is a
  Gauss-Jordan elimination written with tensor ops).

With ``use_trivialization=True`` (the default) the map is applied around a fixed base,
Q = B map(X), B an orthogonal buffer: registering (or assigning) a matrix M stores
B = the orthogonal factor of M and X = -I (whose map is I), so the weight starts at B.

Everything is composed of tensor ops (masks for the triangles, matmul), so gradients
reach X through the engine.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from ..module import Module
from . import parametrize

__all__ = ["orthogonal"]

_MAPS = ("matrix_exp", "cayley", "householder")


def _eye_like(x: Tensor) -> Tensor:
    """The (n, k) identity for a matrix (batch) x of shape (..., n, k)."""
    return ag.eye(x.shape[-2], x.shape[-1], dtype=x.dtype, device=x.device)


def _tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Entries on and below the ``diagonal``-th diagonal of the last two dims of x."""
    rows = ag.arange(x.shape[-2], device=x.device)[:, None]
    cols = ag.arange(x.shape[-1], device=x.device)[None, :]
    return x * (cols - rows <= diagonal).to(x.dtype)


def _diagonal(x: Tensor) -> Tensor:
    """The main diagonal of the last two dims: shape (..., min(n, k))."""
    m = min(x.shape[-2], x.shape[-1])
    return (x[..., :m, :m] * ag.eye(m, dtype=x.dtype, device=x.device)).sum(-1)


def matrix_exp(a: Tensor) -> Tensor:
    """exp(A) by scaling and squaring a degree-18 Taylor polynomial (see module docstring)."""
    with ag.no_grad():
        norm = float(a.abs().sum(-2).amax())  # the 1-norm, max over the batch
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    scaled = a / (2 ** s)
    identity = ag.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    result, term = identity + scaled, scaled
    for j in range(2, 19):
        term = term.matmul(scaled) / j
        result = result + term
    for _ in range(s):
        result = result.matmul(result)
    return result


def _solve_gauss_jordan(m: Tensor, b: Tensor) -> Tensor:
    """X with M X = B, by Gauss-Jordan elimination without pivoting, as tensor ops.

    Only for the Cayley map, where M = I - A/2 with A skew-symmetric: M's symmetric part
    is I, so every pivot met is >= 1 and no row exchange is needed. Step k divides row k
    by its pivot and subtracts multiples of it from every other row:
        r_k <- r_k / M_kk,   [M | B] <- [M | B] - (column k - e_k) r_k."""
    n = m.shape[-1]
    aug = ag.cat([m, b], -1)
    basis = ag.eye(n, dtype=m.dtype, device=m.device)
    for k in range(n):
        row = aug[..., k, :] / aug[..., k, k:k + 1]
        column = aug[..., :, k] - basis[k]
        aug = aug - column[..., :, None] * row[..., None, :]
    return aug[..., :, n:]


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i = e_i + (the
    part of column i of ``a`` below the diagonal); ``a`` (..., n, k), ``tau`` (..., k)."""
    n, k = a.shape[-2], a.shape[-1]
    below = _tril(a, -1)
    q = ag.eye(n, dtype=a.dtype, device=a.device)
    basis = ag.eye(n, dtype=a.dtype, device=a.device)
    for i in range(k):
        v = (below[..., :, i] + basis[i])[..., :, None]  # (..., n, 1)
        q = q - (q.matmul(v) * tau[..., i, None, None]).matmul(v.transpose(-2, -1))
    return q[..., :, :k]


def _orthonormal_columns(m: Tensor) -> Tensor:
    """Q of m = QR with R's diagonal positive (modified Gram-Schmidt, applied twice for
    accuracy); m (..., n, k) with n >= k and full column rank. Not differentiated."""
    with ag.no_grad():
        columns = []
        for j in range(m.shape[-1]):
            v = m[..., :, j]
            for _ in range(2):
                for q in columns:
                    v = v - (q * v).sum(-1, keepdim=True) * q
            columns.append(v / v.norm(dim=-1, keepdim=True))
        return ag.stack(columns, -1)


def _is_orthogonal(q: Tensor) -> bool:
    eps = 10.0 * q.shape[-2] * (2.220446049250313e-16 if q.dtype == ag.float64
                                else 1.1920928955078125e-07)
    gram = q.transpose(-2, -1).matmul(q)
    return bool(ag.allclose(gram, _eye_like(gram), atol=eps))


class _Orthogonal(Module):
    """X -> Q (see the module docstring)."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = x.transpose(-2, -1)
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = _tril(x)
            if n != k:  # embed the tall matrix into a square one
                zeros = x.new_zeros((*x.shape[:-2], n, n - k))
                x = ag.cat([x, zeros], -1)
            a = x - x.transpose(-2, -1)
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(a)
            else:  # Cayley: Q = (I - A/2)^{-1} (I + A/2)
                identity = ag.eye(n, dtype=a.dtype, device=a.device)
                q = _solve_gauss_jordan(identity - 0.5 * a, identity + 0.5 * a)
            q = q[..., :k] if n != k else q
        else:  # householder
            a = _tril(x, -1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = householder_product(a, tau)
            signs = _diagonal(x).detach().int().to(x.dtype)  # X's diagonal: +-1, not learned
            q = q * signs[..., None, :]
        base = self._buffers.get("base")
        if base is not None:
            q = base.matmul(q)
        return q.transpose(-2, -1) if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(q.shape)}.")
        if "base" not in self._buffers:
            raise NotImplementedError(
                "assigning to an orthogonal parametrization with use_trivialization=False "
                "needs a Householder QR (geqrf), which autograd_core does not provide yet")
        q_init = q
        n, k = q.shape[-2], q.shape[-1]
        if n < k:
            q = q.transpose(-2, -1)
            n, k = k, n
        with ag.no_grad():
            if n == k:
                q = q.clone() if _is_orthogonal(q) else _orthonormal_columns(q)
            else:  # complete the columns to an n x n orthogonal matrix
                extra = ag.randn(*q.shape[:-2], n, n - k, dtype=q.dtype, device=q.device)
                q = _orthonormal_columns(ag.cat([q, extra], -1))
        self.base = q
        return -_eye_like(q_init).expand(*q_init.shape).clone()


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or a batch of them) to be orthogonal; the
    map defaults to ``"matrix_exp"`` for square matrices, ``"householder"`` otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.dim() < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.dim()} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.shape[-2] == weight.shape[-1]
                          else "householder")
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    if orthogonal_map == "householder" and not use_trivialization:
        raise NotImplementedError("orthogonal_map='householder' with use_trivialization=False "
                                  "stores the Householder QR (geqrf) of the weight, which "
                                  "autograd_core does not provide yet; keep "
                                  "use_trivialization=True")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
