"""Broadcasting's two directions, in one place.

Forward, NumPy broadcasting stretches size-1 and missing leading axes. Backward, the
gradient of a broadcast input is the incoming gradient *summed* over those stretched axes:

    y = broadcast_to(x, S)   =>   dL/dx = sum_to(dL/dy, x.shape)

`sum_to` and `broadcast_to` are each other's backward. The engine applies `sum_to` to any
gradient that arrives with its input's broadcast shape (one place, for every op), so the
rules of binary operations return ``g b`` and leave the reduction to it.
"""

from __future__ import annotations

from .._teaching import identity_rule
from ..function import Function
from ..tensor import Tensor


def _broadcast_axes(grad_shape: tuple, shape: tuple) -> tuple[int, ...]:
    """Axes of ``grad_shape`` that broadcasting created from ``shape``."""
    lead = len(grad_shape) - len(shape)
    if lead < 0:
        raise RuntimeError(f"sum_to: cannot reduce shape {grad_shape} to larger shape {shape}")
    axes = list(range(lead))
    for i, n in enumerate(shape):
        g = grad_shape[lead + i]
        if n == 1 and g != 1:
            axes.append(lead + i)
        elif n != g:
            raise RuntimeError(f"sum_to: shape {shape} is not broadcastable to {grad_shape}")
    return tuple(axes)


class SumTo(Function):
    """Sum ``x`` over the axes broadcasting added, giving ``shape``."""

    rule = identity_rule("y = a summed over broadcast axes", r"y = \textstyle\sum_{\text{axes}} a",
                         "g broadcast back to a's shape", r"\operatorname{broadcast}(g)")

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        axes = _broadcast_axes(x.shape, shape)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.broadcast_to(grad, ctx.in_shape), None


class BroadcastTo(Function):
    """Stretch ``x`` to ``shape`` (a read-only view); backward is `sum_to`."""

    rule = identity_rule("y = broadcast(a) (each a_i copied along new axes)", r"y = \operatorname{broadcast}(a)",
                         "g summed over the broadcast axes", r"\textstyle\sum_{\text{broadcast axes}} g",
                         "dy_j/da_i = 1 for every copy y_j of a_i")

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.sum_to(grad, ctx.in_shape), None


def broadcast_shapes(*shapes: tuple, names: tuple = ("a", "b", "c", "d")) -> tuple:
    """The shape ``shapes`` broadcast to, or PyTorch's RuntimeError naming every shape.

    Aligned from the right, each axis must hold equal sizes or 1: (2, 3) and (4, 3) fail at
    axis 0. The one check every op that broadcasts its operands calls before NumPy does, so
    a user never sees NumPy's ValueError."""
    if len(shapes) == 2 and shapes[0] == shapes[1]:
        return tuple(shapes[0])
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for axis in range(ndim):
        size, owner = 1, 0
        for i, p in enumerate(padded):
            n = p[axis]
            if n == 1:
                continue
            if size != 1 and n != size:
                listed = " and ".join(f"{list(s)}" for s in shapes)
                raise RuntimeError(
                    f"The size of tensor {names[owner]} ({size}) must match the size of tensor "
                    f"{names[i]} ({n}) at non-singleton dimension {axis}: shapes {listed} do "
                    f"not broadcast (sizes must be equal or 1 along each axis, aligned from the "
                    f"right; reshape or unsqueeze one operand)")
            size, owner = n, i
        out.append(size)
    return tuple(out)


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Reduce ``grad`` to ``shape`` by summing broadcast axes (no-op if shapes match)."""
    if grad._data.shape == tuple(shape):
        return grad
    return SumTo.apply(grad, tuple(shape))


def broadcast_to(x: Tensor, shape) -> Tensor:
    """``x`` broadcast to ``shape`` (PyTorch's ``broadcast_to``/``expand`` semantics)."""
    shape = tuple(int(s) for s in shape)
    if x._data.shape == shape:
        return x
    try:
        _ = _broadcast_axes(shape, x._data.shape)
    except RuntimeError:
        raise RuntimeError(
            f"The expanded size of the tensor ({shape}) must match the existing size "
            f"({tuple(x.shape)}) at non-singleton dimensions; shapes {tuple(x.shape)} and "
            f"{shape} are not broadcastable"
        ) from None
    return BroadcastTo.apply(x, shape)


Tensor.broadcast_to = broadcast_to
