"""Comparisons and logic: ``== != < <= > >=``, logical and bitwise operators,
``isnan``/``isinf``/``isfinite``, and the whole-tensor checks ``equal``/``allclose``.

None of these is differentiable: the results are bool (or integer) tensors, outside the
graph. Operands are promoted as for arithmetic (``int_tensor < 2.5`` compares as floats),
numbers and broadcasting work on either side, and ``t == None`` is simply False.
"""

from __future__ import annotations

import math
import operator

from .._backend import backend_of
from ..tensor import Tensor, _wrap
from ._operands import binary, scalar_value


def _is_operand(x) -> bool:
    """Something a tensor can be compared with: a tensor, a number, a list or an array."""
    if isinstance(x, (Tensor, list, tuple)):
        return True
    if isinstance(x, (str, bytes)) or x is None:
        return False
    return scalar_value(x) is not None or hasattr(x, "__array__") or hasattr(x, "shape")


def _other_error(name: str, other) -> TypeError:
    return TypeError(f"{name}(): argument 'other' must be a Tensor or a number, not "
                     f"{type(other).__name__}")


def _arrays(input, other, name: str):
    """Raw operands after type promotion, and the tensor whose device the result lives on."""
    if not _is_operand(input):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor or a number, not "
                        f"{type(input).__name__}")
    if not _is_operand(other):
        raise _other_error(name, other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                        f"{type(input).__name__} and {type(other).__name__}")
    a, b = binary(input, other)
    if isinstance(a, Tensor):
        if isinstance(b, Tensor) and type(a._data) is not type(b._data):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {a.device} and {b.device}! (in {name}: move one with .to())"
            )
        return a._data, _raw(b), a
    return a, b._data, b


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _apply(op, a, b, name: str):
    """``op(a, b)`` on raw operands, with PyTorch's error for shapes that do not broadcast."""
    try:
        return op(a, b)
    except ValueError:
        from .selection import _broadcast_message

        shapes = [(n, getattr(v, "shape", ())) for n, v in (("input", a), ("other", b))]
        raise RuntimeError(_broadcast_message(name, shapes)) from None


def _result(array, like: Tensor) -> Tensor:
    """Wrap an array result (NumPy returns scalars for 0-d operands: make them arrays)."""
    if type(array) is not type(like._data):
        array = backend_of(like._data).xp.asarray(array)
    return _wrap(array)


