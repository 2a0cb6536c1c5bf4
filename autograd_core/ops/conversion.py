"""Changing a tensor's dtype or device, and copying it: ``to``, ``float()``, ``cuda()``, ``clone``.

All are differentiable: the gradient of a cast is the gradient cast back, the gradient of
a device move is the gradient moved back (d copy(x) / dx = I).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .._backend import backend_for, backend_of
from .._teaching import identity_rule
from ..device import device as _device
from ..function import Function
from ..tensor import Tensor


class Cast(Function):
    rule = identity_rule("y = a (another dtype)", "y = a", "g in a's dtype", "g")

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x.dtype
        with np.errstate(invalid="ignore", over="ignore"):  # out of range: as torch, silently
            return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine casts it back to the input's dtype


class ToDevice(Function):
    """Copy to another device: host <-> device through NumPy, device <-> device directly."""

    rule = identity_rule("y = a (another device)", "y = a", "g on a's device", "g")

    @staticmethod
    def forward(ctx, x, target):
        source = backend_of(x)
        ctx.source_device = source.device_of(x)
        return _move(x, source, target)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(ToDevice, grad, ctx.source_device), None


def _move(array, source, target: _device):
    dest = backend_for(target)
    if dest is source:
        return source.to_device(array, target.index)
    host = source.to_numpy(array)
    return dest.from_numpy(host, target.index)


class Clone(Function):
    rule = identity_rule("y = a (a copy)", "y = a", "g", "g")

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def _parse_to_args(args, kwargs):
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)  # accepted; arrays here are always laid out C-contiguous
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, _device):
            dev = a
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda"):
            dev = a
        elif isinstance(a, bool):
            continue  # non_blocking
        elif a is not None:
            dtype = a
    return (None if dev is None else _device(dev)), (None if dtype is None else _dt.as_dtype(dtype)), copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Return this tensor with another dtype and/or device (itself if nothing changes).

    ``t.to('cuda')``, ``t.to(autograd_core.float64)``, ``t.to(other)``,
    ``t.to(device='cpu', dtype=autograd_core.float32, copy=True)``.
    """
    dev, dtype, copy = _parse_to_args(args, kwargs)
    out = self
    if dev is not None:
        source = backend_of(self._data)
        current = source.device_of(self._data)
        if dev.type != current.type or (dev.index is not None and dev.index != current.index):
            out = ToDevice.apply(out, dev)
            copy = False
    if dtype is not None and dtype.numpy != out._data.dtype:
        backend_of(out._data).check_dtype(dtype.numpy)
        if dtype.is_complex or out._data.dtype.kind == "c":
            from .complex import cast

            out = cast(out, dtype)
        else:
            out = Cast.apply(out, dtype.numpy)
        copy = False
    if copy:
        out = Clone.apply(out)
    return out


def clone(self: Tensor, *, memory_format=None) -> Tensor:
    """A copy of the data, recorded in the graph (its gradient passes straight through)."""
    return Clone.apply(self)


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


def _cast_method(dtype):
    def method(self: Tensor, memory_format=None) -> Tensor:
        return to(self, dtype)

    method.__name__ = dtype.name
    method.__doc__ = f"``self.to({dtype!r})``"
    return method


def cuda(self: Tensor, device=None, non_blocking: bool = False) -> Tensor:
    if device is None:
        target = _device("cuda")
    elif isinstance(device, int):
        target = _device("cuda", device)
    else:
        target = _device(device)
    return to(self, target)


def cpu(self: Tensor) -> Tensor:
    return to(self, "cpu")


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}
_BY_TYPE_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def type_(self: Tensor, dtype=None):
    """The type name (``'autograd_core.FloatTensor'``, ``'autograd_core.cuda.FloatTensor'``)
    without an argument; else ``self.to(dtype)`` (a dtype or such a name)."""
    if dtype is None:
        where = "cuda." if self.is_cuda else ""
        return f"autograd_core.{where}{_TYPE_NAMES[self.dtype.name]}Tensor"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        name = dtype.rsplit(".", 1)[-1][: -len("Tensor")]
        if name not in _BY_TYPE_NAME:
            raise ValueError(f"invalid type: {dtype!r}")
        if ".cuda." in dtype:
            return to(self, "cuda", _BY_TYPE_NAME[name])
        return to(self, "cpu", _BY_TYPE_NAME[name])
    return to(self, dtype)


Tensor.to = to
Tensor.clone = clone
Tensor.contiguous = contiguous
Tensor.float = _cast_method(_dt.float32)
Tensor.double = _cast_method(_dt.float64)
Tensor.half = _cast_method(_dt.float16)
Tensor.long = _cast_method(_dt.int64)
Tensor.int = _cast_method(_dt.int32)
Tensor.bool = _cast_method(_dt.bool_)
Tensor.short = _cast_method(_dt.int16)
Tensor.char = _cast_method(_dt.int8)
Tensor.byte = _cast_method(_dt.uint8)
Tensor.bfloat16 = _cast_method(_dt.bfloat16)
Tensor.cuda = cuda
Tensor.cpu = cpu
Tensor.type_as = type_as
Tensor.type = type_
