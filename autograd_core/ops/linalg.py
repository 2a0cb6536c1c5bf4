"""Matrix products: ``@``/``matmul`` (1-D, 2-D, batched with broadcast batch dims), ``mm``,
``bmm``, ``mv``, ``dot``, ``outer``, ``addmm``, ``einsum``, ``tensordot`` and ``inner``.

For C = A B:   dL/dA = dL/dC B^T,   dL/dB = A^T dL/dC
(summed over broadcast batch dimensions; vectors are treated as 1-row / 1-column matrices).

For an Einstein sum every operand's gradient is itself an Einstein sum: the output
gradient contracted with all the *other* operands,

    C[out] = sum  A[a] B[b]      =>    dL/dA[a] = sum  dL/dC[out] B[b]

so ``einsum`` is its own backward (and therefore differentiable any number of times).
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor
from ._broadcast import broadcast_to, sum_to


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
            raise RuntimeError(_matmul_error(a.shape, b.shape)) from None

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


# The specialised products share MatMul's rules; their own names show in ``grad_fn``.
class Mm(MatMul):
    """``mm``: (n, k) @ (k, m)."""


class Bmm(MatMul):
    """``bmm``: (b, n, k) @ (b, k, m), no broadcasting."""


class Mv(MatMul):
    """``mv``: (n, k) @ (k,)."""


class Dot(MatMul):
    """``dot``: (k,) . (k,) -> 0-d."""


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
    from ._operands import binary

    a, b = binary(input, other)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both operands must be tensors (or array-likes), not scalars")
    return MatMul.apply(a, b)


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
        mat1, mat2 = ctx.saved_tensors
        need_in, need_1, need_2 = ctx.needs_input_grad[:3]
        beta, alpha = ctx.beta, ctx.alpha
        grad_in = grad_1 = grad_2 = None
        if need_in:
            grad_in = sum_to(grad if beta == 1 else grad * beta, ctx._input_meta[0][0])
        if need_1:
            grad_1 = grad @ mat2.mT
            grad_1 = grad_1 if alpha == 1 else grad_1 * alpha
        if need_2:
            grad_2 = mat1.mT @ grad
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


# ----------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Function):
    """``einsum`` on operands already made consistent (one letter per dimension, equal
    sizes for equal letters). ``spec = (input_subscripts, output_subscripts)``."""

    @staticmethod
    def forward(ctx, spec, *operands):
        ins, out = spec
        ctx.spec = spec
        needs = ctx.needs_input_grad[1:]
        if any(needs):
            n = len(operands)
            keep = [any(needs[k] for k in range(n) if k != j) for j in range(n)]
            ctx.save_for_backward(*[a if k else None for a, k in zip(operands, keep)])
        xp = ctx.xp
        result = xp.einsum(",".join(ins) + "->" + out, *operands, optimize=True)
        if not isinstance(result, xp.ndarray):
            return xp.asarray(result)
        # NumPy returns views for pure rearrangements ('ij->ji', 'ii->i'): copy, so the
        # output never aliases an input (in-place changes to one must not reach the other).
        if result.base is not None or any(result is a for a in operands):
            for a in operands:
                if result is a or xp.may_share_memory(result, a):
                    return result.copy()
        return result

    @staticmethod
    def backward(ctx, grad):
        ins, out = ctx.spec
        saved = ctx.saved_tensors
        needs = ctx.needs_input_grad[1:]
        grads = [None]
        for k, need in enumerate(needs):
            grads.append(_einsum_operand_grad(ctx, k, grad, saved, ins, out) if need else None)
        return tuple(grads)


def _einsum_operand_grad(ctx, k: int, grad: Tensor, saved, ins, out) -> Tensor:
    """dL/d(operand k): the output gradient contracted with the other operands.

    A letter repeated in operand k (a diagonal, ``'ii->i'``) gets a fresh letter and an
    identity matrix tying the two, since the gradient lives on the diagonal only; a letter
    found nowhere else (summed away, ``'ij->i'``) is broadcast: the sum's gradient is 1.
    """
    from .._backend import backend_of
    from ..tensor import _wrap

    shape = ctx._input_meta[k + 1][0]
    sub = ins[k]
    operands = [grad]
    subs = [out]
    for j, s in enumerate(ins):
        if j != k:
            operands.append(saved[j])
            subs.append(s)
    taken = set("".join(ins) + out)
    fresh = (c for c in _LETTERS if c not in taken)
    xp = backend_of(grad._data).xp
    result = []
    first: dict = {}
    for pos, letter in enumerate(sub):
        if letter in first:  # repeated: the gradient is zero off the diagonal
            f = next(fresh, None)
            if f is None:
                raise RuntimeError("einsum(): too many distinct subscripts (at most 52)")
            n = shape[pos]
            operands.append(_wrap(xp.eye(n, dtype=grad._data.dtype)))
            subs.append(letter + f)
            result.append(f)
        else:
            first[letter] = pos
            result.append(letter)
    present = set("".join(subs))
    kept = [c for c in result if c in present]
    if len(operands) == 1 and "".join(kept) == out:
        g = grad
    else:
        g = Einsum.apply((tuple(subs), "".join(kept)), *operands)
    if len(kept) != len(result):  # letters summed away in the forward: broadcast back
        g = g.reshape(tuple(1 if c not in present else s for c, s in zip(result, shape)))
        g = broadcast_to(g, shape)
    return g


def _parse_operand(text: str, index: int, offset: int) -> list:
    """Subscripts of one operand as a list of letters, with ``'...'`` as one token."""
    tokens = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == ".":
            if text[i:i + 3] != "..." or "..." in tokens:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {index} that is not part of any ellipsis"
                )
            tokens.append("...")
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {offset + i} in the equation "
                f"string, subscripts must be in [a-zA-Z]"
            )
        tokens.append(c)
        i += 1
    return tokens


def _sublist_equation(args) -> tuple:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` -> ('ab,bc->ac', [a, b])."""
    args = list(args)
    operands, parts = [], []

    def letters(sublist) -> str:
        out = ""
        for s in sublist:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, int) and 0 <= s < 52:
                out += _LETTERS[s]
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the "
                                 f"valid range [0, 52), got {s!r}")
        return out

    while len(args) >= 2 and isinstance(args[0], Tensor):
        operands.append(args.pop(0))
        parts.append(letters(args.pop(0)))
    equation = ",".join(parts)
    if args:
        equation += "->" + letters(args.pop(0))
    if args:
        raise TypeError("einsum(): unexpected arguments after the output subscript list")
    return equation, operands


