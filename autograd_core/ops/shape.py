"""Ops that move elements without changing them: views (reshape, permute, expand, split,
unbind, ...) and copies (cat, stack, repeat, flip, roll). Each gradient applies the inverse
rearrangement to the incoming gradient ``g``:

    y = reshape(x, s)          =>  dL/dx = reshape(g, x.shape)
    y = permute(x, p)          =>  dL/dx = permute(g, argsort(p))
    y = cat([a, b], d)         =>  dL/da, dL/db = split(g, [a.size(d), b.size(d)], d)
    y = stack(xs, d)           =>  dL/dx_i = unbind(g, d)[i]
    y = repeat(x, r)           =>  dL/dx = g summed over the r copies of each element
    y = flip(x, d), roll(x, s) =>  dL/dx = flip(g, d), roll(g, -s)

The result shares its array with the input when NumPy/CuPy can make a view, as PyTorch's
views do (so they share the version counter too).
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _normalize_dim


def _share_version(out: Tensor, base: Tensor, check: bool = False) -> Tensor:
    """A view shares its base's version counter, so in-place changes are seen by both.

    With ``check`` (reshape, which copies when it must), only when ``out``'s memory lies
    within ``base``'s: a copy has a ``.base`` too, but memory of its own."""
    if check:
        a, b = out._data, base._data
        if a is not b and (a.base is None or (
                a.size and not backend_of(a).xp.may_share_memory(a, b))):
            return out
    out._version_counter = base._version_counter
    out._base = base if base._base is None else base._base
    return out


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return grad.permute(tuple(inverse)), None


def _infer_shape(shape, numel: int, in_shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel} (input shape "
            f"{list(in_shape)})"
        )
    return shape


def _shape_args(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    target = _infer_shape(_shape_args(shape), input._data.size, input._data.shape)
    if target == input._data.shape:
        return input
    return _share_version(Reshape.apply(input, target), input, check=True)


def view(input: Tensor, *shape) -> Tensor:
    """Like `reshape`, but refuses when no view is possible, as PyTorch does."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return input.to(shape[0])
    target = _infer_shape(_shape_args(shape), input._data.size, input._data.shape)
    out = reshape(input, target)
    if out is not input and out._version_counter is not input._version_counter:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (input shape "
            f"{list(input.shape)} is not contiguous). Use .reshape(...) instead."
        )
    return out


def permute(input: Tensor, *dims) -> Tensor:
    dims = _shape_args(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    axes = tuple(_normalize_dim(d, n) for d in dims)
    if len(set(axes)) != n:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims})")
    if axes == tuple(range(n)):
        return input
    return _share_version(Permute.apply(input, axes), input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input._data.ndim
    if n == 0:
        return input
    d0, d1 = _normalize_dim(dim0, n), _normalize_dim(dim1, n)
    if d0 == d1:
        return input
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return _share_version(Permute.apply(input, tuple(axes)), input)


def t(input: Tensor) -> Tensor:
    """Transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def _T(self: Tensor) -> Tensor:
    n = self._data.ndim
    return permute(self, tuple(range(n - 1, -1, -1))) if n > 1 else self


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    n = input._data.ndim + 1
    d = _normalize_dim(dim, n)
    shape = list(input._data.shape)
    shape.insert(d, 1)
    return reshape(input, tuple(shape))


def squeeze(input: Tensor, dim=None) -> Tensor:
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {_normalize_dim(d, len(shape)) for d in dims} if shape else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(input, new)


def _dim_of(input: Tensor, dim: int) -> int:
    """``dim`` as an index of an existing dimension (0-d tensors have none)."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _normalize_dim(dim, input._data.ndim)


def _at_least_1d(input: Tensor, op: str) -> None:
    if input._data.ndim == 0:
        raise RuntimeError(f"{op} expects at least a 1-dimensional tensor")


def _dims_arg(dims) -> tuple:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def _unique_dims(dims, ndim: int) -> tuple[int, ...]:
    axes = tuple(_normalize_dim(d, ndim) for d in dims)
    seen = set()
    for d in axes:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return axes


# ------------------------------------------------------------------ flatten and friends
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-D)."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _normalize_dim(start_dim, len(shape)), _normalize_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
    shape = input._data.shape
    _at_least_1d(input, "unflatten")
    d = _normalize_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    n = shape[d]
    known = math.prod(s for s in sizes if s != -1)
    bad = (known == 0 or n % known) if -1 in sizes else known != n
    if bad or any(s < -1 for s in sizes):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, tuple(other._data.shape))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, tuple(other._data.shape))


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view: size-1 dimensions stretched, new leading ones added; -1 keeps a size.
    Backward sums the gradient over the stretched dimensions."""
    sizes = tuple(int(s) for s in _shape_args(sizes))
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand({input.dtype}{list(shape)}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})")
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
        else:
            current = shape[i - lead]
            if s == -1:
                s = current
            elif s != current and (current != 1 or s < 0):
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size "
                    f"({current}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                    f"  Tensor sizes: {list(shape)}")
        target.append(s)
    out = broadcast_to(input, tuple(target))
    return out if out is input else _share_version(out, input)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other._data.shape))


