"""Matrix products: ``@``/``matmul`` (1-D, 2-D, batched with broadcast batch dims).

For C = A B:   dL/dA = dL/dC B^T,   dL/dB = A^T dL/dC
(summed over broadcast batch dimensions; vectors are treated as 1-row / 1-column matrices).
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor
from ._broadcast import sum_to


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D"
            )
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        try:
            return a @ b
        except ValueError:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(a.shape)} and "
                f"{_shape_text(b.shape)})"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        shape_a = ctx._input_meta[0][0] if need_a else None
        shape_b = ctx._input_meta[1][0] if need_b else None
        a_vec = (a.ndim if a is not None else len(shape_a)) == 1
        b_vec = (b.ndim if b is not None else len(shape_b)) == 1
        if a_vec and b_vec:  # dot product: grad is 0-d
            return (grad * b if need_a else None), (grad * a if need_b else None)
        g = grad
        if a_vec:
            g = g.unsqueeze(-2)
            a = a.unsqueeze(0) if a is not None else None
        if b_vec:
            g = g.unsqueeze(-1)
            b = b.unsqueeze(-1) if b is not None else None
        grad_a = grad_b = None
        if need_a:
            ga = g @ b.mT
            if a_vec:
                ga = ga.squeeze(-2)
            grad_a = sum_to(ga, shape_a)
        if need_b:
            gb = a.mT @ g
            if b_vec:
                gb = gb.squeeze(-1)
            grad_b = sum_to(gb, shape_b)
        return grad_a, grad_b


def _shape_text(shape) -> str:
    return "x".join(str(s) for s in shape) if len(shape) != 1 else f"1x{shape[0]}"


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics (vectors, matrices, batches)."""
    from ._operands import binary

    a, b = binary(input, other)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both operands must be tensors (or array-likes), not scalars")
    return MatMul.apply(a, b)


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.matmul = matmul

__all__ = ["matmul"]
