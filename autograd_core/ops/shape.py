"""Views: ops that give the same elements under a new shape or order of dimensions
(reshape, view, permute, transpose, squeeze/unsqueeze, flatten, expand, movedim). Each
gradient applies the inverse rearrangement to the incoming gradient ``g``:

    y = reshape(x, s)          =>  dL/dx = reshape(g, x.shape)
    y = permute(x, p)          =>  dL/dx = permute(g, argsort(p))
    y = expand(x, s)           =>  dL/dx = sum_to(g, x.shape)

The result shares its array with the input when NumPy/CuPy can make a view, as PyTorch's
views do (so they share the version counter too). Joining and splitting (cat, stack,
split, unbind, ...) are in `joining`; copies that repeat or reorder elements (repeat, tile,
flip, roll) in `reorder`.
"""

from __future__ import annotations

import math

from .._teaching import identity_rule
from ..function import Function
from ..tensor import Tensor, _normalize_dim


def _share_version(out: Tensor, base: Tensor, check: bool = False) -> Tensor:
    """A view shares its base's version counter, so in-place changes are seen by both.

    With ``check`` (reshape, which copies when it must), only when ``out``'s memory lies
    within ``base``'s: a copy has a ``.base`` too, but memory of its own."""
    if check:
        a, b = out._data, base._data
        if a is not b and _owner(a) is not _owner(b):
            return out
    out._version_counter = base._version_counter
    out._base = base if base._base is None else base._base
    return out


def _owner(array):
    """The array owning ``array``'s memory (NumPy and CuPy point views at their owner)."""
    base = array.base
    return array if base is None else base


class Reshape(Function):
    rule = identity_rule("y = reshape(a) (same values, new shape)", r"y = \operatorname{reshape}(a)",
                         "g reshaped to a's shape", r"\operatorname{reshape}(g)")

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class Permute(Function):
    rule = identity_rule("y = permute(a) (transpose: y = a^T)", r"y = a^{\top}",
                         "g permuted back (g^T for a transpose)", r"g^{\top}")

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return ctx.math.permute(grad, tuple(inverse)), None


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


def view(input: Tensor, *shape, dtype=None) -> Tensor:
    """Like `reshape`, but refuses when no view is possible, as PyTorch does; ``view(dtype)``
    reads the same bytes as another dtype (`view_dtype`)."""
    if dtype is None and len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        dtype = shape[0]
    if dtype is not None:
        from .view_dtype import view_dtype

        return view_dtype(input, dtype)
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
        _normalize_dim(dim0, 0), _normalize_dim(dim1, 0)  # only 0 and -1 exist
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
        axes = {_normalize_dim(d, len(shape)) for d in dims}  # (0-d: only 0 and -1)
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


# ------------------------------------------------------------------ flatten and friends
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-D)."""
    shape = input._data.shape
    if not shape:
        _normalize_dim(start_dim, 0), _normalize_dim(end_dim, 0)  # only 0 and -1 exist
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
Tensor.movedim = movedim
Tensor.moveaxis = movedim

swapaxes = transpose
swapdims = transpose
moveaxis = movedim

__all__ = ["reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze",
           "squeeze", "broadcast_to", "flatten", "unflatten", "ravel", "movedim", "moveaxis"]
from ._broadcast import broadcast_to  # noqa: E402
