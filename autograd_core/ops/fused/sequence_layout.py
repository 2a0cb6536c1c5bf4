"""A sequence into and out of the column layout the recurrent cells take (`recurrent.py`).

`input_projection`: ``x_t W_ih^T + b`` for every time step at once, before the loop over the
sequence, written as columns (T, G*H, B) so each step's slice is the cells' ``x_proj``.
`stack_columns`: the per-step column states (H, B) back into PyTorch's (T, B, H) output.
Each is one node, whatever the number of steps.
"""

from __future__ import annotations

from ...function import Function
from ...tensor import Tensor

__all__ = ["input_projection", "stack_columns"]


# ----------------------------------------------------------------------------- projection
class InputProjection(Function):
    """X_t W^T + b for every step t, as columns: (T, B, in) -> (T, G*H, B), computed as
    W X_t^T by one batched matrix product (one call, writing the columns layout directly).

    Backward (G_t the (G*H, B) output gradient of step t):
    dW = sum_t G_t X_t,  db = sum of G over t and the batch,  dX_t = (W^T G_t)^T."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        return _project(ctx.xp, x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        m = ctx.math
        need_x, need_w, need_b = ctx.needs_input_grad
        return (m.swapaxes(weight.T @ grad, 1, 2) if need_x else None,
                m.sum(grad @ x, 0) if need_w else None,
                _sum_steps_and_batch(m, grad) if need_b else None)


def _project(xp, x, weight, bias):
    """W X_t^T + b for every step, (T, B, in) -> (T, G*H, B). The transposed input is made
    contiguous first (a small copy): the batched product then runs as one BLAS call per
    step instead of NumPy's generic loop for strided operands."""
    out = xp.matmul(weight, xp.ascontiguousarray(x.transpose(0, 2, 1)))
    if bias is not None:
        out += bias[:, None]
    return out


def _sum_steps_and_batch(m, g):
    """``g.sum(axis=(0, 2))`` for a C-contiguous (T, N, B) array, as two fast reductions
    (NumPy reduces over non-adjacent axes several times slower)."""
    steps, n, batch = g.shape
    return m.sum(m.sum(g.reshape((steps, n * batch)), 0).reshape((n, batch)), 1)


def input_projection(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x_t W^T + b`` for all steps of ``input`` (T, B, in) in one node, laid out as the
    columns the cells take with ``columns=True``: shape (T, G*H, B) for ``weight``
    (G*H, in) and ``bias`` (G*H,) or None."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("input_projection(): input and weight must be Tensors")
    if input._data.ndim != 3:
        raise RuntimeError(f"input_projection(): input must be 3-D (seq_len, batch, "
                           f"input_size), got shape {list(input._data.shape)}")
    if weight._data.ndim != 2 or weight._data.shape[1] != input._data.shape[2]:
        raise RuntimeError(f"input_projection(): weight of shape {list(weight._data.shape)} "
                           f"does not match input_size {input._data.shape[2]} (expected "
                           f"(gates * hidden_size, input_size))")
    if bias is not None and bias._data.shape != weight._data.shape[:1]:
        raise RuntimeError(f"input_projection(): bias must have shape "
                           f"{[weight._data.shape[0]]}, got {list(bias._data.shape)}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"input_projection(): input is {input.dtype} but weight is "
                           f"{weight.dtype}; convert one, e.g. input.to({weight.dtype})")
    return InputProjection.apply(input, weight, bias)


# ----------------------------------------------------------------------------- stacking
class StackColumns(Function):
    """T column states (H, B) -> one (T, B, H) tensor (the layer's output), one node."""

    @staticmethod
    def forward(ctx, *states):
        return ctx.xp.stack([s.T for s in states])

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad[k].T for k in range(grad.shape[0]))


def stack_columns(states) -> Tensor:
    """Stack column states (each (H, B)) into PyTorch's (T, B, H) layout in one node."""
    states = list(states)
    if not states:
        raise RuntimeError("stack_columns expects a non-empty list of (hidden_size, batch) "
                           "tensors")
    shape = states[0]._data.shape
    for k, s in enumerate(states):
        if s._data.ndim != 2 or s._data.shape != shape:
            raise RuntimeError(f"stack_columns expects equal 2-D (hidden_size, batch) tensors, "
                               f"got {list(s._data.shape)} at entry {k} and {list(shape)} at "
                               f"entry 0")
    return StackColumns.apply(*states)
