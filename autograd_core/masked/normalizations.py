"""Masked normalisations and scans (plays those of ``torch.masked``): the result keeps the
input's shape; masked-out elements take the identity of the underlying reduction before the
op runs, so they do not contribute to the others (a fully masked softmax row is NaN, 0/0,
as in PyTorch).
"""

from __future__ import annotations

from ..ops.pointwise_extra import logaddexp as _logaddexp
from ..ops.selection import maximum
from ..ops.softmax import log_softmax as _log_softmax
from ..ops.softmax import softmax as _softmax
from ..tensor import Tensor
from ._mask import canonical_dims, combine
from .reductions import norm

__all__ = ["cumprod", "cumsum", "log_softmax", "logaddexp", "normalize", "softmax", "softmin"]


def cumsum(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """running sum along dim, masked-out elements counting as 0."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    return combine("sum", input, mask).cumsum(d, dtype=dtype).to(dtype)


def cumprod(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """running product along dim, masked-out elements counting as 1."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    return combine("prod", input, mask).cumprod(d, dtype=dtype).to(dtype)


def softmax(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """exp(x_i) / sum_{kept j} exp(x_j) over the kept elements; 0 at masked-out ones."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    return _softmax(combine("amax", input, mask), d, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """x_i - log sum_{kept j} exp(x_j); -inf at masked-out elements."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    return _log_softmax(combine("amax", input, mask), d, dtype=dtype)


def softmin(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """softmax of -x over the kept elements (masked-out ones are +inf first, so 0 after)."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    return _softmax(-combine("amin", input, mask), d, dtype=dtype)


def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12, dtype=None,
              mask: Tensor | None = None) -> Tensor:
    """x / max(||x_kept||_ord, eps) along dim; 0 at masked-out elements."""
    dtype = input.dtype if dtype is None else dtype
    x = combine("sum", input, mask)
    n = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return x / maximum(n, n.new_full((), eps))


def logaddexp(input: Tensor, other: Tensor, *, dtype=None, input_mask: Tensor | None = None,
              other_mask: Tensor | None = None) -> Tensor:
    """log(exp(a) + exp(b)), each masked-out element of a or b counting as -inf."""
    dtype = input.dtype if dtype is None else dtype
    a = combine("amax", input, input_mask)
    b = combine("amax", other, other_mask)
    return _logaddexp(a, b).to(dtype)
