"""Dirichlet(concentration): density prod x_i^(a_i - 1) / B(a) on the simplex.

A draw is G / sum(G) with independent G_i ~ Gamma(a_i, 1), each reparameterised implicitly
(see `_sampling`), so ``rsample`` is differentiable in the concentration."""

from __future__ import annotations

import autograd_core as ag

from . import constraints
from ._sampling import standard_gamma
from .distribution import Distribution
from .utils import xlogy


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Dirichlet, batch_shape, ("concentration",), _instance)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        gammas = standard_gamma(self.concentration.expand(shape))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return (xlogy(a - 1.0, value).sum(-1) + ag.lgamma(a.sum(-1)) - ag.lgamma(a).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        a = self.concentration
        shifted = (a - 1).clamp_min(0.0)
        total = shifted.sum(-1, keepdim=True)
        mode = shifted / ag.where(total > 0, total, ag.ones_like(total))  # 0/0 rows are replaced below
        # every a_i < 1: the density is unbounded at each vertex; as PyTorch, the first one
        below = (a < 1).all(-1)
        first = (ag.arange(a.shape[-1], device=a.device) == 0).to(a.dtype)
        return ag.where(below[..., None], first.expand(tuple(a.shape)), mode)

    @property
    def variance(self):
        a = self.concentration
        a0 = a.sum(-1, keepdim=True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return (ag.lgamma(a).sum(-1) - ag.lgamma(a0) - (k - a0) * ag.digamma(a0)
                - ((a - 1.0) * ag.digamma(a)).sum(-1))
