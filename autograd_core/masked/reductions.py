"""Masked reductions (plays the reductions of ``torch.masked``): each reduces
``where(mask, input, identity)``, so a slice whose elements are all masked out gives the
reduction's identity (0 for ``sum``, 1 for ``prod``, -inf for ``amax``, ...), and NaN where
there is none (``mean``, ``median``, ``var``, ``std``: 0/0), as in PyTorch.
"""

from __future__ import annotations

import math

from ..dtypes import float32, int64
from ..linalg.norms import vector_norm
from ..ops.extrema import amax as _amax
from ..ops.extrema import amin as _amin
from ..ops.nan_reductions import nanmedian
from ..ops.softmax import logsumexp as _logsumexp
from ..tensor import Tensor
from ._mask import canonical_dims, combine, input_mask, reduce_dims

__all__ = ["amax", "amin", "argmax", "argmin", "logsumexp", "mean", "median", "norm", "prod",
           "std", "sum", "var"]

_SMALL_INTS = ("bool", "uint8", "int8", "int16", "int32")


def _sum_dtype(input: Tensor, dtype):
    """PyTorch's default: the input's dtype, small integers and bool promoted to int64."""
    if dtype is not None:
        return dtype
    return int64 if input.dtype.name in _SMALL_INTS else input.dtype


def sum(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,  # noqa: A001
        mask: Tensor | None = None) -> Tensor:
    """sum over dim of the elements where ``mask`` is True (0 for a fully masked slice)."""
    dtype = _sum_dtype(input, dtype)
    dims = canonical_dims(dim, input.ndim)
    x = combine("sum", input, mask)
    return x.sum(reduce_dims(dims, input.ndim), bool(keepdim), dtype=dtype)


def prod(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """product over dim of the elements where ``mask`` is True (1 for a fully masked slice)."""
    dtype = _sum_dtype(input, dtype)
    dims = canonical_dims(dim, input.ndim)
    x = combine("prod", input, mask).to(dtype)
    if input.ndim == 0:
        return x
    for d in reversed(dims):
        x = x.prod(d, bool(keepdim))
    return x


def amax(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """max over dim of the unmasked elements (-inf for a fully masked slice)."""
    dtype = input.dtype if dtype is None else dtype
    dims = canonical_dims(dim, input.ndim)
    x = combine("amax", input, mask)
    return _amax(x, reduce_dims(dims, input.ndim) or (), bool(keepdim)).to(dtype)


def amin(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """min over dim of the unmasked elements (+inf for a fully masked slice)."""
    dtype = input.dtype if dtype is None else dtype
    dims = canonical_dims(dim, input.ndim)
    x = combine("amin", input, mask)
    return _amin(x, reduce_dims(dims, input.ndim) or (), bool(keepdim)).to(dtype)


def argmax(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """index of the max of the unmasked elements, as ``dtype`` (the input's by default, as
    PyTorch's masked argmax)."""
    dtype = input.dtype if dtype is None else dtype
    return combine("amax", input, mask).argmax(dim, bool(keepdim)).to(dtype)


def argmin(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """index of the min of the unmasked elements, as ``dtype`` (the input's by default)."""
    dtype = input.dtype if dtype is None else dtype
    return combine("amin", input, mask).argmin(dim, bool(keepdim)).to(dtype)


def _count(input: Tensor, dims, keepdim: bool, mask: Tensor | None):
    """How many elements each slice keeps: a Tensor (int64) with a mask, else a Python int."""
    if mask is None:
        return math.prod(int(input.shape[d]) for d in dims) if input.ndim else 1
    kept = input_mask(input, mask).to(int64)
    return kept.sum(reduce_dims(dims, input.ndim), keepdim)


def mean(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """(sum of the unmasked elements) / (their count); NaN for a fully masked slice."""
    source = "Optional" if dtype is not None else "Input"
    dtype = input.dtype if dtype is None else dtype
    if not dtype.is_floating_point:
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either "
                         f"a floating point or complex dtype. Got: {dtype}; pass "
                         f"dtype=float32")
    dims = canonical_dims(dim, input.ndim)
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, dims, keepdim, mask)


def median(input: Tensor, dim: int = -1, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """the lower median of the unmasked elements along ``dim`` (NaN for a fully masked slice):
    masked-out elements become NaN and ``nanmedian`` skips them."""
    dtype = input.dtype if dtype is None else dtype
    d = canonical_dims(dim, input.ndim)[0]
    floating = input.dtype.is_floating_point
    x = input if floating else input.to(float32)
    out = nanmedian(combine("median", x, mask), d, bool(keepdim)).values
    if floating:
        return out
    if bool(out.isnan().any()):
        raise ValueError("masked median expects no fully masked out rows if dtype is not "
                         "floating point; use a floating input or mask fewer elements")
    return out.to(dtype)


def norm(input: Tensor, ord: float = 2.0, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """the vector ``ord``-norm of the unmasked elements (masked-out ones count as 0, or as
    +inf for ``ord=-inf``)."""
    dtype = input.dtype if dtype is None else dtype
    dims = canonical_dims(dim, input.ndim)
    x = combine("norm", input, mask, ord)
    return vector_norm(x, ord, reduce_dims(dims, input.ndim), bool(keepdim), dtype=dtype)


def _std_var(input: Tensor, dim, unbiased, correction, keepdim, dtype, mask,
             take_sqrt: bool) -> Tensor:
    """var = sum_kept (x - mean)^2 / max(count - correction, 0)."""
    if unbiased is not None and correction is not None:
        raise RuntimeError("var/std: pass only one of unbiased and correction "
                           f"(got unbiased={unbiased}, correction={correction})")
    c = 1.0 if unbiased is None else (1.0 if unbiased else 0.0)
    if correction is not None:
        c = float(correction)
    if dtype is None:
        dtype = input.dtype if input.dtype.is_floating_point else float32
    compute = dtype if dtype.is_floating_point else float32
    dims = canonical_dims(dim, input.ndim)
    count = _count(input, dims, True, mask)
    centre = sum(input, dim, keepdim=True, dtype=dtype, mask=mask) / count
    x = input - centre
    total = sum(x * x, dim, keepdim=keepdim, dtype=compute, mask=mask)
    if isinstance(count, Tensor):
        count = count.reshape(tuple(total.shape))
        if c != 0:
            count = (count.to(compute) - c).clamp(min=0)
    elif c != 0:
        count = max(count - c, 0.0)
    out = (total / count).to(dtype)
    return out.sqrt() if take_sqrt else out


def var(input: Tensor, dim=None, unbiased: bool | None = None, *, correction=None,
        keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """the variance of the unmasked elements, divided by (count - correction), correction 1
    by default; NaN for a fully masked slice."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input: Tensor, dim=None, unbiased: bool | None = None, *, correction=None,
        keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """the square root of the masked ``var``."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def logsumexp(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
              mask: Tensor | None = None) -> Tensor:
    """log sum exp of the unmasked elements (-inf for a fully masked slice)."""
    dtype = input.dtype if dtype is None else dtype
    dims = canonical_dims(dim, input.ndim)
    x = combine("logsumexp", input, mask)
    return _logsumexp(x, dims, bool(keepdim)).to(dtype)

