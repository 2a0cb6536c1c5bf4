"""Scaled sums with products: addmv, addbmm, baddbmm, addr (addmm lives in `linalg`).

    addmv(x, M, v)       = beta x + alpha (M @ v)
    baddbmm(x, A, B)     = beta x + alpha (A @ B)           (batch by batch)
    addbmm(x, A, B)      = beta x + alpha sum_b (A_b @ B_b)
    addr(x, u, v)        = beta x + alpha u v^T

Compositions of `mv`/`bmm`, scaling and `broadcast_to`, so the gradients are theirs. With
``beta = 0`` the input is ignored (its nan/inf do not propagate), as in PyTorch.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor
from ._broadcast import broadcast_to
from .linalg import _check_expand, _python_scalar, bmm, mv


def _scaled_sum(name: str, input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    beta, alpha = _python_scalar(beta), _python_scalar(alpha)
    shape = tuple(product.shape)
    _check_expand(tuple(input.shape), shape)
    if input.dtype != product.dtype:
        raise RuntimeError(f"{name}: expected all operands to have the same dtype, but got "
                           f"input {input.dtype.name} and the product {product.dtype.name}")
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled
    base = input if tuple(input.shape) == shape else broadcast_to(input, shape)
    return (base if beta == 1 else base * beta) + scaled


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b (batch1[b] @ batch2[b])``."""
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1 and vec2, but got shapes "
                           f"{list(vec1.shape)} and {list(vec2.shape)}")
    if input.dtype == _dt.bool_:
        if beta not in (0, 1, True, False) or alpha not in (0, 1, True, False):
            raise RuntimeError("Boolean beta only supported for Boolean results.")
        product = vec1[:, None] & vec2[None, :]
        return product if not beta else (input.broadcast_to(tuple(product.shape)) | product)
    return _scaled_sum("addr", input, vec1[:, None] * vec2[None, :], beta, alpha)


Tensor.addr = addr
Tensor.addmv = addmv
Tensor.baddbmm = baddbmm
Tensor.addbmm = addbmm

__all__ = ["addmv", "baddbmm", "addbmm", "addr"]
