"""Matrix products: ``@``/``matmul`` (1-D, 2-D, batched with broadcast batch dims), ``mm``,
``bmm``, ``mv``, ``dot``, ``outer`` and ``addmm``.

For C = A B:   dL/dA = dL/dC B^T,   dL/dB = A^T dL/dC
(summed over broadcast batch dimensions; vectors are treated as 1-row / 1-column matrices).
For complex operands the transposes are conjugate transposes: B^H, A^H (PyTorch's convention).

General contractions (``einsum``, ``tensordot``, ``inner``) are in `einsum`.
"""

from __future__ import annotations

from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor


class MatMul(Function):
    """C = A B:  dL/dA = g B^T,  dL/dB = A^T g (a vector operand is a 1-row / 1-column
    matrix; the engine sums over broadcast batch dimensions). Complex: g B^H, A^H g."""

    _complex_ok = True

    rule = Rule("Y = A @ B", "Y = A B",
                Input("A", "dY_ij/dA_ik = B_kj", r"\frac{\partial Y_{ij}}{\partial A_{ik}} = B_{kj}",
                      "G @ B^T", r"G B^{\top}"),
                Input("B", "dY_ij/dB_kj = A_ik", r"\frac{\partial Y_{ij}}{\partial B_{kj}} = A_{ik}",
                      "A^T @ G", r"A^{\top} G"))

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D"
            )
        need_a, need_b = ctx.needs_input_grad
        ctx.vectors = (a.ndim == 1, b.ndim == 1)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        try:
            out = a @ b
        except ValueError:
            raise RuntimeError(_matmul_error(a.shape, b.shape)) from None
        # bfloat16 (ml_dtypes) multiplies into float32: rounded once, as PyTorch's CPU does
        return out if out.dtype == a.dtype else out.astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = ctx.vectors
        if a_vec and b_vec:  # dot product: grad is 0-d
            return (grad * m.conj(b) if need_a else None), (grad * m.conj(a) if need_b else None)
        g = grad
        if a_vec:
            g = g[..., None, :]
            a = a[None, :] if a is not None else None
        if b_vec:
            g = g[..., None]
            b = b[:, None] if b is not None else None
        grad_a = grad_b = None
        if need_a:
            grad_a = g @ m.conj(m.mT(b))
            if a_vec:
                grad_a = grad_a[..., 0, :]
        if need_b:
            grad_b = m.conj(m.mT(a)) @ g
            if b_vec:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


# The specialised products share MatMul's rules; their own names show in ``grad_fn``.
class Mm(MatMul):
    """``mm``: (n, k) @ (k, m)."""

    _complex_ok = True


class Bmm(MatMul):
    """``bmm``: (b, n, k) @ (b, k, m), no broadcasting."""

    _complex_ok = True


class Mv(MatMul):
    """``mv``: (n, k) @ (k,)."""

    _complex_ok = True

    rule = Rule("y = A @ v", "y = A v",
                Input("A", "dy_i/dA_ij = v_j", r"\frac{\partial y_i}{\partial A_{ij}} = v_j", "g v^T", r"g\, v^{\top}"),
                Input("v", "dy_i/dv_j = A_ij", r"\frac{\partial y_i}{\partial v_j} = A_{ij}", "A^T g", r"A^{\top} g"))


class Dot(MatMul):
    """``dot``: (k,) . (k,) -> 0-d (no conjugate: that is `vdot`)."""

    _complex_ok = True

    rule = Rule("y = a . b = sum_i a_i b_i", r"y = a^{\top} b",
                Input("a", "dy/da_i = b_i", r"\frac{\partial y}{\partial a_i} = b_i", "g b", r"g\, b"),
                Input("b", "dy/db_i = a_i", r"\frac{\partial y}{\partial b_i} = a_i", "g a", r"g\, a"))


def _shape_text(shape) -> str:
    return "x".join(str(s) for s in shape) if len(shape) != 1 else f"1x{shape[0]}"


def _matmul_error(sa: tuple, sb: tuple) -> str:
    """PyTorch's message for the way two matmul operands fail to fit."""
    if len(sa) == 1 and len(sb) == 1:
        return _inconsistent(sa[0], sb[0])
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a == k_b:  # the matrices fit; the batch dimensions do not broadcast
        ba, bb = sa[:-2], sb[:-2]
        n = max(len(ba), len(bb))
        ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
        for i, (x, y) in enumerate(zip(ba, bb)):
            if x != y and x != 1 and y != 1:
                return (
                    f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {i} (batch dimensions of shapes {list(sa)} and "
                    f"{list(sb)} do not broadcast)"
                )
    return (
        f"mat1 and mat2 shapes cannot be multiplied ({_shape_text(sa)} and {_shape_text(sb)})"
    )


def _inconsistent(n: int, m: int) -> str:
    return (
        f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
        f"number of elements, but got {n} and {m} elements respectively"
    )


def _dtype_name(t: Tensor) -> str:
    return t.dtype.name.capitalize()


def _tensor_operands(name: str, *args) -> None:
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(
                f"{name}(): argument {i + 1} must be Tensor, not {type(a).__name__}"
            )


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != "
            f"{b.dtype.name} (cast one first, e.g. b.to(a.dtype))"
        )


