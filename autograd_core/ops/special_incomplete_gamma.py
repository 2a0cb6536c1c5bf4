"""The regularised incomplete gamma functions and the multivariate log-gamma:

    igamma(a, x)  = P(a, x) = 1/Gamma(a) int_0^x t^(a-1) e^-t dt       (special.gammainc)
    igammac(a, x) = Q(a, x) = 1 - P(a, x)                              (special.gammaincc)
    mvlgamma(x, p) = p (p - 1) / 4 log(pi) + sum_{j<p} lgamma(x - j/2)  (special.multigammaln)

P is the primitive `RegularizedGammaP` (the Gamma distribution's CDF): its rule gives
dP/dx = x^(a-1) e^-x / Gamma(a) and, as in PyTorch, no derivative in ``a``. The edges follow
PyTorch: NaN for a < 0 or x < 0 (and a = x = 0), P = 1 for a = 0 < x.
"""

from __future__ import annotations

import math

from ..dtypes import promote_types
from ..tensor import Tensor
from .inplace import apply_inplace
from .selection import where
from .special_gamma import lgamma

__all__ = ["igamma", "igammac", "mvlgamma"]


def _operands(input, other) -> tuple[Tensor, Tensor]:
    if not isinstance(input, Tensor):
        input = other.new_tensor(input)
    if not isinstance(other, Tensor):
        other = input.new_tensor(other)
    if not (input.is_floating_point() and other.is_floating_point()):
        raise RuntimeError(f"igamma/igammac: expected floating point tensors, got "
                           f"{input.dtype} and {other.dtype} (convert with .float())")
    return input, other


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """P(a, x) with a = ``input``, x = ``other`` (broadcast); differentiable in x."""
    # (the primitive lives with the Gamma distribution, its first user; loaded at call time)
    from ..distributions._incomplete_gamma import RegularizedGammaP

    a, x = _operands(input, other)
    if a.dtype != x.dtype:
        common = promote_types(a.dtype, x.dtype)
        a, x = a.to(common), x.to(common)
    inf = float("inf")
    inside = (x > 0) & (x < inf) & (a > 0) & (a < inf)  # (the primitive sees only these)
    one = x.new_ones(())
    p = RegularizedGammaP.apply(where(inside, a, one), where(inside, x, one))
    p = where(inside, p, p.new_zeros(()))
    p = where(((a == 0) & (x > 0)) | ((x == inf) & (a < inf)), one.to(p.dtype), p)
    nan = p.new_full((), float("nan"))
    return where((a < 0) | (x < 0) | ((a == 0) & (x == 0)) | a.isnan() | x.isnan(), nan, p)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """Q(a, x) = 1 - P(a, x); differentiable in x. (The difference is taken in float64, so
    a small Q keeps its digits.)"""
    a, x = _operands(input, other)
    dtype = promote_types(a.dtype, x.dtype)
    return (1.0 - igamma(a.double(), x.double())).to(dtype)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``, elementwise."""
    p = int(p)
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got p = {p}")
    total = lgamma(input)
    for j in range(1, p):
        total = total + lgamma(input - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def _inplace(fn, name: str):
    def method(self: Tensor, *args) -> Tensor:
        return apply_inplace(self, fn, *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place `{fn.__name__}`."
    return method


Tensor.igamma = igamma
Tensor.igammac = igammac
Tensor.mvlgamma = mvlgamma
Tensor.igamma_ = _inplace(igamma, "igamma_")
Tensor.igammac_ = _inplace(igammac, "igammac_")
Tensor.mvlgamma_ = _inplace(mvlgamma, "mvlgamma_")
