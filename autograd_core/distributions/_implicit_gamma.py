"""The implicit reparameterisation gradient of a Gamma(alpha, 1) draw.

A draw is x = F^-1(u; alpha) with F the CDF, so for a fixed u

    dx/dalpha = -(dF/dalpha) / (dF/dx),   dF/dx = x^(alpha-1) e^-x / Gamma(alpha)

and with the series P(alpha, x) = sum_k x^(alpha+k) e^-x / Gamma(alpha+k+1),

    dx/dalpha = -sum_k r_k (log x - psi(alpha+k+1)),   r_k = x^(k+1) Gamma(alpha)/Gamma(alpha+k+1).

For alpha >= 100 the Wilson-Hilferty approximation x ~ alpha (1 - 1/(9 alpha) + z/(3 sqrt(alpha)))^3
(z fixed) is differentiated instead.
"""

from __future__ import annotations

import math

from autograd_core.function import Function
from autograd_core.ops.special_gamma import _digamma_array

_RELATIVE_STEP = 1e-4
_WILSON_HILFERTY_FROM = 100.0


def _standard_gamma_grad_array(xp, x, alpha, big=None):
    """dx/dalpha for x ~ Gamma(alpha, 1), in float64 (see the module docstring); ``big``
    marks where the large-alpha approximation is used (default: alpha >= 100)."""
    dtype = x.dtype
    x = xp.maximum(x.astype("float64"), 1e-300)
    a = alpha.astype("float64")
    a, x = xp.broadcast_arrays(a, x)
    if big is None:
        big = a >= _WILSON_HILFERTY_FROM
    a_s = xp.where(big, 1.0, a)
    x_s = xp.where(big, 1.0, x)
    log_x = xp.log(x_s)
    r = x_s / a_s
    psi = _digamma_array(xp, a_s) + 1.0 / a_s
    total = r * (log_x - psi)
    n_terms = int(min(float(x_s.max()) + 12.0 * math.sqrt(float(x_s.max())) + 30.0, 2000.0))
    for k in range(1, n_terms):
        r = r * x_s / (a_s + k)
        psi = psi + 1.0 / (a_s + k)
        total = total + r * (log_x - psi)
    series = -total
    # large alpha: x ~ alpha (1 - 1/(9 alpha) + z / (3 sqrt(alpha)))^3 with z fixed
    a_b = xp.where(big, a, 1.0)
    x_b = xp.where(big, x, 1.0)
    cube = (x_b / a_b) ** (1.0 / 3.0)
    z = (cube - 1.0 + 1.0 / (9.0 * a_b)) * 3.0 * xp.sqrt(a_b)
    t = 1.0 - 1.0 / (9.0 * a_b) + z / (3.0 * xp.sqrt(a_b))
    dt = 1.0 / (9.0 * a_b * a_b) - z / (6.0 * a_b ** 1.5)
    wilson = t ** 3 + 3.0 * a_b * t * t * dt
    return xp.where(big, wilson, series).astype(dtype)


class StandardGammaReparam(Function):
    """The identity on a Gamma(alpha, 1) draw x, with dx/dalpha = g(x, alpha) the implicit
    gradient (the draw itself is a constant input)."""

    @staticmethod
    def forward(ctx, alpha, x):
        out = x.copy()
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        alpha, out = ctx.saved
        return grad * ctx.math.apply(ImplicitGammaGrad, out, alpha), None


class ImplicitGammaGrad(Function):
    """g(x, alpha) = dx/dalpha. Its rule gives the partial derivatives of g, so that the
    second derivative of a draw, d2x/dalpha2 = g_x g + g_alpha, follows from the chain rule
    (x is the draw's output, whose own rule supplies dx/dalpha = g)."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x, alpha)
        return _standard_gamma_grad_array(ctx.xp, x, alpha)

    @staticmethod
    def backward(ctx, grad):
        x, alpha = ctx.saved
        m = ctx.math
        return (grad * m.apply(ImplicitGammaGradPartial, x, alpha, wrt=0),
                grad * m.apply(ImplicitGammaGradPartial, x, alpha, wrt=1))


class ImplicitGammaGradPartial(Function):
    """dg/dx (``wrt=0``) or dg/dalpha (``wrt=1``) by a central difference of g in float64,
    with a relative step of 1e-4 (about 8 correct digits); third derivatives of a draw are
    not provided."""

    @staticmethod
    def forward(ctx, x, alpha, wrt: int = 0):
        xp = ctx.xp
        x64, a64 = xp.broadcast_arrays(x.astype("float64"), alpha.astype("float64"))
        big = a64 >= _WILSON_HILFERTY_FROM  # one branch for both sides of the difference
        point = [x64, a64]
        h = point[wrt] * _RELATIVE_STEP
        up, down = list(point), list(point)
        up[wrt], down[wrt] = point[wrt] + h, point[wrt] - h
        slope = (_standard_gamma_grad_array(xp, *up, big=big)
                 - _standard_gamma_grad_array(xp, *down, big=big)) / (2.0 * h)
        return slope.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("third derivatives of Gamma, Beta or Dirichlet samples with "
                                  "respect to the concentration are not implemented")

