"""More elementwise maths: copysign, hypot, logaddexp, logaddexp2, heaviside, addcmul,
addcdiv, and the shifts ``<<`` ``>>``.

Compositions of differentiable primitives (``s`` = the sign bit of b as +-1, a constant):

    copysign(a, b) = |a| s                  d/da = sign(a) s      (0 at a = 0), d/db = 0
    hypot(a, b)    = sqrt(a^2 + b^2)        d/da = a / hypot
    logaddexp(a, b) = m + log(e^(a-m) + e^(b-m)),  m = max(a, b) held constant
                                            d/da = e^(a - logaddexp)
    addcmul(x, t1, t2, v) = x + v t1 t2     addcdiv(x, t1, t2, v) = x + v t1 / t2

``heaviside`` and the shifts are not differentiable (as in PyTorch).
"""

from __future__ import annotations

import math
import operator

from ..tensor import Tensor, _wrap
from ._operands import binary
from .comparison import _bitwise
from .reduction import _xp
from .selection import maximum, where
from .unary import abs as _abs
from .unary import exp, log, sqrt


def copysign(input, other) -> Tensor:
    """``|input|`` with the sign of ``other`` (``-0.0`` counts as negative)."""
    _tensors("copysign", input, other, other_may_be_number=True)
    a, b = _floats(input, other)
    if not isinstance(a, Tensor):
        a = b.new_full((), a)
    xp = _xp(a)
    dtype = a._data.dtype
    sign = xp.asarray(xp.copysign(xp.ones((), dtype=dtype), b._data if isinstance(b, Tensor)
                                  else b)).astype(dtype, copy=False)
    return _abs(a) * _wrap(sign)


def _default_float():
    from ..dtypes import get_default_dtype

    return get_default_dtype()


def _tensors(name: str, input, other, other_may_be_number: bool = False) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not isinstance(other, Tensor) and not other_may_be_number:
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def _floats(input, other):
    a, b = binary(input, other)
    like = a if isinstance(a, Tensor) else b
    if not like.dtype.is_floating_point:
        f = _default_float()
        a = a.to(f) if isinstance(a, Tensor) else float(a)
        b = b.to(f) if isinstance(b, Tensor) else float(b)
    return a, b


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input^2 + other^2), elementwise."""
    _tensors("hypot", input, other)
    a, b = _floats(input, other)
    return sqrt(a * a + b * b)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(e^input + e^other), without overflow."""
    _tensors("logaddexp", input, other)
    a, b = _floats(input, other)
    m = maximum(a, b).detach()
    m = where(m.isinf(), 0.0, m)  # both -inf (or an inf): shift by 0 instead
    return m + log(exp(a - m) + exp(b - m))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2^input + 2^other), without overflow."""
    _tensors("logaddexp2", input, other)
    ln2 = math.log(2.0)
    a, b = _floats(input, other)
    return logaddexp(a * ln2, b * ln2) / ln2


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0 (no gradient)."""
    _tensors("heaviside", input, values)
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes: got {input.dtype} and {values.dtype}; convert one first")
    xp = _xp(input)
    return _wrap(xp.asarray(xp.heaviside(input._data, values._data)).astype(input._data.dtype))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (true division; integer inputs are refused)."""
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. Use addcmul(input, tensor1, 1 / tensor2) or floats")
    quot = tensor1 / tensor2
    return input + (quot if value == 1 else quot * value)


bitwise_left_shift, _lshift, _rlshift = _bitwise(operator.lshift, "bitwise_left_shift", "<<")
bitwise_right_shift, _rshift, _rrshift = _bitwise(operator.rshift, "bitwise_right_shift", ">>")


# ----------------------------------------------------------------------------- methods
for _fn in (copysign, hypot, logaddexp, logaddexp2, heaviside, addcmul, addcdiv,
            bitwise_left_shift, bitwise_right_shift):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.__rdiv__ = Tensor.__rtruediv__  # (Python 2's name, still in PyTorch)
Tensor.__lshift__, Tensor.__rlshift__ = _lshift, _rlshift
Tensor.__rshift__, Tensor.__rrshift__ = _rshift, _rrshift

__all__ = ["copysign", "hypot", "logaddexp", "logaddexp2", "heaviside", "addcmul", "addcdiv",
           "bitwise_left_shift", "bitwise_right_shift"]
