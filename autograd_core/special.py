"""``autograd_core.special`` (plays ``torch.special``): special functions, differentiable
where PyTorch's are. The primitives live in `ops.special` (erf, erfc), `ops.special_erf`
(erfcx, erfinv, ndtr, ndtri, log_ndtr), `ops.special_log` (xlogy, xlog1py, entr, logit,
sinc), `ops.special_bessel` (i0, i0e, i1, i1e); without gradients, as in PyTorch:
`ops.special_bessel_jyk` (J, Y, K), `ops.special_airy_zeta` (airy_ai, zeta) and
`ops.special_polynomials` (the orthogonal polynomials); this module gathers them under PyTorch's
names.
"""

from __future__ import annotations

from .ops.rounding import round  # noqa: A004  (PyTorch's name)
from .ops.softmax import log_softmax, logsumexp, softmax
from .ops.special import erf, erfc
from .ops.special_airy_zeta import airy_ai, zeta
from .ops.special_bessel import i0, i0e, i1, i1e
from .ops.special_bessel_jyk import (
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
)
from .ops.special_erf import erfcx, erfinv, log_ndtr, ndtr, ndtri
from .ops.special_gamma import digamma, polygamma
from .ops.special_gamma import lgamma as gammaln
from .ops.special_incomplete_gamma import igamma as gammainc
from .ops.special_incomplete_gamma import igammac as gammaincc
from .ops.special_incomplete_gamma import mvlgamma as multigammaln
from .ops.special_log import entr, logit, sinc, xlog1py, xlogy
from .ops.special_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from .ops.unary import exp2, expm1, log1p, sigmoid
from .tensor import Tensor

expit = sigmoid
psi = digamma


def modified_bessel_i0(input: Tensor) -> Tensor:
    """I0 (``i0``)."""
    return i0(input)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """I1 (``i1``)."""
    return i1(input)


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """j0(x) = sin(x) / x (1 at 0)."""
    import math

    return sinc(input / math.pi)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "zeta",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
    "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "i0", "i0e", "i1",
    "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
    "modified_bessel_i1", "ndtr", "ndtri", "round", "sinc", "softmax", "spherical_bessel_j0",
    "xlog1py", "xlogy",
    "digamma", "gammaln", "multigammaln", "polygamma", "psi",
]
__all__ += ["gammainc", "gammaincc"]
