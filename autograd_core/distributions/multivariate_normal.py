"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril).

With Sigma = L L^T (L the lower Cholesky factor):

    x = mu + L eps,  eps ~ N(0, I)                                   (rsample)
    log p(x) = -1/2 (k log 2 pi + |L^-1 (x - mu)|^2) - sum_i log L_ii
    H = k/2 (1 + log 2 pi) + sum_i log L_ii
"""

from __future__ import annotations

import math

import numpy as np

import autograd_core as ag

from . import constraints
from ._linalg import cholesky, inverse_spd, solve_triangular
from .distribution import Distribution
from .utils import diagonal, lazy_property

_LOG_TWO_PI = math.log(2 * math.pi)


def half_log_det(scale_tril):
    """log sqrt(det Sigma) = sum_i log L_ii."""
    return diagonal(scale_tril).log().sum(-1)


def mahalanobis(scale_tril, diff):
    """|L^-1 diff|^2 over the last dimension (batch dimensions broadcast)."""
    y = solve_triangular(scale_tril, diff[..., None])[..., 0]
    return (y * y).sum(-1)


def gaussian_log_prob(scale_tril, loc, value):
    k = loc.shape[-1]
    return -0.5 * (k * _LOG_TWO_PI + mahalanobis(scale_tril, value - loc)) - half_log_det(scale_tril)


def gaussian_entropy(scale_tril, k: int, batch_shape):
    h = 0.5 * k * (1.0 + _LOG_TWO_PI) + half_log_det(scale_tril)
    return h if len(batch_shape) == 0 else h.expand(tuple(batch_shape))


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        matrix = given[0]
        name = ("covariance_matrix" if covariance_matrix is not None else
                "precision_matrix" if precision_matrix is not None else "scale_tril")
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch_shape = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        setattr(self, name, matrix.expand(batch_shape + tuple(matrix.shape[-2:])))
        event_shape = tuple(loc.shape[-1:])
        self.loc = loc.expand(batch_shape + event_shape)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inverse_spd(precision_matrix))

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(MultivariateNormal, batch_shape,
                             ("loc", "covariance_matrix", "precision_matrix", "scale_tril"), _instance)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        lower = self._unbroadcasted_scale_tril
        inv = solve_triangular(lower, ag.eye(lower.shape[-1], dtype=lower.dtype, device=lower.device))
        return (inv.mT @ inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        lower = self._unbroadcasted_scale_tril
        return (lower * lower).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = ag.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps[..., None])[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gaussian_log_prob(self._unbroadcasted_scale_tril, self.loc, value)

    def entropy(self):
        return gaussian_entropy(self._unbroadcasted_scale_tril, self._event_shape[0], self._batch_shape)
