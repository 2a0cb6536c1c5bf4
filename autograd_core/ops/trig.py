"""Trigonometric and hyperbolic functions and their inverses, pointwise.

Each backward multiplies the incoming gradient ``g`` by the local derivative f'(x), written
with the saved output where that is cheaper (``out`` = f(x)):

    sin:   g cos x             cos:  -g sin x             tan:     g (1 + out^2)
    asin:  g / sqrt(1 - x^2)   acos: -g / sqrt(1 - x^2)   atan:    g / (1 + x^2)
    sinh:  g cosh x            cosh:  g sinh x            tanh:    g (1 - out^2)
    asinh: g / sqrt(x^2 + 1)   acosh: g / sqrt(x^2 - 1)   atanh:   g / (1 - x^2)

Integer and bool inputs are converted to the default float dtype first, as in PyTorch.
"""

from __future__ import annotations

from .._backend import KERNEL_BACKENDS
from .._teaching import unary_rule
from ._kernel_overrides import offer
from ._pointwise import _array, _float_function, _OfInput, _OfOutput, attach


# ----------------------------------------------------------------------------- trigonometric
class Sin(_OfInput):
    """y = sin x,  dy/dx = cos x."""

    rule = unary_rule("sin a", r"\sin a", "cos a", r"\cos a")

    ufunc = "sin"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.cos(x)


class Cos(_OfInput):
    """y = cos x,  dy/dx = -sin x."""

    rule = unary_rule("cos a", r"\cos a", "-sin a", r"-\sin a")

    ufunc = "cos"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * -ctx.math.sin(x)


class Tan(_OfOutput):
    """y = tan x,  dy/dx = 1 + y^2."""

    ufunc = "tan"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out * out + 1.0)


class Asin(_OfInput):
    """y = arcsin x,  dy/dx = 1 / sqrt(1 - x^2)."""

    ufunc = "arcsin"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.rsqrt(1.0 - x * x)


class Acos(_OfInput):
    """y = arccos x,  dy/dx = -1 / sqrt(1 - x^2)."""

    ufunc = "arccos"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * -ctx.math.rsqrt(1.0 - x * x)


class Atan(_OfInput):
    """y = arctan x,  dy/dx = 1 / (1 + x^2)."""

    ufunc = "arctan"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (x * x + 1.0)


# ----------------------------------------------------------------------------- hyperbolic
class Sinh(_OfInput):
    """y = sinh x,  dy/dx = cosh x."""

    ufunc = "sinh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.cosh(x)


class Cosh(_OfInput):
    """y = cosh x,  dy/dx = sinh x."""

    ufunc = "cosh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.sinh(x)


class Tanh(_OfOutput):
    """y = tanh x,  dy/dx = 1 - y^2."""

    rule = unary_rule("tanh(a)", r"\tanh a", "1 - tanh(a)^2 = 1 - y^2", r"1 - \tanh^2 a = 1 - y^2")

    ufunc = "tanh"

    @staticmethod
    def forward(ctx, x):
        kernels = KERNEL_BACKENDS.get(ctx.xp)
        fused = kernels and kernels.fused_kernel("tanh_forward", x.dtype)
        out = fused(x) if fused else _array(ctx.xp, ctx.xp.tanh(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return ctx.math.tanh_grad(grad, out)  # g (1 - y^2), fused on CUDA


offer("tanh_grad", lambda m, g, y: g * (1.0 - y * y), "tanh_backward")


class Asinh(_OfInput):
    """y = arsinh x,  dy/dx = 1 / sqrt(x^2 + 1)."""

    ufunc = "arcsinh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.rsqrt(x * x + 1.0)


class Acosh(_OfInput):
    """y = arcosh x,  dy/dx = 1 / sqrt(x^2 - 1)."""

    ufunc = "arccosh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.rsqrt(x * x - 1.0)


class Atanh(_OfInput):
    """y = artanh x,  dy/dx = 1 / (1 - x^2)."""

    ufunc = "arctanh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (1.0 - x * x)


# ----------------------------------------------------------------------------- functions
sin = _float_function(Sin, "sin")
cos = _float_function(Cos, "cos")
tan = _float_function(Tan, "tan")
asin = _float_function(Asin, "asin")
acos = _float_function(Acos, "acos")
atan = _float_function(Atan, "atan")
sinh = _float_function(Sinh, "sinh")
cosh = _float_function(Cosh, "cosh")
tanh = _float_function(Tanh, "tanh")
asinh = _float_function(Asinh, "asinh")
acosh = _float_function(Acosh, "acosh")
atanh = _float_function(Atanh, "atanh")

arcsin = asin
arccos = acos
arctan = atan
arcsinh = asinh
arccosh = acosh
arctanh = atanh

_METHODS = {
    "sin": sin, "cos": cos, "tan": tan, "asin": asin, "acos": acos, "atan": atan,
    "arcsin": asin, "arccos": acos, "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh,
    "arctanh": atanh,
}
attach(_METHODS)

__all__ = [
    "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
]
