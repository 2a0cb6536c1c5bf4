"""Activations, each one graph node with a cheap derivative.

Every activation is a pointwise map y = f(x; params) whose backward is dx = g f'(x):

    gelu         x Phi(x)                      Phi(x) + x phi(x)
    gelu (tanh)  x (1 + tanh u) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)
                                               (1 + tanh u)/2 + x (1 - tanh^2 u) u'(x) / 2
    silu         x s,  s = sigmoid(x)          s (1 + x (1 - s))
    mish         x tanh(softplus x)            t + x s (1 - t^2),  t = tanh(softplus x)
    softplus     log(1 + e^{bx}) / b           sigmoid(bx)     (x where bx > threshold: 1)
    logsigmoid   -softplus(-x)                 1 - sigmoid(x)
    elu / selu / celu
                 scale x  (x > 0)              scale
                 scale a (e^{kx} - 1)  (x <= 0)     scale a k e^{kx}
    softsign     x / (1 + |x|)                 1 / (1 + |x|)^2  (as 1/b - (x/b)/b sign x)
    hardswish    x relu6(x + 3) / 6            0, x/3 + 1/2, 1  (x <= -3, |x| < 3, x >= 3)
    leaky_relu, hardtanh, relu6, hardsigmoid, threshold: piecewise linear, f' a step function

The derivative is written once, against the rule namespace ``ctx.math`` (array functions
in a plain backward, Tensor operations under ``create_graph=True``: the gradient is itself
differentiable, so gradgradcheck passes). For the piecewise-linear ones f' is piecewise
constant, so dx is a selection of g by a mask of x.

Each function takes ``inplace=False``; with ``inplace=True`` the result is written into
``x`` through the library's in-place mechanism (version counter, graph rewiring).
"""

from __future__ import annotations

import math

from ... import _rule_math
from ..._backend import KERNEL_BACKENDS
from ..._teaching import unary_rule
from ...function import Function
from ...tensor import Tensor
from .._inplace import apply_inplace
from .._kernel_overrides import offer
from .._operands import real_argument

