"""Orthogonal polynomials P_n(x) of `special` (no gradient, as in PyTorch): Chebyshev T, U,
V, W and their shifted forms (x -> 2x - 1), Hermite H and He, Laguerre L and Legendre P.
``n`` is truncated to an integer; n < 0 gives 0.

Each is its three-term recurrence, run elementwise up to the largest n and read off where
k = n:

    T, U, V, W:  P_{k+1} = 2x P_k - P_{k-1};  P_0 = 1, P_1 = x, 2x, 2x - 1, 2x + 1
    H:   H_{k+1} = 2x H_k - 2k H_{k-1};       He:  He_{k+1} = x He_k - k He_{k-1}
    L:   (k+1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1};   L_1 = 1 - x
    P:   (k+1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._backend import backend_of
from ..tensor import Tensor, _wrap


def _operands(name: str, input, n):
    """x and n as arrays of the result's float dtype (a number on either side is fine)."""
    like = input if isinstance(input, Tensor) else n
    if not isinstance(like, Tensor):
        raise TypeError(f"{name}(): expected a Tensor for input or n, got "
                        f"{type(input).__name__} and {type(n).__name__}")
    xp = backend_of(like._data).xp
    dtypes = [t._data.dtype for t in (input, n) if isinstance(t, Tensor)]
    floats = [d for d in dtypes if d.kind == "f"]
    dtype = max(floats, key=lambda d: d.itemsize) if floats else _dt.get_default_dtype().numpy
    x = input._data if isinstance(input, Tensor) else xp.asarray(input)
    k = n._data if isinstance(n, Tensor) else xp.asarray(n)
    x, k = xp.broadcast_arrays(x.astype(dtype), xp.trunc(k.astype("float64")).astype("int64"))
    return xp, x, k, dtype


def _recurrence(name, input, n, first, step):
    """P_n(x) from P_0 = 1, P_1 = first(x) and P_{k+1} = step(k, x, P_k, P_{k-1})."""
    xp, x, k, dtype = _operands(name, input, n)
    top = int(k.max()) if k.size else 0
    prev, cur = xp.ones_like(x), first(x)
    out = xp.where(k == 0, prev, 0.0).astype(dtype)
    out = xp.where(k == 1, cur, out)
    for j in range(1, top):
        prev, cur = cur, step(j, x, cur, prev)
        out = xp.where(k == j + 1, cur, out)
    return _wrap(out.astype(dtype))


def _chebyshev(first):
    return lambda x: first(x), lambda j, x, p, q: 2 * x * p - q


_T = _chebyshev(lambda x: x)
_U = _chebyshev(lambda x: 2 * x)
_V = _chebyshev(lambda x: 2 * x - 1)
_W = _chebyshev(lambda x: 2 * x + 1)


def chebyshev_polynomial_t(input, n) -> Tensor:
    """Chebyshev T_n(x) (T_n(cos t) = cos(n t))."""
    return _recurrence("chebyshev_polynomial_t", input, n, *_T)


def chebyshev_polynomial_u(input, n) -> Tensor:
    """Chebyshev U_n(x) (U_n(cos t) = sin((n+1) t) / sin t)."""
    return _recurrence("chebyshev_polynomial_u", input, n, *_U)


def chebyshev_polynomial_v(input, n) -> Tensor:
    """Chebyshev V_n(x) (third kind)."""
    return _recurrence("chebyshev_polynomial_v", input, n, *_V)


def chebyshev_polynomial_w(input, n) -> Tensor:
    """Chebyshev W_n(x) (fourth kind)."""
    return _recurrence("chebyshev_polynomial_w", input, n, *_W)


def _shifted(input):
    return input * 2 - 1 if isinstance(input, Tensor) else 2 * input - 1


def shifted_chebyshev_polynomial_t(input, n) -> Tensor:
    """T_n(2x - 1)."""
    return _recurrence("shifted_chebyshev_polynomial_t", _shifted(input), n, *_T)


def shifted_chebyshev_polynomial_u(input, n) -> Tensor:
    """U_n(2x - 1)."""
    return _recurrence("shifted_chebyshev_polynomial_u", _shifted(input), n, *_U)


def shifted_chebyshev_polynomial_v(input, n) -> Tensor:
    """V_n(2x - 1)."""
    return _recurrence("shifted_chebyshev_polynomial_v", _shifted(input), n, *_V)


def shifted_chebyshev_polynomial_w(input, n) -> Tensor:
    """W_n(2x - 1)."""
    return _recurrence("shifted_chebyshev_polynomial_w", _shifted(input), n, *_W)


def hermite_polynomial_h(input, n) -> Tensor:
    """Physicists' Hermite H_n(x)."""
    return _recurrence("hermite_polynomial_h", input, n, lambda x: 2 * x,
                       lambda j, x, p, q: 2 * x * p - 2 * j * q)


def hermite_polynomial_he(input, n) -> Tensor:
    """Probabilists' Hermite He_n(x)."""
    return _recurrence("hermite_polynomial_he", input, n, lambda x: x,
                       lambda j, x, p, q: x * p - j * q)


def laguerre_polynomial_l(input, n) -> Tensor:
    """Laguerre L_n(x)."""
    return _recurrence("laguerre_polynomial_l", input, n, lambda x: 1 - x,
                       lambda j, x, p, q: ((2 * j + 1 - x) * p - j * q) / (j + 1))


def legendre_polynomial_p(input, n) -> Tensor:
    """Legendre P_n(x)."""
    return _recurrence("legendre_polynomial_p", input, n, lambda x: x,
                       lambda j, x, p, q: ((2 * j + 1) * x * p - j * q) / (j + 1))


__all__: list[str] = []  # reached through `autograd_core.special`
