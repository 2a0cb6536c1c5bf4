"""LU with partial pivoting and triangular substitution on raw arrays (NumPy or CuPy), batched
over leading dims. NumPy has neither; they also give PyTorch's ``info`` (the first zero pivot)
and its inf/nan results for singular triangular systems instead of an exception.

    P A = L U:  for each column k, swap the row with the largest |entry| below the diagonal
    to row k, then subtract multiples l_ik = a_ik / a_kk of row k from the rows below.
"""

from __future__ import annotations


def lu_factor_array(xp, a):
    """(LU packed in one matrix, 1-based int32 pivots, int32 info) for ``a`` (..., m, n)."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    lu = a.reshape((_prod(batch), m, n)).copy()
    b = lu.shape[0]
    k_max = min(m, n)
    rows = xp.arange(b)
    pivots = xp.zeros((b, k_max), dtype="int32")
    info = xp.zeros((b,), dtype="int32")
    for k in range(k_max):
        p = xp.argmax(xp.abs(lu[:, k:, k]), axis=1) + k if b else xp.zeros((0,), dtype="int64")
        pivots[:, k] = p + 1
        row_k = lu[rows, k].copy()
        lu[rows, k] = lu[rows, p]
        lu[rows, p] = row_k
        pivot = lu[:, k, k]
        zero = pivot == 0
        info = xp.where(zero & (info == 0), k + 1, info).astype("int32")
        scale = xp.where(zero, 0.0, 1.0 / xp.where(zero, 1.0, pivot)).astype(a.dtype)
        lu[:, k + 1:, k] *= scale[:, None]
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k, None] * lu[:, k, None, k + 1:]
    return (lu.reshape(batch + (m, n)), pivots.reshape(batch + (k_max,)),
            info.reshape(batch))


def _prod(shape) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def pivots_to_permutation(xp, pivots, m: int):
    """The row order ``perm`` with (P^T A)[i] = A[perm[i]], from LAPACK-style pivots."""
    batch, k = pivots.shape[:-1], pivots.shape[-1]
    piv = pivots.reshape((_prod(batch), k)).astype("int64") - 1
    b = piv.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (b, m)).copy()
    rows = xp.arange(b)
    for i in range(k):
        p = piv[:, i]
        at_i = perm[rows, i].copy()
        perm[rows, i] = perm[rows, p]
        perm[rows, p] = at_i
    return perm.reshape(batch + (m,))


def permutation_matrix(xp, perm, dtype):
    """P with A = P L U, i.e. P[perm[i], i] = 1."""
    m = perm.shape[-1]
    eye = xp.eye(m, dtype=dtype)
    return xp.swapaxes(eye[perm], -1, -2)


def triangular_solve_array(xp, a, b, upper: bool, unit: bool):
    """X with tri(A) X = B by substitution (a zero diagonal gives inf/nan, as in PyTorch)."""
    n = a.shape[-1]
    shape = broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    x = xp.zeros(shape, dtype=xp.result_type(a, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    with quiet(xp):
        for i in order:
            rest = slice(i + 1, n) if upper else slice(0, i)
            r = b[..., i, :] - (a[..., i, None, rest] @ x[..., rest, :])[..., 0, :]
            x[..., i, :] = r if unit else r / a[..., i, i, None]
    return x


class SilentFailure(Exception):
    """A backend returned inf/nan for finite input instead of raising (CuPy does, for
    singular or indefinite matrices): treated like NumPy's LinAlgError."""


def check_finite(xp, out, *inputs):
    """Raise `SilentFailure` when ``out`` has inf/nan although the inputs are finite."""
    if not bool(xp.isfinite(out).all()) and all(bool(xp.isfinite(a).all()) for a in inputs):
        raise SilentFailure()
    return out


def is_linalg_failure(exc: Exception) -> bool:
    return isinstance(exc, SilentFailure) or type(exc).__name__ == "LinAlgError"


def broadcast_shapes(*shapes) -> tuple:
    """NumPy's broadcasting of shapes, in plain Python (every backend)."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s, n - len(s)):
            if d != 1:
                if out[i] not in (1, d):
                    raise RuntimeError(f"shapes {[list(t) for t in shapes]} do not broadcast")
                out[i] = d
    return tuple(out)


class quiet:
    """Silence NumPy's divide/invalid warnings (the inf/nan results are the answer)."""

    def __init__(self, xp) -> None:
        self.errstate = getattr(xp, "errstate", None)

    def __enter__(self):
        self.ctx = self.errstate(divide="ignore", invalid="ignore") if self.errstate else None
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
