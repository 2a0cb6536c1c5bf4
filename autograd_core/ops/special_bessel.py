"""Modified Bessel functions of the first kind, orders 0 and 1, and their exponentially
scaled forms: ``i0``, ``i0e`` = e^{-|x|} I0, ``i1``, ``i1e`` = e^{-|x|} I1.

Values, in float64 with array operations (NumPy and CuPy alike):
  |x| <= 15:  the power series I0 = sum_k (x^2/4)^k / (k!)^2,
              I1 = (x/2) sum_k (x^2/4)^k / (k! (k+1)!)   (all terms positive);
  |x| > 15:   Hankel's expansion I_v(x) ~ e^x / sqrt(2 pi x) sum_k (-1)^k a_k(v) / x^k,
              a_k(v) = prod_{j<=k} (4v^2 - (2j-1)^2) / (k! 8^k).

Derivatives (each is again one of the four, applied through ``m.apply``):
  I0' = I1      I1' = I0 - I1 / x  (1/2 at 0)
  i0e' = i1e - sign(x) i0e         i1e' = i0e - i1e (sign(x) + 1/x)  (1/2 at 0)
"""

from __future__ import annotations

import math

from .._teaching import unary_rule
from ..function import Function
from ._pointwise import _float_function, attach
from .special_erf import _in_float64

_CUT = 15.0


def _series(order: int, terms: int = 48) -> list[float]:
    c, out = 1.0 if order == 0 else 0.5, []
    for k in range(terms):
        out.append(c)
        c = c / ((k + 1) * (k + 1 + order)) / 4.0
    return out


def _hankel(order: int, terms: int = 24) -> list[float]:
    c, out = 1.0, [1.0]
    for k in range(1, terms):
        c = -c * (4 * order * order - (2 * k - 1) ** 2) / (k * 8.0)
        out.append(c)
    return out


_SERIES = {0: _series(0), 1: _series(1)}
_HANKEL = {0: _hankel(0), 1: _hankel(1)}


def _poly(coefficients, u):
    s = u * 0 + coefficients[-1]
    for c in reversed(coefficients[:-1]):
        s = s * u + c
    return s


def _bessel(xp, x, order: int, scaled: bool):
    a = xp.abs(x)
    s = xp.minimum(a, _CUT)
    small = _poly(_SERIES[order], s * s) * (s if order else 1.0)
    if scaled:
        small = small * xp.exp(-s)
    b = xp.maximum(a, _CUT)
    big = _poly(_HANKEL[order], 1.0 / b) / xp.sqrt(2.0 * math.pi * b)
    if not scaled:
        big = big * xp.exp(b)
    out = xp.where(a <= _CUT, small, big)
    return xp.where(x < 0, -out, out) if order else out


_i0 = _in_float64(lambda xp, x: _bessel(xp, x, 0, False))
_i0e = _in_float64(lambda xp, x: _bessel(xp, x, 0, True))
_i1 = _in_float64(lambda xp, x: _bessel(xp, x, 1, False))
_i1e = _in_float64(lambda xp, x: _bessel(xp, x, 1, True))


class I0(Function):
    """y = I0(x):  dy/dx = I1(x)."""

    rule = unary_rule("I0(a)", r"I_0(a)", "I1(a)", r"I_1(a)")

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _i0(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.apply(I1, x)


class I0e(Function):
    """y = e^{-|x|} I0(x):  dy/dx = i1e(x) - sign(x) y."""

    rule = unary_rule("i0e(a)", r"e^{-|a|} I_0(a)",
                      "i1e(a) - sign(a) y",
                      r"\operatorname{i1e}(a) - \operatorname{sign}(a)\, y")

    @staticmethod
    def forward(ctx, x):
        out = _i0e(ctx.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        m = ctx.math
        return grad * (m.apply(I1e, x) - m.sign(x) * y)


def _over_x(m, v, x):
    """v / x with 0 where x = 0 (the callers add the limit separately)."""
    zero = x == 0
    return m.where(zero, m.zeros_like(v), v / m.where(zero, m.ones_like(x), x))


class I1(Function):
    """y = I1(x):  dy/dx = I0(x) - y / x  (1/2 at 0)."""

    rule = unary_rule("I1(a)", r"I_1(a)", "I0(a) - y / a", r"I_0(a) - y / a")

    @staticmethod
    def forward(ctx, x):
        out = _i1(ctx.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        m = ctx.math
        slope = m.apply(I0, x) - _over_x(m, y, x)
        return grad * m.where(x == 0, slope * 0 + 0.5, slope)


class I1e(Function):
    """y = e^{-|x|} I1(x):  dy/dx = i0e(x) - y (sign(x) + 1/x)  (1/2 at 0)."""

    rule = unary_rule("i1e(a)", r"e^{-|a|} I_1(a)",
                      "i0e(a) - y (sign(a) + 1/a)",
                      r"\operatorname{i0e}(a) - y\,(\operatorname{sign}(a) + 1/a)")

    @staticmethod
    def forward(ctx, x):
        out = _i1e(ctx.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        m = ctx.math
        slope = m.apply(I0e, x) - m.sign(x) * y - _over_x(m, y, x)
        return grad * m.where(x == 0, slope * 0 + 0.5, slope)


i0 = _float_function(I0, "i0")
i0e = _float_function(I0e, "i0e")
i1 = _float_function(I1, "i1")
i1e = _float_function(I1e, "i1e")

attach({"i0": i0})

__all__ = ["i0"]
