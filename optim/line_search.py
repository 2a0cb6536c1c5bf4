"""A line search satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5-3.6).

Along a descent direction d from θ, with φ(t) = J(θ + t d) and φ'(t) = ∇J(θ + t d)ᵀd, find
a step t with

    φ(t) <= φ(0) + c1 t φ'(0)          (sufficient decrease, "Armijo")
    |φ'(t)| <= c2 |φ'(0)|              (curvature: the slope has flattened enough)

Phase 1 (bracketing) tries growing steps until one is too long (fails the decrease
test, or is no better than the last one) or the slope turns non-negative: a minimiser
is then inside the bracket. Phase 2 (zoom) shrinks the bracket, each trial being the
minimiser of the cubic that matches φ and φ' at both ends, until a step satisfies both
conditions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from . import _flat


def cubic_minimizer(t1: float, f1: float, g1: float, t2: float, f2: float, g2: float,
                    bounds: tuple[float, float] | None = None) -> float:
    """Minimiser of the cubic through ``(t1, f1)``, ``(t2, f2)`` with slopes ``g1``, ``g2``.

    With ``d1 = g1 + g2 - 3 (f1 - f2)/(t1 - t2)`` and ``d2 = sign(t2 - t1) sqrt(d1² - g1 g2)``
    the minimiser is ``t2 - (t2 - t1)(g2 + d2 - d1)/(g2 - g1 + 2 d2)`` (N&W eq. 3.59);
    clamped to ``bounds`` (default: the interval between the points), and the midpoint
    when the cubic has no minimiser or the numbers are not finite.
    """
    lo, hi = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    midpoint = 0.5 * (lo + hi)
    if t1 == t2 or not all(map(math.isfinite, (f1, g1, f2, g2))):
        return midpoint
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (t1 - t2)
    radicand = d1 * d1 - g1 * g2
    if radicand < 0:
        return midpoint
    d2 = math.copysign(math.sqrt(radicand), t2 - t1)
    denominator = g2 - g1 + 2.0 * d2
    if denominator == 0:
        return midpoint
    t = t2 - (t2 - t1) * (g2 + d2 - d1) / denominator
    if not math.isfinite(t):
        return midpoint
    return min(max(t, lo), hi)


def strong_wolfe(phi: Callable, t: float, d, f0: float, g0, gtd0: float, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25):
    """Search along ``d`` from the point where the loss is ``f0``, gradient ``g0`` and
    slope ``gtd0 = g0ᵀd < 0``, starting with step ``t``.

    ``phi(t)`` returns ``(loss, flat_gradient)`` at ``θ + t d``. Returns
    ``(loss, flat_gradient, t, evaluations)`` of the accepted step (at most ``max_ls``
    evaluations; if none satisfies the conditions, the best point found).
    """
    d_scale = _flat.abs_max(d)
    f, g = phi(t)
    evals = 1
    gtd = _flat.dot(g, d)
    prev = (0.0, f0, g0, gtd0)
    bracket = None
    while True:
        if f > f0 + c1 * t * gtd0 or (evals > 1 and f >= prev[1]):
            bracket = [prev, (t, f, g, gtd)]  # [low, high]: the minimiser lies between
            break
        if abs(gtd) <= -c2 * gtd0:
            return f, g, t, evals
        if gtd >= 0:
            bracket = [(t, f, g, gtd), prev]
            break
        if evals >= max_ls:
            return f, g, t, evals
        # still descending: extrapolate, at least a little and at most tenfold
        t_next = cubic_minimizer(prev[0], prev[1], prev[3], t, f, gtd,
                                 bounds=(t + 0.01 * (t - prev[0]), 10.0 * t))
        prev = (t, f, g, gtd)
        t = t_next
        f, g = phi(t)
        evals += 1
        gtd = _flat.dot(g, d)

    low, high = bracket
    while evals < max_ls:
        if abs(high[0] - low[0]) * d_scale < tolerance_change:
            break
        a, b = min(low[0], high[0]), max(low[0], high[0])
        t = cubic_minimizer(low[0], low[1], low[3], high[0], high[1], high[3], bounds=(a, b))
        margin = 0.1 * (b - a)  # keep away from the ends so the bracket keeps shrinking
        t = min(max(t, a + margin), b - margin)
        f, g = phi(t)
        evals += 1
        gtd = _flat.dot(g, d)
        if f > f0 + c1 * t * gtd0 or f >= low[1]:
            high = (t, f, g, gtd)
        else:
            if abs(gtd) <= -c2 * gtd0:
                return f, g, t, evals
            if gtd * (high[0] - low[0]) >= 0:
                high = low
            low = (t, f, g, gtd)
    return low[1], low[2], low[0], evals
