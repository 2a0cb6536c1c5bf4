"""Ready-made parametrizations (as ``torch.nn.utils.parametrizations``), registered with
`parametrize.register_parametrization`:

- ``weight_norm``: W = g v / ||v||, the norm taken over every dim but ``dim``
  (Salimans & Kingma, 2016); stored as ``original0`` = g and ``original1`` = v.
- ``spectral_norm``: W = W_orig / sigma(W_orig), sigma the largest singular value,
  estimated by power iteration on buffers u, v (Miyato et al., 2018).
- ``orthogonal``: W = Q with Q^T Q = I, from an unconstrained matrix (see `_orthogonal`).
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from ..module import Module
from . import parametrize
from ._norm_except_dim import norm_except_dim
from ._orthogonal import orthogonal

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


class _WeightNorm(Module):
    """(g, v) -> g v / ||v||, with ||v|| over every dim except ``dim`` (-1: all dims)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g v / ||v|| (norm over every dim but ``dim``)."""
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """W -> W / sigma, sigma = u^T W v from power iteration (in training mode, ``u`` and
    ``v`` are refined ``n_power_iterations`` times per call, outside the graph):

        u <- normalize(W v),  v <- normalize(W^T u)

    A 1-D weight is simply normalised to unit norm."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with ag.no_grad():
                matrix = self._reshape_weight_to_matrix(weight)
                h, w = matrix.shape
                u = ag.randn(h, dtype=weight.dtype, device=weight.device)
                v = ag.randn(w, dtype=weight.dtype, device=weight.device)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
                self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def _power_method(self, matrix: Tensor, iterations: int) -> None:
        with ag.no_grad():
            for _ in range(iterations):
                self._u.copy_(F.normalize(matrix.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(matrix.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.dim() == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = ag.dot(u, matrix.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Reparametrize ``module.<name>`` as W / sigma(W), sigma its spectral norm estimated
    by power iteration (``dim`` defaults to 1 for transposed convolutions, else 0)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
