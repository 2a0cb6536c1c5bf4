"""Reductions: sums, products, moments, extremes, norms, softmax and cumulative ops.

Every reduction takes ``dim`` (an int, a tuple of ints, negative allowed, or None for all
dimensions) and ``keepdim`` as in PyTorch. Backward first undoes the reduction's shape
(`expand_reduced`), then applies the local rule (``g`` is the incoming gradient, broadcast
back over the reduced dims; ``n`` the number of reduced elements):

    sum          dx = g                          mean        dx = g / n
    prod         dx_i = g prod_{j != i} x_j      (exact with zeros, see `Prod`)
    var          dx = g 2 (x - mean x) / (n - correction)
    std          dx = g (x - mean x) / ((n - correction) std)      (0 where std = 0)
    amax / amin  dx = g [x = out] / #{x = out}   (ties share the gradient evenly)
    max(dim)     dx = g at the returned index, 0 elsewhere
    logsumexp    dx = g exp(x - out)
    norm_p       dx = g sign(x) |x|^(p-1) / out^(p-1)                (0 where out = 0)
    softmax      dx = y (g - sum(g y))           log_softmax  dx = g - exp(y) sum(g)
    cumsum       dx_i = sum_{k >= i} g_k         cumprod      dx_i = sum_{k >= i} g_k y_k / x_i

Backward rules are written with Tensor operations, so they are themselves differentiable.
Masks and indices (which entry won a max, where the zeros are) are constants.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from .. import dtypes as _dt
from .._backend import backend_of
from ..function import Function
from ..grad_mode import _state as _grad_state
from ..tensor import Tensor, _normalize_dim, _wrap
from ._broadcast import broadcast_to

_inf = math.inf
_TORCH_NAMES = {"bool": "Bool", "int32": "Int", "int64": "Long", "float16": "Half",
                "float32": "Float", "float64": "Double"}

# The (values, indices) pairs that max/min/median with a dim return (``torch.return_types``).
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])


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


def expand_reduced(grad: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Undo a reduction's shape: put back the reduced axes (size 1), then broadcast."""
    if axes is None:
        axes = tuple(range(len(in_shape)))
    if not keepdim and axes and grad._data.ndim:  # (a 0-d gradient broadcasts as it is)
        grad = grad.reshape(_kept_shape(in_shape, axes))
    return broadcast_to(grad, in_shape)


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


def _const(array) -> Tensor:
    """A constant tensor (a mask or weights) for use in a backward rule."""
    if isinstance(array, np.generic):  # NumPy turns 0-d results into scalars
        array = np.asarray(array)
    return _wrap(array)


def _xp(t: Tensor):
    return backend_of(t._data).xp


def _torch_name(t: Tensor) -> str:
    return _TORCH_NAMES.get(t.dtype.name, t.dtype.name)


def _require_float(input: Tensor, message: str) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{message}. Got {_torch_name(input)}; convert first, e.g. x.float()")


def _check_nonempty(name: str, input: Tensor, axes, hint: bool = True) -> None:
    """PyTorch's errors for reductions without identity (max, argmax, ...) on empty input."""
    shape = input._data.shape
    if axes is None:
        if input._data.size == 0:
            cls = RuntimeError if hint else IndexError
            tail = (" Specify the reduction dim with the 'dim' argument." if hint else "")
            raise cls(f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                      + tail)
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


# ----------------------------------------------------------------------------- helpers
class _Exp(Function):
    """exp, for backward rules (d exp(x) = exp(x) dx)."""

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.asarray(ctx.xp.exp(x))  # (an array, also for 0-d input, to be saved)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class _Abs(Function):
    """|x|, for norms (d|x| = sign(x) dx; the sign is a constant)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _const(ctx.xp.sign(x._data))


class _ReverseCumsum(Function):
    """y_i = sum_{k >= i} g_k along ``axis``: the adjoint of cumsum (and vice versa)."""

    @staticmethod
    def forward(ctx, g, axis):
        ctx.axis = axis
        xp = ctx.xp
        return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, ctx.axis, None), None


class _ScatterAlong(Function):
    """Zeros with ``n`` entries along ``axis``, holding ``g`` at positions ``index``."""

    @staticmethod
    def forward(ctx, g, index, axis, n):
        ctx.index, ctx.axis = index, axis
        xp = ctx.xp
        shape = [1] * g.ndim
        shape[axis] = n
        positions = xp.arange(n).reshape(shape)
        return xp.where(positions == index, g, 0)

    @staticmethod
    def backward(ctx, grad):
        return _GatherAlong.apply(grad, ctx.index, ctx.axis), None, None, None


class _GatherAlong(Function):
    """The entries of ``x`` at positions ``index`` along ``axis`` (adjoint of the scatter)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.index, ctx.axis, ctx.n = index, axis, x.shape[axis]
        return ctx.xp.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return _ScatterAlong.apply(grad, ctx.index, ctx.axis, ctx.n), None, None


