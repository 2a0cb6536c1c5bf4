"""The gamma-function family, pointwise: lgamma, digamma, polygamma.

    lgamma:        y = log|Gamma(x)|              dy/dx = psi(x)
    digamma:       y = psi(x) = d/dx log Gamma(x)  dy/dx = psi_1(x)
    polygamma(n):  y = psi_n(x)                    dy/dx = psi_{n+1}(x)

Each derivative is the next member of the family, so every rule applies the next primitive
(``m.apply``) and stays differentiable to any order. The values use array operations only:

- lgamma: the Lanczos approximation (g = 7, 9 terms) for x >= 1/2, and the reflection
  Gamma(x) Gamma(1-x) = pi / sin(pi x) below;
- digamma: the recurrence psi(x) = psi(x+1) - 1/x up to x >= 10, then the asymptotic series
  psi(y) ~ log y - 1/(2y) - sum_k B_2k / (2k y^2k); reflection psi(1-x) - psi(x) = pi cot(pi x)
  for x < 0;
- polygamma(n >= 1): psi_n(x) = (-1)^(n+1) n! zeta(n+1, x), the Hurwitz zeta by the
  recurrence zeta(s, x) = zeta(s, x+1) + x^-s up to x >= 10, then Euler-Maclaurin.
"""

from __future__ import annotations

import math

from .._teaching import unary_rule
from ..function import Function
from ..tensor import Tensor
from ._pointwise import _floating, attach

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
# B_2k for k = 1..8
_BERNOULLI = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6,
              -3617.0 / 510)
_SHIFT_TO = 10.0


def _in_float64(fn):
    """Compute in float64 and round once to the input's dtype."""

    def wrapped(xp, x, *args):
        dtype = x.dtype
        out = fn(xp, x.astype("float64"), *args)
        return out.astype(dtype) if out.dtype != dtype else out

    return wrapped


@_in_float64
def _lgamma_array(xp, x):
    reflect = x < 0.5
    z = xp.where(reflect, 1.0 - x, x) - 1.0
    series = xp.full(z.shape, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        series = series + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    upper = _HALF_LOG_TWO_PI + (z + 0.5) * xp.log(t) - t + xp.log(series)
    frac = x - xp.floor(x)
    sin = xp.abs(xp.sin(math.pi * xp.where(frac == 0, 0.5, frac)))  # poles are set below
    lower = math.log(math.pi) - xp.log(sin) - upper
    out = xp.where(reflect, lower, upper)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole, xp.inf, out)


def _digamma_positive(xp, x):
    shift = xp.zeros(x.shape)
    y = x
    for _ in range(int(_SHIFT_TO)):
        low = y < _SHIFT_TO
        shift = shift - xp.where(low, 1.0 / xp.where(low, y, 1.0), 0.0)
        y = xp.where(low, y + 1.0, y)
    inv2 = 1.0 / (y * y)
    tail = xp.zeros(x.shape)
    for k in range(len(_BERNOULLI), 0, -1):
        tail = (tail + _BERNOULLI[k - 1] / (2 * k)) * inv2
    return shift + xp.log(y) - 0.5 / y - tail


@_in_float64
def _digamma_array(xp, x):
    negative = x < 0
    safe = xp.where(negative, 1.0 - x, xp.where(x == 0, 1.0, x))
    value = _digamma_positive(xp, safe)
    frac = x - xp.floor(x)
    reflected = value - math.pi / xp.tan(math.pi * xp.where(frac == 0, 0.5, frac))
    out = xp.where(negative, reflected, value)
    out = xp.where(x == 0, -xp.inf, out)  # as PyTorch: psi(0) = -inf, psi(-k) = nan
    return xp.where(negative & (frac == 0), xp.nan, out)


@_in_float64
def _polygamma_array(xp, x, n: int):
    if n == 0:
        return _digamma_array(xp, x)
    s = n + 1.0
    total = xp.zeros(x.shape)
    y = x
    while True:
        low = y < _SHIFT_TO
        if not bool(low.any()):
            break
        safe = xp.where(low, y, 1.0)
        total = total + xp.where(low, safe ** -s, 0.0)
        y = xp.where(low, y + 1.0, y)
    # Euler-Maclaurin: y^(1-s)/(s-1) + y^-s/2 + sum_k B_2k/(2k)! s(s+1)..(s+2k-2) y^(-s-2k+1)
    tail = y ** (1.0 - s) / (s - 1.0) + 0.5 * y ** -s
    rising, power = s, y ** (-s - 1.0)
    for k in range(1, len(_BERNOULLI) + 1):
        tail = tail + _BERNOULLI[k - 1] / math.factorial(2 * k) * rising * power
        rising = rising * (s + 2 * k - 1) * (s + 2 * k)
        power = power / (y * y)
    out = (-1.0) ** (n + 1) * math.factorial(n) * (total + tail)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole, xp.inf if n % 2 else xp.nan, out)


class Lgamma(Function):
    """y = log|Gamma(x)|,  dy/dx = digamma(x)."""

    rule = unary_rule("lgamma(a)", r"\log\lvert\Gamma(a)\rvert", "digamma(a)", r"\psi(a)")

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _lgamma_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.apply(Digamma, x)


class Digamma(Function):
    """y = psi(x),  dy/dx = psi_1(x) (trigamma)."""

    rule = unary_rule("digamma(a)", r"\psi(a)", "polygamma(1, a)", r"\psi^{(1)}(a)")

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _digamma_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.apply(Polygamma, x, n=1)


class Polygamma(Function):
    """y = psi_n(x) (n >= 1),  dy/dx = psi_{n+1}(x)."""

    @staticmethod
    def rule_for(node, info):
        saved = node.saved_values
        n = saved[1] if len(saved) >= 2 else "n"
        after = n + 1 if isinstance(n, int) else "n+1"
        return unary_rule(f"polygamma({n}, a)", f"\\psi^{{({n})}}(a)",
                          f"polygamma({after}, a)", f"\\psi^{{({after})}}(a)")

    @staticmethod
    def forward(ctx, x, n: int = 1):
        ctx.save_for_backward(x, n)
        return _polygamma_array(ctx.xp, x, n)

    @staticmethod
    def backward(ctx, grad):
        x, n = ctx.saved
        return grad * ctx.math.apply(Polygamma, x, n=int(n) + 1)


# ----------------------------------------------------------------------------- functions
def lgamma(input: Tensor) -> Tensor:
    """log|Gamma(input)|, pointwise (integers become the default float dtype)."""
    return Lgamma.apply(_floating(input, "lgamma"))


def digamma(input: Tensor) -> Tensor:
    """psi(input) = d/dx log Gamma(x), pointwise."""
    return Digamma.apply(_floating(input, "digamma"))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma, pointwise (``polygamma(0, x)`` is digamma)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n!r})")
    x = _floating(input, "polygamma")
    return Digamma.apply(x) if n == 0 else Polygamma.apply(x, n=n)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


attach({"lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method})

__all__ = ["lgamma", "digamma", "polygamma"]
