"""erfinv by Newton's method on erf, with the gradient of the last step only.

The root y of erf(y) = x is found without a graph; then y* = y + (x - erf(y)) / erf'(y),
differentiated in x alone, has dy*/dx = 1 / erf'(y) = sqrt(pi)/2 e^{y^2}: the exact
derivative of erfinv at the root (the implicit function theorem)."""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core.tensor import Tensor

_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2


def erfinv(x: Tensor) -> Tensor:
    with ag.no_grad():
        t = x.detach().double().clamp(-1.0, 1.0)
        # Winitzki's approximation as the starting point
        a = 0.147
        ln = (1 - t * t).clamp_min(1e-300).log()
        first = 2 / (math.pi * a) + ln / 2
        y = t.sign() * ((first * first - ln / a).sqrt() - first).sqrt()
        for _ in range(6):
            y = y - (ag.erf(y) - t) * _SQRT_PI_OVER_2 * (y * y).exp()
        y = ag.where(t.abs() >= 1, t.sign() * float("inf"), y).to(x.dtype)
    finite = y.isfinite()
    safe = ag.where(finite, y, ag.zeros_like(y))
    slope = _SQRT_PI_OVER_2 * (safe * safe).exp()
    return ag.where(finite, safe + (x - ag.erf(safe).detach()) * slope, y)