def _reverse_cumsum(g: Tensor, axis: int) -> Tensor:
    return _ReverseCumsum.apply(g, axis)


def _mask(array, dtype) -> Tensor:
    return _const(array.astype(dtype))


# ----------------------------------------------------------------------------- sum, mean
class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx._input_meta[0][0]
        return expand_reduced(grad, shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.count = _count(x.shape, axes)
        if ctx.count == 0:  # PyTorch: nan, without NumPy's warning
            return ctx.xp.full(_out_shape(x.shape, axes, keepdim), math.nan, dtype=x.dtype)
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx._input_meta[0][0]
        scaled = grad / ctx.count if ctx.count else grad * 0
        return expand_reduced(scaled, shape, ctx.axes, ctx.keepdim), None, None


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
    if input._data.dtype.kind != "f":
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
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.axes, ctx.keepdim
        shape = ctx._input_meta[0][0]
        zero = x._data == 0
        if not bool(zero.any()):  # (one host sync, as in PyTorch)
            return expand_reduced(grad * out, shape, axes, keepdim) / x, None, None, None
        dt = x._data.dtype
        zeros_here = _mask(zero, dt)
        nonzero_x = x * _mask(~zero, dt) + zeros_here  # zeros replaced by ones
        others_nonzero = Prod.apply(nonzero_x, axes, True, None) / nonzero_x
        zero_entries = sum(x * zeros_here, axes, keepdim=True)  # value 0, picks zero entries
        other_zeros = zero.sum(axis=axes, keepdims=True) - zero  # zeros among the others
        factor = _mask(other_zeros == 0, dt) + _mask(other_zeros == 1, dt) * (
            zero_entries - x * zeros_here)
        g = expand_reduced(grad, shape, axes, keepdim)
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
    xp = ctx.xp
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


def _centered(x: Tensor, axes) -> Tensor:
    return x - mean(x, axes, keepdim=True)


class Var(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        ctx.save_for_backward(x)
        return _var_forward(ctx, x, axes, keepdim, correction, "var")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = expand_reduced(grad, x.shape, ctx.axes, ctx.keepdim)
        scale = 2.0 / ctx.dof if ctx.dof else _inf  # (PyTorch's rule, even for dof < 0)
        return g * _centered(x, ctx.axes) * scale, None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        out = ctx.xp.sqrt(_var_forward(ctx, x, axes, keepdim, correction, "std"))
        out = ctx.xp.asarray(out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        zero = out._data == 0
        dt = out._data.dtype
        g_over_std = grad / (out + _mask(zero, dt)) * _mask(~zero, dt)
        g = expand_reduced(g_over_std, x.shape, ctx.axes, ctx.keepdim)
        scale = 1.0 / ctx.dof if ctx.dof else _inf
        return g * _centered(x, ctx.axes) * scale, None, None, None


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
    if input._data.dtype.kind != "f":
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


# ----------------------------------------------------------------------------- extremes
class _EvenSplit(Function):
    """A reduction that picks a value (amax, amin, full max/min/median); the gradient is
    shared evenly among the entries equal to it: dx = g [x = out] / #{x = out}."""

    @staticmethod
    def pick(xp, x, axes, keepdim):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        out = ctx.xp.asarray(type(ctx).pick(ctx.xp, x, axes, keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        xp, xd = ctx.xp, x._data
        o = out._data.reshape(_kept_shape(xd.shape, ctx.axes))
        hit = (xd == o) | (xp.isnan(xd) & xp.isnan(o))
        weights = hit.astype(xd.dtype)
        weights /= weights.sum(axis=ctx.axes, keepdims=True)
        g = expand_reduced(grad, xd.shape, ctx.axes, ctx.keepdim)
        return g * _const(weights), None, None


class Amax(_EvenSplit):
    @staticmethod
    def pick(xp, x, axes, keepdim):
        return x.max(axis=axes, keepdims=keepdim)


class Amin(_EvenSplit):
    @staticmethod
    def pick(xp, x, axes, keepdim):
        return x.min(axis=axes, keepdims=keepdim)


class Max(Amax):
    """max() over every element (ties share the gradient, as in PyTorch)."""


class Min(Amin):
    """min() over every element."""


class Median(_EvenSplit):
    """The lower median of all elements (nan if any is nan)."""

    @staticmethod
    def pick(xp, x, axes, keepdim):
        flat = x.reshape(-1)
        if flat.size == 0:
            return xp.full((), math.nan, dtype=x.dtype)
        value = xp.sort(flat)[(flat.size - 1) // 2]
        if x.dtype.kind == "f":
            value = xp.where(xp.isnan(flat).any(), math.nan, value)
        return value


class _ByIndex(Function):
    """max/min/median along one dim: (values, indices); the gradient goes to the index."""

    @staticmethod
    def index(xp, x, axis):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        xp = ctx.xp
        index = xp.expand_dims(type(ctx).index(xp, x, axis), axis)
        values = xp.take_along_axis(x, index, axis=axis)
        ctx.index, ctx.axis, ctx.keepdim, ctx.n = index, axis, keepdim, x.shape[axis]
        if keepdim:
            return values, index
        return values.squeeze(axis), index.squeeze(axis)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.axis)
        return _ScatterAlong.apply(g, ctx.index, ctx.axis, ctx.n), None, None


class MaxDim(_ByIndex):
    @staticmethod
    def index(xp, x, axis):
        return xp.argmax(x, axis=axis)


class MinDim(_ByIndex):
    @staticmethod
    def index(xp, x, axis):
        return xp.argmin(x, axis=axis)


class MedianDim(_ByIndex):
    @staticmethod
    def index(xp, x, axis):
        # Ties keep their order (CuPy's sort is always stable and takes no ``kind``).
        order = x.argsort(axis=axis, kind="stable") if xp is np else xp.argsort(x, axis=axis)
        k = (x.shape[axis] - 1) // 2
        index = xp.take(order, k, axis=axis)
        if x.dtype.kind == "f":  # a row holding nan has median nan: point at its first nan
            nan = xp.isnan(x)
            index = xp.where(nan.any(axis=axis), xp.argmax(nan, axis=axis), index)
        return index


def _by_dim(cls, name: str, result, input: Tensor, dim, keepdim: bool):
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        values, indices = cls.apply(input.reshape(1), 0, False)
        return result(values, indices)
    axis = _normalize_dim(dim, input._data.ndim)
    _check_nonempty(name, input, (axis,))
    values, indices = cls.apply(input, axis, keepdim)
    return result(values, indices)


def _binary(name: str, input: Tensor, other: Tensor) -> Tensor:
    from . import selection

    fn = getattr(selection, name, None)
    if fn is None:
        raise NotImplementedError(f"{name}() of two tensors is not available in this build")
    return fn(input, other)


def max(input: Tensor, dim=None, keepdim: bool = False):
    """``max(x)``: the largest element (0-d); ``max(x, dim)``: ``(values, indices)``;
    ``max(x, other)``: the elementwise maximum (`maximum`)."""
    if isinstance(dim, Tensor):
        return _binary("maximum", input, dim)
    if dim is None:
        _check_nonempty("max", input, None)
        return Max.apply(input, None, False)
    return _by_dim(MaxDim, "max", max_result, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, other)``."""
    if isinstance(dim, Tensor):
        return _binary("minimum", input, dim)
    if dim is None:
        _check_nonempty("min", input, None)
        return Min.apply(input, None, False)
    return _by_dim(MinDim, "min", min_result, input, dim, keepdim)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median: ``median(x)`` (0-d) or ``median(x, dim)`` -> ``(values, indices)``."""
    if dim is None:
        return Median.apply(input, None, False)
    return _by_dim(MedianDim, "median", median_result, input, dim, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    axes = normalize_dims(dim, input._data.ndim)
    _check_nonempty("amax", input, axes)
    return Amax.apply(input, axes, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (all dims by default); ties share the gradient evenly."""
    axes = normalize_dims(dim, input._data.ndim)
    _check_nonempty("amin", input, axes)
    return Amin.apply(input, axes, keepdim)


def _arg(name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    x, xp = input._data, _xp(input)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input; convert first, e.g. x.int()")
    find = xp.argmax if name == "argmax" else xp.argmin
    if dim is None or x.ndim == 0:
        if dim is not None:
            _normalize_dim(dim, 0)
        _check_nonempty(name, input, None, hint=False)
        index = xp.asarray(find(x.reshape(-1)), dtype=_dt.int64.numpy)
        return _wrap(index.reshape((1,) * x.ndim) if keepdim and dim is None else index)
    axis = _normalize_dim(dim, x.ndim)
    _check_nonempty(name, input, (axis,))
    index = xp.asarray(find(x, axis=axis), dtype=_dt.int64.numpy)
    return _wrap(xp.expand_dims(index, axis) if keepdim else index)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmin", input, dim, keepdim)


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


# ----------------------------------------------------------------------------- logsumexp
class Logsumexp(Function):
    """out = m + log sum exp(x - m), with m the max (0 where it is infinite): stable for
    large logits. Backward: dx = g exp(x - out), the softmax of x."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = ctx.xp
        ctx.axes, ctx.keepdim = axes, keepdim
        if x.size == 0:
            out = xp.full(_out_shape(x.shape, axes, keepdim), -_inf, dtype=x.dtype)
        else:
            m = x.max(axis=axes, keepdims=True)
            none = m == -_inf  # all terms exp(-inf) = 0: the result is -inf (log 0)
            m = xp.where(xp.isfinite(m), m, 0)
            total = xp.exp(x - m).sum(axis=axes, keepdims=True)
            out = xp.log(total + none) + xp.where(none, -_inf, m)
            out = xp.asarray(out).reshape(_out_shape(x.shape, axes, keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        g = expand_reduced(grad, shape, ctx.axes, ctx.keepdim)
        lse = expand_reduced(out, shape, ctx.axes, ctx.keepdim)
        return g * _Exp.apply(x - lse), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, computed stably. Integers give the default float."""
    if input._data.dtype.kind != "f":
        input = input.to(_dt.get_default_dtype())
    return Logsumexp.apply(input, normalize_dims(dim, input._data.ndim), keepdim)


# ----------------------------------------------------------------------------- norm
class Norm(Function):
    """The vector p-norm (sum |x|^p)^(1/p) over ``axes`` (p = inf: max |x|, p = 0: the
    number of nonzeros). Backward, with a zero gradient where the norm is 0:

        p = 2:       dx = g x / out
        p = inf:     dx = g sign(x) [|x| = out] / #{|x| = out}    (ties share it)
        other p:     dx = g sign(x) |x|^(p-1) / out^(p-1)          (0 where x = 0)
    """

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = ctx.xp
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == _inf:
            out = xp.abs(x).max(axis=axes, keepdims=keepdim)
        elif p == -_inf:
            out = xp.abs(x).min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=keepdim, dtype=x.dtype)
        elif p == 1:
            out = xp.abs(x).sum(axis=axes, keepdims=keepdim)
        else:
            out = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = xp.asarray(out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        xp, xd, p = ctx.xp, x._data, ctx.p
        dt, shape, axes, keepdim = xd.dtype, xd.shape, ctx.axes, ctx.keepdim
        if p == 0:
            return expand_reduced(grad, shape, axes, keepdim) * 0, None, None, None
        if p == 1:
            g = expand_reduced(grad, shape, axes, keepdim)
            return g * _const(xp.sign(xd)), None, None, None
        if p in (_inf, -_inf):
            magnitude = xp.abs(xd)
            hit = (magnitude == out._data.reshape(_kept_shape(shape, axes))).astype(dt)
            weights = xp.sign(xd) * hit / hit.sum(axis=axes, keepdims=True)
            return expand_reduced(grad, shape, axes, keepdim) * _const(weights), None, None, None
        zero = out._data == 0
        safe_out = out + _mask(zero, dt)
        if p == 2:
            scale = grad / safe_out * _mask(~zero, dt)
            return x * expand_reduced(scale, shape, axes, keepdim), None, None, None
        scale = grad / safe_out ** (p - 1) * _mask(~zero, dt)
        x_zero = xd == 0
        scaled_x = _const(xp.sign(xd)) * (_Abs.apply(x) + _mask(x_zero, dt)) ** (p - 1)
        return scaled_x * expand_reduced(scale, shape, axes, keepdim), None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector norm over ``dim`` (all elements by default): ``p`` = 'fro' (= 2), a number
    > 0, ``inf`` or ``-inf``, or 0 (count of nonzeros)."""
    if dtype is not None:
        target = _dt.as_dtype(dtype)
        if target.is_floating_point and input.dtype.is_floating_point and (
                target.itemsize < input.dtype.itemsize):
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_torch_name(input)}) should be "
                f"convertible without narrowing to the specified dtype ({target.name})")
        input = input.to(target)
    _require_float(input, "linalg.vector_norm: Expected a floating point or complex tensor "
                          "as input")
    ndim = input._data.ndim
    if p is None or p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): order {p!r} is not supported; use 'fro' or a number "
                           "(the nuclear norm needs an SVD)")
    p = float(p)
    axes = normalize_dims(dim, ndim)
    if math.isinf(p) and _count(input._data.shape, axes) == 0:
        empty = [a for a in axes or () if input._data.shape[a] == 0]
        where = f"the dimension {empty[0]}" if empty else "an empty tensor"
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on {where} because "
                           "the operation does not have an identity")
    return Norm.apply(input, p, axes, keepdim)


# ----------------------------------------------------------------------------- softmax
class Softmax(Function):
    """y = exp(x - max x) / sum exp(x - max x) along ``axis``.
    Backward: dx = y (g - sum(g y))."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        ctx.axis = axis
        if x.size == 0:
            out = x.copy()
        else:
            out = x - x.max(axis=axis, keepdims=True)
            xp.exp(out, out=out)
            out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        axis = ctx.axis
        if not _grad_state.enabled:  # plain backward: arrays only, fewer temporaries
            y, g = out._data, grad._data
            dx = g * y
            dx = g - dx.sum(axis=axis, keepdims=True)
            dx *= y
            return _wrap(dx), None
        return out * (grad - sum(grad * out, axis, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - max x - log sum exp(x - max x) along ``axis`` (finite for logits of 1000).
    Backward: dx = g - exp(y) sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        ctx.axis = axis
        if x.size == 0:
            out = x.copy()
        else:
            out = x - x.max(axis=axis, keepdims=True)
            out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        axis = ctx.axis
        if not _grad_state.enabled:
            y, g = out._data, grad._data
            dx = ctx.xp.exp(y)
            dx *= g.sum(axis=axis, keepdims=True)
            return _wrap(g - dx), None
        return grad - _Exp.apply(out) * sum(grad, axis, keepdim=True), None


def _softmax_dim(name: str, input: Tensor, dim) -> int:
    ndim = input._data.ndim
    if dim is None:
        dim = 0 if ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      f"call to include dim={dim} as an argument.", UserWarning, stacklevel=3)
    return _normalize_dim(dim, ndim)


def _softmax_like(cls, name: str, input: Tensor, dim, dtype) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f'"{name}" not implemented for \'{_torch_name(input)}\'; pass dtype= or convert '
            "first, e.g. x.float()")
    axis = _softmax_dim(name, input, dim)
    if input._data.ndim == 0:
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, axis)


def softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, as one fused, numerically stable node."""
    return _softmax_like(Softmax, "softmax", input, dim, dtype)


def log_softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """x_i - log sum_j exp(x_j) along ``dim``, as one fused, numerically stable node."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, dtype)


# ----------------------------------------------------------------------------- cumulative
class Cumsum(Function):
    """y_k = sum_{i <= k} x_i. Backward: dx_i = sum_{k >= i} g_k (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        ctx.axis = axis
        return ctx.xp.cumsum(x, axis=axis, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.axis), None, None


class Cumprod(Function):
    """y_k = prod_{i <= k} x_i. Backward: dx_i = sum_{k >= i} g_k prod_{j <= k, j != i} x_j,
    which is reversed_cumsum(g y)_i / x_i when x has no zeros.

    With zeros (z the first zero of a slice): entries before z use that formula, entries
    after z get 0, and dx_z = reversed_cumsum(g y')_z with y' the cumprod of x with x_z set
    to 1. First derivatives are exact with zeros; second derivatives are exact for inputs
    without zeros (at a zero, the gradient of the entries after it is taken as constant).
    """

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        ctx.axis = axis
        out = ctx.xp.cumprod(x, axis=axis, dtype=np_dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis, xd = ctx.axis, x._data
        zero = xd == 0
        if not bool(zero.any()):  # (one host sync, as in PyTorch)
            return _reverse_cumsum(grad * out, axis) / x, None, None
        dt = xd.dtype
        seen = ctx.xp.cumsum(zero, axis=axis)  # zeros up to and including each entry
        before = seen == 0
        first = zero & (seen == 1)
        before_f, first_f = _mask(before, dt), _mask(first, dt)
        safe_x = x * before_f + _mask(~before, dt)
        head = before_f * _reverse_cumsum(grad * out, axis) / safe_x
        skipped = Cumprod.apply(x * _mask(~first, dt) + first_f, axis, None)
        at_zero = first_f * _reverse_cumsum(grad * skipped, axis)
        return head + at_zero, None, None


def _cumulative(cls, input: Tensor, dim, dtype) -> Tensor:
    if dim is None or isinstance(dim, (tuple, list)):
        raise TypeError(f"{cls.__name__.lower()}(): argument 'dim' must be int, not "
                        f"{type(dim).__name__}")
    if dtype is not None:
        np_dtype = _dt.as_dtype(dtype).numpy
    elif input._data.dtype.kind in "biu":
        np_dtype = _dt.int64.numpy
    else:
        np_dtype = None
    if input._data.ndim == 0:
        _normalize_dim(dim, 0)
        return cls.apply(input.reshape(1), 0, np_dtype).reshape(())
    return cls.apply(input, _normalize_dim(dim, input._data.ndim), np_dtype)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``. Integers and bools accumulate as int64."""
    return _cumulative(Cumsum, input, dim, dtype)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``. Integers and bools accumulate as int64."""
    return _cumulative(Cumprod, input, dim, dtype)


# ----------------------------------------------------------------------------- methods
# Node names as PyTorch shows them (max(dim) is MaxBackward0, max() is MaxBackward1).
for _cls, _name in ((_Exp, "Exp"), (_Abs, "Abs"), (_ReverseCumsum, "ReverseCumsum"),
                    (_ScatterAlong, "ScatterAlong"), (_GatherAlong, "GatherAlong"),
                    (MaxDim, "Max"), (MinDim, "Min"), (MedianDim, "Median")):
    _cls._backward_name = _name + "Backward0"
for _cls in (Max, Min, MedianDim):
    _cls._backward_name = _cls._backward_name[:-1] + "1"

Tensor.sum = sum
Tensor.mean = mean
Tensor.prod = prod
Tensor.var = var
Tensor.std = std
Tensor.max = max
Tensor.min = min
Tensor.median = median
Tensor.amax = amax
Tensor.amin = amin
Tensor.argmax = argmax
Tensor.argmin = argmin
Tensor.all = all
Tensor.any = any
Tensor.count_nonzero = count_nonzero
Tensor.logsumexp = logsumexp
Tensor.norm = norm
Tensor.softmax = softmax
Tensor.log_softmax = log_softmax
Tensor.cumsum = cumsum
Tensor.cumprod = cumprod

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "max", "min",
           "median", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero",
           "logsumexp", "norm", "softmax", "log_softmax", "cumsum", "cumprod"]