# ----------------------------------------------------------------------------- comparisons
def _input_tensor(name: str, input) -> None:
    """PyTorch's comparison and logic functions take a Tensor first (``torch.eq(2, t)`` is
    refused; ``2 == t`` reaches ``t.__eq__``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}; put the tensor first or wrap the number, "
                        f"e.g. torch.tensor({input!r})")


def _other_tensor(name: str, other) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}; wrap it first, e.g. torch.tensor({other!r})")


def _comparison(op, name: str):
    def function(input, other) -> Tensor:
        _input_tensor(name, input)
        a, b, like = _arrays(input, other, name)
        if name not in ("eq", "ne") and "c" in (getattr(a, "dtype", None) or _NO_KIND).kind + \
                (getattr(b, "dtype", None) or _NO_KIND).kind:
            raise NotImplementedError(f"{name} is not defined for complex numbers (they have no "
                                      f"order); compare z.real or z.abs()")
        return _result(_apply(op, a, b, name), like)

    def dunder(self, other):
        if not _is_operand(other):
            return NotImplemented
        return function(self, other)

    function.__name__ = name
    function.__doc__ = f"Elementwise ``input {_SYMBOLS[name]} other`` as a bool tensor."
    return function, dunder


_NO_KIND = type("_NoKind", (), {"kind": ""})

_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

eq, _eq = _comparison(operator.eq, "eq")
ne, _ne = _comparison(operator.ne, "ne")
lt, _lt = _comparison(operator.lt, "lt")
le, _le = _comparison(operator.le, "le")
gt, _gt = _comparison(operator.gt, "gt")
ge, _ge = _comparison(operator.ge, "ge")

greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# ----------------------------------------------------------------------------- logic
def _logical(ufunc_name: str, name: str):
    def function(input, other) -> Tensor:
        _input_tensor(name, input)
        _other_tensor(name, other)
        if type(other._data) is not type(input._data):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {input.device} and {other.device}! (in {name})"
            )
        xp = backend_of(input._data).xp
        return _result(_apply(getattr(xp, ufunc_name), input._data, other._data, name), input)

    function.__name__ = name
    function.__doc__ = f"Elementwise {name.split('_')[1]} of the truth values (nonzero = True)."
    return function


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def logical_not(input: Tensor) -> Tensor:
    """True where ``input`` is zero (False), for any dtype."""
    return _result(backend_of(input._data).xp.logical_not(input._data), input)


def _bitwise(op, name: str, symbol: str):
    def function(input, other) -> Tensor:
        a, b, like = _arrays(input, other, name)
        if like._data.dtype.kind not in ("iu" if "shift" in name else "biu"):
            raise NotImplementedError(
                f"\"{name}\" is not implemented for {like.dtype.name} tensors: {symbol} needs bool "
                f"or integer tensors (for conditions on floats compare first, e.g. "
                f"(x > 0) {symbol} (y > 0))"
            )
        return _result(_apply(op, a, b, name), like)

    def dunder(self, other):
        if not _is_operand(other):
            return NotImplemented
        return function(self, other)

    def reflected(self, other):
        if not _is_operand(other):
            return NotImplemented
        return function(other, self)

    function.__name__ = name
    function.__doc__ = (f"Elementwise ``input {symbol} other`` on bool or integer tensors "
                        "(logical on bools, bitwise on integers).")
    return function, dunder, reflected


bitwise_and, _and, _rand = _bitwise(operator.and_, "bitwise_and", "&")
bitwise_or, _or, _ror = _bitwise(operator.or_, "bitwise_or", "|")
bitwise_xor, _xor, _rxor = _bitwise(operator.xor, "bitwise_xor", "^")


def bitwise_not(input: Tensor) -> Tensor:
    """``~input``: logical not on bools, bitwise not (-x - 1) on integers."""
    if input._data.dtype.kind not in "biu":
        raise TypeError(
            f"~ (operator.invert) is only implemented on integer and Boolean-type tensors, not "
            f"{input.dtype.name}; for a mask of a float tensor use x == 0 or logical_not(x)"
        )
    return _result(backend_of(input._data).xp.invert(input._data), input)


# ----------------------------------------------------------------------------- tests of values
def isnan(input: Tensor) -> Tensor:
    return _result(backend_of(input._data).xp.isnan(input._data), input)


def isinf(input: Tensor) -> Tensor:
    return _result(backend_of(input._data).xp.isinf(input._data), input)


def isfinite(input: Tensor) -> Tensor:
    return _result(backend_of(input._data).xp.isfinite(input._data), input)


def isposinf(input: Tensor) -> Tensor:
    return _result(input._data == math.inf, input)


def isneginf(input: Tensor) -> Tensor:
    return _result(input._data == -math.inf, input)


def _close_arrays(input, other, rtol: float, atol: float, equal_nan: bool, name: str):
    if rtol < 0 or atol < 0:
        which, value = ("rtol", rtol) if rtol < 0 else ("atol", atol)
        raise RuntimeError(f"{name}(): {which} must be greater than or equal to zero, but got "
                           f"{value}")
    a, b, like = _arrays(input, other, name)
    xp = backend_of(like._data).xp
    dtype = like._data.dtype
    a = xp.asarray(a, dtype=dtype)
    b = xp.asarray(b, dtype=dtype)
    close = a == b
    if dtype.kind != "f":  # integers and bools: the tolerance test in float64, exactly
        a, b = a.astype("float64"), b.astype("float64")
    elif equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    # where either is infinite or NaN only equality (above) counts; zero those out first so
    # that inf - inf never runs
    finite = xp.isfinite(a) & xp.isfinite(b)
    a, b = xp.where(finite, a, 0), xp.where(finite, b, 0)
    close = close | (finite & (xp.abs(a - b) <= xp.abs(b) * rtol + atol))
    return close, like


def isclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol |other|`` elementwise (equal infinities are close;
    NaNs are close to each other only with ``equal_nan``)."""
    _input_tensor("isclose", input)
    _other_tensor("isclose", other)
    close, like = _close_arrays(input, other, rtol, atol, equal_nan, "isclose")
    return _result(close, like)


def allclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see `isclose`)."""
    _input_tensor("allclose", input)
    _other_tensor("allclose", other)
    close, like = _close_arrays(input, other, rtol, atol, equal_nan, "allclose")
    return bool(backend_of(like._data).xp.all(close))


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and the same values."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"equal(): expected two Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if input._data.shape != other._data.shape:
        return False
    a, b, like = _arrays(input, other, "equal")
    return bool(backend_of(like._data).xp.all(a == b))


# ----------------------------------------------------------------------------- methods
_METHODS = {
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt,
    "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "isposinf": isposinf, "isneginf": isneginf, "isclose": isclose,
    "allclose": allclose, "equal": equal,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
del _name, _fn

_hash = Tensor.__hash__  # defining __eq__ must not make tensors unhashable
Tensor.__eq__ = _eq
Tensor.__ne__ = _ne
Tensor.__lt__ = _lt
Tensor.__le__ = _le
Tensor.__gt__ = _gt
Tensor.__ge__ = _ge
Tensor.__and__ = _and
Tensor.__rand__ = _rand
Tensor.__or__ = _or
Tensor.__ror__ = _ror
Tensor.__xor__ = _xor
Tensor.__rxor__ = _rxor
Tensor.__invert__ = bitwise_not
Tensor.__hash__ = _hash

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isclose", "allclose", "equal",
]
