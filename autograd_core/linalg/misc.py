"""The rest of `linalg`: ``matrix_exp``, ``pinv``, ``lstsq``, ``matrix_power``,
``matrix_rank``, ``multi_dot``, ``cross``, ``vecdot``, ``vander``, ``tensorinv``,
``tensorsolve`` and ``householder_product``.

Two primitives have rules of their own:

    exp(A):   dL/dA = [exp([[A^T, G], [0, A^T]])]_{12}   (the upper-right block; Mathias 1996)
    A^+:      dL/dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A),   P = A^+

The others are compositions of differentiable operations.
"""

from __future__ import annotations

import math

from .._backend import as_array, backend_of
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor, _wrap
from ._common import check_matrix, check_tensor, eye_like, raw_dtype, results, same_dtype
from .eigen import svdvals
from .solve import inv, solve

LstsqResult = results("linalg_lstsq", "solution", "residuals", "rank", "singular_values")


# ----------------------------------------------------------------------------- matrix_exp
def _exp_array(xp, a):
    """exp(A) by scaling and squaring: exp(A) = exp(A / 2^s)^(2^s), with ||A / 2^s||_1 <= 1/2
    and the Taylor series to degree 18 (error below 1e-20)."""
    if a.size == 0:
        return a.copy()
    norm = float(xp.abs(a).sum(axis=-2).max())
    s = max(0, int(math.ceil(math.log2(norm / 0.5)))) if norm > 0.5 and math.isfinite(norm) else 0
    x = a / (2.0 ** s)
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    out = eye + x / 18.0
    for k in range(17, 0, -1):  # Horner: I + X/1 (I + X/2 (I + ... (I + X/18)))
        out = eye + (x @ out) / float(k)
    for _ in range(s):
        out = out @ out
    return out


