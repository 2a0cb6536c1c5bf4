"""QR in LAPACK's Householder form: ``geqrf`` and ``ormqr``.

``geqrf(A)`` returns ``(a, tau)``: R on and above the diagonal of ``a``, and below it the
reflector vectors v_i = (0, ..., 0, 1, a[i+1:, i]), so that

    Q = H_1 H_2 ... H_k,   H_i = I - tau_i v_i v_i^T,   A = Q R.

(Not differentiable, as in PyTorch.) ``ormqr(a, tau, C, left, transpose)`` multiplies C by
that Q without forming it by hand: Q C, Q^T C, C Q or C Q^T. Q is
`linalg.householder_product` of ``a`` widened to square, so the product is differentiable
in ``a``, ``tau`` and ``C``.
"""

from __future__ import annotations

from collections import namedtuple

from ..tensor import Tensor, _wrap
from .joining import cat
from .reduction import _xp

__all__ = ["geqrf", "ormqr"]

geqrf_result = namedtuple("geqrf", ["a", "tau"])


def geqrf(input: Tensor) -> tuple:
    """The Householder QR of (a batch of) matrices: ``(a, tau)`` as LAPACK's geqrf."""
    if input.ndim < 2:
        raise RuntimeError(f"torch.geqrf: The input tensor A must have at least 2 dimensions, "
                           f"got shape {list(input.shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"torch.geqrf: Expected a floating point tensor, got {input.dtype}")
    xp = _xp(input)
    m, n = input.shape[-2:]
    if input.numel() == 0:
        lead = tuple(input.shape[:-2])
        return geqrf_result(input.detach().clone(),
                            _wrap(xp.zeros(lead + (min(m, n),), dtype=input._data.dtype)))
    h, tau = xp.linalg.qr(input._data.astype("float64"), mode="raw")
    a = xp.ascontiguousarray(xp.swapaxes(h, -1, -2)).astype(input._data.dtype)
    return geqrf_result(_wrap(a), _wrap(tau.astype(input._data.dtype)))


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,
          transpose: bool = False) -> Tensor:
    """``other`` multiplied by the Q of ``(input, tau)`` (from `geqrf`): ``Q @ other``
    (``left``), ``other @ Q`` (not ``left``), with Q^T when ``transpose``."""
    from ..linalg.misc import householder_product

    if input.ndim < 2 or other.ndim < 2:
        raise RuntimeError(f"torch.ormqr: input and other must have at least 2 dimensions, got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    m, n = input.shape[-2:]
    size = other.shape[-2] if left else other.shape[-1]
    if size != m:
        side = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"torch.ormqr: {side} must be equal to input.shape[-2] ({m}), got "
                           f"other of shape {list(other.shape)}")
    if tau.shape[-1] > min(m, n):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] ({tau.shape[-1]}) must be at most "
                           f"min(input.shape[-2], input.shape[-1]) = {min(m, n)}")
    square = input[..., :m] if n >= m else cat(
        [input, input.new_zeros(tuple(input.shape[:-1]) + (m - n,))], -1)
    q = householder_product(square, tau)
    if transpose:
        q = q.mT
    return q @ other if left else other @ q


Tensor.geqrf = geqrf
Tensor.ormqr = ormqr
