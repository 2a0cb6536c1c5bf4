"""The error-function family beyond ``erf``/``erfc``: ``erfcx``, ``erfinv``, ``ndtr``,
``ndtri`` and ``log_ndtr`` (the normal distribution's CDF, its inverse and its log).

    erfcx x = e^{x^2} erfc x          d/dx = 2 x erfcx x - 2/sqrt(pi)
    erfinv:  erf(erfinv x) = x        d/dx = sqrt(pi)/2 e^{y^2}          (y the output)
    ndtr x = (1 + erf(x/sqrt 2))/2    d/dx = e^{-x^2/2} / sqrt(2 pi)
    ndtri:   ndtr(ndtri p) = p        d/dp = sqrt(2 pi) e^{y^2/2}
    log_ndtr x = log ndtr x           d/dx = e^{-x^2/2 - y} / sqrt(2 pi)

Values are computed in float64 with array operations (NumPy and CuPy alike): the inverses
by Halley's method from Winitzki's closed-form guess, the far tails from erfc's continued
fraction so that nothing underflows.
"""

from __future__ import annotations

import math

from .._teaching import unary_rule
from ..function import Function
from ._pointwise import _float_function, attach
from .special import _erf_array, _erfc_array

_SQRT_PI = math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_PI = 0.5 * math.log(math.pi)


def _in_float64(fn):
    """Run ``fn(xp, x)`` in float64 and round once to ``x``'s dtype."""
    def run(xp, x):
        dtype = x.dtype
        with _quiet(xp):
            out = fn(xp, x.astype("float64") if dtype != "float64" else x)
            return out.astype(dtype) if out.dtype != dtype else out
    return run


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


def _log_erfc_tail(xp, b):
    """log erfc(b) for b >= 2.5: -b^2 - log(sqrt(pi) f), f = b + (1/2)/(b + 1/(b + ...))."""
    f = b
    for k in range(40, 0, -1):
        f = b + (k * 0.5) / f
    return -(b * b) - xp.log(f) - _LOG_SQRT_PI


# ----------------------------------------------------------------------------- erfcx
def _erfcx64(xp, x):
    a = xp.abs(x)
    near = xp.minimum(a, 2.5)
    small = xp.exp(near * near) * _erfc_array(xp, near)  # erfcx(|x|) for |x| < 2.5
    b = xp.maximum(a, 2.5)
    f = b
    for k in range(40, 0, -1):
        f = b + (k * 0.5) / f
    big = 1.0 / (_SQRT_PI * f)  # erfcx(|x|) for |x| >= 2.5
    pos = xp.where(a < 2.5, small, big)
    neg = 2.0 * xp.exp(xp.minimum(x * x, 800.0)) - pos  # erfcx(-a) = 2 e^{a^2} - erfcx(a)
    return xp.where(x >= 0, pos, neg)


_erfcx_array = _in_float64(_erfcx64)


