"""More random in-place fills, each by inverting its distribution's CDF at a uniform draw
``u`` in [0, 1) (so they share the generator of ``uniform_``):

    cauchy_(median, sigma)      x = median + sigma tan(pi (u - 1/2))
    exponential_(lambd)         x = -log(1 - u) / lambd
    geometric_(p)               x = ceil(log(1 - u) / log(1 - p))   (trials to a success, >= 1)
    log_normal_(mean, std)      x = exp(mean + std z),  z ~ N(0, 1)

Like `normal_`, each overwrites every element: recorded, the old values get a zero gradient.
"""

from __future__ import annotations

import math

from .._backend import backend_of
from ..tensor import Tensor
from .inplace import Fill, _fill_with, _scalar_operand, _torch_name
from .random_fill import _sample


class Cauchy(Fill):
    pass


class Exponential(Fill):
    pass


class Geometric(Fill):
    pass


class LogNormal(Fill):
    pass


def _continuous(self: Tensor, what: str) -> None:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_torch_name(self._data.dtype)}; convert first (x = x.float())")


def _positive(op: str, name: str, value: float) -> None:
    if not value > 0:
        raise RuntimeError(f"{op} expects {name} > 0.0, but found {name}={value}")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator=None) -> Tensor:
    """Fill with samples of the Cauchy distribution (location ``median``, scale ``sigma``)."""
    _continuous(self, "Cauchy")
    median = _scalar_operand(median, "cauchy_", "median")
    sigma = _scalar_operand(sigma, "cauchy_", "sigma")
    _positive("cauchy_", "sigma", sigma)
    u = _sample(self, "uniform", generator)
    xp = backend_of(u).xp
    values = median + sigma * xp.tan(math.pi * (u - 0.5))
    return _fill_with(self, Cauchy, values.astype(self._data.dtype), "cauchy_")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd``."""
    _continuous(self, "Exponential")
    lambd = _scalar_operand(lambd, "exponential_", "lambda")
    _positive("exponential_", "lambda", lambd)
    u = _sample(self, "uniform", generator)
    values = -backend_of(u).xp.log1p(-u) / lambd
    return _fill_with(self, Exponential, values.astype(self._data.dtype), "exponential_")


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
    p = _scalar_operand(p, "geometric_", "p")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _sample(self, "uniform", generator) if self._data.dtype.kind == "f" else \
        _sample(self.double(), "uniform", generator)
    xp = backend_of(u).xp
    values = xp.maximum(xp.ceil(xp.log1p(-u) / math.log1p(-p)), 1)
    return _fill_with(self, Geometric, values.astype(self._data.dtype), "geometric_")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator=None) -> Tensor:
    """Fill with ``exp`` of samples of N(mean, std^2)."""
    _continuous(self, "LogNormal")
    mean = _scalar_operand(mean, "log_normal_", "mean")
    std = _scalar_operand(std, "log_normal_", "std")
    _positive("log_normal_", "std", std)
    z = _sample(self, "normal", generator)
    values = backend_of(z).xp.exp(mean + std * z)
    return _fill_with(self, LogNormal, values.astype(self._data.dtype), "log_normal_")


Tensor.cauchy_ = cauchy_
Tensor.exponential_ = exponential_
Tensor.geometric_ = geometric_
Tensor.log_normal_ = log_normal_

__all__: list[str] = []
