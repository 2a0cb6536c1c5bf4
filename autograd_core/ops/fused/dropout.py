"""Dropout: zero each element (or each channel) with probability p, scale the rest.

Inverted dropout, as in PyTorch: during training

    y = x m / (1 - p),   m ~ Bernoulli(1 - p)        backward:  dx = g m / (1 - p)

so that E[y] = x and evaluation needs no rescaling. The mask m is drawn from the library's
seeded generator (``autograd_core.manual_seed`` reproduces it) on x's device, and kept for
backward as a bool array (one byte per element; one per channel for ``dropout2d``). The
backward is linear in g with a constant mask, so it is differentiable any number of times.
"""

from __future__ import annotations

import warnings

from ... import dtypes as _dt
from ..._backend import KERNEL_BACKENDS
from ..._teaching import Input, Rule
from ...function import Function
from ...tensor import Tensor
from .._inplace import apply_inplace
from .._kernel_overrides import offer

__all__ = ["dropout", "dropout1d", "dropout2d"]


class Dropout(Function):
    """y = x m s with a bool mask m (broadcast over x) and scale s = 1 / (1 - p)."""

    rule = Rule("y = a * m / (1 - p) (m: random 0/1 mask)", r"y = \frac{m \odot a}{1 - p}",
                Input("a", "dy/da = m / (1 - p)", r"\frac{\partial y}{\partial a} = \frac{m}{1 - p}",
                      "g * m / (1 - p)", r"\frac{g \odot m}{1 - p}"))

    @staticmethod
    def forward(ctx, x, keep, scale, p=None):
        # ``keep``: the bool mask, or with ``p`` the uniform draws (keep = draws >= p)
        ctx.scale = scale
        kernels = KERNEL_BACKENDS.get(ctx.xp)  # CUDA: mask and scaling in one launch
        fused = kernels and p is not None and keep.shape == x.shape and \
            kernels.fused_kernel("dropout_forward", x.dtype)
        if fused:
            out, keep = fused(x, keep, p, scale)
        else:
            if p is not None:
                keep = keep >= p
            out = x * keep
            if scale != 1:
                out = out * scale
        ctx.save_for_backward(keep)  # not an input: kept as a constant
        return out if type(out) is type(x) else ctx.xp.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        (keep,) = ctx.saved
        return ctx.math.dropout_grad(grad, keep, ctx.scale), None, None, None


def _dropout_grad(m, grad, keep, scale):
    """dx = g m s."""
    g = grad * keep
    if scale != 1:
        g *= scale  # g is this rule's own fresh value: scaled in place
    return g


offer("dropout_grad", _dropout_grad, "dropout_backward", dtype_of=0)


def _check_p(p) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def _apply(x: Tensor, p: float, mask_shape: tuple, inplace: bool, name: str) -> Tensor:
    from ...factories import rand

    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}; convert "
                           "first, e.g. x.float()")
    draws = rand(mask_shape, dtype=_dt.float32, device=x.device)._data
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    if inplace:
        return apply_inplace(x, lambda t: Dropout.apply(t, draws, scale, p), op_name=name + "_")
    return Dropout.apply(x, draws, scale, p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by 1 / (1 - p)."""
    p = _check_p(p)
    if not training or p == 0.0:
        return x
    return _apply(x, p, tuple(x.shape), inplace, "dropout")


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool, name: str,
                     spatial: int) -> Tensor:
    p = _check_p(p)
    ndim = x.ndim
    if ndim not in (spatial + 1, spatial + 2):
        if ndim < 2:
            raise RuntimeError(f"{name}: expected an input of {spatial + 1} or {spatial + 2} "
                               f"dimensions, got {ndim}")
        warnings.warn(f"{name}: received a {ndim}-D input; expected ({spatial + 1} or "
                      f"{spatial + 2})-D (channels first). Dropping whole channels of dim 1.",
                      UserWarning, stacklevel=3)
        channels = 2
    else:
        channels = ndim - spatial  # (N, C, ...) or (C, ...)
    if not training or p == 0.0:
        return x
    shape = tuple(x.shape[:channels]) + (1,) * (ndim - channels)
    return _apply(x, p, shape, inplace, name)


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    return _feature_dropout(x, p, training, inplace, "dropout1d", 1)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs with probability ``p``.

    A 3-D input is read as one unbatched image (C, H, W), as the documentation of PyTorch's
    ``Dropout2d`` describes (PyTorch itself still reads it as (N, C, L), with a warning)."""
    return _feature_dropout(x, p, training, inplace, "dropout2d", 2)