# ----------------------------------------------------------------------------- products
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics (vectors, matrices, batches)."""
    from ._operands import scalar_value, to_tensor_like

    if scalar_value(input) is not None or scalar_value(other) is not None:
        raise TypeError("matmul: both operands must be tensors (or array-likes), not scalars")
    if not isinstance(input, Tensor):  # a list or an array: a tensor of the other's dtype
        input = to_tensor_like(input, other).to(other.dtype)
    elif not isinstance(other, Tensor):
        other = to_tensor_like(other, input).to(input.dtype)
    _same_dtype(input, other)  # PyTorch never promotes a matrix product
    return MatMul.apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices: (n, k) @ (k, m) -> (n, m). No broadcasting."""
    _tensor_operands("mm", input, mat2)
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix (got a {input.ndim}-D tensor of shape "
                           f"{list(input.shape)})")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (got a {mat2.ndim}-D tensor of shape "
                           f"{list(mat2.shape)})")
    _same_dtype(input, mat2)
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m). No broadcasting."""
    _tensor_operands("bmm", input, mat2)
    for name, t in (("batch1", input), ("batch2", mat2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor (got shape {list(t.shape)})")
    b, _, k = input._data.shape
    if mat2._data.shape[:2] != (b, k):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but "
            f"got: {list(mat2._data.shape[:2])}. (bmm of shapes {list(input.shape)} and "
            f"{list(mat2.shape)})"
        )
    _same_dtype(input, mat2)
    return Bmm.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: (n, k) @ (k,) -> (n,)."""
    _tensor_operands("mv", input, vec)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim} (mv needs a "
            f"2-D matrix and a 1-D vector, got shapes {list(input.shape)} and {list(vec.shape)})"
        )
    n, k = input._data.shape
    if vec._data.shape[0] != k:
        raise RuntimeError(
            f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({vec._data.shape[0]})"
        )
    _same_dtype(input, vec)
    return Mv.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors (a 0-d result)."""
    _tensor_operands("dot", input, tensor)
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors (shapes "
            f"{list(input.shape)} and {list(tensor.shape)})"
        )
    if input._data.shape != tensor._data.shape:
        raise RuntimeError(_inconsistent(input._data.shape[0], tensor._data.shape[0]))
    if input._data.dtype != tensor._data.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_dtype_name(input)} "
            f"and {_dtype_name(tensor)}"
        )
    return Dot.apply(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: out[i, j] = input[i] * vec2[j]."""
    _tensor_operands("outer", input, vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D "
                               f"(shape {list(t.shape)})")
    return input.reshape(-1, 1) * vec2


class Addmm(Function):
    """``beta * input + alpha * (mat1 @ mat2)`` in one node (a linear layer's forward).

        d/d input = beta * g (summed to input's shape)
        d/d mat1  = alpha * g mat2^T,      d/d mat2 = alpha * mat1^T g
    """

    rule = Rule("Y = C + A @ B", "Y = C + A B",
                Input("C", "dY/dC = 1", r"\frac{\partial Y}{\partial C} = 1", "G", "G"),
                *MatMul.rule.inputs)

    @staticmethod
    def forward(ctx, input, mat1, mat2, beta, alpha):
        _, need_1, need_2 = ctx.needs_input_grad[:3]
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(mat1 if need_2 else None, mat2 if need_1 else None)
        out = mat1 @ mat2
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += input if beta == 1 else input * beta
        return out

    @staticmethod
    def backward(ctx, grad):
        mat1, mat2 = ctx.saved
        need_in, need_1, need_2 = ctx.needs_input_grad[:3]
        beta, alpha = ctx.beta, ctx.alpha
        grad_in = grad_1 = grad_2 = None
        if need_in:
            grad_in = grad if beta == 1 else grad * beta
        if need_1:
            grad_1 = grad @ ctx.math.mT(mat2)
            grad_1 = grad_1 if alpha == 1 else grad_1 * alpha
        if need_2:
            grad_2 = ctx.math.mT(mat1) @ grad
            grad_2 = grad_2 if alpha == 1 else grad_2 * alpha
        return grad_in, grad_1, grad_2, None, None


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to (n, m).

    With ``beta=0`` ``input`` is ignored (its nan/inf do not propagate), as in PyTorch.
    """
    _tensor_operands("addmm", input, mat1, mat2)
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor "
                           f"(shape {list(mat1.shape)})")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor "
                           f"(shape {list(mat2.shape)})")
    n, k = mat1._data.shape
    if mat2._data.shape[0] != k:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and "
            f"{_shape_text(mat2._data.shape)})"
        )
    target = (n, mat2._data.shape[1])
    _check_expand(input._data.shape, target)
    for t in (mat1, mat2):
        if t._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"addmm: expected all operands to have the same dtype, but got input "
                f"{input.dtype.name}, mat1 {mat1.dtype.name}, mat2 {mat2.dtype.name}"
            )
    beta, alpha = _python_scalar(beta), _python_scalar(alpha)
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def _python_scalar(x):
    from ._operands import scalar_value

    s = scalar_value(x)
    if s is None:
        raise TypeError(f"expected a number, got {type(x).__name__}")
    return s


def _check_expand(shape: tuple, target: tuple) -> None:
    """PyTorch's error when ``shape`` does not broadcast to ``target``."""
    lead = len(target) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)}) (shape {list(shape)})"
        )
    for i, s in enumerate(shape):
        t = target[lead + i]
        if s != 1 and s != t:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor "
                f"sizes: {list(shape)}"
            )


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.matmul = matmul
Tensor.mm = mm
Tensor.bmm = bmm
Tensor.mv = mv
Tensor.dot = dot
Tensor.outer = outer
Tensor.ger = outer
Tensor.addmm = addmm

ger = outer


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """sum(conj(input) * other) of two 1-D tensors (``dot`` for real ones)."""
    _tensor_operands("vdot", input, other)
    return dot(input.conj(), other)


Tensor.vdot = vdot

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm"]
