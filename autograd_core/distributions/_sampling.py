"""Drawing samples with tensor operations only (so they run on every device), without a
graph: Gamma(alpha, 1) by Marsaglia and Tsang's squeeze method (alpha >= 1; alpha < 1 via
Gamma(alpha + 1) U^(1/alpha)), Poisson by inversion or PTRS, Binomial as Bernoulli sums.
`standard_gamma` attaches the implicit gradient (`_implicit_gamma`) to a Gamma draw."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.tensor import Tensor

from ._implicit_gamma import StandardGammaReparam, _standard_gamma_grad_array  # noqa: F401


def _uniform_like(shape, like: Tensor) -> Tensor:
    return ag.rand(*shape, dtype=like.dtype, device=like.device)


def _normal_like(shape, like: Tensor) -> Tensor:
    return ag.randn(*shape, dtype=like.dtype, device=like.device)


def _standard_gamma_draw(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) draws of ``alpha``'s shape (no graph)."""
    with ag.no_grad():
        small = alpha < 1
        a = ag.where(small, alpha + 1.0, alpha)
        d = a - 1.0 / 3.0
        c = 1.0 / (9.0 * d).sqrt()
        out = ag.zeros_like(alpha)
        done = ag.zeros_like(alpha) > 0
        while not bool(done.all()):
            z = _normal_like(alpha.shape, alpha)
            u = _uniform_like(alpha.shape, alpha)
            v = (1.0 + c * z) ** 3
            vpos = v > 0
            v_safe = ag.where(vpos, v, ag.ones_like(v))
            accept = vpos & (u.clamp_min(1e-300).log() < 0.5 * z * z + d - d * v_safe + d * v_safe.log())
            new = accept & done.logical_not()
            out = ag.where(new, d * v_safe, out)
            done = done | accept
        boost = _uniform_like(alpha.shape, alpha).clamp_min(1e-30) ** (1.0 / alpha)
        out = ag.where(small, out * boost, out)
        tiny = float(__import__("numpy").finfo(out._data.dtype).tiny)
        return out.clamp_min(tiny)


def standard_gamma(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) draws, differentiable in alpha (implicit reparameterisation)."""
    return StandardGammaReparam.apply(alpha, _standard_gamma_draw(alpha.detach()))


_PTRS_FROM = 10.0


def _poisson_small(r: Tensor) -> Tensor:
    """Inversion: the first k with u <= P(K <= k) (float64 rates below ``_PTRS_FROM``)."""
    u = _uniform_like(r.shape, r)
    k = ag.zeros_like(r)
    p = (-r).exp()
    s = p
    while True:
        more = u > s
        if not bool(more.any()):
            return k
        k = k + more.double()
        p = ag.where(more, p * r / k.clamp_min(1.0), p)
        s = ag.where(more, s + p, s)


def _poisson_ptrs(lam: Tensor) -> Tensor:
    """Hormann's transformed rejection with squeeze (PTRS), for rates >= 10: a proposal from
    a hat function of the inverse CDF, accepted with the exact Poisson probability."""
    slam, loglam = lam.sqrt(), lam.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_inv_alpha = (1.1239 + 1.1328 / (b - 3.4)).log()
    vr = 0.9277 - 3.6224 / (b - 2)
    out = ag.zeros_like(lam)
    done = ag.zeros_like(lam) > 0
    while not bool(done.all()):
        u = _uniform_like(lam.shape, lam) - 0.5
        v = _uniform_like(lam.shape, lam)
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + lam + 0.43).floor()
        quick = (us >= 0.07) & (v <= vr)
        possible = (k >= 0) & ((us >= 0.013) | (v <= us))
        k_safe = k.clamp_min(0.0)
        exact = (v.log() + log_inv_alpha - (a / (us * us) + b).log()
                 <= -lam + k_safe * loglam - ag.lgamma(k_safe + 1))
        accept = (quick | (possible & exact)) & done.logical_not()
        out = ag.where(accept, k_safe, out)
        done = done | accept
    return out


def poisson_draw(rate: Tensor) -> Tensor:
    """Poisson(rate) draws (no graph): inversion for small rates, PTRS for large ones."""
    with ag.no_grad():
        r = rate.double()
        large = r >= _PTRS_FROM
        small = _poisson_small(ag.where(large, ag.zeros_like(r), r))
        if bool(large.any()):
            big = _poisson_ptrs(ag.where(large, r, ag.full_like(r, _PTRS_FROM)))
            small = ag.where(large, big, small)
        return small.to(rate.dtype)


def binomial_draw(total_count: Tensor, probs: Tensor) -> Tensor:
    """Binomial(n, p) draws as sums of Bernoulli draws, chunk by chunk (no graph)."""
    with ag.no_grad():
        n_max = int(total_count.max().item()) if total_count.numel() else 0
        out = ag.zeros_like(probs)
        start = 0
        while start < n_max:
            size = min(256, n_max - start)
            u = _uniform_like((size,) + tuple(probs.shape), probs)
            trial = ag.arange(start, start + size, device=probs.device).to(probs.dtype)
            trial = trial.reshape((size,) + (1,) * probs.dim())
            out = out + ((u < probs) & (trial < total_count)).to(probs.dtype).sum(0)
            start += size
        return out
