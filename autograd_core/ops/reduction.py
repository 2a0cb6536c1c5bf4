"""Reductions: sums, means, products, moments, and the logical and counting reductions.

Every reduction takes ``dim`` (an int, a tuple of ints, negative allowed, or None for all
dimensions) and ``keepdim`` as in PyTorch. Backward first undoes the reduction's shape
(`expand_reduced`), then applies the local rule (``g`` is the incoming gradient, broadcast
back over the reduced dims; ``n`` the number of reduced elements):

    sum          dx = g                          mean        dx = g / n
    prod         dx_i = g prod_{j != i} x_j      (exact with zeros, see `Prod`)
    var          dx = g 2 (x - mean x) / (n - correction)
    std          dx = g (x - mean x) / ((n - correction) std)      (0 where std = 0)

Backward rules are written once for arrays and Tensors (``ctx.math``), so they are
themselves differentiable. Masks (where the zeros are) are constants. The shape helpers here (`normalize_dims`,
`expand_reduced`, ...) are shared with the other reducing families: `extrema` (max, min,
median, argmax), `softmax` (softmax, log_softmax, logsumexp), `norm` and `cumulative`
(cumsum, cumprod).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .._backend import as_array, backend_of
from .._teaching import Input, NodeInfo, Rule
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from ._accumulate import is_half, narrow, wide

_inf = math.inf
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                "float64": "Double"}


# ----------------------------------------------------------------------------- shapes
def normalize_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes, or None
    (meaning every axis: also returned for an empty sequence and for a 0-d tensor)."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_normalize_dim(d, ndim) for d in dim))
        for a, b in zip(axes, axes[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        return axes if ndim else None
    axis = _normalize_dim(dim, ndim)
    return (axis,) if ndim else None


def expand_reduced(m, grad, in_shape: tuple, axes, keepdim: bool):
    """Undo a reduction's shape in a backward rule (namespace ``m``): put back the reduced
    axes (size 1), then broadcast."""
    if axes is None:
        axes = tuple(range(len(in_shape)))
    if not keepdim and axes and grad.ndim:  # (a 0-d gradient broadcasts as it is)
        grad = grad.reshape(_kept_shape(in_shape, axes))
    return m.broadcast_to(grad, in_shape)


def _kept_shape(shape: tuple, axes) -> tuple:
    """``shape`` with the reduced ``axes`` (None: all) set to 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _out_shape(shape: tuple, axes, keepdim: bool) -> tuple:
    if keepdim:
        return _kept_shape(shape, axes)
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _count(shape: tuple, axes) -> int:
    n = 1
    for a in range(len(shape)) if axes is None else axes:
        n *= shape[a]
    return n


def _xp(t: Tensor):
    return backend_of(t._data).xp


def _torch_name(t: Tensor) -> str:
    return _TORCH_NAMES.get(t.dtype.name, t.dtype.name)


