"""What older PyTorch programs still use: the typed constructors (``FloatTensor``,
``LongTensor``, ...), the memory-format constants, and ``format(t, spec)`` of a 0-d tensor.

``autograd_core.FloatTensor(data)`` or ``FloatTensor(*sizes)`` makes a CPU tensor of that
dtype (zeros for sizes; PyTorch leaves them uninitialised); ``isinstance(t, FloatTensor)``
checks the dtype and the device, as PyTorch does. Arrays here are always C-contiguous, so
the memory formats are accepted names with nothing to change.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return (isinstance(obj, Tensor) and obj.dtype == cls.dtype
                and obj.device.type == cls.device_type)

    def __repr__(cls) -> str:
        return f"<class 'autograd_core.{cls.__name__}'>"


class _TypedTensor(metaclass=_TypedTensorMeta):
    dtype = _dt.float32
    device_type = "cpu"

    def __new__(cls, *args, device=None):
        from ..factories import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            if isinstance(data, Tensor):
                return data.to(cls.dtype)
            return tensor(data, dtype=cls.dtype, device=device)
        if not all(isinstance(a, int) for a in args):
            raise TypeError(f"{cls.__name__}() takes data (a list, an array, a tensor) or "
                            f"sizes (ints), got {[type(a).__name__ for a in args]}")
        return zeros(args, dtype=cls.dtype, device=device)


def _typed(name: str, dtype) -> type:
    return _TypedTensorMeta(name, (_TypedTensor,), {"dtype": dtype, "__doc__":
                            f"A CPU tensor of dtype {dtype.name} (legacy constructor)."})


FloatTensor = _typed("FloatTensor", _dt.float32)
DoubleTensor = _typed("DoubleTensor", _dt.float64)
HalfTensor = _typed("HalfTensor", _dt.float16)
LongTensor = _typed("LongTensor", _dt.int64)
IntTensor = _typed("IntTensor", _dt.int32)
BoolTensor = _typed("BoolTensor", _dt.bool_)
ShortTensor = _typed("ShortTensor", _dt.int16)
CharTensor = _typed("CharTensor", _dt.int8)
ByteTensor = _typed("ByteTensor", _dt.uint8)
BFloat16Tensor = _typed("BFloat16Tensor", _dt.bfloat16)


class memory_format:
    """A memory layout name (``contiguous_format``, ``channels_last``, ...)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"autograd_core.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _format(self: Tensor, spec: str) -> str:
    """``format(t, '.2f')`` formats a 0-d tensor's number; other tensors take no spec."""
    if self._data.ndim == 0 and spec:
        return format(self.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string passed to Tensor.__format__ (a tensor of "
                        f"shape {list(self.shape)}; format a 0-d tensor or t.tolist())")
    return str(self)


Tensor.__format__ = _format

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "BoolTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BFloat16Tensor",
           "memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d"]
