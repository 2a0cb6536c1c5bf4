"""The LDL^T factorization of a symmetric (possibly indefinite) matrix with Bunch-Kaufman
pivoting, and the solve with it, on raw arrays (NumPy or CuPy), in LAPACK's ``sytrf`` /
``sytrs`` format (lower triangle), which is PyTorch's.

    P A P^T = L D L^T, D block diagonal with 1x1 and 2x2 blocks.

At step k, with alpha = (1 + sqrt(17)) / 8 and colmax the largest |a_ik| below the diagonal
(in row r): a 1x1 pivot a_kk if |a_kk| >= alpha colmax; else, with rowmax the largest
off-diagonal |a_rj| in row r, still a_kk if |a_kk| >= alpha colmax^2 / rowmax, a 1x1
pivot a_rr (rows k and r swapped) if |a_rr| >= alpha rowmax, and otherwise the 2x2 pivot on
rows k, r (r swapped to k+1). The bound alpha keeps the growth of the entries below
(1 + 1/alpha)^2 per 2 steps without a full search. Pivots are 1-based, negative (twice) for
a 2x2 block; the swaps are applied to the trailing block only, so the solve applies them
one step at a time. The pivot choices are data dependent, so each matrix runs its own loop
(on a GPU each step reads a few scalars back, as PyTorch's solver synchronises too).
"""

from __future__ import annotations

import math

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0


def _argmax_abs(xp, v) -> tuple[int, float]:
    """First index of the largest |v| (LAPACK's ``i?amax``), and that value."""
    i = int(xp.argmax(xp.abs(v)))
    return i, abs(float(v[i]))


def _swap_symmetric(s, i: int, j: int, start: int) -> None:
    """Swap indices i and j of the symmetric trailing block s[start:, start:]."""
    if i == j:
        return
    s[[i, j], start:] = s[[j, i], start:]
    s[start:, [i, j]] = s[start:, [j, i]]


def _factor_one(xp, s):
    """Factor one full symmetric matrix ``s`` in place; (pivots list, info)."""
    n = s.shape[0]
    pivots = [0] * n
    info = 0
    k = 0
    while k < n:
        step = 1
        a_kk = abs(float(s[k, k]))
        r, colmax = k, 0.0
        if k + 1 < n:
            r, colmax = _argmax_abs(xp, s[k + 1:, k])
            r += k + 1
        if max(a_kk, colmax) == 0.0 or math.isnan(a_kk):
            info = info or k + 1  # a zero (or NaN) column: D_kk = 0, nothing to eliminate
            pivots[k] = k + 1
            k += 1
            continue
        p = k
        if a_kk < _ALPHA * colmax:
            rowmax = _argmax_abs(xp, s[r, k:r])[1]
            if r + 1 < n:
                rowmax = max(rowmax, _argmax_abs(xp, s[r + 1:, r])[1])
            if a_kk >= _ALPHA * colmax * (colmax / rowmax):
                p = k
            elif abs(float(s[r, r])) >= _ALPHA * rowmax:
                p = r
            else:
                p, step = r, 2
        _swap_symmetric(s, k + step - 1, p, k)
        if step == 1:
            if k + 1 < n:
                x = s[k + 1:, k].copy()
                d = s[k, k]
                s[k + 1:, k + 1:] -= (x[:, None] * x[None, :]) / d
                s[k + 1:, k] = x / d
                s[k, k + 1:] = s[k + 1:, k]
            pivots[k] = p + 1
        else:
            if k + 2 < n:
                d21 = s[k + 1, k]
                d11 = s[k + 1, k + 1] / d21
                d22 = s[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                a0 = s[k + 2:, k].copy()
                a1 = s[k + 2:, k + 1].copy()
                w0 = d21 * (d11 * a0 - a1)
                w1 = d21 * (d22 * a1 - a0)
                s[k + 2:, k + 2:] -= a0[:, None] * w0[None, :] + a1[:, None] * w1[None, :]
                s[k + 2:, k], s[k + 2:, k + 1] = w0, w1
                s[k, k + 2:], s[k + 1, k + 2:] = w0, w1
            pivots[k] = pivots[k + 1] = -(p + 1)
        k += step
    return pivots, info


def ldl_factor_array(xp, a):
    """(LD, pivots int32, info int32) for ``a`` (..., n, n), read from its lower triangle."""
    batch, n = a.shape[:-2], a.shape[-1]
    flat = a.reshape((math.prod(batch), n, n))
    ld = xp.zeros_like(flat)
    pivots = xp.zeros((flat.shape[0], n), dtype="int32")
    info = xp.zeros((flat.shape[0],), dtype="int32")
    for b in range(flat.shape[0]):
        low = xp.tril(flat[b])
        s = low + xp.tril(flat[b], -1).T
        piv, info_b = _factor_one(xp, s)
        ld[b] = xp.tril(s)
        pivots[b] = xp.asarray(piv, dtype="int32")
        info[b] = info_b
    return ld.reshape(a.shape), pivots.reshape(batch + (n,)), info.reshape(batch)


def _solve_one(xp, ld, piv: list[int], x) -> None:
    """Overwrite ``x`` (n, k) with A^{-1} x, A = P L D L^T P^T in ``sytrf`` form."""
    n = ld.shape[0]
    k = 0
    while k < n:  # L D y = b, applying the swaps step by step
        if piv[k] > 0:
            p = piv[k] - 1
            x[[k, p]] = x[[p, k]]
            x[k + 1:] -= ld[k + 1:, k, None] * x[k][None, :]
            x[k] /= ld[k, k]
            k += 1
        else:
            p = -piv[k] - 1
            x[[k + 1, p]] = x[[p, k + 1]]
            x[k + 2:] -= (ld[k + 2:, k, None] * x[k][None, :]
                          + ld[k + 2:, k + 1, None] * x[k + 1][None, :])
            off = ld[k + 1, k]
            a = ld[k, k] / off
            c = ld[k + 1, k + 1] / off
            denom = a * c - 1.0
            u, v = x[k] / off, x[k + 1] / off
            x[k], x[k + 1] = (c * u - v) / denom, (a * v - u) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T z = y, undoing the swaps in reverse
        if piv[k] > 0:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            p = piv[k] - 1
            x[[k, p]] = x[[p, k]]
            k -= 1
        else:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
            p = -piv[k] - 1
            x[[k, p]] = x[[p, k]]
            k -= 2


def ldl_solve_array(xp, ld, pivots, b):
    """X with A X = B for the factorization (LD, pivots); batch dims already broadcast."""
    n = ld.shape[-1]
    flat_ld = ld.reshape((math.prod(ld.shape[:-2]), n, n))
    flat_p = pivots.reshape((flat_ld.shape[0], n)).astype("int64")
    out = b.reshape((flat_ld.shape[0],) + b.shape[-2:]).copy()
    host_pivots = [[int(v) for v in row] for row in flat_p.tolist()] if flat_p.size else []
    for i, piv in enumerate(host_pivots):
        _solve_one(xp, flat_ld[i], piv, out[i])
    return out.reshape(b.shape)
