"""Masks: masked_fill, masked_select, and the indices of non-zeros (``g`` is dL/dout):

    masked_fill(x, m, v)        dL/dx = g with zeros where m       dL/dv = sum of g where m
    masked_select(x, m)         x[m] after broadcasting: the backward of ``x[key]``

``nonzero``/``argwhere`` give integer indices and are not differentiable.
"""

from __future__ import annotations

import numpy as np

from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _wrap
from ._broadcast import broadcast_to
from ._inplace import apply_inplace
from ._operands import scalar_value
from .indexing import _broadcast_shape

_INT64 = np.int64


def _check_mask(mask, op: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): mask must be a Tensor, got {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    return mask


class MaskedFill(Function):
    """``where(mask, value, x)``; the value gets the sum of the gradient where mask is set."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        fill = value.astype(x.dtype) if hasattr(value, "dtype") else ctx.xp.asarray(
            value, dtype=x.dtype)
        return ctx.xp.where(mask, fill, x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved
        m = ctx.math
        need_x, _, need_v = ctx.needs_input_grad
        gx = m.where(mask, 0.0, grad) if need_x else None
        gv = m.sum(m.where(mask, grad, 0.0)) if need_v else None
        return gx, None, gv


def _fill_value(input: Tensor, value, op: str):
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype.kind == "c" and input._data.dtype.kind != "c":
            raise RuntimeError(f"{op}(): value cannot be converted to type {input.dtype} "
                               f"without overflow (got a {value.dtype} value for a real "
                               f"tensor; take its .real first)")
        if type(value._data) is not type(input._data):
            return value.item()
        return value
    complex_fill = type(value) is complex and input._data.dtype.kind == "c"
    if isinstance(value, complex) and not complex_fill:
        raise RuntimeError(f"{op}(): value cannot be converted to type {input.dtype} without "
                           f"overflow (got the complex number {value!r} for a real tensor)")
    s = value if complex_fill else scalar_value(value)
    if s is None:
        raise TypeError(f"{op}(): value must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    return s


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (mask broadcasts)."""
    mask = _check_mask(mask, "masked_fill_")
    _broadcast_shape(input._data.shape, mask._data.shape)
    return MaskedFill.apply(input, mask, _fill_value(input, value, "masked_fill_"))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_shape(input._data.shape, mask._data.shape)
    return broadcast_to(input, shape)[broadcast_to(mask, shape)]


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per
    dimension with ``as_tuple=True``. Not differentiable."""
    data = input._data
    xp = backend_of(data).xp
    found = xp.nonzero(data if data.ndim else data.reshape(1))
    if as_tuple:
        return tuple(_wrap(i.astype(_INT64)) for i in found)
    if data.ndim == 0:
        return _wrap(xp.zeros((found[0].size, 0), dtype=_INT64))
    return _wrap(xp.stack(found, axis=1).astype(_INT64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ---------------------------------------------------------------------------- in place
def _fast_masked_fill(array, mask, value) -> None:
    xp = backend_of(array).xp
    xp.copyto(array, xp.asarray(value, dtype=array.dtype), where=mask)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    mask = _check_mask(mask, "masked_fill_")
    shape = _broadcast_shape(self._data.shape, mask._data.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"masked_fill_: output with shape {list(self.shape)} doesn't match "
                           f"the broadcast shape {list(shape)}")
    return apply_inplace(self, masked_fill, mask, _fill_value(self, value, "masked_fill_"),
                         op_name="masked_fill_", fast=_fast_masked_fill)


Tensor.masked_fill = masked_fill
Tensor.masked_fill_ = masked_fill_
Tensor.masked_select = masked_select
Tensor.nonzero = nonzero
Tensor.argwhere = argwhere

__all__ = ["masked_fill", "masked_select", "nonzero", "argwhere"]