def einsum(equation, *operands) -> Tensor:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Letters name dimensions; a letter absent from the output is summed over; ``'...'``
    stands for the remaining (broadcast) dimensions. Without ``'->'`` the output is the
    ellipsis dimensions, then the letters used exactly once, in alphabetical order. Size-1
    dimensions broadcast against the same letter of other operands. Operands may also be
    given as one list, or in the sublist form ``einsum(a, [0, 1], b, [1, 2])``.
    """
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a string, got {type(equation).__name__}")
    _tensor_operands("einsum", *operands)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    ins, out, sizes = _parse_equation(equation, operands)
    dtype = operands[0]._data.dtype
    for i, t in enumerate(operands):
        if t._data.dtype != dtype:
            raise RuntimeError(
                f"einsum(): expected scalar type {_dtype_name(operands[0])} but found "
                f"{_dtype_name(t)} (operand {i}); cast the operands to one dtype first"
            )
    prepared = []
    for sub, t in zip(ins, operands):
        target = tuple(sizes[c] for c in sub)
        prepared.append(t if t._data.shape == target else broadcast_to(t, target))
    return Einsum.apply((tuple(ins), out), *prepared)


def _parse_equation(equation: str, operands) -> tuple:
    """Explicit per-operand subscripts (ellipses replaced by letters), the output
    subscripts, and the size of each letter after broadcasting."""
    text = equation.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    parts = lhs.split(",")
    if len(parts) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           f"equation ({len(parts)} in '{equation}', got {len(operands)})")
    if len(parts) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           f"equation ({len(parts)} in '{equation}', got {len(operands)})")
    tokens = []
    offset = 0
    for i, p in enumerate(parts):
        tokens.append(_parse_operand(p, i, offset))
        offset += len(p) + 1
    out_tokens = _parse_operand(rhs, len(parts), offset + 1) if arrow else None

    used = set(c for tok in tokens for c in tok if c != "...")
    if out_tokens:
        used.update(c for c in out_tokens if c != "...")
    fresh = [c for c in _LETTERS if c not in used]
    ell_ndim = 0
    for i, (tok, t) in enumerate(zip(tokens, operands)):
        n_letters = sum(1 for c in tok if c != "...")
        ndim = t._data.ndim
        if "..." in tok:
            if n_letters > ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({n_letters}) is more "
                    f"than the number of dimensions ({ndim}) for operand {i} (shape "
                    f"{list(t.shape)})"
                )
            ell_ndim = max(ell_ndim, ndim - n_letters)
        elif n_letters != ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_letters}) does not "
                f"match the number of dimensions ({ndim}) for operand {i} (shape "
                f"{list(t.shape)}) and no ellipsis was given"
            )
    if ell_ndim > len(fresh):
        raise RuntimeError("einsum(): too many dimensions (at most 52 distinct subscripts)")
    ell = "".join(fresh[:ell_ndim])

    ins = []
    for tok, t in zip(tokens, operands):
        if "..." in tok:
            k = t._data.ndim - (len(tok) - 1)
            tok = [c for c in tok]
            at = tok.index("...")
            tok[at:at + 1] = list(ell[ell_ndim - k:]) if k else []
        ins.append("".join(tok))

    if out_tokens is None:
        counts: dict = {}
        for s in ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        singles = sorted(c for c, n in counts.items() if n == 1 and c not in ell)
        out = ell + "".join(singles)
    else:
        out = "".join(ell if c == "..." else c for c in out_tokens)
        seen = set()
        for c in out:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output")
            seen.add(c)
            if not any(c in s for s in ins):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand")

    sizes: dict = {}
    for i, (s, t) in enumerate(zip(ins, operands)):
        shape = t._data.shape
        mine: dict = {}
        for c, n in zip(s, shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                    f"match, {n} != {mine[c]}"
                )
            mine[c] = n
        for c, n in mine.items():
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n != 1 and n != prev:
                what = ("dimension covered by ellipsis" if c in ell else f"subscript {c}")
                raise RuntimeError(
                    f"einsum(): {what} has size {n} for operand {i} (shape {list(shape)}) which "
                    f"does not broadcast with previously seen size {prev}"
                )
    return ins, out, sizes


# ----------------------------------------------------------------------------- tensordot
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract ``dims`` dimensions: the last ``dims`` of ``a`` with the first of ``b``, or
    the listed pairs ``dims=([dims of a], [dims of b])``."""
    from ..tensor import _normalize_dim

    if out is not None:
        raise NotImplementedError("tensordot(out=...) is not supported; assign the result")
    _tensor_operands("tensordot", a, b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims} (shapes "
                f"{list(a.shape)} and {list(b.shape)})"
            )
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length, got {da} and {db}")
    da = [_normalize_dim(d, na) for d in da]
    db = [_normalize_dim(d, nb) for d in db]
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[x]} "
                f"in dim {x} and second has size {b._data.shape[y]} in dim {y}"
            )
    sa = list(_LETTERS[:na])
    sb = list(_LETTERS[na:na + nb])
    for x, y in zip(da, db):
        sb[y] = sa[x]
    out_sub = [c for i, c in enumerate(sa) if i not in da]
    out_sub += [c for i, c in enumerate(sb) if i not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out_sub), a, b)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dimension of both: out[..., ...] = sum_k input[..., k] other[..., k]
    (a product when either is 0-d)."""
    _tensor_operands("inner", input, other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
Tensor.matmul = matmul
Tensor.mm = mm
Tensor.bmm = bmm
Tensor.mv = mv
Tensor.dot = dot
Tensor.vdot = dot
Tensor.inner = inner
Tensor.outer = outer
Tensor.ger = outer
Tensor.addmm = addmm

ger = outer
vdot = dot

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "einsum",
           "tensordot", "inner"]
