"""Further elementwise functions, composed of differentiable primitives:

    deg2rad(x) = x pi / 180       rad2deg(x) = x 180 / pi       positive(x) = x
    float_power(x, y) = x ** y in float64
    ldexp(x, e) = x 2^e            angle(x) = pi where x < 0, else 0 (real inputs)

``signbit``, ``nextafter`` and ``frexp`` look at the bits and have no gradient. (``sinc``,
``xlogy`` and ``logit`` are primitives of `special_log`.)
"""

from __future__ import annotations

import math
from collections import namedtuple

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap
from .reduction import _xp
from .selection import where

frexp_result = namedtuple("frexp", ["mantissa", "exponent"])


def _float(x: Tensor) -> Tensor:
    return x if x.dtype.is_floating_point else x.to(_dt.get_default_dtype())


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return _float(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return _float(input) * (180.0 / math.pi)


def positive(input: Tensor) -> Tensor:
    """``input`` itself (unary ``+``); refused for bool tensors, as in PyTorch."""
    if input.dtype == _dt.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _tensor_argument(name: str, arg: str, position: int, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}; wrap a number first, e.g. "
                        f"torch.tensor({value!r})")


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power(): expected a Tensor among the operands, got "
                        f"{type(input).__name__} and {type(exponent).__name__}")
    x = input.to(_dt.float64) if isinstance(input, Tensor) else float(input)
    e = exponent.to(_dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(x, Tensor):
        return e.new_full((), x) ** e
    return x ** e


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2^other."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"ldexp(): arguments must be Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    two = 2.0 ** (other.to(_float(input).dtype) if isinstance(other, Tensor) else float(other))
    return _float(input) * two


def angle(input: Tensor) -> Tensor:
    """The argument of a real number: pi for negatives, 0 otherwise (nan stays nan); of a
    complex one, atan2(Im, Re) (`complex.Angle`)."""
    if isinstance(input, Tensor) and input._data.dtype.kind == "c":
        from .complex import Angle

        return Angle.apply(input)
    x = _float(input)
    return where(x.isnan(), x, where(x < 0, math.pi, 0.0))


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (also for -0.0)."""
    return _wrap(_xp(input).asarray(_xp(input).signbit(input._data)))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after ``input`` towards ``other`` (gradient 1 to
    ``input``, as in PyTorch)."""
    _tensor_argument("nextafter", "input", 1, input)
    _tensor_argument("nextafter", "other", 2, other)
    xp = _xp(input)
    step = _wrap(xp.asarray(xp.nextafter(input._data, other._data) - input._data))
    return input + step


def frexp(input: Tensor):
    """``(mantissa, exponent)`` with input = mantissa 2^exponent, |mantissa| in [0.5, 1)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got "
                           f"{input.dtype}")
    xp = _xp(input)
    _, e = xp.frexp(input._data)
    e = xp.asarray(e)
    scale = _wrap(xp.asarray(xp.ldexp(xp.ones((), dtype=input._data.dtype), -e)))  # 2^-e
    return frexp_result(input * scale, _wrap(e.astype(_dt.int32.numpy)))


for _fn in (deg2rad, rad2deg, positive, float_power, ldexp, angle, signbit,
            nextafter, frexp):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.__pos__ = positive

__all__ = ["deg2rad", "rad2deg", "positive", "float_power", "ldexp",
           "angle", "signbit", "nextafter", "frexp"]