__all__ = ["gelu", "silu", "mish", "softplus", "logsigmoid", "elu", "selu", "celu",
           "leaky_relu", "hardtanh", "relu6", "hardsigmoid", "hardswish", "softsign",
           "threshold", "prelu"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_C = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ----------------------------------------------------------------------------- helpers
def _softplus(m, a):
    """log(1 + e^a), finite for any a: max(a, 0) + log1p(e^{-|a|})."""
    return m.maximum(a, 0.0) + m.log1p(m.exp(-m.abs(a)))


def _array(xp, value, like):
    """NumPy turns 0-d results into scalars: keep an array of ``like``'s type."""
    return value if type(value) is type(like) else xp.asarray(value)


# ----------------------------------------------------------------------------- the node
class _Activation(Function):
    """y = f(x; params) elementwise, dx = g f'(x; params).

    Subclasses define ``value(xp, x, *params)`` (the forward, on arrays) and
    ``slope(m, x, *params)`` (f', on arrays or Tensors through the rule namespace ``m``).
    A piecewise-linear activation (f' a step function) defines ``chain(m, g, x, *params)``
    instead: dx as a selection of g (no multiplication by a mask of ones).
    """

    @staticmethod
    def forward(ctx, x, *params):
        ctx.params = params
        ctx.save_for_backward(x)
        return _array(ctx.xp, type(ctx).value(ctx.xp, x, *params), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        params = ctx.params
        return (type(ctx).chain(ctx.math, grad, x, *params),) + (None,) * len(params)

    @classmethod
    def chain(cls, m, grad, x, *params):
        """dx = g f'(x)."""
        return grad * cls.slope(m, x, *params)


def _where(xp, cond, a, b):
    """``xp.where``, branch-free on NumPy (`_rule_math`'s where: ``autograd_core/_select.py``)."""
    return _rule_math.for_arrays(xp).where(cond, a, b)


class GELU(_Activation):
    """GELU: x Phi(x) (exact, ``approximate='none'``) or its tanh approximation."""

    rule = unary_rule("a Phi(a)", r"a\,\Phi(a)", "Phi(a) + a phi(a)", r"\Phi(a) + a\,\varphi(a)")

    @staticmethod
    def value(xp, x, approximate):
        if approximate == "tanh":
            kernels = KERNEL_BACKENDS.get(xp)  # a fused CUDA kernel: one launch
            fused = kernels and kernels.fused_kernel("gelu_tanh_forward", x.dtype)
            if fused:
                return fused(x)
            u = xp.tanh((x + _GELU_C * (x * x * x)) * _SQRT_2_OVER_PI)
            return x * (u + 1.0) * 0.5
        return x * (_rule_math.for_arrays(xp).erf(x * _INV_SQRT2) + 1.0) * 0.5

    @staticmethod
    def slope(m, x, approximate):
        if approximate == "tanh":
            x2 = x * x
            t = m.tanh((x + x2 * x * _GELU_C) * _SQRT_2_OVER_PI)
            return (t + 1.0) * 0.5 + x * (1.0 - t * t) * (
                (x2 * (3.0 * _GELU_C) + 1.0) * (0.5 * _SQRT_2_OVER_PI))
        cdf = (m.erf(x * _INV_SQRT2) + 1.0) * 0.5
        return cdf + x * m.exp(x * x * -0.5) * _INV_SQRT_2PI

    @classmethod
    def chain(cls, m, grad, x, approximate):
        if approximate == "tanh":
            return m.gelu_tanh_grad(grad, x)  # fused on CUDA
        return grad * cls.slope(m, x, approximate)


class SiLU(_Activation):
    """SiLU (swish): x sigmoid(x)."""

    rule = unary_rule("a sigmoid(a)", r"a\,\sigma(a)",
                      "sigmoid(a)(1 + a (1 - sigmoid(a)))", r"\sigma(a)\,(1 + a\,(1 - \sigma(a)))")

    @staticmethod
    def value(xp, x):
        kernels = KERNEL_BACKENDS.get(xp)  # a fused CUDA kernel: one launch
        fused = kernels and kernels.fused_kernel("silu_forward", x.dtype)
        return fused(x) if fused else x * _rule_math.for_arrays(xp).sigmoid(x)

    @staticmethod
    def slope(m, x):
        s = m.sigmoid(x)
        return s * (x * (1.0 - s) + 1.0)

    @classmethod
    def chain(cls, m, grad, x):
        return m.silu_grad(grad, x)  # g f'(x), fused on CUDA


offer("silu_grad", lambda m, g, x: g * SiLU.slope(m, x), "silu_backward")
offer("gelu_tanh_grad", lambda m, g, x: g * GELU.slope(m, x, "tanh"), "gelu_tanh_backward")


class Mish(_Activation):
    """Mish: x tanh(softplus(x))."""

    @staticmethod
    def value(xp, x):
        return x * xp.tanh(_softplus(xp, x))

    @staticmethod
    def slope(m, x):
        t = m.tanh(_softplus(m, x))
        return t + x * m.sigmoid(x) * (1.0 - t * t)


class Softplus(_Activation):
    """Softplus: log(1 + e^{beta x}) / beta, and x itself where beta x > threshold."""

    rule = unary_rule("ln(1 + exp(a))", r"\ln(1 + e^{a})", "sigmoid(a)", r"\sigma(a)")

    @staticmethod
    def value(xp, x, beta, threshold):
        z = x * beta if beta != 1 else x
        soft = _softplus(xp, z)
        if beta != 1:
            soft = soft / beta
        return _where(xp, z > threshold, x, soft)

    @staticmethod
    def slope(m, x, beta, threshold):
        z = x * beta if beta != 1 else x
        return m.where(z > threshold, 1.0, m.sigmoid(z))


class LogSigmoid(_Activation):
    """log sigmoid(x) = -softplus(-x) (finite for any x)."""

    rule = unary_rule("ln sigmoid(a)", r"\ln \sigma(a)", "1 - sigmoid(a)", r"1 - \sigma(a)")

    @staticmethod
    def value(xp, x):
        return 0.0 - _softplus(xp, -x)  # (0 - 0 is +0.0 at x = inf, as in PyTorch)

    @staticmethod
    def slope(m, x):
        return m.sigmoid(-x)


class ELU(_Activation):
    """scale * (x if x > 0 else alpha (e^{k x} - 1)): ELU (scale = k = 1), SELU, CELU (k = 1/alpha)."""

    rule = unary_rule("a if a > 0 else alpha (exp(a) - 1)", r"\mathrm{elu}(a)",
                      "1 if a > 0 else alpha exp(a)", r"\mathbb{1}[a>0] + \alpha e^{a}\,\mathbb{1}[a\le 0]")

    @staticmethod
    def value(xp, x, alpha, scale, k):
        z = _where(xp, x > 0, 0, x)  # the negative branch only (no overflow for large x; -0.0
        # stays -0.0, as in PyTorch)
        neg = xp.expm1(z * k if k != 1 else z)
        if alpha != 1:
            neg *= alpha
        out = _where(xp, x > 0, x, neg)
        return out * scale if scale != 1 else out

    @staticmethod
    def slope(m, x, alpha, scale, k):
        z = m.minimum(x, 0.0)
        neg = m.exp(z * k if k != 1 else z) * (scale * alpha * k)
        return m.where(x <= 0, neg, scale)  # NaN takes the linear branch, as in PyTorch


class LeakyReLU(_Activation):
    """x if x > 0 else negative_slope x."""

    rule = unary_rule("a if a > 0 else s a", r"\max(a, s\,a)",
                      "1 if a > 0 else s", r"\mathbb{1}[a>0] + s\,\mathbb{1}[a\le 0]")

    @staticmethod
    def value(xp, x, negative_slope):
        return _where(xp, x > 0, x, x * negative_slope)

    @staticmethod
    def chain(m, grad, x, negative_slope):
        return m.where(x > 0, grad, grad * negative_slope)


class Hardtanh(_Activation):
    """clamp(x, min_val, max_val); f' = 1 strictly inside, 0 outside and at the ends
    (and 1 at NaN, as in PyTorch, whose mask is ``x <= min_val or x >= max_val``)."""

    rule = unary_rule("clamp(a, lo, hi)", r"\operatorname{clamp}(a, l, h)",
                      "1 if lo < a < hi else 0", r"\mathbb{1}[l < a < h]")

    @staticmethod
    def value(xp, x, min_val, max_val):
        # a selection, not max/min: -0.0 stays -0.0 at min_val = 0, NaN stays NaN
        return _where(xp, x < min_val, min_val, _where(xp, x > max_val, max_val, x))

    @staticmethod
    def chain(m, grad, x, min_val, max_val):
        return m.where((x <= min_val) | (x >= max_val), 0.0, grad)


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6; f' = 1/6 on (-3, 3)."""

    @staticmethod
    def value(xp, x):
        return xp.minimum(xp.maximum(x + 3.0, 0), 6.0) / 6.0

    @staticmethod
    def chain(m, grad, x):
        return m.where((x > -3.0) & (x < 3.0), grad * (1.0 / 6.0), 0.0)


class Hardswish(_Activation):
    """x relu6(x + 3) / 6."""

    @staticmethod
    def value(xp, x):
        return x * xp.minimum(xp.maximum(x + 3.0, 0), 6.0) / 6.0

    @staticmethod
    def slope(m, x):
        return m.where(x <= -3.0, 0.0, m.where(x < 3.0, x / 3.0 + 0.5, 1.0))


class Softsign(_Activation):
    """y = x / b with b = 1 + |x|:  f' = 1/b - (x/b)/b sign(x)  (= 1/b^2), evaluated in that
    order, as PyTorch's composite is: the same float32 bits, and NaN at x = +-inf."""

    @staticmethod
    def value(xp, x):
        return x / (xp.abs(x) + 1.0)

    @staticmethod
    def chain(m, grad, x):
        b = m.abs(x) + 1.0
        return grad / b - grad * ((x / b) / b) * m.sign(x)


class Threshold(_Activation):
    """value if x <= threshold else x (a NaN stays NaN, and passes its gradient)."""

    @staticmethod
    def value(xp, x, threshold, value):
        return _where(xp, x <= threshold, value, x)

    @staticmethod
    def chain(m, grad, x, threshold, value):
        return m.where(x <= threshold, 0.0, grad)


class PReLU(Function):
    """y = x if x > 0 else a_c x, one learned slope a_c per channel (dim 1) or one for all.

    Backward: dx = g [x > 0] + g a_c [x <= 0],   da_c = sum over all but dim 1 of g x [x <= 0].
    """

    @staticmethod
    def forward(ctx, x, weight, shape):
        ctx.shape = shape
        ctx.save_for_backward(x, weight)
        w = weight.reshape(shape)
        return _array(ctx.xp, _where(ctx.xp, x > 0, x, x * w), x)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        m = ctx.math
        positive = x > 0
        dx = dw = None
        if ctx.needs_input_grad[0]:
            dx = m.where(positive, grad, grad * weight.reshape(ctx.shape))
        if ctx.needs_input_grad[1]:
            contrib = m.where(positive, 0.0, grad * x)
            axes = tuple(d for d in range(contrib.ndim) if len(ctx.shape) != contrib.ndim
                         or ctx.shape[d] == 1)
            dw = (m.sum(contrib, axes) if axes else contrib).reshape(weight.shape)
        return dx, dw, None


# ----------------------------------------------------------------------------- functions
def _check(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f'"{name}" not implemented for \'{x.dtype}\': activations need a '
                           "floating point input; convert first, e.g. x.float()")


def _number(value, arg: str, op: str) -> float:
    return real_argument(value, arg, op, kind="Number")


def _run(cls, name: str, x: Tensor, params: tuple, inplace: bool) -> Tensor:
    _check(x, name)
    if inplace:
        return apply_inplace(x, lambda t: cls.apply(t, *params), op_name=name + "_")
    return cls.apply(x, *params)


def gelu(x: Tensor, approximate: str = "none", inplace: bool = False) -> Tensor:
    """GELU, exact (erf) or ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return _run(GELU, "gelu", x, (approximate,), inplace)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """SiLU: x sigmoid(x)."""
    return _run(SiLU, "silu", x, (), inplace)


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    """Mish: x tanh(softplus(x))."""
    return _run(Mish, "mish", x, (), inplace)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0,
             inplace: bool = False) -> Tensor:
    """log(1 + e^{beta x}) / beta (linear above ``threshold``)."""
    params = (_number(beta, "beta", "softplus"), _number(threshold, "threshold", "softplus"))
    return _run(Softplus, "softplus", x, params, inplace)


def logsigmoid(x: Tensor) -> Tensor:
    """log sigmoid(x), stable for large |x|."""
    return _run(LogSigmoid, "log_sigmoid", x, (), False)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU: x (x > 0), alpha (e^x - 1) otherwise."""
    return _run(ELU, "elu", x, (_number(alpha, "alpha", "elu"), 1.0, 1.0), inplace)


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    """SELU: lambda elu(x, alpha) with the self-normalising constants."""
    return _run(ELU, "selu", x, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU: x (x > 0), alpha (e^{x/alpha} - 1) otherwise."""
    alpha = _number(alpha, "alpha", "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu's alpha must not be 0")
    return _run(ELU, "celu", x, (float(alpha), 1.0, 1.0 / alpha), inplace)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x (x > 0), negative_slope x otherwise."""
    return _run(LeakyReLU, "leaky_relu", x, (_number(negative_slope, "negative_slope", "leaky_relu"),), inplace)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(Hardtanh, "hardtanh", x, (min_val, max_val), inplace)


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _run(Hardtanh, "relu6", x, (0.0, 6.0), inplace)


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _run(Hardsigmoid, "hardsigmoid", x, (), inplace)


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    return _run(Hardswish, "hardswish", x, (), inplace)


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _run(Softsign, "softsign", x, (), False)


def threshold(x: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    params = (_number(threshold, "threshold", "threshold"), _number(value, "value", "threshold"))
    return _run(Threshold, "threshold", x, params, inplace)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """PReLU with ``weight`` of 1 element (shared) or C elements (one per channel, dim 1)."""
    _check(x, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not "
                        f"{type(weight).__name__}")
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight._data.ndim}")
    n = weight._data.size
    channels = x._data.shape[1] if x._data.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels}.")
    if weight._data.dtype != x._data.dtype:
        raise RuntimeError(f"prelu: expected weight of dtype {x.dtype}, got {weight.dtype}")
    if n == 1:
        shape = ()
    else:
        shape = (1, n) + (1,) * (x._data.ndim - 2)
    return PReLU.apply(x, weight, shape)
