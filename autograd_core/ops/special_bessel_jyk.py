"""Bessel functions J0, J1, Y0, Y1 and modified Bessel functions of the second kind K0, K1
(and e^x K0, e^x K1), without gradients as in PyTorch.

In float64 array code, with u = x^2/4, H_k = 1 + 1/2 + ... + 1/k, psi(k+1) = H_k - gamma:

  small |x| (power series; J and Y up to 12, K up to 9):
    J0 = sum (-1)^k u^k / (k!)^2            J1 = (x/2) sum (-1)^k u^k / (k! (k+1)!)
    Y0 = (2/pi) (log(x/2) + gamma) J0 + (2/pi) sum (-1)^(k+1) H_k u^k / (k!)^2
    Y1 = (2/pi) log(x/2) J1 - 2/(pi x) - (x/2pi) sum (-1)^k (psi(k+1) + psi(k+2)) u^k / (k!(k+1)!)
    K0 = -(log(x/2) + gamma) I0 + sum H_k u^k / (k!)^2
    K1 = 1/x + log(x/2) I1 - (x/4) sum (psi(k+1) + psi(k+2)) u^k / (k! (k+1)!)
  large |x| (Hankel's expansions, a_k(v) = prod_{j<=k} (4v^2 - (2j-1)^2) / (k! 8^k)):
    J_v = sqrt(2/(pi x)) (P cos c - Q sin c),  Y_v = sqrt(2/(pi x)) (P sin c + Q cos c),
    c = x - (v/2 + 1/4) pi,  P = sum (-1)^k a_2k / x^2k,  Q = sum (-1)^k a_(2k+1) / x^(2k+1)
    K_v = sqrt(pi/(2x)) e^{-x} sum a_k / x^k
"""

from __future__ import annotations

import math

from .._backend import backend_of
from ..tensor import Tensor, _wrap
from ._pointwise import _floating
from .special_bessel import _bessel
from .special_erf import _in_float64

_GAMMA = 0.5772156649015329
_TERMS = 44


def _coefficients(order: int, signed: bool, weights) -> list[float]:
    out, fact = [], 1.0 if order == 0 else 1.0  # k! (k + order)!
    for k in range(_TERMS):
        fact = math.factorial(k) * math.factorial(k + order)
        sign = (-1.0) ** k if signed else 1.0
        out.append(sign * weights(k) / fact)
    return out


def _harmonic(k: int) -> float:
    return sum(1.0 / j for j in range(1, k + 1))


_J0 = _coefficients(0, True, lambda k: 1.0)
_J1 = _coefficients(1, True, lambda k: 1.0)
_Y0 = [-c for c in _coefficients(0, True, _harmonic)]  # (-1)^(k+1) H_k / (k!)^2
_Y1 = _coefficients(1, True, lambda k: _harmonic(k) + _harmonic(k + 1) - 2 * _GAMMA)
_K0 = _coefficients(0, False, _harmonic)
_K1 = _coefficients(1, False, lambda k: _harmonic(k) + _harmonic(k + 1) - 2 * _GAMMA)


def _hankel(order: int, terms: int = 28) -> list[float]:
    c, out = 1.0, [1.0]
    for k in range(1, terms):
        c = c * (4 * order * order - (2 * k - 1) ** 2) / (k * 8.0)
        out.append(c)
    return out


_A = {0: _hankel(0), 1: _hankel(1)}


def _poly(coefficients, u):
    s = u * 0 + coefficients[-1]
    for c in reversed(coefficients[:-1]):
        s = s * u + c
    return s


def _hankel_pq(xp, order, x):
    a = _A[order]
    inv = 1.0 / x
    p = _poly([(-1) ** k * a[2 * k] for k in range(len(a) // 2)], inv * inv)
    q = _poly([(-1) ** k * a[2 * k + 1] for k in range(len(a) // 2)], inv * inv) * inv
    return p, q


def _j_or_y(xp, x, order: int, second: bool):
    a = xp.abs(x)
    s = xp.minimum(a, 12.0)
    u = s * s / 4.0
    j_small = _poly(_J0 if order == 0 else _J1, u) * (1.0 if order == 0 else s / 2.0)
    b = xp.maximum(a, 12.0)
    p, q = _hankel_pq(xp, order, b)
    c = b - (order / 2.0 + 0.25) * math.pi
    scale = xp.sqrt(2.0 / (math.pi * b))
    if not second:
        out = xp.where(a <= 12.0, j_small, scale * (p * xp.cos(c) - q * xp.sin(c)))
        return xp.where(x < 0, -out, out) if order else out
    log = xp.log(xp.where(s > 0, s, 1.0) / 2.0)
    if order == 0:
        y_small = 2.0 / math.pi * ((log + _GAMMA) * j_small + _poly(_Y0, u))
    else:
        safe = xp.where(s > 0, s, 1.0)
        y_small = (2.0 / math.pi * log * j_small - 2.0 / (math.pi * safe)
                   - safe / (2.0 * math.pi) * _poly(_Y1, u))
    out = xp.where(a <= 12.0, y_small, scale * (p * xp.sin(c) + q * xp.cos(c)))
    out = xp.where(x == 0, -math.inf, out)
    return xp.where(x < 0, math.nan, out)


def _k(xp, x, order: int, scaled: bool):
    s = xp.clip(x, 1e-300, 9.0)
    u = s * s / 4.0
    log = xp.log(s / 2.0)
    if order == 0:
        small = -(log + _GAMMA) * _bessel(xp, s, 0, False) + _poly(_K0, u)
    else:
        small = 1.0 / s + log * _bessel(xp, s, 1, False) - s / 4.0 * _poly(_K1, u)
    if scaled:
        small = small * xp.exp(s)
    b = xp.maximum(x, 9.0)
    big = xp.sqrt(math.pi / (2.0 * b)) * _poly(_A[order], 1.0 / b)
    if not scaled:
        big = big * xp.exp(-b)
    out = xp.where(x <= 9.0, small, big)
    out = xp.where(x == 0, math.inf, out)
    return xp.where(x < 0, math.nan, out)


def _no_grad(name: str, kernel):
    run = _in_float64(kernel)

    def function(input: Tensor) -> Tensor:
        x = _floating(input, name)
        return _wrap(run(backend_of(x._data).xp, x._data))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}`` (no gradient, as in PyTorch)."
    return function


bessel_j0 = _no_grad("bessel_j0", lambda xp, x: _j_or_y(xp, x, 0, False))
bessel_j1 = _no_grad("bessel_j1", lambda xp, x: _j_or_y(xp, x, 1, False))
bessel_y0 = _no_grad("bessel_y0", lambda xp, x: _j_or_y(xp, x, 0, True))
bessel_y1 = _no_grad("bessel_y1", lambda xp, x: _j_or_y(xp, x, 1, True))
modified_bessel_k0 = _no_grad("modified_bessel_k0", lambda xp, x: _k(xp, x, 0, False))
modified_bessel_k1 = _no_grad("modified_bessel_k1", lambda xp, x: _k(xp, x, 1, False))
scaled_modified_bessel_k0 = _no_grad("scaled_modified_bessel_k0", lambda xp, x: _k(xp, x, 0, True))
scaled_modified_bessel_k1 = _no_grad("scaled_modified_bessel_k1", lambda xp, x: _k(xp, x, 1, True))

__all__: list[str] = []  # reached through `autograd_core.special`
