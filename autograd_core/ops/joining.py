"""Joining and splitting: cat, stack (and hstack, vstack, ...), split, chunk, unbind,
narrow. The gradient of a join splits ``g`` back, and the gradient of a split joins the
pieces' gradients:

    y = cat([a, b], d)         =>  dL/da, dL/db = split(g, [a.size(d), b.size(d)], d)
    y = stack(xs, d)           =>  dL/dx_i = unbind(g, d)[i]
    ys = split(x, s, d)        =>  dL/dx = cat(g_i, d)  (zeros for pieces that got none)
    ys = unbind(x, d)          =>  dL/dx = stack(g_i, d)

Joins copy; the pieces of a split are views of the input (sharing its version counter).
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._teaching import NodeInfo, Rule, pieces_rule
from ..function import Function
from ..tensor import Tensor, _normalize_dim
from .shape import _at_least_1d, _dim_of, _share_version, reshape


# ------------------------------------------------------------------ joining
def _promoted(tensors: list) -> list:
    """Tensors cast to their common dtype (PyTorch promotes across cat/stack inputs)."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return tensors
    target = _dt.from_numpy_dtype(first)
    for t in tensors[1:]:
        target = _dt.promote_types(target, _dt.from_numpy_dtype(t._data.dtype))
    return [t if t._data.dtype == target.numpy else t.to(target) for t in tensors]


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected a sequence of Tensors, but element {i} is a "
                            f"{type(t).__name__}")
    return tensors


def _nonempty(tensors: list, op: str) -> list:
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList (got no tensors to join)")
    return tensors


class Cat(Function):
    """Concatenate along ``dim``; the gradient is split back into the inputs' sizes.
    Inputs marked ``skipped`` (legacy empty 1-D tensors) take no part."""

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """Each input is one block of ``y``, so it receives its block of ``g``."""
        return pieces_rule("cat", "block", len(info.in_shapes))

    @staticmethod
    def forward(ctx, dim, skipped, *arrays):
        ctx.dim, ctx.skipped = dim, skipped
        kept = [a for a, s in zip(arrays, skipped) if not s] if any(skipped) else arrays
        ctx.sizes = [a.shape[dim] for a in kept]
        return ctx.xp.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        parts = iter(m.apply(Split, grad, ctx.dim, tuple(ctx.sizes)))
        needs = ctx.needs_input_grad[2:]
        grads = []
        for s, need in zip(ctx.skipped, needs):
            g = m.zeros((0,), grad) if s else next(parts)
            grads.append(g if need else None)
        return (None, None, *grads)


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dimension ``dim``.

    All sizes must match except in ``dim``; empty 1-D tensors (shape ``(0,)``) are skipped,
    as in PyTorch. Mixed dtypes are promoted."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    skipped = tuple(t._data.shape == (0,) for t in tensors)
    if all(skipped):
        skipped = (False,) * len(tensors)
    ref_i = skipped.index(False)
    ref = tensors[ref_i]._data.shape
    d = _normalize_dim(dim, len(ref))
    for i, t in enumerate(tensors):
        shape = t._data.shape
        if skipped[i] or shape == ref:
            continue
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} "
                               f"and {len(shape)}")
        for e, (a, b) in enumerate(zip(ref, shape)):
            if e != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list (tensor {ref_i} has "
                    f"shape {list(ref)}, tensor {i} has shape {list(shape)}).")
    if len(tensors) == 1:
        return Cat.apply(d, skipped, tensors[0])
    return Cat.apply(d, skipped, *_promoted(tensors))


class Stack(Function):
    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """Each input is one slice of ``y``, so it receives its slice of ``g``."""
        return pieces_rule("stack", "slice", len(info.in_shapes))

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return ctx.xp.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *ctx.math.apply(Unbind, grad, ctx.dim))


def stack(tensors, dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(t._data.shape)} at entry {i}")
    d = _normalize_dim(dim, len(first) + 1)
    return Stack.apply(d, *_promoted(tensors))


def _atleast(n: int, tensors):
    def one(t: Tensor) -> Tensor:
        shape = t._data.shape
        if len(shape) >= n:
            return t
        if n == 3 and len(shape) == 2:
            return reshape(t, shape + (1,))
        if n == 3 and len(shape) == 1:
            return reshape(t, (1,) + shape + (1,))
        return reshape(t, (1,) * (n - len(shape)) + shape)

    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    items = tensors[0] if len(tensors) == 1 else tensors
    return tuple(one(t) for t in items)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def hstack(tensors) -> Tensor:
    """Concatenate column-wise: along dim 0 for 1-D inputs, else along dim 1."""
    tensors = [atleast_1d(t) for t in _nonempty(_tensor_list(tensors, "hstack"), "hstack")]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate row-wise (1-D inputs become rows)."""
    return cat([atleast_2d(t) for t in _nonempty(_tensor_list(tensors, "vstack"), "vstack")], 0)


def dstack(tensors) -> Tensor:
    return cat([atleast_3d(t) for t in _nonempty(_tensor_list(tensors, "dstack"), "dstack")], 2)


def column_stack(tensors) -> Tensor:
    """Stack as columns: 0-D and 1-D inputs become columns, the rest are concatenated."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


# ------------------------------------------------------------------ splitting
class Split(Function):
    """Views of consecutive pieces of ``x`` along ``dim``; backward concatenates the
    pieces' gradients (zeros for pieces that got none)."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        key = [slice(None)] * x.ndim
        outs = []
        start = 0
        for n in sizes:
            key[dim] = slice(start, start + n)
            outs.append(x[tuple(key)])
            start += n
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return ctx.math.apply(Cat, ctx.dim, (False,) * len(grads), *grads), None, None


def _split(input: Tensor, dim: int, sizes) -> tuple:
    outs = Split.apply(input, dim, tuple(sizes))
    for o in outs:
        _share_version(o, input)
    return outs


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    given sizes when a list is passed. The pieces are views."""
    _at_least_1d(tensor, "split")
    d = _normalize_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}")
        return _split(tensor, d, sizes)
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    if step == 0:
        return _split(tensor, d, [0])
    count = max(-(-size // step), 1)
    return _split(tensor, d, [step] * (count - 1) + [size - step * (count - 1)])


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split(input, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` views of (nearly) equal size along ``dim``."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    _at_least_1d(input, "chunk")
    d = _normalize_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if size == 0:
        return _split(input, d, [0] * chunks)
    return split(input, -(-size // chunks), d)


class Unbind(Function):
    """The slices along ``dim`` as views; backward stacks their gradients."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        moved = x if dim == 0 else ctx.xp.moveaxis(x, dim, 0)
        return tuple(moved[i, ...] for i in range(moved.shape[0]))

    @staticmethod
    def backward(ctx, *grads):
        return ctx.math.apply(Stack, ctx.dim, *grads), None


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The tensor's slices along ``dim`` (that dimension removed), as views."""
    d = _dim_of(input, dim)
    outs = Unbind.apply(input, d)
    for o in outs:
        _share_version(o, input)
    return outs


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _normalize_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


Tensor.split = split
Tensor.split_with_sizes = split_with_sizes
Tensor.chunk = chunk
Tensor.unbind = unbind
Tensor.narrow = narrow

concat = cat
concatenate = cat
row_stack = vstack

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "row_stack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "split", "split_with_sizes",
           "chunk", "unbind", "narrow"]