# ------------------------------------------------------------------ repeat, flip, roll
class Repeat(Function):
    """Tile ``x``; the gradient of each element is the sum over its copies."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats, ctx.padded = repeats, padded
        return ctx.xp.tile(x.reshape(padded), repeats)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.repeats:
            return grad, None
        split = []
        for r, s in zip(ctx.repeats, ctx.padded):
            split += [r, s]
        g = grad.reshape(tuple(split)).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(input: Tensor, *sizes) -> Tensor:
    """Repeat the tensor ``sizes[i]`` times along dimension i (extra sizes add dimensions)."""
    sizes = tuple(int(s) for s in _shape_args(sizes))
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           f"of dimensions of tensor (got {len(sizes)} repeat dims for a "
                           f"{input._data.ndim}-D tensor)")
    if any(s < 0 for s in sizes):
        raise RuntimeError("Trying to create tensor with negative dimension: repeats "
                           f"{list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, *dims) -> Tensor:
    """Like `repeat`, but missing leading entries of ``dims`` count as 1."""
    dims = tuple(int(d) for d in _shape_args(dims))
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    dims = _dims_arg(dims)
    if input._data.ndim == 0:
        _unique_dims(dims, 0)
        dims = ()
    return Flip.apply(input, _unique_dims(dims, input._data.ndim))


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        back = -ctx.shifts if ctx.dims is None else tuple(-s for s in ctx.shifts)
        return Roll.apply(grad, back, ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    shifts = (int(shifts),) if not isinstance(shifts, (tuple, list)) else tuple(map(int, shifts))
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = (dims,) if not isinstance(dims, (tuple, list)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for d in dims:
        _dim_of(input, d)
    dims = tuple(_normalize_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts, dims)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` to positions ``destination``; the others keep their order."""
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    n = input._data.ndim
    s_axes = [_normalize_dim(d, n) for d in src]
    d_axes = [_normalize_dim(d, n) for d in dst]
    for name, given, axes in (("source", src, s_axes), ("destination", dst, d_axes)):
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if n == 0:
        return input
    order = [None] * n
    for s, d in zip(s_axes, d_axes):
        order[d] = s
    rest = iter(i for i in range(n) if i not in s_axes)
    order = [next(rest) if o is None else o for o in order]
    return permute(input, tuple(order))


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


class Cat(Function):
    """Concatenate along ``dim``; the gradient is split back into the inputs' sizes.
    Inputs marked ``skipped`` (legacy empty 1-D tensors) take no part."""

    @staticmethod
    def forward(ctx, dim, skipped, *arrays):
        ctx.dim, ctx.skipped = dim, skipped
        kept = [a for a, s in zip(arrays, skipped) if not s] if any(skipped) else arrays
        ctx.sizes = [a.shape[dim] for a in kept]
        return ctx.xp.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        parts = iter(_split(grad, ctx.dim, ctx.sizes))
        needs = ctx.needs_input_grad[2:]
        grads = []
        for s, need in zip(ctx.skipped, needs):
            g = grad.new_zeros((0,)) if s else next(parts)
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
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return ctx.xp.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *unbind(grad, ctx.dim))


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
    tensors = [atleast_1d(t) for t in _tensor_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate row-wise (1-D inputs become rows)."""
    return cat([atleast_2d(t) for t in _tensor_list(tensors, "vstack")], 0)


def dstack(tensors) -> Tensor:
    return cat([atleast_3d(t) for t in _tensor_list(tensors, "dstack")], 2)


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
        return cat(grads, ctx.dim), None, None


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
        return stack(grads, ctx.dim), None


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


Tensor.reshape = reshape
Tensor.view = view
Tensor.permute = permute
Tensor.transpose = transpose
Tensor.swapaxes = transpose
Tensor.swapdims = transpose
Tensor.t = t
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.unsqueeze = unsqueeze
Tensor.squeeze = squeeze
Tensor.flatten = flatten
Tensor.unflatten = unflatten
Tensor.ravel = ravel
Tensor.view_as = view_as
Tensor.reshape_as = reshape_as
Tensor.expand = expand
Tensor.expand_as = expand_as
Tensor.repeat = repeat
Tensor.tile = tile
Tensor.flip = flip
Tensor.fliplr = fliplr
Tensor.flipud = flipud
Tensor.roll = roll
Tensor.movedim = movedim
Tensor.moveaxis = movedim
Tensor.split = split
Tensor.split_with_sizes = split_with_sizes
Tensor.chunk = chunk
Tensor.unbind = unbind
Tensor.narrow = narrow

swapaxes = transpose
swapdims = transpose
moveaxis = movedim
concat = cat
concatenate = cat
row_stack = vstack

__all__ = ["reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze",
           "squeeze", "broadcast_to", "flatten", "unflatten", "ravel", "tile", "flip", "fliplr",
           "flipud", "roll", "movedim", "moveaxis", "cat", "concat", "concatenate", "stack",
           "hstack", "vstack", "dstack", "row_stack", "column_stack", "atleast_1d", "atleast_2d",
           "atleast_3d", "split", "split_with_sizes", "chunk", "unbind", "narrow"]
from ._broadcast import broadcast_to  # noqa: E402
