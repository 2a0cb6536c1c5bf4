"""KL(p || q) between different families, registered with `kl.register_kl`.

Most are -H(p) - E_p[log q(x)], with the expectations of x, x^2, log x, |x - m| under p in
closed form; where p's support is not inside q's, KL is +inf."""

from __future__ import annotations

import math

import autograd_core as ag

from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .exponential import Exponential
from .gamma import Gamma
from .kl import register_kl
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _infinite(p):
    """+inf of p's batch shape: p puts mass where q has none."""
    like = next(v for v in p.__dict__.values() if isinstance(v, ag.Tensor))
    return ag.full(tuple(p.batch_shape), math.inf, dtype=like.dtype, device=like.device)


for _p, _qs in ((Exponential, (Beta, Uniform)), (Gamma, (Beta, Uniform)),
                (Laplace, (Beta, Exponential, Gamma, Uniform)),
                (Normal, (Beta, Exponential, Gamma, Uniform)), (Poisson, (Bernoulli, Binomial))):
    for _q in _qs:
        register_kl(_p, _q)(lambda p, q: _infinite(p))


def _normal_cross(q, mean, second_moment_about_loc):
    """-E_p[log N(x; mu, sigma)] = log sigma + log sqrt(2 pi) + E[(x - mu)^2] / (2 sigma^2)."""
    return q.scale.log() + _HALF_LOG_TWO_PI + second_moment_about_loc / (2 * q.scale.pow(2))


def _gamma_cross(q, mean, mean_log):
    """-E_p[log Gamma(x; a, b)] = -a log b - (a-1) E[log x] + b E[x] + lgamma(a)."""
    a, b = q.concentration, q.rate
    return -a * b.log() - (a - 1) * mean_log + b * mean + ag.lgamma(a)


def _where_outside(result, outside):
    return ag.where(outside, ag.full_like(result, math.inf), result)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


# ---------------------------------------------------------------------------- p = Beta
def _beta_mean_log(p):
    """E[log x] = psi(alpha) - psi(alpha + beta)."""
    return ag.digamma(p.concentration1) - ag.digamma(p.concentration1 + p.concentration0)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    return -p.entropy() + _gamma_cross(q, p.mean, _beta_mean_log(p))


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() + _normal_cross(q, p.mean, p.variance + (p.mean - q.loc).pow(2))


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return _where_outside(result, (q.low > 0) | (q.high < 1))


# ---------------------------------------------------------------------------- p = Exponential, Gamma, Laplace
@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    mean = p.rate.reciprocal()
    return -p.entropy() + _normal_cross(q, mean, mean.pow(2) + (mean - q.loc).pow(2))


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    mean = p.concentration / p.rate
    return -p.entropy() + _normal_cross(q, mean, p.variance + (mean - q.loc).pow(2))


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() + _normal_cross(q, p.loc, 2 * p.scale.pow(2) + (p.loc - q.loc).pow(2))


# ---------------------------------------------------------------------------- p = Normal
@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """E|x - m| under N(mu, s^2): s sqrt(2/pi) e^{-d^2/(2 s^2)} + d erf(d / (s sqrt 2)), d = mu - m."""
    d = p.loc - q.loc
    abs_moment = (p.scale * math.sqrt(2 / math.pi) * (-(d.pow(2)) / (2 * p.scale.pow(2))).exp()
                  + d * ag.erf(d / (p.scale * math.sqrt(2))))
    return -p.entropy() + (2 * q.scale).log() + abs_moment / q.scale


# ---------------------------------------------------------------------------- p = Uniform
def _uniform_mean_log(p):
    """E[log x] on [l, h] (0 <= l): (h log h - l log l) / (h - l) - 1, with 0 log 0 = 0."""
    def xlogx(v):
        safe = ag.where(v > 0, v, ag.ones_like(v))
        return ag.where(v > 0, v * safe.log(), ag.zeros_like(v))

    return (xlogx(p.high) - xlogx(p.low)) / (p.high - p.low) - 1


def _uniform_mean_log1m(p):
    """E[log(1 - x)] on [l, h] within [0, 1]: the same with 1 - x on [1 - h, 1 - l]."""
    mirrored = Uniform(1 - p.high, 1 - p.low, validate_args=False)
    return _uniform_mean_log(mirrored)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    a, b = q.concentration1, q.concentration0
    log_beta = ag.lgamma(a) + ag.lgamma(b) - ag.lgamma(a + b)
    cross = -(a - 1) * _uniform_mean_log(p) - (b - 1) * _uniform_mean_log1m(p) + log_beta
    return _where_outside(-p.entropy() + cross, (p.low < 0) | (p.high > 1))


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -p.entropy() - q.rate.log() + q.rate * p.mean
    return _where_outside(result, p.low < 0)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    result = -p.entropy() + _gamma_cross(q, p.mean, _uniform_mean_log(p))
    return _where_outside(result, p.low < 0)
