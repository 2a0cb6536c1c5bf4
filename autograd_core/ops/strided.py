"""Memory layout, as PyTorch exposes it: ``stride()``, ``storage_offset()``, ``as_strided``
(and its copy and scatter forms), ``empty_strided``, ``new_empty_strided``, ``empty_permuted``,
``resize_``, ``resize_as_``.

A tensor's *storage* is the memory of its base (the tensor it is a view of, or itself): a
flat run of ``n`` elements. ``as_strided(x, size, stride, offset)`` reads

    y[k_1, ..., k_d] = storage[offset + sum_i k_i stride_i]

and is a view of that storage. Its gradient, as PyTorch defines it, adds ``g`` into a zero
storage at those positions, then reads back the positions ``x`` itself occupies:

    s = zeros(n);  s[offset + sum_i k_i stride_i] += g[k];   dx = s[positions of x]

Both steps are existing primitives (scatter-add and gather by flat index), so the rule is
their composition and is itself differentiable.
"""

from __future__ import annotations

import math

from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _wrap
from .conversion import clone
from .indexing import Index, IndexAccumulate
from .reduction import _xp
from .shape import _share_version

__all__ = ["as_strided", "as_strided_copy", "as_strided_scatter", "empty_strided",
           "empty_permuted"]


# ----------------------------------------------------------------------------- geometry
def _root(t: Tensor) -> Tensor:
    return t if t._base is None else t._base


def _stride(self: Tensor, dim: int | None = None):
    """Steps, in elements, between neighbours along each dim (of ``dim`` only, if given)."""
    a = self._data
    item = a.dtype.itemsize
    steps = tuple(s // item for s in a.strides)
    if a.size == 0:  # (NumPy's strides of empty arrays are free)
        steps = _contiguous_strides(a.shape)
    if dim is None:
        return steps
    from ..tensor import _normalize_dim

    return steps[_normalize_dim(dim, a.ndim)]


def _contiguous_strides(shape) -> tuple:
    out, step = [], 1
    for n in reversed(tuple(shape)):
        out.append(step)
        step *= max(int(n), 1)
    return tuple(reversed(out))


def _storage_offset(self: Tensor) -> int:
    """Where this tensor's first element lies in its storage, in elements."""
    root = _root(self)
    if root is self or self._data.size == 0:
        return 0
    b = backend_of(self._data)
    return (b.data_ptr(self._data) - b.data_ptr(root._data)) // self._data.dtype.itemsize


def _storage(t: Tensor):
    """The flat storage array under ``t`` (a view of its base's memory)."""
    root = _root(t)._data
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        raise RuntimeError(f"as_strided(): the base of this tensor (shape {list(root.shape)}, "
                           f"strides {root.strides}) is not one block of memory; call "
                           f".contiguous() first")
    return backend_of(root).as_strided(root, (root.size,), (root.dtype.itemsize,))


def _check_geometry(op: str, size, stride_, offset: int, storage_size: int, item: int) -> None:
    if len(size) != len(stride_):
        raise RuntimeError(f"{op}(): mismatch in length of strides and shape: size {list(size)} "
                           f"has {len(size)} dims, stride {list(stride_)} has {len(stride_)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}(): negative size in {list(size)}")
    if any(s < 0 for s in stride_):
        raise RuntimeError(f"{op}(): as_strided: Negative strides are not supported at the "
                           f"moment, got strides: {list(stride_)}")
    if offset < 0:
        raise RuntimeError(f"{op}(): Tensor: invalid storage offset {offset}")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride_))
    if needed > storage_size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride_)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{needed * item} are out of bounds for storage of size "
                           f"{storage_size * item}")


