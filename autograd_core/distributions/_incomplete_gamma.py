"""The regularised lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a), the CDF
of Gamma(a, 1) (for `Gamma.cdf`), as a one-rule primitive:

    dP/dx = x^(a-1) e^-x / Gamma(a)       (dP/da is not provided, as in PyTorch)

Values: the series P = x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n)) for x < a + 1, else
1 - Q with Q from Legendre's continued fraction (modified Lentz), both at a fixed depth.
"""

from __future__ import annotations

from autograd_core.function import Function
from autograd_core.ops.special_gamma import Lgamma, _lgamma_array

_DEPTH = 200
_TINY = 1e-300


def _gammainc_array(xp, a, x):
    dtype = x.dtype
    a, x = xp.broadcast_arrays(a.astype("float64"), x.astype("float64"))
    xs = xp.maximum(x, _TINY)
    log_front = a * xp.log(xs) - xs - _lgamma_array(xp, a)
    # series (x < a + 1)
    term = 1.0 / a
    total = term
    for n in range(1, _DEPTH):
        term = term * xs / (a + n)
        total = total + term
    series = total * xp.exp(log_front)
    # continued fraction for Q (x >= a + 1)
    b = xs + 1.0 - a
    c = xp.full(x.shape, 1.0 / _TINY)
    d = 1.0 / b
    h = d
    for i in range(1, _DEPTH):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        h = h * d * c
    upper = xp.exp(log_front) * h
    out = xp.where(x < a + 1.0, series, 1.0 - upper)
    out = xp.where(x <= 0, 0.0, xp.clip(out, 0.0, 1.0))
    return out.astype(dtype)


class RegularizedGammaP(Function):
    """y = P(a, x) (regularised lower incomplete gamma); the rule differentiates x only."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _gammainc_array(ctx.xp, a, x)

    @staticmethod
    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative of the regularised incomplete gamma function "
                                      "with respect to a (the concentration) is not implemented, as in "
                                      "PyTorch; detach the concentration to differentiate in x only")
        a, x = ctx.saved
        m = ctx.math
        density = m.exp((a - 1.0) * m.log(x) - x - m.apply(Lgamma, a))
        return None, grad * density
