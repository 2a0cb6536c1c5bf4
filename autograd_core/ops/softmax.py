"""Softmax, log_softmax and logsumexp: exponentials normalised over a dim, computed stably.

Each shifts by the max before exponentiating (so logits of 1000 stay finite) and is one
fused node. ``g`` is the incoming gradient, ``y`` the output:

    logsumexp    dx = g exp(x - out)              (the softmax of x)
    softmax      dx = y (g - sum(g y))           log_softmax  dx = g - exp(y) sum(g)

Backward rules are written once for arrays and Tensors (``ctx.math``), so they are
themselves differentiable.
"""

from __future__ import annotations

import math
import warnings

from .. import dtypes as _dt
from .._backend import KERNEL_BACKENDS
from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor, _normalize_dim
from ._kernel_overrides import offer
from .reduction import _out_shape, _torch_name, expand_reduced, normalize_dims

_inf = math.inf


# ----------------------------------------------------------------------------- logsumexp
class Logsumexp(Function):
    """out = m + log sum exp(x - m), with m the max (0 where it is infinite): stable for
    large logits. Backward: dx = g exp(x - out), the softmax of x."""

    rule = Rule("y = log sum_i exp(a_i)", r"y = \log\sum_i e^{a_i}",
                Input("a", "dy/da_i = softmax(a)_i", r"\frac{\partial y}{\partial a_i} = \operatorname{softmax}(a)_i",
                      "g * softmax(a)", r"g\,\operatorname{softmax}(a)"))

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
        x, out = ctx.saved
        m = ctx.math
        g = expand_reduced(m, grad, x.shape, ctx.axes, ctx.keepdim)
        lse = expand_reduced(m, out, x.shape, ctx.axes, ctx.keepdim)
        return g * m.exp(x - lse), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, computed stably. Integers give the default float."""
    if not _dt.is_floating_array(input._data.dtype):
        input = input.to(_dt.get_default_dtype())
    if input.dtype is _dt.bfloat16:  # in float32, rounded once (PyTorch's CPU)
        return logsumexp(input.float(), dim, keepdim).to(_dt.bfloat16)
    return Logsumexp.apply(input, normalize_dims(dim, input._data.ndim), keepdim)


# ----------------------------------------------------------------------------- softmax
class Softmax(Function):
    """y = exp(x - max x) / sum exp(x - max x) along ``axis``.
    Backward: dx = y (g - sum(g y))."""

    rule = Rule("y = softmax(a), y_i = exp(a_i) / sum_j exp(a_j)", r"y_i = \frac{e^{a_i}}{\sum_j e^{a_j}}",
                Input("a", "dy_i/da_j = y_i (delta_ij - y_j)",
                      r"\frac{\partial y_i}{\partial a_j} = y_i(\delta_{ij} - y_j)",
                      "y * (g - sum_j g_j y_j)", r"y \odot \big(g - \textstyle\sum_j g_j y_j\big)"))

    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        ctx.axis = axis
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA: shift and exp in one launch
        fused = kernels and kernels.fused_kernel("softmax_exp", x.dtype)
        if x.size == 0:
            out = x.copy()
        elif fused:
            out = fused(x, x.max(axis=axis, keepdims=True))
            out /= out.sum(axis=axis, keepdims=True)
        else:
            out = x - x.max(axis=axis, keepdims=True)
            xp.exp(out, out=out)
            out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return softmax_vjp(ctx.math, grad, y, ctx.axis), None


class LogSoftmax(Function):
    """y = x - max x - log sum exp(x - max x) along ``axis`` (finite for logits of 1000).
    Backward: dx = g - exp(y) sum(g)."""

    rule = Rule("y = log_softmax(a) = a - log sum_j exp(a_j)", r"y_i = a_i - \log\sum_j e^{a_j}",
                Input("a", "dy_i/da_j = delta_ij - softmax(a)_j",
                      r"\frac{\partial y_i}{\partial a_j} = \delta_{ij} - \operatorname{softmax}(a)_j",
                      "g - softmax(a) * sum_j g_j", r"g - \operatorname{softmax}(a)\textstyle\sum_j g_j"))

    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        ctx.axis = axis
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA: max, exp-sum, one write
        fused = kernels and kernels.fused_kernel("log_softmax_write", x.dtype)
        if x.size == 0:
            out = x.copy()
        elif fused:
            top = x.max(axis=axis, keepdims=True)
            total = kernels.fused_kernel("softmax_exp", x.dtype)(x, top).sum(axis=axis, keepdims=True)
            out = fused(x, top, total)
        else:
            out = x - x.max(axis=axis, keepdims=True)
            out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return log_softmax_vjp(ctx.math, grad, y, ctx.axis), None


def softmax_vjp(m, g, y, axis):
    """The softmax rule, dx = y (g - sum(g y)) along ``axis`` (``y`` the softmax), shared by
    every node whose output is a softmax (`Softmax`, cross-entropy's row layout)."""
    return m.softmax_grad(g, y, axis)  # one fused kernel after the sum on CUDA


def log_softmax_vjp(m, g, logp, axis):
    """The log-softmax rule, dx = g - exp(y) sum(g) along ``axis`` (``y`` the log-softmax)."""
    return m.log_softmax_grad(g, logp, axis)


def _softmax_grad(m, g, y, axis):
    return y * (g - m.sum(g * y, axis, True))


def _log_softmax_grad(m, g, logp, axis):
    return g - m.exp(logp) * m.sum(g, axis, True)


def _softmax_grad_kernel(backend, xp, g, y, axis):
    fused = backend.fused_kernel("softmax_backward", y.dtype)
    return fused and fused(g, y, (g * y).sum(axis=axis, keepdims=True))


def _log_softmax_grad_kernel(backend, xp, g, logp, axis):
    fused = backend.fused_kernel("log_softmax_backward", logp.dtype)
    return fused and fused(g, logp, g.sum(axis=axis, keepdims=True))


offer("softmax_grad", _softmax_grad, launch=_softmax_grad_kernel)
offer("log_softmax_grad", _log_softmax_grad, launch=_log_softmax_grad_kernel)


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
    if not _dt.is_floating_array(input._data.dtype):
        raise NotImplementedError(
            f'"{name}" not implemented for \'{_torch_name(input)}\'; pass dtype= or convert '
            "first, e.g. x.float()")
    axis = _softmax_dim(name, input, dim)
    if input.dtype is _dt.bfloat16:  # in float32, rounded once (PyTorch's CPU)
        return _softmax_along(cls, input.float(), axis).to(_dt.bfloat16)
    return _softmax_along(cls, input, axis)


def _softmax_along(cls, input: Tensor, axis: int) -> Tensor:
    if input._data.ndim == 0:
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, axis)


def softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, as one fused, numerically stable node."""
    return _softmax_like(Softmax, "softmax", input, dim, dtype)


def log_softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """x_i - log sum_j exp(x_j) along ``dim``, as one fused, numerically stable node."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, dtype)


# ----------------------------------------------------------------------------- methods
Tensor.logsumexp = logsumexp
Tensor.softmax = softmax
Tensor.log_softmax = log_softmax

__all__ = ["logsumexp", "softmax", "log_softmax"]
