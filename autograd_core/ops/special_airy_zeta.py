"""Airy's Ai and Hurwitz's zeta, without gradients as in PyTorch.

Ai(x), in float64 array code (z = 2/3 |x|^(3/2), u_0 = 1,
u_k = u_{k-1} (6k-5)(6k-3)(6k-1) / ((2k-1) 216 k)):
  -8 <= x <= 6:  Ai(0) f(x) + Ai'(0) g(x),  f = sum_k x^{3k} / prod_{j<=k} (3j-1)(3j),
                 g = x sum_k x^{3k} / prod_{j<=k} (3j)(3j+1)
  x > 6:         e^{-z} / (2 sqrt(pi) x^{1/4}) sum_k (-1)^k u_k / z^k
  x < -8:        (sin(z + pi/4) P - cos(z + pi/4) Q) / (sqrt(pi) |x|^{1/4}),
                 P = sum_k (-1)^k u_{2k} / z^{2k},  Q = sum_k (-1)^k u_{2k+1} / z^{2k+1}

zeta(s, q) = sum_{k>=0} (q + k)^{-s}, by Euler-Maclaurin with w = q + 9:
  sum_{k<9} (q+k)^{-s} + w^{1-s}/(s-1) + w^{-s}/2 + sum_j B_2j/(2j)! s(s+1)...(s+2j-2) w^{-s-2j+1}
(inf at s = 1 and at the poles q = 0, -1, ...; nan for s < 1).
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import dtypes as _dt
from .._backend import backend_of
from ..tensor import Tensor, _wrap
from ._pointwise import _floating
from .special_erf import _in_float64

_AI0 = 0.35502805388781723926  # Ai(0) = 3^{-2/3} / Gamma(2/3)
_AIP0 = -0.25881940379280679840  # Ai'(0) = -3^{-1/3} / Gamma(1/3)


def _series(first: int, terms: int = 40) -> list[float]:
    out, c = [1.0], 1.0
    for k in range(1, terms):
        c /= (3 * k + first - 1) * (3 * k + first)
        out.append(c)
    return out


_F, _G = _series(0), _series(1)
_U = [1.0]
for _k in range(1, 30):
    _U.append(_U[-1] * (6 * _k - 5) * (6 * _k - 3) * (6 * _k - 1) / ((2 * _k - 1) * 216 * _k))


def _poly(coefficients, t):
    s = t * 0 + coefficients[-1]
    for c in reversed(coefficients[:-1]):
        s = s * t + c
    return s


def _airy64(xp, x):
    s = xp.clip(x, -8.0, 6.0)
    t = s * s * s
    middle = _AI0 * _poly(_F, t) + _AIP0 * s * _poly(_G, t)
    b = xp.maximum(x, 6.0)
    z = 2.0 / 3.0 * b ** 1.5
    right = xp.exp(-z) / (2.0 * math.sqrt(math.pi) * b ** 0.25) * _poly(
        [(-1) ** k * u for k, u in enumerate(_U[:16])], 1.0 / z)
    a = xp.maximum(-x, 8.0)
    z = 2.0 / 3.0 * a ** 1.5
    inv2 = 1.0 / (z * z)
    p = _poly([(-1) ** k * _U[2 * k] for k in range(10)], inv2)
    q = _poly([(-1) ** k * _U[2 * k + 1] for k in range(10)], inv2) / z
    phase = z + math.pi / 4.0
    left = (xp.sin(phase) * p - xp.cos(phase) * q) / (math.sqrt(math.pi) * a ** 0.25)
    out = xp.where(x > 6.0, right, xp.where(x < -8.0, left, middle))
    return xp.where(xp.isinf(x) & (x > 0), 0.0, out)


_airy = _in_float64(_airy64)


def airy_ai(input: Tensor) -> Tensor:
    """Airy's Ai(x), the solution of y'' = x y that decays for x -> +inf (no gradient)."""
    x = _floating(input, "airy_ai")
    return _wrap(_airy(backend_of(x._data).xp, x._data))


# ----------------------------------------------------------------------------- zeta
def _bernoulli(n: int) -> list[Fraction]:
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / Fraction(m + 1))
    return b


_B = _bernoulli(26)
_EM = [float(_B[2 * j] / math.factorial(2 * j)) for j in range(1, 13)]  # B_2j / (2j)!


def _zeta64(xp, s, q):
    total = xp.zeros(xp.broadcast(s, q).shape, dtype="float64")
    for k in range(9):
        total = total + (q + k) ** (-s)
    w = q + 9.0
    total = total + w ** (1.0 - s) / (s - 1.0) + 0.5 * w ** (-s)
    rising = s  # s (s+1) ... (s+2j-2)
    power = w ** (-s - 1.0)
    for j, c in enumerate(_EM, start=1):
        total = total + c * rising * power
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power / (w * w)
    pole = (q <= 0) & (q == xp.floor(q))
    total = xp.where(pole, math.inf, total)
    total = xp.where((q <= 0) & ~pole & (s != xp.floor(s)), math.nan, total)
    total = xp.where(s == 1, math.inf, total)
    return xp.where(s < 1, math.nan, total)


def zeta(input, other) -> Tensor:
    """Hurwitz's zeta(x, q) = sum_k (q + k)^{-x} (x = 1 gives inf; no gradient)."""
    like = input if isinstance(input, Tensor) else other
    if not isinstance(like, Tensor):
        raise TypeError("zeta(): expected a Tensor for input or other")
    xp = backend_of(like._data).xp
    arrays = [t._data if isinstance(t, Tensor) else xp.asarray(float(t))
              for t in (input, other)]
    floats = [a.dtype for a in arrays if a.dtype.kind == "f" and a.ndim >= 0
              and any(isinstance(t, Tensor) and t._data is a for t in (input, other))]
    dtype = max(floats, key=lambda d: d.itemsize) if floats else _dt.get_default_dtype().numpy
    s, q = (a.astype("float64") for a in arrays)
    with _quiet(xp):
        out = _zeta64(xp, s, q).astype(dtype)
    return _wrap(out)


class _quiet:
    def __init__(self, xp) -> None:
        errstate = getattr(xp, "errstate", None)
        self.ctx = errstate(all="ignore") if errstate is not None else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


__all__: list[str] = []  # reached through `autograd_core.special`
