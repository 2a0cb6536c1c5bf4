"""``Tensor.view(dtype)``: the same bytes read as another dtype (no copy, no conversion).

With equal item sizes the shape stays; otherwise the last dimension is scaled by the ratio
of the sizes (a float32 ``[2, 3]`` viewed as uint8 is ``[2, 12]``, and back). The result
shares memory and the version counter with ``input``, so a write through either shows in
both. As in PyTorch, it is not differentiable: the result never requires grad.
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._backend import backend_of
from ..tensor import Tensor, _wrap
from .conversion import _TYPE_NAMES


def _refuse(why: str, source: _dt.dtype, target: _dt.dtype) -> RuntimeError:
    return RuntimeError(f"{why} to view {_TYPE_NAMES[source.name]} as {_TYPE_NAMES[target.name]} "
                        f"(different element sizes); use .clone() (contiguous) first, or "
                        f"view a tensor whose last dimension fits")


def _storage_offset(array) -> int:
    """Elements between the start of ``array``'s memory block and its first element."""
    owner = array if array.base is None else array.base
    backend = backend_of(array)
    return (backend.data_ptr(array) - backend.data_ptr(owner)) // array.dtype.itemsize


def view_dtype(input: Tensor, dtype) -> Tensor:
    """``input``'s bytes as ``dtype`` (see the module docstring for the shape rule)."""
    target = _dt.as_dtype(dtype)
    source = input.dtype
    array = input._data
    backend_of(array).check_dtype(target.numpy)
    old, new = source.itemsize, target.itemsize
    if old != new:
        if array.ndim == 0:
            raise _refuse("self.dim() cannot be 0", source, target)
        strides = [s // old for s in array.strides]
        if new > old:
            ratio = new // old
            if array.shape[-1] % ratio:
                raise _refuse(f"self.size(-1) must be divisible by {ratio}, but got "
                              f"{array.shape[-1]},", source, target)
            offset = _storage_offset(array)
            if offset % ratio:
                raise _refuse(f"self.storage_offset() must be divisible by {ratio}, but got "
                              f"{offset},", source, target)
        if array.shape[-1] > 1 and strides[-1] != 1:
            raise _refuse(f"self.stride(-1) must be 1, but got {strides[-1]},", source, target)
        if new > old:
            for i, s in enumerate(strides[:-1]):
                if s % ratio:
                    raise _refuse(f"self.stride({i}) must be divisible by {ratio}, but got "
                                  f"{s},", source, target)
        if array.shape[-1] == 1 and not array.flags.c_contiguous:
            array = array.reshape(array.shape[:-1] + (1,))  # any stride on a size-1 axis
    out = _wrap(array.view(target.numpy))
    out._version_counter = input._version_counter
    return out