class MatrixExp(Function):
    """Y = exp(A) = sum_k A^k / k!:  dL/dA = the upper-right block of exp([[A^T, G], [0, A^T]])."""

    rule = Rule("Y = exp(A)", r"Y = e^{A}",
                Input("A", "dY = int_0^1 e^{sA} dA e^{(1-s)A} ds",
                      r"dY = \int_0^1 e^{sA}\, dA\, e^{(1-s)A}\, ds",
                      "[exp([[A^T, G], [0, A^T]])]_12",
                      r"\left[\exp\begin{pmatrix} A^{\top} & G \\ 0 & A^{\top}\end{pmatrix}\right]_{12}"))

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _exp_array(ctx.xp, a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        m = ctx.math
        n = a.shape[-1]
        at = m.mT(a)
        top = m.concatenate([at, grad], -1)
        bottom = m.concatenate([m.zeros_like(at), at], -1)
        big = m.apply(MatrixExp, m.concatenate([top, bottom], -2))
        return big[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) = I + A + A^2/2! + ... of a (batch of) square matrix."""
    check_matrix("linalg.matrix_exp", A, square=True)
    return MatrixExp.apply(A)


# ----------------------------------------------------------------------------- pinv
def _tolerance(xp, s, atol, rtol, shape):
    """max(atol, rtol * s_max) per matrix; rtol defaults to eps * max(m, n) when neither is
    given, to 0 when only atol is."""
    eps = float(xp.finfo(s.dtype).eps)
    if rtol is None:
        rtol = eps * max(shape[-2:]) if (atol is None or _is_zero(atol)) else 0.0
    atol = 0.0 if atol is None else atol
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    s_max = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    return xp.maximum(atol, rtol * s_max)


def _is_zero(x) -> bool:
    return not isinstance(x, Tensor) and x == 0


class Pinv(Function):
    """P = A^+ (Moore-Penrose):  dL/dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)."""

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = ctx.xp
        if hermitian:
            w, v = xp.linalg.eigh(a)
            tol = _tolerance(xp, xp.abs(w), atol, rtol, a.shape)
            keep = xp.abs(w) > tol[..., None]
            inv_w = xp.where(keep, 1.0 / xp.where(keep, w, 1.0), 0.0).astype(a.dtype)
            out = (v * inv_w[..., None, :]) @ xp.swapaxes(v, -1, -2)
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
            tol = _tolerance(xp, s, atol, rtol, a.shape)
            keep = s > tol[..., None]
            inv_s = xp.where(keep, 1.0 / xp.where(keep, s, 1.0), 0.0).astype(a.dtype)
            out = (xp.swapaxes(vh, -1, -2) * inv_s[..., None, :]) @ xp.swapaxes(u, -1, -2)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, p = ctx.saved
        m, xp = ctx.math, ctx.xp
        rows, cols = a.shape[-2:]
        eye_m = m.const(xp.eye(rows, dtype=raw_dtype(a)))
        eye_n = m.const(xp.eye(cols, dtype=raw_dtype(a)))
        pt, gt = m.mT(p), m.mT(grad)
        return (-(pt @ grad @ pt) + (eye_m - a @ p) @ gt @ (p @ pt)
                + (pt @ p) @ gt @ (eye_n - p @ a)), None, None, None


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None,
         rtol=None) -> Tensor:
    """The pseudo-inverse: singular values at or below max(atol, rtol * s_max) are treated
    as zero (``rcond``, the older name of ``rtol``, may be given by position)."""
    check_matrix("linalg.pinv", A)
    if rcond is not None:
        if rtol is not None:
            raise RuntimeError("linalg.pinv: pass rtol or rcond, not both (rcond is rtol's "
                               "older name)")
        rtol = rcond
    return Pinv.apply(A, atol, rtol, hermitian)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> LstsqResult:
    """The least-squares solution X = argmin ||A X - B||_F = A^+ B (the minimum-norm one when
    A is rank deficient). The other outputs follow PyTorch's CPU drivers: ``gelsy`` (the
    default) gives the rank; ``gelsd``/``gelss`` the rank and A's singular values; ``gels``
    none; residuals ||A X - B||^2 per column when A is tall and of full rank (not with
    ``gelsy``)."""
    name = "linalg.lstsq"
    check_matrix(name, A)
    check_tensor(name, "B", B)
    same_dtype(name, A, B)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss), got {driver}")
    driver = driver or "gelsy"
    vector = B.ndim == A.ndim - 1
    rhs = B[..., None] if vector else B
    rows, cols = A.shape[-2:]
    if rhs.shape[-2] != rows:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) (A is "
            f"{rows}x{cols}, B has {rhs.shape[-2]} rows)")
    solution = pinv(A, rtol=rcond) @ rhs
    from ..factories import empty

    def nothing(dtype=A.dtype):
        return empty(0, dtype=dtype, device=A.device)

    rank = nothing(ag_int64()) if driver == "gels" else matrix_rank(A, rtol=rcond)
    values = svdvals(A) if driver in ("gelsd", "gelss") else nothing()
    residuals = nothing()
    if driver != "gelsy" and rows > cols:
        full = driver == "gels" or bool((rank == cols).all())
        if full:
            residuals = ((A @ solution - rhs) ** 2).sum(-2)
            residuals = residuals[..., 0] if vector else residuals
    if vector:
        solution = solution[..., 0]
    return LstsqResult(solution, residuals, rank, values)


def ag_int64():
    from ..dtypes import int64

    return int64


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) (an int64 tensor)."""
    check_matrix("linalg.matrix_rank", A)
    xp = backend_of(A._data).xp
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    tol = _tolerance(xp, s, atol, rtol, a.shape)
    return _wrap(as_array((s > tol[..., None]).sum(axis=-1).astype("int64"), xp))