def _positions(xp, size, stride_, offset: int):
    """The storage position of every element of a ``size``/``stride`` view (an int array)."""
    pos = xp.full(tuple(size), offset, dtype="int64")
    for d, (n, s) in enumerate(zip(size, stride_)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (xp.arange(n, dtype="int64") * s).reshape(shape)
    return pos


class AsStrided(Function):
    """``y = storage[positions]`` as a view; ``dx = (zeros(n) with g added at the positions)
    read at x's own positions`` (module docstring)."""

    @staticmethod
    def forward(ctx, x, storage, size, stride_, offset, x_positions):
        xp = ctx.xp
        ctx.n = storage.size
        ctx.key = (_positions(xp, size, stride_, offset),)
        ctx.x_key = (x_positions,)
        item = storage.dtype.itemsize
        start = storage[offset:] if storage.size else storage
        return backend_of(storage).as_strided(start, tuple(size), tuple(s * item for s in stride_))

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        whole = m.apply(IndexAccumulate, grad, ctx.key, (ctx.n,))
        return m.apply(Index, whole, ctx.x_key), None, None, None, None, None


def _ints(v) -> tuple:
    """A size or stride argument (a sequence, or one number) as a tuple of ints."""
    return tuple(int(k) for k in v) if hasattr(v, "__len__") else (int(v),)


def _sizes(size, stride_) -> tuple[tuple, tuple]:
    return _ints(size), _ints(stride_)


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s storage with the given ``size``, ``stride`` and offset (default:
    ``input``'s own offset)."""
    size, stride_ = _sizes(size, stride)
    offset = _storage_offset(input) if storage_offset is None else int(storage_offset)
    store = _storage(input)
    _check_geometry("as_strided", size, stride_, offset, store.size, store.dtype.itemsize)
    x_positions = _positions(_xp(input), tuple(input.shape), _stride(input),
                             _storage_offset(input))
    out = AsStrided.apply(input, store, size, stride_, offset, x_positions)
    return _share_version(out, input)



def as_strided_(self: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """Make ``self`` the ``as_strided`` view of its storage (its data only: no graph)."""
    out = as_strided(self.detach(), size, stride, storage_offset)
    self._data = out._data
    return self


def as_strided_copy(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """`as_strided`, copied into memory of its own."""
    return clone(as_strided(input, size, stride, storage_offset))


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset: int | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` written over its ``as_strided`` view: ``d input`` is
    ``g`` with that region zeroed, ``d src`` is ``g`` read through the view."""
    size, stride_ = _sizes(size, stride)
    if tuple(src.shape) != size:
        raise RuntimeError(f"as_strided_scatter(): expected src to have a size equal to the "
                           f"slice of self. src size = {list(src.shape)}, slice size = "
                           f"{list(size)}")
    out = clone(input)
    view = as_strided(out, size, stride_, storage_offset)
    view.copy_(src)
    return out


# ----------------------------------------------------------------------------- factories
def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised (here: zero) tensor of ``size`` laid out with ``stride``."""
    from ..factories import zeros

    size, stride_ = _sizes(size, stride)
    if len(size) != len(stride_):
        raise RuntimeError(f"empty_strided(): mismatch in length of strides and shape: size "
                           f"{list(size)}, stride {list(stride_)}")
    needed = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride_))
    store = zeros(needed, dtype=dtype, device=device)
    out = _wrap(backend_of(store._data).as_strided(
        store._data, size, tuple(s * store._data.dtype.itemsize for s in stride_)))
    return out.requires_grad_(True) if requires_grad else out


def new_empty_strided(self: Tensor, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """`empty_strided` with ``self``'s dtype and device unless given."""
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         device=self.device if device is None else device,
                         requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first)."""
    size, order = _sizes(size, physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"empty_permuted(): physical_layout {list(order)} must be a "
                           f"permutation of the {len(size)} dims of size {list(size)}")
    steps = _contiguous_strides([size[d] for d in order])
    stride_ = [0] * len(size)
    for d, s in zip(order, steps):
        stride_[d] = s
    return empty_strided(size, tuple(stride_), dtype=dtype, device=device,
                         requires_grad=requires_grad)


# ----------------------------------------------------------------------------- resize
def resize_(self: Tensor, *size, memory_format=None) -> Tensor:
    """Give ``self`` the shape ``size``, keeping its first elements in order (new ones are 0)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(n) for n in size)
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension in {list(size)}")
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    xp = _xp(self)
    flat = self._data.reshape(-1)
    n = math.prod(size)
    if n <= flat.size:
        data = flat[:n].reshape(size) if n else xp.zeros(size, dtype=flat.dtype)
    else:
        data = xp.concatenate([flat, xp.zeros(n - flat.size, dtype=flat.dtype)]).reshape(size)
    self._data = data if data.flags.c_contiguous else data.copy()
    self._bump_version()
    return self


def resize_as_(self: Tensor, the_template: Tensor, *, memory_format=None) -> Tensor:
    """`resize_` to ``the_template``'s shape."""
    return resize_(self, tuple(the_template.shape))


Tensor.stride = _stride
Tensor.storage_offset = _storage_offset
Tensor.as_strided = as_strided
Tensor.as_strided_ = as_strided_
Tensor.as_strided_scatter = as_strided_scatter
Tensor.new_empty_strided = new_empty_strided
Tensor.resize_ = resize_
Tensor.resize_as_ = resize_as_
