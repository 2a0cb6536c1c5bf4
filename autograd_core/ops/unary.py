"""Pointwise functions of one tensor: exponentials and logarithms, roots, trigonometric and
hyperbolic functions, activations (sigmoid, relu), the error function, and rounding.

Each backward multiplies the incoming gradient ``g`` by the local derivative f'(x), written
with the saved output where that is cheaper (``out`` = f(x)):

    exp:   g out               log:   g / x               sqrt:    g / (2 out)
    sin:   g cos x             cos:  -g sin x             tan:     g (1 + out^2)
    tanh:  g (1 - out^2)       sigmoid: g out (1 - out)   relu:    g [out > 0]
    abs:   g sign(x)           erf:   g 2/sqrt(pi) e^{-x^2}
    floor, ceil, round, trunc, sign: 0 (piecewise constant)

Integer and bool inputs of functions with real-valued results (exp, log, sqrt, sin, ...)
are converted to the default float dtype first, as in PyTorch; rounding, abs, sign, relu
and square keep the input's dtype.
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from ..function import Function
from ..grad_mode import _state as _grad_state
from ..tensor import Tensor, _wrap
from .selection import _masked

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _check(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def _floating(input, name: str) -> Tensor:
    """``input``, or a default-float copy of an integer/bool tensor."""
    _check(input, name)
    if input._data.dtype.kind == "f":
        return input
    return input.to(_dt.get_default_dtype())


def _array(xp, out, x):
    """NumPy gives scalars for 0-d arrays: keep an array, so that a saved output is found
    by identity (and saved as the output tensor, not as a constant)."""
    return out if type(out) is type(x) else xp.asarray(out)


class _OfInput(Function):
    """y = f(x) with the array module's ``ufunc``; x is saved for the backward rule."""

    ufunc = ""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return getattr(ctx.xp, type(ctx).ufunc)(x)


class _OfOutput(Function):
    """y = f(x) with the array module's ``ufunc``; y is saved for the backward rule."""

    ufunc = ""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, getattr(ctx.xp, type(ctx).ufunc)(x), x)
        ctx.save_for_backward(out)
        return out


# ----------------------------------------------------------------------------- exp / log
class Exp(_OfOutput):
    """y = e^x,  dy/dx = y."""

    ufunc = "exp"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Exp2(_OfOutput):
    """y = 2^x,  dy/dx = y ln 2."""

    ufunc = "exp2"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * _LN2)


class Expm1(_OfOutput):
    """y = e^x - 1 (accurate near 0),  dy/dx = y + 1."""

    ufunc = "expm1"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1.0)


class Log(_OfInput):
    """y = ln x,  dy/dx = 1 / x."""

    ufunc = "log"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Log2(_OfInput):
    """y = log2 x,  dy/dx = 1 / (x ln 2)."""

    ufunc = "log2"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * _LN2)


class Log10(_OfInput):
    """y = log10 x,  dy/dx = 1 / (x ln 10)."""

    ufunc = "log10"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * _LN10)


class Log1p(_OfInput):
    """y = ln(1 + x) (accurate near 0),  dy/dx = 1 / (1 + x)."""

    ufunc = "log1p"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1.0)


# ----------------------------------------------------------------------------- powers
class Sqrt(_OfOutput):
    """y = sqrt(x),  dy/dx = 1 / (2 y)."""

    ufunc = "sqrt"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2.0)