# ----------------------------------------------------------------------------- products
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (n < 0: (A^{-1})^|n|; n = 0: the identity)."""
    check_matrix("linalg.matrix_power", A, square=True)
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        return eye_like(A).expand(*A.shape)
    base = inv(A) if n < 0 else A
    n = abs(n)
    out = None
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


def multi_dot(tensors) -> Tensor:
    """A_1 A_2 ... A_k; the first may be a row vector and the last a column vector (1-D)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        check_tensor("linalg.multi_dot", f"tensors[{i}]", t)
        limit = 2 if 0 < i < len(tensors) - 1 else (1, 2)
        if (t.ndim != limit) if isinstance(limit, int) else (t.ndim not in limit):
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D{' or 1D' if not isinstance(limit, int) else ''}"
                f" but got {t.ndim}D")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum_i x_i y_i over ``dim`` (inputs broadcast)."""
    check_tensor("linalg.vecdot", "x", x)
    check_tensor("linalg.vecdot", "y", y)
    return (x * y).sum(dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (inputs broadcast):
    (a x b) = (a_1 b_2 - a_2 b_1, a_2 b_0 - a_0 b_2, a_0 b_1 - a_1 b_0)."""
    from ..ops.combine import cross as _cross

    check_tensor("linalg.cross", "input", input)
    check_tensor("linalg.cross", "other", other)
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions "
                           f"(got {input.ndim} and {other.ndim})")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    return _cross(input, other, dim)  # the one cross product (autograd_core.cross)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix with columns x^0, x^1, ..., x^(N-1) (N = x.shape[-1] by
    default)."""
    from ..ops.joining import stack

    check_tensor("linalg.vander", "x", x)
    if x.ndim == 0:  # a scalar is one point
        x = x.reshape(1)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError(f"N must be greater than 1 (got N = {n}; pass N= for a 0-d or "
                           "1-element x)")
    cols = [x * 0 + 1]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonal of the matrices in dims ``dim1``, ``dim2`` (a view in
    PyTorch; here a gather, differentiable), as the last dim."""
    check_tensor("linalg.diagonal", "A", A)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.diagonal: A must be at least 2-D (got shape {list(A.shape)})")
    for d in (dim1, dim2):
        if not -A.ndim <= d < A.ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-A.ndim}, {A.ndim - 1}], but got {d})")
    d1, d2 = dim1 % A.ndim, dim2 % A.ndim
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    B = A.movedim((d1, d2), (-2, -1))
    rows, cols = B.shape[-2:]
    start_r, start_c = max(0, -offset), max(0, offset)
    k = max(0, min(rows - start_r, cols - start_c))
    from ..factories import arange

    r = arange(start_r, start_r + k, device=A.device)
    c = arange(start_c, start_c + k, device=A.device)
    return B[..., r, c]


# ----------------------------------------------------------------------------- tensors
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A seen as a map from its last dims to its first ``ind`` dims:
    tensordot(tensorinv(A), A, ind) is the identity."""
    check_tensor("linalg.tensorinv", "A", A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    if rows != cols:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(*(in_shape + out_shape))


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B (``dims`` of A are moved to the end first)."""
    check_tensor("linalg.tensorsolve", "A", A)
    check_tensor("linalg.tensorsolve", "B", B)
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.movedim(tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    x_shape = tuple(A.shape[B.ndim:])
    rows, cols = B.numel(), math.prod(x_shape)
    if rows != cols:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(*x_shape)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^T, v_i = (0, ..., 0, 1,
    A[i+1:, i]) (the Q of a QR factorization stored LAPACK's way)."""
    name = "linalg.householder_product"
    check_matrix(name, A)
    check_tensor(name, "tau", tau)
    same_dtype(name, A, tau)
    rows, cols = A.shape[-2:]
    k = tau.shape[-1]
    if cols > rows:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1] (got {rows}x{cols})")
    if k > cols:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1] (got {cols} and {k})")
    xp = backend_of(A._data).xp
    dt = A._data.dtype
    q = eye_like(A, rows)
    for i in range(k):
        below = _wrap((xp.arange(rows) > i).astype(dt))
        unit = _wrap((xp.arange(rows) == i).astype(dt))
        v = A[..., :, i] * below + unit  # (..., m)
        qv = (q @ v[..., None])  # (..., m, 1)
        q = q - (tau[..., i, None, None] * qv) @ v[..., None, :]
    return q[..., :, :cols]
