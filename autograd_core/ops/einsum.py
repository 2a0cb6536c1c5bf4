"""Einstein summation (``einsum``) and the contractions written with it (``tensordot``,
``inner``).

For an Einstein sum every operand's gradient is itself an Einstein sum: the output
gradient contracted with all the *other* operands,

    C[out] = sum  A[a] B[b]      =>    dL/dA[a] = sum  dL/dC[out] B[b]

so ``einsum`` is its own backward (and therefore differentiable any number of times).
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor
from ._broadcast import broadcast_to
from .linalg import _dtype_name, _tensor_operands

# ----------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Function):
    """``einsum`` on operands already made consistent (one letter per dimension, equal
    sizes for equal letters). ``spec = (input_subscripts, output_subscripts)``."""

    @staticmethod
    def forward(ctx, spec, *operands):
        ins, out = spec
        ctx.spec = spec
        ctx.complex = operands[0].dtype.kind == "c"
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
        saved = ctx.saved
        if ctx.complex:  # multilinear: dL/da_k contracts g with the conjugates of the others
            saved = tuple(None if s is None else ctx.math.conj(s) for s in saved)
        needs = ctx.needs_input_grad[1:]
        grads = [None]
        for k, need in enumerate(needs):
            grads.append(_einsum_operand_grad(ctx, k, grad, saved, ins, out) if need else None)
        return tuple(grads)


def _einsum_operand_grad(ctx, k: int, grad, saved, ins, out):
    """dL/d(operand k): the output gradient contracted with the other operands.

    A letter repeated in operand k (a diagonal, ``'ii->i'``) gets a fresh letter and an
    identity matrix tying the two, since the gradient lives on the diagonal only; a letter
    found nowhere else (summed away, ``'ij->i'``) is broadcast: the sum's gradient is 1.
    """
    m = ctx.math
    shape = ctx.input_metadata[k + 1][0]
    sub = ins[k]
    operands = [grad]
    subs = [out]
    for j, s in enumerate(ins):
        if j != k:
            operands.append(saved[j])
            subs.append(s)
    taken = set("".join(ins) + out)
    fresh = (c for c in _LETTERS if c not in taken)
    result = []
    first: dict = {}
    for pos, letter in enumerate(sub):
        if letter in first:  # repeated: the gradient is zero off the diagonal
            f = next(fresh, None)
            if f is None:
                raise RuntimeError("einsum(): too many distinct subscripts (at most 52)")
            n = shape[pos]
            operands.append(m.const(ctx.xp.eye(n, dtype=ctx.input_metadata[k + 1][1])))
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
        g = m.apply(Einsum, (tuple(subs), "".join(kept)), *operands)
    if len(kept) != len(result):  # letters summed away in the forward: broadcast back
        g = g.reshape(tuple(1 if c not in present else s for c, s in zip(result, shape)))
        g = m.broadcast_to(g, shape)
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
    for x, y in zip(da, db):  # a size 1 broadcasts against the other size, as in PyTorch
        if a._data.shape[x] != b._data.shape[y] and 1 not in (a._data.shape[x],
                                                               b._data.shape[y]):
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


Tensor.inner = inner

__all__ = ["einsum", "tensordot", "inner"]