class Rsqrt(Function):
    """y = 1 / sqrt(x),  dy/dx = -y^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, 1.0 / ctx.xp.sqrt(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out * out * -0.5)


class Square(_OfInput):
    """y = x^2,  dy/dx = 2x."""

    ufunc = "square"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x * 2.0)


class Reciprocal(Function):
    """y = 1 / x,  dy/dx = -y^2."""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, 1.0 / x, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * -(out * out)


# ----------------------------------------------------------------------------- trigonometric
class Sin(_OfInput):
    """y = sin x,  dy/dx = cos x."""

    ufunc = "sin"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()


class Cos(_OfInput):
    """y = cos x,  dy/dx = -sin x."""

    ufunc = "cos"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -x.sin()


class Tan(_OfOutput):
    """y = tan x,  dy/dx = 1 + y^2."""

    ufunc = "tan"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1.0)


class Asin(_OfInput):
    """y = arcsin x,  dy/dx = 1 / sqrt(1 - x^2)."""

    ufunc = "arcsin"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (1.0 - x * x).rsqrt()


class Acos(_OfInput):
    """y = arccos x,  dy/dx = -1 / sqrt(1 - x^2)."""

    ufunc = "arccos"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(1.0 - x * x).rsqrt()


class Atan(_OfInput):
    """y = arctan x,  dy/dx = 1 / (1 + x^2)."""

    ufunc = "arctan"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * x + 1.0)


# ----------------------------------------------------------------------------- hyperbolic
class Sinh(_OfInput):
    """y = sinh x,  dy/dx = cosh x."""

    ufunc = "sinh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cosh()


class Cosh(_OfInput):
    """y = cosh x,  dy/dx = sinh x."""

    ufunc = "cosh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sinh()


class Tanh(_OfOutput):
    """y = tanh x,  dy/dx = 1 - y^2."""

    ufunc = "tanh"

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _grad_state.enabled:  # plain backward: one array expression, no graph
            o = out._data
            return _wrap(_array(ctx.xp, grad._data * (1.0 - o * o), o))
        return grad * (1.0 - out * out)


class Asinh(_OfInput):
    """y = arsinh x,  dy/dx = 1 / sqrt(x^2 + 1)."""

    ufunc = "arcsinh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x * x + 1.0).rsqrt()


class Acosh(_OfInput):
    """y = arcosh x,  dy/dx = 1 / sqrt(x^2 - 1)."""

    ufunc = "arccosh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x * x - 1.0).rsqrt()


class Atanh(_OfInput):
    """y = artanh x,  dy/dx = 1 / (1 - x^2)."""

    ufunc = "arctanh"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1.0 - x * x)


# ----------------------------------------------------------------------------- activations
class Sigmoid(Function):
    """y = 1 / (1 + e^{-x}),  dy/dx = y (1 - y).

    Computed as ``1 / (1 + e)`` or ``e / (1 + e)`` with ``e = exp(-|x|)`` <= 1, so nothing
    overflows and tiny results keep their relative precision.
    """

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        e = xp.exp(-xp.abs(x))
        numerator = xp.maximum(e, x >= 0)  # 1 where x >= 0, else e (0 < e <= 1)
        out = _array(xp, numerator / (e + 1.0), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _grad_state.enabled:  # plain backward: one array expression, no graph
            o = out._data
            return _wrap(_array(ctx.xp, grad._data * (o * (1.0 - o)), o))
        return grad * (out * (1.0 - out))


class Relu(Function):
    """y = max(x, 0),  dy/dx = [y > 0] (0 at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, ctx.xp.maximum(x, 0), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _grad_state.enabled:  # plain backward: one array expression, no graph
            return _wrap(_array(ctx.xp, grad._data * (out._data > 0), out._data))
        # the mask is a constant: relu'' = 0, and the map g -> g [y > 0] is linear
        return _masked(grad, out._data > 0)


class Abs(_OfInput):
    """y = |x|,  dy/dx = sign(x) (0 at x = 0, as in PyTorch)."""

    ufunc = "abs"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sign()


# ----------------------------------------------------------------------------- erf
# erf(a) for 0 <= a < 2.5:  2/sqrt(pi) a e^{-a^2} sum_k (2a^2)^k / (1*3*...*(2k+1))
# (all terms positive, so no cancellation);
# erfc(a) for a >= 2.5:  e^{-a^2}/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))),
# the continued fraction evaluated bottom-up at a fixed depth.
_ERF_CUT = 2.5


def _series_coefficients(n: int) -> list[float]:
    c = [1.0]
    for k in range(1, n):
        c.append(c[-1] * 2.0 / (2 * k + 1))
    return c


_ERF_TERMS = {8: (_series_coefficients(40), 32), 4: (_series_coefficients(24), 14)}


def _erf_parts(xp, x):
    """(|x|, erf(|x|) valid where |x| < 2.5, erfc(|x|) valid where |x| >= 2.5)."""
    coefficients, depth = _ERF_TERMS[x.dtype.itemsize]
    a = xp.abs(x)
    s_a = xp.minimum(a, _ERF_CUT)
    u = s_a * s_a
    s = u * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        s = s * u + c
    small = s * s_a * xp.exp(-u) * _TWO_OVER_SQRT_PI
    b = xp.clip(a, _ERF_CUT, 30.0)  # erfc(30) underflows to 0 in every dtype
    f = b
    for k in range(depth, 0, -1):
        f = b + (k * 0.5) / f
    big = xp.exp(-(b * b)) / f * _ONE_OVER_SQRT_PI
    return a, small, big


def _erf_array(xp, x):
    dtype = x.dtype
    if dtype.itemsize < 4:  # float16: work in float32 and round once at the end
        x = x.astype("float32")
    a, small, big = _erf_parts(xp, x)
    out = xp.copysign(xp.where(a < _ERF_CUT, small, 1.0 - big), x)
    return out.astype(dtype) if out.dtype != dtype else out


def _erfc_array(xp, x):
    dtype = x.dtype
    if dtype.itemsize < 8:  # 1 - erf cancels: work in float64 and round once at the end
        x = x.astype("float64")
    a, small, big = _erf_parts(xp, x)
    upper = xp.where(a < _ERF_CUT, 1.0 - small, big)  # erfc(|x|)
    out = xp.where(x >= 0, upper, 2.0 - upper)
    return out.astype(dtype) if out.dtype != dtype else out


class Erf(Function):
    """y = erf x = 2/sqrt(pi) int_0^x e^{-t^2} dt,  dy/dx = 2/sqrt(pi) e^{-x^2}."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((-(x * x)).exp() * _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """y = erfc x = 1 - erf x,  dy/dx = -2/sqrt(pi) e^{-x^2}."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erfc_array(ctx.xp, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((-(x * x)).exp() * -_TWO_OVER_SQRT_PI)


# ----------------------------------------------------------------------------- rounding
class _PiecewiseConstant(Function):
    """Functions that are constant between jumps: the gradient is 0 almost everywhere."""

    @staticmethod
    def backward(ctx, grad):
        zero = _wrap(ctx.xp.zeros_like(grad._data))
        return (zero,) + (None,) * (len(ctx.needs_input_grad) - 1)


class Floor(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Trunc(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


class Round(_PiecewiseConstant):
    """Round half to even, to ``decimals`` decimal places."""

    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals) if decimals else ctx.xp.rint(x)


class Sign(_PiecewiseConstant):
    """-1, 0 or 1; 0 for NaN, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, ctx.xp.sign(x), x)
        return ctx.xp.nan_to_num(out, copy=False) if out.dtype.kind == "f" else out


class Frac(Function):
    """y = x - trunc(x),  dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class NanToNum(Function):
    """NaN and +-inf replaced by finite numbers; the gradient passes where x was finite."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return ctx.xp.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _masked(grad, ctx.xp.isfinite(x._data)), None, None, None


# ----------------------------------------------------------------------------- functions
def _float_function(op: type[Function], name: str):
    """The function ``name(input)`` applying ``op`` (integer inputs become floats)."""

    def function(input: Tensor) -> Tensor:
        return op.apply(_floating(input, name))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    return function


exp = _float_function(Exp, "exp")
exp2 = _float_function(Exp2, "exp2")
expm1 = _float_function(Expm1, "expm1")
log = _float_function(Log, "log")
log2 = _float_function(Log2, "log2")
log10 = _float_function(Log10, "log10")
log1p = _float_function(Log1p, "log1p")
sqrt = _float_function(Sqrt, "sqrt")
rsqrt = _float_function(Rsqrt, "rsqrt")
reciprocal = _float_function(Reciprocal, "reciprocal")
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
sigmoid = _float_function(Sigmoid, "sigmoid")
erf = _float_function(Erf, "erf")
erfc = _float_function(Erfc, "erfc")


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
    _check(input, "abs")
    return Abs.apply(input)


def _keep_integers(input, name: str, op) -> Tensor:
    _check(input, name)
    if input._data.dtype.kind != "f":  # integers are already whole numbers
        return _wrap(input._data.copy())
    return op.apply(input)


def floor(input: Tensor) -> Tensor:
    return _keep_integers(input, "floor", Floor)


def ceil(input: Tensor) -> Tensor:
    return _keep_integers(input, "ceil", Ceil)


def trunc(input: Tensor) -> Tensor:
    return _keep_integers(input, "trunc", Trunc)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001  (PyTorch's name)
    """Round half to even; ``decimals`` > 0 rounds to that many decimal places, < 0 to tens,
    hundreds, ..."""
    _check(input, "round")
    if input._data.dtype.kind != "f":
        if decimals != 0:
            raise NotImplementedError(
                f"round with decimals={decimals} is not implemented for {input.dtype} "
                "tensors; convert to float first, e.g. x.float().round(decimals=...)"
            )
        return _wrap(input._data.copy())
    return Round.apply(input, int(decimals))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 (bool tensors are returned unchanged)."""
    _check(input, "sign")
    if input._data.dtype.kind == "b":
        return _wrap(input._data.copy())
    return Sign.apply(input)


def frac(input: Tensor) -> Tensor:
    """The fractional part ``x - trunc(x)`` (same sign as x)."""
    _check(input, "frac")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"frac is not implemented for {input.dtype} tensors (integers have no fractional "
            "part); convert to float first, e.g. x.float().frac()"
        )
    return Frac.apply(input)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan`` and +-inf by ``posinf``/``neginf`` (default: the dtype's
    largest/smallest finite values)."""
    _check(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return _wrap(input._data.copy())
    return NanToNum.apply(input, float(nan), None if posinf is None else float(posinf),
                          None if neginf is None else float(neginf))


absolute = abs
arcsin = asin
arccos = acos
arctan = atan
arcsinh = asinh
arccosh = acosh
arctanh = atanh
fix = trunc
sgn = sign

_METHODS = {
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "square": square, "reciprocal": reciprocal,
    "sin": sin, "cos": cos, "tan": tan, "asin": asin, "acos": acos, "atan": atan,
    "arcsin": asin, "arccos": acos, "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh,
    "arctanh": atanh, "sigmoid": sigmoid, "relu": relu, "abs": abs, "absolute": abs,
    "erf": erf, "erfc": erfc, "floor": floor, "ceil": ceil, "trunc": trunc, "fix": trunc,
    "round": round, "sign": sign, "sgn": sign, "frac": frac, "nan_to_num": nan_to_num,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.__abs__ = abs


def _inplace_method(fn, name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        from ._inplace import apply_inplace

        return apply_inplace(self, lambda t, *a: fn(t, *a, **kwargs), *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place version of `{fn.__name__}`."
    return method


def _relu_inplace(self: Tensor) -> Tensor:
    """In-place relu; without a graph it writes ``max(x, 0)`` straight into the array."""
    from .._backend import backend_of
    from ._inplace import apply_inplace

    return apply_inplace(self, relu, op_name="relu_",
                         fast=lambda a: backend_of(a).xp.maximum(a, 0, out=a))


# In-place variants, unless the in-place module already provides them.
for _name, _fn in _METHODS.items():
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _relu_inplace if _name == "relu" else
                _inplace_method(_fn, _name + "_"))
del _name, _fn

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
    "sigmoid", "relu", "abs", "absolute", "erf", "erfc", "floor", "ceil", "trunc", "fix",
    "round", "sign", "sgn", "frac", "nan_to_num",
]
