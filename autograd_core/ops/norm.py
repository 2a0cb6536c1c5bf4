"""Vector norms: ``norm(x, p, dim)`` = (sum |x|^p)^(1/p) over ``dim``.

``g`` is the incoming gradient, broadcast back over the reduced dims:

    norm_p       dx = g sign(x) |x|^(p-1) / out^(p-1)                (0 where out = 0)

Backward rules are written once for arrays and Tensors (``ctx.math``), so they are
themselves differentiable.
Masks (where the zeros are, which entry won a max) are constants.
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor
from ._accumulate import narrow, wide
from .reduction import _count, _kept_shape, _torch_name, expand_reduced, normalize_dims
from .unary import Abs

_inf = math.inf


def _require_float(input: Tensor, message: str) -> None:
    if not _dt.is_floating_array(input._data.dtype):
        raise RuntimeError(f"{message}. Got {_torch_name(input)}; convert first, e.g. x.float()")


class _Abs(Function):
    """|x|, for norms (d|x| = sign(x) dx; the sign is a constant)."""

    rule = Abs.rule

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.math.sign(x)


# ----------------------------------------------------------------------------- norm
class Norm(Function):
    """The vector p-norm (sum |x|^p)^(1/p) over ``axes`` (p = inf: max |x|, p = 0: the
    number of nonzeros). Backward, with a zero gradient where the norm is 0:

        p = 2:       dx = g x / out
        p = inf:     dx = g sign(x) [|x| = out] / #{|x| = out}    (ties share it)
        other p:     dx = g sign(x) |x|^(p-1) / out^(p-1)          (0 where x = 0)
    """

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = ctx.xp
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        x_in, x = x, wide(x)  # float16 accumulates in float32, rounded once at the end
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == _inf:
            out = xp.abs(x).max(axis=axes, keepdims=keepdim)
        elif p == -_inf:
            out = xp.abs(x).min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=keepdim, dtype=x.dtype)
        elif p == 1:
            out = xp.abs(x).sum(axis=axes, keepdims=keepdim)
        else:
            out = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = narrow(xp.asarray(out), x_in)
        ctx.save_for_backward(x_in, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        m, p = ctx.math, ctx.p
        shape, axes, keepdim = x.shape, ctx.axes, ctx.keepdim
        if p == 0:
            return expand_reduced(m, grad, shape, axes, keepdim) * 0, None, None, None
        if p == 1:
            g = expand_reduced(m, grad, shape, axes, keepdim)
            return g * m.sign(x), None, None, None
        if p in (_inf, -_inf):
            hit = m.cast(m.abs(x) == out.reshape(_kept_shape(shape, axes)), x)
            weights = m.sign(x) * hit / m.sum(hit, axes, True)
            return expand_reduced(m, grad, shape, axes, keepdim) * weights, None, None, None
        zero = m.cast(out == 0, out)  # constant masks: 0 where the norm (or x) is 0
        safe_out = out + zero
        if p == 2:
            scale = grad / safe_out * (1.0 - zero)
            return x * expand_reduced(m, scale, shape, axes, keepdim), None, None, None
        scale = grad / safe_out ** (p - 1) * (1.0 - zero)
        scaled_x = m.sign(x) * (m.apply(_Abs, x) + m.cast(x == 0, x)) ** (p - 1)
        return scaled_x * expand_reduced(m, scale, shape, axes, keepdim), None, None, None


# Matrix norms by name ('nuc' -> f(input, dim, keepdim)): they need an SVD, which
# `autograd_core.linalg` provides and installs here when it is imported.
matrix_norms: dict = {}


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector norm over ``dim`` (all elements by default): ``p`` = 'fro' (= 2), a number
    > 0, ``inf`` or ``-inf``, or 0 (count of nonzeros)."""
    if dtype is not None:
        target = _dt.as_dtype(dtype)
        if target.is_floating_point and input.dtype.is_floating_point and (
                target.itemsize < input.dtype.itemsize):
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_torch_name(input)}) should be "
                f"convertible without narrowing to the specified dtype ({target.name})")
        input = input.to(target)
    _require_float(input, "linalg.vector_norm: Expected a floating point or complex tensor "
                          "as input")
    ndim = input._data.ndim
    if p is None or p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
        p = 2
    elif isinstance(p, str) and p in matrix_norms:
        if dim is None and ndim != 2:
            raise RuntimeError(f"norm(): the {p!r} norm of a {ndim}-D input needs the two "
                               f"matrix dims, e.g. dim=(-2, -1)")
        return matrix_norms[p](input, (-2, -1) if dim is None else tuple(dim), keepdim)
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): order {p!r} is not supported; use 'fro' or a number "
                           "(the nuclear norm needs an SVD)")
    p = float(p)
    axes = normalize_dims(dim, ndim)
    if math.isinf(p) and _count(input._data.shape, axes) == 0:
        empty = [a for a in axes or () if input._data.shape[a] == 0]
        where = f"the dimension {empty[0]}" if empty else "an empty tensor"
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on {where} because "
                           "the operation does not have an identity")
    return Norm.apply(input, p, axes, keepdim)


# ----------------------------------------------------------------------------- methods
# Node names as PyTorch shows them (without the leading underscore).
_Abs._backward_name = "AbsBackward0"

Tensor.norm = norm

__all__ = ["norm"]
