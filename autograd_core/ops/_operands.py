"""Turning the operands of a binary operation into what a `Function` takes.

A Python number stays a number (NumPy 2 then keeps the array's dtype, NEP 50); a NumPy
scalar becomes a Python number first, so ``t * np.float64(2)`` stays float32. Two tensors of
different dtypes are cast to PyTorch's promoted dtype; lists and arrays become tensors on
the other operand's device.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from ._broadcast import broadcast_shapes

_PY_SCALARS = (int, float, bool)


def scalar_value(x):
    """A Python number for a Python or NumPy scalar, else None."""
    if type(x) in _PY_SCALARS:
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return x
    return None


def to_tensor_like(x, like: Tensor) -> Tensor:
    """``x`` (list, array, number) as a tensor on ``like``'s device."""
    from ..factories import as_tensor

    return as_tensor(x, device=like.device)


def binary(a, b):
    """Operands of ``a op b``, at least one a Tensor: promoted dtypes, scalars kept."""
    if isinstance(a, Tensor):
        kind = type(b)
        if (kind is float or kind is int) and a._data.dtype.kind == "f":
            return a, b  # the common case: a floating tensor keeps its dtype with a number
        if isinstance(b, Tensor):
            if a._data.shape != b._data.shape:
                broadcast_shapes(a._data.shape, b._data.shape)
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return a, b
            return _promote_pair(a, b)
        s = scalar_value(b)
        if s is None:
            return binary(a, to_tensor_like(b, a))
        a = _with_scalar(a, s)
        return a, _wrapped(s, a)
    if not isinstance(b, Tensor):  # two numbers (``torch.add(2.0, 3.0)``): a 0-d tensor first
        from ..factories import tensor

        if scalar_value(a) is None or scalar_value(b) is None:
            raise TypeError(f"expected a Tensor or a number as operands, got "
                            f"{type(a).__name__} and {type(b).__name__}")
        return binary(tensor(scalar_value(a)), b)
    s = scalar_value(a)
    if s is None:
        return binary(to_tensor_like(a, b), b)
    b = _with_scalar(b, s)
    return _wrapped(s, b), b


def _wrapped(s, t: Tensor):
    """An integer scalar outside a narrow integer tensor's range, wrapped into it as
    PyTorch's cast does (uint8: 300 -> 44, so ``200 + 300`` gives 244); NumPy would raise."""
    dt = t._data.dtype
    if dt.kind in "iu" and type(s) is int and dt.itemsize < 8:
        info = np.iinfo(dt)
        if not info.min <= s <= info.max:
            return int(np.array(s, dtype=np.int64).astype(dt))
    return s


def _with_scalar(t: Tensor, s) -> Tensor:
    if t._data.dtype.kind == "f":  # a floating tensor keeps its dtype with any number
        return t
    target = _dt.result_type_with_scalar(_dt.from_numpy_dtype(t._data.dtype), s)
    if target.numpy == t._data.dtype:
        return t
    return t.to(target)


def result_dtype(a: Tensor, b: Tensor) -> _dt.dtype:
    da = _dt.from_numpy_dtype(a._data.dtype)
    db = _dt.from_numpy_dtype(b._data.dtype)
    a0, b0 = a._data.ndim == 0, b._data.ndim == 0
    if a0 and not b0:
        return _dt.dimensionless_result(db, da)
    if b0 and not a0:
        return _dt.dimensionless_result(da, db)
    return _dt.promote_types(da, db)


def _promote_pair(a: Tensor, b: Tensor):
    target = result_dtype(a, b)
    if a._data.dtype != target.numpy:
        a = a.to(target)
    if b._data.dtype != target.numpy:
        b = b.to(target)
    return a, b


def float_operands(a, b):
    """Like `binary`, then cast integer/bool tensors to the default float (true division);
    complex tensors stay complex."""
    sa, sb = scalar_value(a), scalar_value(b)
    a, b = binary(a, b)
    if sa is not None and not isinstance(a, Tensor):  # the number itself, not wrapped into
        a = sa                                          # an integer tensor's range
    if sb is not None and not isinstance(b, Tensor):
        b = sb
    default = _dt.get_default_dtype()
    if isinstance(a, Tensor) and not _dt.is_floating_array(a._data.dtype) and \
            a._data.dtype.kind != "c":
        a = a.to(default)
    if isinstance(b, Tensor) and not _dt.is_floating_array(b._data.dtype) and \
            b._data.dtype.kind != "c":
        b = b.to(default)
    return a, b


def real_argument(value, name: str, op: str, kind: str = "float") -> float:
    """A real-number argument (eps, a slope, a smoothing): float('3') would quietly accept
    a string, so anything but a real number is PyTorch's TypeError."""
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{op}(): argument '{name}' must be {kind}, not {type(value).__name__}")


def int_argument(value, name: str, op: str) -> int:
    """An integer argument (a size, stride, padding...): ``int()`` would quietly turn 2.5
    into 2 and '3' into 3, so anything but an integer is PyTorch's TypeError."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor) and value._data.ndim == 0 and value._data.dtype.kind in "iu":
        return int(value.item())
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of "
                    f"type {type(value).__name__} ({value!r}); pass whole numbers")
