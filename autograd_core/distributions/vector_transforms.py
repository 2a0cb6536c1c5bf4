"""Transforms acting on whole events: stick-breaking onto the simplex, a matrix onto a lower
Cholesky factor, a reshape, an `IndependentTransform` wrapper, and a distribution's CDF."""

from __future__ import annotations

import math

import numpy as np

import autograd_core as ag

from . import constraints
from .independent import sum_rightmost
from .transforms import Transform
from .utils import diagonal, softplus

__all__ = ["CumulativeDistributionTransform", "IndependentTransform", "LowerCholeskyTransform",
           "ReshapeTransform", "StickBreakingTransform"]


class StickBreakingTransform(Transform):
    """R^(K-1) -> K-simplex: z_i = sigmoid(x_i - log(K - 1 - i)) is the fraction of the stick
    left after the first i pieces: y_i = z_i prod_{j<i} (1 - z_j), y_K = prod_j (1 - z_j).
    The shift makes x = 0 the centre of the simplex."""

    domain, codomain, bijective = constraints.real_vector, constraints.simplex, True

    @staticmethod
    def _offset(n: int, like):
        return ag.arange(n, 0, -1, device=like.device).to(like.dtype)  # K-1, ..., 1

    def _call(self, x):
        z = (x - self._offset(x.shape[-1], x).log()).sigmoid()
        remaining = (1 - z).cumprod(-1)
        ones = ag.ones_like(x[..., :1])
        return ag.cat([z, ones], -1) * ag.cat([ones, remaining], -1)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        tiny = float(np.finfo(y._data.dtype).tiny)
        remaining = (1 - y_crop.cumsum(-1)).clamp_min(tiny)
        return y_crop.log() - remaining.log() + self._offset(y_crop.shape[-1], y).log()

    def log_abs_det_jacobian(self, x, y):
        shifted = x - self._offset(x.shape[-1], x).log()
        return (-shifted - softplus(-shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    """Any square matrix -> a lower Cholesky factor: keep the strict lower triangle, exp the
    diagonal (not bijective on all matrices: the upper triangle is dropped)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    @staticmethod
    def _strict_lower(x):
        n = x.shape[-1]
        index = ag.arange(n, device=x.device)
        return x * (index[:, None] > index[None, :]).to(x.dtype)

    def _call(self, x):
        eye = ag.eye(x.shape[-1], dtype=x.dtype, device=x.device)
        return self._strict_lower(x) + diagonal(x).exp()[..., None] * eye

    def _inverse(self, y):
        eye = ag.eye(y.shape[-1], dtype=y.dtype, device=y.device)
        return self._strict_lower(y) + diagonal(y).log()[..., None] * eye


class IndependentTransform(Transform):
    """``base`` with its rightmost ``reinterpreted_batch_ndims`` dimensions made event ones:
    the log-determinant is summed over them."""

    def __init__(self, base_transform, reinterpreted_batch_ndims: int, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.base_transform, self.reinterpreted_batch_ndims = base_transform, reinterpreted_batch_ndims

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Reshape the rightmost dimensions from ``in_shape`` to ``out_shape`` (same size)."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0) -> None:
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return x.reshape(batch + self.out_shape)

    def _inverse(self, y):
        batch = tuple(y.shape[:y.dim() - len(self.out_shape)])
        return y.reshape(batch + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return ag.zeros(batch, dtype=x.dtype, device=x.device)

    def forward_shape(self, shape):
        cut = len(shape) - len(self.in_shape)
        if cut < 0 or tuple(shape[cut:]) != self.in_shape:
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {self.in_shape}")
        return tuple(shape[:cut]) + self.out_shape

    def inverse_shape(self, shape):
        cut = len(shape) - len(self.out_shape)
        if cut < 0 or tuple(shape[cut:]) != self.out_shape:
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {self.out_shape}")
        return tuple(shape[:cut]) + self.in_shape


class CumulativeDistributionTransform(Transform):
    """y = F(x), the CDF of a continuous ``distribution``: log|dy/dx| = log p(x)."""

    bijective, codomain, sign = True, constraints.unit_interval, 1

    def __init__(self, distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
