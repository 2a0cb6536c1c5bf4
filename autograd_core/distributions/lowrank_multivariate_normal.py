"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): covariance W W^T + diag(D).

A draw is mu + W eps_W + sqrt(D) eps_D with eps_W ~ N(0, I_rank), eps_D ~ N(0, I_k). The
density goes through the Cholesky factor of the full covariance (k x k), which is exact;
PyTorch uses the Woodbury identity instead (cheaper when rank << k)."""

from __future__ import annotations

import numpy as np

import autograd_core as ag

from . import constraints
from ._linalg import cholesky, inverse_spd
from .distribution import Distribution
from .multivariate_normal import gaussian_entropy, gaussian_log_prob
from .utils import diag_embed, lazy_property


class LowRankMultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        rank = cov_factor.shape[-1]
        batch_shape = tuple(np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                                tuple(cov_diag.shape[:-1])))
        self.loc = loc.expand(batch_shape + event_shape)
        self.cov_factor = cov_factor.expand(batch_shape + event_shape + (rank,))
        self.cov_diag = cov_diag.expand(batch_shape + event_shape)
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(LowRankMultivariateNormal, batch_shape,
                             ("loc", "cov_factor", "cov_diag"), _instance)
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        w = self._unbroadcasted_cov_factor
        return ((w * w).sum(-1) + self._unbroadcasted_cov_diag).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def _covariance(self):
        w = self._unbroadcasted_cov_factor
        return w @ w.mT + diag_embed(self._unbroadcasted_cov_diag)

    @lazy_property
    def _scale_tril(self):
        return cholesky(self._covariance())

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        return self._covariance().expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        return inverse_spd(self._covariance()).expand(self._matrix_shape())

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        w = self._unbroadcasted_cov_factor
        eps_w = ag.randn(*(shape[:-1] + tuple(w.shape[-1:])), dtype=self.loc.dtype, device=self.loc.device)
        eps_d = ag.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (w @ eps_w[..., None])[..., 0] + self._unbroadcasted_cov_diag.sqrt() * eps_d

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gaussian_log_prob(self._scale_tril, self.loc, value)

    def entropy(self):
        return gaussian_entropy(self._scale_tril, self._event_shape[0], self._batch_shape)
