"""Pointwise functions of one tensor: exponentials and logarithms, powers and roots, and
the activations sigmoid, relu and abs. Trigonometric and hyperbolic functions are in
`trig`, the error function in `special`, rounding in `rounding`.

Each backward multiplies the incoming gradient ``g`` by the local derivative f'(x), written
with the saved output where that is cheaper (``out`` = f(x)):

    exp:   g out               log:   g / x               sqrt:    g / (2 out)
    (exp, log and sqrt take complex x too: g conj(f'(x)), PyTorch's convention)
    rsqrt: -g out^3 / 2        square: 2 g x              reciprocal: -g out^2
    sigmoid: g out (1 - out)   relu:  g [out > 0]         abs:     g sign(x)

Integer and bool inputs of functions with real-valued results (exp, log, sqrt, sigmoid,
...) are converted to the default float dtype first, as in PyTorch; abs, relu and square
keep the input's dtype.
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from .._backend import KERNEL_BACKENDS
from .._rule_math import conj, for_arrays
from .._teaching import unary_rule
from ..function import Function
from ..tensor import Tensor
from ._kernel_overrides import offer
from ._pointwise import _array, _check, _float_function, _OfInput, _OfOutput, attach
from .special import _erf_array  # noqa: F401  (imported from here by fused.activation)

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


# ----------------------------------------------------------------------------- exp / log
class Exp(_OfOutput):
    """y = e^x,  dy/dx = y (g conj(y) for complex x)."""

    _complex_ok = True

    rule = unary_rule("exp(a)", "e^{a}", "exp(a) = y", "e^{a} = y")

    ufunc = "exp"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * conj(out)


class Exp2(_OfOutput):
    """y = 2^x,  dy/dx = y ln 2."""

    rule = unary_rule("2^a", "2^{a}", "2^a ln 2", r"2^{a}\ln 2")

    ufunc = "exp2"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out * _LN2)


class Expm1(_OfOutput):
    """y = e^x - 1 (accurate near 0),  dy/dx = y + 1."""

    rule = unary_rule("exp(a) - 1", "e^{a} - 1", "exp(a)", "e^{a}")

    ufunc = "expm1"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out + 1.0)


class Log(_OfInput):
    """y = ln x,  dy/dx = 1 / x (g / conj(x) for complex x, principal branch)."""

    _complex_ok = True

    rule = unary_rule("ln a", r"\ln a", "1/a", r"\frac{1}{a}")

    ufunc = "log"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / conj(x)


class Log2(_OfInput):
    """y = log2 x,  dy/dx = 1 / (x ln 2)."""

    rule = unary_rule("log2 a", r"\log_2 a", "1/(a ln 2)", r"\frac{1}{a \ln 2}")

    ufunc = "log2"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (x * _LN2)


class Log10(_OfInput):
    """y = log10 x,  dy/dx = 1 / (x ln 10)."""

    rule = unary_rule("log10 a", r"\log_{10} a", "1/(a ln 10)", r"\frac{1}{a \ln 10}")

    ufunc = "log10"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (x * _LN10)


class Log1p(_OfInput):
    """y = ln(1 + x) (accurate near 0),  dy/dx = 1 / (1 + x)."""

    rule = unary_rule("ln(1 + a)", r"\ln(1 + a)", "1/(1 + a)", r"\frac{1}{1 + a}")

    ufunc = "log1p"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (x + 1.0)


# ----------------------------------------------------------------------------- powers
class Sqrt(_OfOutput):
    """y = sqrt(x),  dy/dx = 1 / (2 y) (g / (2 conj(y)) for complex x, principal branch)."""

    _complex_ok = True

    rule = unary_rule("sqrt(a)", r"\sqrt{a}", "1/(2 sqrt(a)) = 1/(2y)", r"\frac{1}{2\sqrt{a}} = \frac{1}{2y}")

    ufunc = "sqrt"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad / (conj(out) * 2.0)


class Rsqrt(Function):
    """y = 1 / sqrt(x),  dy/dx = -y^3 / 2."""

    rule = unary_rule("1/sqrt(a)", "a^{-1/2}", "-1/(2 a^(3/2))", r"-\frac{1}{2}a^{-3/2}")

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, 1.0 / ctx.xp.sqrt(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out * out * out * -0.5)


class Square(_OfInput):
    """y = x^2,  dy/dx = 2x."""

    rule = unary_rule("a^2", "a^2", "2a", "2a")

    ufunc = "square"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * (x * 2.0)


class Reciprocal(Function):
    """y = 1 / x,  dy/dx = -y^2."""

    rule = unary_rule("1/a", r"\frac{1}{a}", "-1/a^2", r"-\frac{1}{a^2}")

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, 1.0 / x, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * -(out * out)


# ----------------------------------------------------------------------------- activations
class Sigmoid(Function):
    """y = 1 / (1 + e^{-x}),  dy/dx = y (1 - y).

    Computed as ``1 / (1 + e)`` or ``e / (1 + e)`` with ``e = exp(-|x|)`` <= 1, so nothing
    overflows and tiny results keep their relative precision.
    """

    rule = unary_rule("sigmoid(a) = 1/(1 + exp(-a))", r"\sigma(a) = \frac{1}{1 + e^{-a}}",
                      "sigmoid(a)(1 - sigmoid(a)) = y(1 - y)", r"\sigma(a)\,(1 - \sigma(a)) = y\,(1 - y)")

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        kernels = KERNEL_BACKENDS.get(xp)  # a fused CUDA kernel: one launch
        fused = kernels and kernels.fused_kernel("sigmoid_forward", x.dtype)
        if fused:
            out = fused(x)
        else:
            e = xp.exp(-xp.abs(x))
            numerator = xp.maximum(e, x >= 0)  # 1 where x >= 0, else e (0 < e <= 1)
            out = _array(xp, numerator / (e + 1.0), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return ctx.math.sigmoid_grad(grad, out)  # g y (1 - y), fused on CUDA


offer("sigmoid_grad", lambda m, g, y: g * (y * (1.0 - y)), "sigmoid_backward")


class Relu(Function):
    """y = max(x, 0),  dy/dx = [y > 0] (0 at x = 0, as in PyTorch)."""

    rule = unary_rule("relu(a) = max(a, 0)", r"\max(a, 0)", "1 if a > 0 else 0", r"\mathbb{1}[a > 0]")

    @staticmethod
    def forward(ctx, x):
        kernels = KERNEL_BACKENDS.get(ctx.xp)
        fused = kernels and kernels.fused_kernel("relu_forward", x.dtype)
        # -0.0 and NaN pass, as in PyTorch (on NumPy a selection on the bits: _select.py)
        out = fused(x) if fused else _array(ctx.xp, for_arrays(ctx.xp).where(x < 0, 0, x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        # the mask is a constant: relu'' = 0, and the map g -> g [y > 0] is linear; a
        # selection, not a product (0 * inf is NaN), and NaN passes g, as in PyTorch
        return ctx.math.relu_grad(grad, out)


offer("relu_grad", lambda m, g, y: m.where(y <= 0, 0.0, g), "relu_backward")


class Abs(_OfInput):
    """y = |x|,  dy/dx = sign(x) (0 at x = 0, and at NaN, as in PyTorch)."""

    rule = unary_rule("|a|", "|a|", "sign(a)", r"\operatorname{sign}(a)")

    ufunc = "abs"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        m = ctx.math
        return grad * m.sign(m.where(x == x, x, 0.0))  # (x == x is False at NaN)


# ----------------------------------------------------------------------------- functions
exp = _float_function(Exp, "exp", complex_ok=True)
exp2 = _float_function(Exp2, "exp2")
expm1 = _float_function(Expm1, "expm1")
log = _float_function(Log, "log", complex_ok=True)
log2 = _float_function(Log2, "log2")
log10 = _float_function(Log10, "log10")
log1p = _float_function(Log1p, "log1p")
sqrt = _float_function(Sqrt, "sqrt", complex_ok=True)
rsqrt = _float_function(Rsqrt, "rsqrt")
reciprocal = _float_function(Reciprocal, "reciprocal")
sigmoid = _float_function(Sigmoid, "sigmoid")


def square(input: Tensor) -> Tensor:
    _check(input, "square")
    if input._data.dtype.kind == "b":
        input = input.to(_dt.int64)
    return Square.apply(input)


def relu(input: Tensor) -> Tensor:
    """max(x, 0); integer tensors stay integer."""
    _check(input, "relu")
    return Relu.apply(input)


def abs(input: Tensor) -> Tensor:  # noqa: A001  (PyTorch's name)
    """|x|; of a complex tensor, the modulus (a real tensor, `complex.AbsComplex`)."""
    _check(input, "abs")
    if input._data.dtype.kind == "c":
        from .complex import AbsComplex

        return AbsComplex.apply(input)
    return Abs.apply(input)


absolute = abs

_METHODS = {
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "square": square, "reciprocal": reciprocal,
    "sigmoid": sigmoid, "relu": relu, "abs": abs, "absolute": abs,
}
attach(_METHODS)
Tensor.__abs__ = abs

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sigmoid", "relu", "abs", "absolute",
]
