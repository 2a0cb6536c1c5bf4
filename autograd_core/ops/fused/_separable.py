"""The separable linear map y = R_h x R_w^T on the last two axes, as one fused node.

Adaptive average pooling and interpolation (nearest, linear, bilinear, area) act on each
spatial axis separately, with small constant matrices (rows of averaging or interpolation
weights), so forward and backward are two matrix products each:

    dL/dx = R_h^T G R_w
"""

from __future__ import annotations

import numpy as np

from ...function import Function
from ...tensor import Tensor


class Resample(Function):
    """y = R_h x R_w^T on the last two axes, with constant matrices R_h (OH, H), R_w (OW, W)
    (``None``: that axis unchanged). Adaptive average pooling and interpolation are of this
    form. Backward: dL/dx = R_h^T G R_w, the same node with the transposed matrices."""

    @staticmethod
    def forward(ctx, x, rh, rw):
        xp = ctx.xp
        ctx.mats = (rh, rw)
        y = x
        if rw is not None:
            lead = y.shape[:-1]
            y = xp.matmul(y.reshape(-1, y.shape[-1]), rw.T).reshape(lead + (rw.shape[0],))
        if rh is not None:
            y = xp.matmul(rh, y)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, grad):
        rh, rw = ctx.mats
        rh_t = None if rh is None else rh.T.copy()
        rw_t = None if rw is None else rw.T.copy()
        return ctx.math.apply(Resample, grad, rh_t, rw_t), None, None


def _on_device(xp, host: np.ndarray | None, dtype):
    return None if host is None else xp.asarray(host.astype(dtype))


def _resample(input: Tensor, mh, mw) -> Tensor:
    from ..._backend import backend_of

    xp = backend_of(input._data).xp
    dtype = input._data.dtype
    return Resample.apply(input, _on_device(xp, mh, dtype), _on_device(xp, mw, dtype))
