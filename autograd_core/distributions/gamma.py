"""Gamma(concentration, rate): density b^a x^(a-1) e^(-b x) / Gamma(a) on x > 0.

Draws are reparameterised implicitly (see `_sampling`): x = G / b with G ~ Gamma(a, 1) and
dG/da from the CDF, so ``rsample`` is differentiable in both parameters."""

from __future__ import annotations

import numpy as np

import autograd_core as ag

from . import constraints
from ._incomplete_gamma import RegularizedGammaP
from ._sampling import standard_gamma
from .distribution import Distribution
from .utils import broadcast_all, xlogy


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Gamma, batch_shape, ("concentration", "rate"), _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp_min(0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp_min(float(np.finfo(value._data.dtype).tiny))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return xlogy(a, b) + xlogy(a - 1, value) - b * value - ag.lgamma(a)

    def cdf(self, value):
        """P(a, b x), the regularised lower incomplete gamma function (differentiable in
        the rate and the value; PyTorch does not differentiate it in the concentration)."""
        if self._validate_args:
            self._validate_sample(value)
        return RegularizedGammaP.apply(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + ag.lgamma(a) + (1.0 - a) * ag.digamma(a)