class Erfcx(Function):
    """y = e^{x^2} erfc x:  dy/dx = 2 x y - 2/sqrt(pi)."""

    rule = unary_rule("erfcx(a)", r"\operatorname{erfcx}(a)", "2 a y - 2/sqrt(pi)", r"2 a y - \tfrac{2}{\sqrt{\pi}}")

    @staticmethod
    def forward(ctx, x):
        out = _erfcx_array(ctx.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        return grad * (2.0 * x * y - 2.0 / _SQRT_PI)


# ----------------------------------------------------------------------------- inverses
def _inverse_erf(xp, a, r):
    """y >= 0 with erf(y) = a, given a in [0, 1] and its complement r = 1 - a (accurate
    when a is near 1). Winitzki's guess, then three Halley steps on erf (a < 1/2) or erfc."""
    t = r * (2.0 - r)  # (1 - a)(1 + a), accurate for a near 1
    log_t = xp.log(xp.maximum(t, 1e-300))
    c = 2.0 / (math.pi * 0.147) + 0.5 * log_t
    y = xp.sqrt(xp.maximum(xp.sqrt(c * c - log_t / 0.147) - c, 0.0))
    use_erf = a < 0.5
    for _ in range(3):
        f = xp.where(use_erf, _erf_array(xp, y) - a, r - _erfc_array(xp, y))
        slope = 2.0 / _SQRT_PI * xp.exp(-(y * y))
        step = f / slope
        y = y - step / (1.0 + y * step)
    y = xp.where(r == 0, math.inf, y)
    return xp.where(a == 0, 0.0, y)


def _erfinv64(xp, x):
    a = xp.abs(x)
    y = _inverse_erf(xp, xp.minimum(a, 1.0), 1.0 - xp.minimum(a, 1.0))
    y = xp.where(a > 1, math.nan, y)
    return xp.where(x < 0, -y, y)


def _ndtri64(xp, p):
    low = p < 0.5
    # p < 1/2: ndtri p = -sqrt2 erfcinv(2p); else sqrt2 erfinv(2p - 1) with 1 - (2p-1) = 2(1-p)
    r = xp.where(low, 2.0 * p, 2.0 * (1.0 - p))
    r = xp.clip(r, 0.0, 1.0)
    y = _SQRT2 * _inverse_erf(xp, 1.0 - r, r)
    y = xp.where(low, -y, y)
    return xp.where((p < 0) | (p > 1) | xp.isnan(p), math.nan, y)


_erfinv_array = _in_float64(_erfinv64)
_ndtri_array = _in_float64(_ndtri64)


class Erfinv(Function):
    """y = erfinv x (erf y = x):  dy/dx = sqrt(pi)/2 e^{y^2}."""

    rule = unary_rule("erfinv(a)", r"\operatorname{erf}^{-1}(a)",
                      "sqrt(pi)/2 exp(y^2)",
                      r"\tfrac{\sqrt{\pi}}{2} e^{y^2}")

    @staticmethod
    def forward(ctx, x):
        out = _erfinv_array(ctx.xp, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (ctx.math.exp(y * y) * (_SQRT_PI / 2.0))


class Ndtri(Function):
    """y = ndtri p (the standard normal quantile):  dy/dp = sqrt(2 pi) e^{y^2/2}."""

    rule = unary_rule("ndtri(a)", r"\Phi^{-1}(a)", "sqrt(2 pi) exp(y^2 / 2)", r"\sqrt{2\pi}\, e^{y^2/2}")

    @staticmethod
    def forward(ctx, p):
        out = _ndtri_array(ctx.xp, p)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (ctx.math.exp(y * y * 0.5) * _SQRT_2PI)


# ----------------------------------------------------------------------------- ndtr
def _ndtr64(xp, x):
    return 0.5 * _erfc_array(xp, -x / _SQRT2)


def _log_ndtr64(xp, x):
    b = xp.maximum(-x / _SQRT2, 2.5)
    tail = _log_erfc_tail(xp, b) - math.log(2.0)  # x <= -2.5 sqrt2
    mid = xp.log(0.5 * _erfc_array(xp, -x / _SQRT2))
    upper = xp.log1p(-0.5 * _erfc_array(xp, x / _SQRT2))  # ndtr near 1
    out = xp.where(x > 0, upper, mid)
    return xp.where(x < -2.5 * _SQRT2, tail, out)


_ndtr_array = _in_float64(_ndtr64)
_log_ndtr_array = _in_float64(_log_ndtr64)


class Ndtr(Function):
    """y = P(Z <= x) for Z ~ N(0, 1):  dy/dx = e^{-x^2/2} / sqrt(2 pi)."""

    rule = unary_rule("ndtr(a)", r"\Phi(a)", "exp(-a^2 / 2) / sqrt(2 pi)", r"\tfrac{1}{\sqrt{2\pi}} e^{-a^2/2}")

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _ndtr_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * (ctx.math.exp(x * x * -0.5) / _SQRT_2PI)


class LogNdtr(Function):
    """y = log ndtr x:  dy/dx = e^{-x^2/2 - y} / sqrt(2 pi)."""

    rule = unary_rule("log ndtr(a)", r"\log \Phi(a)",
                      "exp(-a^2 / 2 - y) / sqrt(2 pi)",
                      r"\tfrac{1}{\sqrt{2\pi}} e^{-a^2/2 - y}")

    @staticmethod
    def forward(ctx, x):
        out = _log_ndtr_array(ctx.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        return grad * (ctx.math.exp(x * x * -0.5 - y) / _SQRT_2PI)


erfcx = _float_function(Erfcx, "erfcx")
erfinv = _float_function(Erfinv, "erfinv")
ndtr = _float_function(Ndtr, "ndtr")
ndtri = _float_function(Ndtri, "ndtri")
log_ndtr = _float_function(LogNdtr, "log_ndtr")

attach({"erfinv": erfinv})

# top-level names (``torch.erfinv``); the others live in `autograd_core.special`
__all__ = ["erfinv"]
