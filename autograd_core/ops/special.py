"""Special functions: the error function and its complement, pointwise.

    erf:   dy/dx = 2/sqrt(pi) e^{-x^2}            erfc:  dy/dx = -2/sqrt(pi) e^{-x^2}

The values are computed here (a series near 0, a continued fraction in the tails) with
array operations only, so they run unchanged on NumPy and CuPy. Integer and bool inputs
are converted to the default float dtype first, as in PyTorch.
"""

from __future__ import annotations

import math

from .._teaching import unary_rule
from ..function import Function
from ._pointwise import _float_function, attach

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)


# ----------------------------------------------------------------------------- erf
# erf(a) for 0 <= a < 2.5:  2/sqrt(pi) a e^{-a^2} sum_k (2a^2)^k / (1*3*...*(2k+1))
# (all terms positive, so no cancellation);
# erfc(a) for a >= 2.5:  e^{-a^2}/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))),
# the continued fraction evaluated bottom-up at a fixed depth.
_ERF_CUT = 2.5


def _series_coefficients(n: int) -> list[float]:
    c = [1.0]
    for k in range(1, n):
        c.append(c[-1] * 2.0 / (2 * k + 1))
    return c


_ERF_TERMS = {8: (_series_coefficients(40), 32), 4: (_series_coefficients(24), 14)}


def _erf_parts(xp, x):
    """(|x|, erf(|x|) valid where |x| < 2.5, erfc(|x|) valid where |x| >= 2.5)."""
    coefficients, depth = _ERF_TERMS[x.dtype.itemsize]
    a = xp.abs(x)
    s_a = xp.minimum(a, _ERF_CUT)
    u = s_a * s_a
    s = u * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        s = s * u + c
    small = s * s_a * xp.exp(-u) * _TWO_OVER_SQRT_PI
    b = xp.clip(a, _ERF_CUT, 30.0)  # erfc(30) underflows to 0 in every dtype
    f = b
    for k in range(depth, 0, -1):
        f = b + (k * 0.5) / f
    big = xp.exp(-(b * b)) / f * _ONE_OVER_SQRT_PI
    return a, small, big


def _erf_array(xp, x):
    dtype = x.dtype
    if dtype.itemsize < 4:  # float16: work in float32 and round once at the end
        x = x.astype("float32")
    a, small, big = _erf_parts(xp, x)
    out = xp.copysign(xp.where(a < _ERF_CUT, small, 1.0 - big), x)
    return out.astype(dtype) if out.dtype != dtype else out


def _erfc_array(xp, x):
    dtype = x.dtype
    if dtype.itemsize < 8:  # 1 - erf cancels: work in float64 and round once at the end
        x = x.astype("float64")
    a, small, big = _erf_parts(xp, x)
    upper = xp.where(a < _ERF_CUT, 1.0 - small, big)  # erfc(|x|)
    out = xp.where(x >= 0, upper, 2.0 - upper)
    return out.astype(dtype) if out.dtype != dtype else out


class Erf(Function):
    """y = erf x = 2/sqrt(pi) int_0^x e^{-t^2} dt,  dy/dx = 2/sqrt(pi) e^{-x^2}."""

    rule = unary_rule("erf(a)", r"\operatorname{erf}(a)", "2/sqrt(pi) exp(-a^2)", r"\frac{2}{\sqrt{\pi}} e^{-a^2}")

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * (ctx.math.exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """y = erfc x = 1 - erf x,  dy/dx = -2/sqrt(pi) e^{-x^2}."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erfc_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * (ctx.math.exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


# ----------------------------------------------------------------------------- functions
erf = _float_function(Erf, "erf")
erfc = _float_function(Erfc, "erfc")

attach({"erf": erf, "erfc": erfc})

__all__ = ["erf", "erfc"]
