"""``result_type`` and ``can_cast``: the type-promotion rules asked directly.

``result_type(a, b)`` is the dtype ``a + b`` would have: two tensors with dimensions
promote (`dtypes.promote_types`); a 0-d tensor or a Python number counts only by its
category (bool < integer < floating), so ``uint8_tensor + 300`` stays uint8 and
``uint8_tensor / 255.`` is the default float.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor
from ._operands import result_dtype, scalar_value


def _as_tensor(x):
    from ..factories import tensor

    if isinstance(x, Tensor):
        return x
    value = scalar_value(x)
    if value is None:
        raise TypeError(f"result_type() expects Tensors or numbers, got {type(x).__name__}")
    return tensor(value)


def result_type(tensor: Tensor, other) -> _dt.dtype:
    """The dtype of an arithmetic operation on ``tensor`` and ``other`` (tensors or numbers)."""
    a, b = tensor, other
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and scalar_value(b) is not None:
        return _dt.result_type_with_scalar(a.dtype, scalar_value(b))
    if isinstance(b, Tensor) and not isinstance(a, Tensor) and scalar_value(a) is not None:
        return _dt.result_type_with_scalar(b.dtype, scalar_value(a))
    return result_dtype(_as_tensor(a), _as_tensor(b))


def can_cast(from_: _dt.dtype, to: _dt.dtype) -> bool:
    """Whether PyTorch's casting rule allows ``from_`` -> ``to`` in an in-place or ``out=``
    operation: never to a lower category (floating -> integer, integer -> bool)."""
    return _dt.category(_dt.as_dtype(from_)) <= _dt.category(_dt.as_dtype(to))


__all__ = ["result_type", "can_cast"]