# ----------------------------------------------------------------------------- sum, mean
class Sum(Function):
    rule = Rule("y = sum_i a_i", r"y = \sum_i a_i",
                Input("a", "dy/da_i = 1", r"\frac{\partial y}{\partial a_i} = 1",
                      "g copied to every element of a", r"g\,\mathbf{1}"))

    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        if np_dtype is None and is_half(x):  # float16 accumulates in float32 (_accumulate)
            return narrow(as_array(x.sum(axis=axes, keepdims=keepdim, dtype=np.float32), ctx.xp), x)
        return x.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.input_metadata[0][0]
        return expand_reduced(ctx.math, grad, shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``y = (1/n) sum_i a_i``, with the count ``n`` that forward kept."""
        n = getattr(node, "count", None)
        n = "n" if n is None else str(n)
        return Rule(f"y = (1/{n}) sum_i a_i", f"y = \\frac{{1}}{{{n}}}\\sum_i a_i",
                    Input("a", f"dy/da_i = 1/{n}", f"\\frac{{\\partial y}}{{\\partial a_i}} = \\frac{{1}}{{{n}}}",
                          f"g / {n} copied to every element of a", f"\\frac{{g}}{{{n}}}\\,\\mathbf{{1}}"))

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.count = _count(x.shape, axes)
        if ctx.count == 0:  # PyTorch: nan, without NumPy's warning
            return ctx.xp.full(_out_shape(x.shape, axes, keepdim), math.nan, dtype=x.dtype)
        if x.dtype.itemsize >= 4:  # sum then scale: less overhead than xp.mean, same result
            return x.sum(axis=axes, keepdims=keepdim) * (1.0 / ctx.count)
        return narrow(as_array(wide(x).mean(axis=axes, keepdims=keepdim), ctx.xp), x)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.input_metadata[0][0]
        scaled = grad * (1.0 / ctx.count) if ctx.count else grad * 0
        return expand_reduced(ctx.math, scaled, shape, ctx.axes, ctx.keepdim), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims when None). Integers and bools sum as int64, as in PyTorch."""
    axes = normalize_dims(dim, input._data.ndim)
    if dtype is not None:
        np_dtype = _dt.as_dtype(dtype).numpy
    elif input._data.dtype.kind in "biu":
        np_dtype = _dt.int64.numpy
    else:
        np_dtype = None
    return Sum.apply(input, axes, keepdim, np_dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim``; refuses integer tensors as PyTorch does (pass ``dtype=``)."""
    if dtype is not None:
        input = input.to(dtype)
    if not (_dt.is_floating_array(input._data.dtype) or input._data.dtype.kind == "c"):
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_torch_name(input)}"
        )
    axes = normalize_dims(dim, input._data.ndim)
    return Mean.apply(input, axes, keepdim)


# ----------------------------------------------------------------------------- prod
class Prod(Function):
    """out = prod x over ``axes``.

    Backward: dx_i = g * prod_{j != i} x_j. Without zeros that is g * out / x_i. With zeros
    (per reduced slice, c of them) only slices with c <= 1 have nonzero gradients: with one
    zero at z, dx_z = g * (product of the others) and every other dx_i = 0. To keep the rule
    differentiable, "product of the others" is built as (product of the other nonzero
    entries) times a factor that is 1, or the other zero entry itself (value 0, derivative 1),
    or 0, according to how many zeros the other entries hold.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        out = ctx.xp.asarray(x.prod(axis=axes, keepdims=keepdim, dtype=np_dtype))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m = ctx.math
        axes, keepdim = ctx.axes, ctx.keepdim
        shape = ctx.input_metadata[0][0]
        zero = x == 0
        if not bool(m.any(zero)):  # (one host sync, as in PyTorch)
            return expand_reduced(m, grad * out, shape, axes, keepdim) / x, None, None, None
        zeros_here = m.cast(zero, x)
        nonzero_x = x * (1.0 - zeros_here) + zeros_here  # zeros replaced by ones
        others_nonzero = m.apply(Prod, nonzero_x, axes, True, None) / nonzero_x
        zero_entries = m.sum(x * zeros_here, axes, True)  # value 0, picks zero entries
        other_zeros = m.sum(zeros_here, axes, True) - zeros_here  # zeros among the others
        factor = m.cast(other_zeros == 0, x) + m.cast(other_zeros == 1, x) * (
            zero_entries - x * zeros_here)
        g = expand_reduced(m, grad, shape, axes, keepdim)
        return g * others_nonzero * factor, None, None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (an int; a tuple also works here). Integers give int64."""
    axes = normalize_dims(dim, input._data.ndim)
    if dtype is not None:
        np_dtype = _dt.as_dtype(dtype).numpy
    elif input._data.dtype.kind in "biu":
        np_dtype = _dt.int64.numpy
    else:
        np_dtype = None
    return Prod.apply(input, axes, keepdim, np_dtype)


# ----------------------------------------------------------------------------- var, std
def _var_forward(ctx, x, axes, keepdim, correction, name):
    """The variance, in float32 for a float16 ``x`` (the caller rounds it back)."""
    xp = ctx.xp
    x = wide(x)
    n = _count(x.shape, axes)
    ctx.axes, ctx.keepdim, ctx.dof = axes, keepdim, n - correction
    if ctx.dof > 0:
        return xp.asarray(x.var(axis=axes, ddof=correction, keepdims=keepdim))
    warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                  "than the reduction factor (input numel divided by output numel).",
                  UserWarning, stacklevel=6)
    if n == 0:
        return xp.full(_out_shape(x.shape, axes, keepdim), math.nan, dtype=x.dtype)
    centered = x - x.mean(axis=axes, keepdims=True)
    squares = (centered * centered).sum(axis=axes, keepdims=keepdim)
    # As PyTorch: squares / 0, i.e. nan where they are 0 and inf elsewhere (no NumPy warning).
    return xp.asarray(xp.where(squares > 0, squares + _inf, squares + math.nan))


class Var(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        ctx.save_for_backward(x)
        return narrow(_var_forward(ctx, x, axes, keepdim, correction, "var"), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        m = ctx.math
        g = expand_reduced(m, grad, x.shape, ctx.axes, ctx.keepdim)
        scale = 2.0 / ctx.dof if ctx.dof else _inf  # (PyTorch's rule, even for dof < 0)
        return g * (x - m.mean(x, ctx.axes, True)) * scale, None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        out = ctx.xp.sqrt(_var_forward(ctx, x, axes, keepdim, correction, "std"))
        out = narrow(ctx.xp.asarray(out), x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m = ctx.math
        zero = m.cast(out == 0, out)  # 0 where std = 0 (a constant mask)
        g_over_std = grad / (out + zero) * (1.0 - zero)
        g = expand_reduced(m, g_over_std, x.shape, ctx.axes, ctx.keepdim)
        scale = 1.0 / ctx.dof if ctx.dof else _inf
        return g * (x - m.mean(x, ctx.axes, True)) * scale, None, None, None


def _correction(name: str, dim, unbiased, correction):
    if isinstance(dim, bool):  # legacy var(x, True)
        if unbiased is not None:
            raise TypeError(f"{name}(): got unbiased twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either the legacy unbiased= or correction=, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    return dim, correction


def _moment(cls, name, input, dim, unbiased, keepdim, correction):
    if not _dt.is_floating_array(input._data.dtype):
        if input._data.dtype.kind == "c":  # |z - mean|^2 = (x - mean x)^2 + (y - mean y)^2
            v = _moment(Var, "var", input.real, dim, unbiased, keepdim, correction) + \
                _moment(Var, "var", input.imag, dim, unbiased, keepdim, correction)
            return v if cls is Var else v.sqrt()
        raise RuntimeError(f"std and var only support floating point and complex dtypes (got "
                           f"{input.dtype}); convert first, e.g. x.float()")
    dim, correction = _correction(name, dim, unbiased, correction)
    return cls.apply(input, normalize_dims(dim, input._data.ndim), keepdim, correction)


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance sum((x - mean)^2) / (n - correction); ``correction=1`` (Bessel) by default,
    ``unbiased=False`` is the legacy spelling of ``correction=0``."""
    return _moment(Var, "var", input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation sqrt(var); same arguments as `var`."""
    return _moment(Std, "std", input, dim, unbiased, keepdim, correction)


def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple[Tensor, Tensor]:
    """``(var(input, ...), mean(input, ...))``."""
    dim2, _ = _correction("var_mean", dim, unbiased, correction)
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim2, keepdim))


def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple[Tensor, Tensor]:
    """``(std(input, ...), mean(input, ...))``."""
    dim2, _ = _correction("std_mean", dim, unbiased, correction)
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim2, keepdim))


# ----------------------------------------------------------------------------- logic, counts
def _bool_reduce(which: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    x, xp = input._data, _xp(input)
    axes = normalize_dims(dim, x.ndim)
    fn = xp.all if which == "all" else xp.any
    return _wrap(xp.asarray(fn(x, axis=axes, keepdims=keepdim)))


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element over ``dim`` is nonzero (a bool tensor)."""
    return _bool_reduce("all", input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some element over ``dim`` is nonzero (a bool tensor)."""
    return _bool_reduce("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64)."""
    x, xp = input._data, _xp(input)
    axes = normalize_dims(dim, x.ndim)
    counts = (x != 0).sum(axis=axes, dtype=_dt.int64.numpy)
    return _wrap(xp.asarray(counts))


# ----------------------------------------------------------------------------- methods
Tensor.sum = sum
Tensor.mean = mean
Tensor.prod = prod
Tensor.var = var
Tensor.std = std
Tensor.all = all
Tensor.any = any
Tensor.count_nonzero = count_nonzero

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "all", "any",
           "count_nonzero"]
