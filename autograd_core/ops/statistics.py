"""Sample statistics and counting: cov, corrcoef, bincount, histc, histogram.

``cov`` and ``corrcoef`` compose differentiable primitives (rows are variables, columns
observations, ``w`` the product of the frequency and analytic weights):

    mean_i   = sum_k w_k x_ik / sum_k w_k
    cov_ij   = sum_k w_k (x_ik - mean_i)(x_jk - mean_j) / (sum_k w_k - correction)
    corr_ij  = cov_ij / sqrt(cov_ii cov_jj)           (clipped to [-1, 1])

(with analytic weights ``a`` the divisor is ``sum w - correction sum(w a) / sum w``).
``bincount``, ``histc`` and ``histogram`` count, and are not differentiable (as in PyTorch).
"""

from __future__ import annotations

from collections import namedtuple

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap
from .reduction import _xp
from .selection import clamp
from .unary import sqrt


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance matrix of the variables in the rows of ``input`` (0-d for one variable)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input._data.ndim} dimensions")
    x = input.reshape(1, -1) if input._data.ndim < 2 else input
    if not x.dtype.is_floating_point:
        x = x.to(_dt.get_default_dtype())
    n = x._data.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights._data.ndim > 1 or weights._data.shape != (n,):
            raise RuntimeError(f"cov(): expected {name} to be a 1-d tensor with {n} elements "
                               f"(one per observation), got shape {list(weights.shape)}")
        if name == "fweights" and weights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if bool((weights._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative (got {weights.tolist()})")
        weights = weights.to(x.dtype)
        w = weights if w is None else w * weights
    if w is None:
        total = float(n)
        mean = x.mean(1, keepdim=True)
        centered = x - mean
        c = centered @ centered.mT
    else:
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        centered = x - mean
        c = (centered * w) @ centered.mT
    if aweights is None or correction == 0:
        divisor = total - correction
    else:
        divisor = total - correction * (w * aweights.to(x.dtype)).sum() / total
    if not isinstance(divisor, Tensor):
        divisor = max(divisor, 0)
    else:
        divisor = clamp(divisor, min=0)
    out = c / divisor
    return out.reshape(()) if x._data.shape[0] == 1 else out  # one variable: a 0-d result


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = sqrt(c.diagonal())
    return clamp(c / d[:, None] / d[None, :], -1, 1)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count of each value 0, 1, ..., max(input) in a 1-d non-negative integer tensor (or
    the sum of ``weights`` at each value)."""
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got shape "
                           f"{list(input.shape)} and dtype {input.dtype}")
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0, got {minlength}")
    if x.size and int(x.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = _xp(input)
    if weights is None:
        return _wrap(xp.bincount(x, minlength=minlength).astype(_dt.int64.numpy))
    if weights._data.shape != x.shape:
        raise RuntimeError(f"weights should be 1-d and have the same length as input, got "
                           f"{list(weights.shape)} and {list(input.shape)}")
    w = weights._data
    dtype = w.dtype if w.dtype.kind == "f" else _dt.float64.numpy
    return _wrap(xp.bincount(x, weights=w, minlength=minlength).astype(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored."""
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    xp = _xp(input)
    x = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo > hi:
        raise RuntimeError(f"torch.histc: max must be larger than min, got min {lo} max {hi}")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = xp.histogram(x, bins=bins, range=(lo, hi))
    return _wrap(counts.astype(input._data.dtype))


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins=100, *, range: tuple | None = None,
              weight: Tensor | None = None, density: bool = False):
    """``(hist, bin_edges)``: counts (or summed ``weight``) of ``input`` in ``bins`` equal
    bins over ``range`` (the data's range by default), or between the given edges."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the "
                           f"same dtype, but got input {input.dtype}; use a float tensor")
    xp = _xp(input)
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    w = None if weight is None else weight._data.reshape(-1)
    hist, bin_edges = xp.histogram(input._data.reshape(-1), bins=edges, range=range, weights=w,
                                   density=density)
    dtype = input._data.dtype
    return histogram_result(_wrap(hist.astype(dtype)), _wrap(bin_edges.astype(dtype)))


Tensor.histogram = histogram
Tensor.bincount = bincount
Tensor.histc = histc
Tensor.cov = cov
Tensor.corrcoef = corrcoef

__all__ = ["cov", "corrcoef", "bincount", "histc", "histogram"]
