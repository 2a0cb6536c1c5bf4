"""The sample frequencies of a transform and the shifts that centre them.

    fftfreq(n, d)  = [0, 1, ..., ceil(n/2)-1, -floor(n/2), ..., -1] / (d n)
    rfftfreq(n, d) = [0, 1, ..., n//2] / (d n)
    fftshift(x)    = roll(x, n//2) along each dim (zero frequency in the middle);
    ifftshift(x)   = roll(x, -(n//2)), its inverse.
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from ..factories import arange
from ..tensor import Tensor, _normalize_dim


def _dims(input: Tensor, dim) -> tuple:
    if not isinstance(input, Tensor):
        raise TypeError(f"argument 'input' must be Tensor, not {type(input).__name__}")
    ndim = input._data.ndim
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    return tuple(_normalize_dim(d, max(ndim, 1)) for d in dim)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero-frequency term to the centre (``roll`` by n//2 along ``dim``)."""
    dims = _dims(input, dim)
    if not dims:
        return input.clone()
    return input.roll(tuple(input._data.shape[d] // 2 for d in dims), dims)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of `fftshift` (``roll`` by -(n//2))."""
    dims = _dims(input, dim)
    if not dims:
        return input.clone()
    return input.roll(tuple(-(input._data.shape[d] // 2) for d in dims), dims)


def _check_n(n, op: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{op}(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"{op}: n must be non-negative, got {n}")
    return n


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The frequencies of an n-point fft with sample spacing ``d`` (cycles per unit)."""
    n = _check_n(n, "fftfreq")
    dtype = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    k = arange(n, dtype=dtype, device=device)
    out = (k - (k >= (n + 1) // 2).to(dtype) * n) * (1.0 / (d * n)) if n else k
    return out.requires_grad_(requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The n//2+1 non-negative frequencies of an n-point rfft with sample spacing ``d``."""
    n = _check_n(n, "rfftfreq")
    dtype = _dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)
    k = arange(n // 2 + 1, dtype=dtype, device=device)
    out = k * (1.0 / (d * n) if n else math.nan)  # n = 0: [nan] (0/0), as PyTorch
    return out.requires_grad_(requires_grad)
