"""Taking a tensor apart: select, tensor_split, hsplit/vsplit/dsplit, unfold (sliding windows).

All compose the indexing and joining primitives (``x[...]``, `narrow`), so their gradients
are those of indexing: each piece sends its gradient back to the region it came from;
overlapping windows (``unfold`` with ``step < size``) add their gradients.
"""

from __future__ import annotations

from ..tensor import Tensor, _normalize_dim, _wrap
from .joining import narrow
from .reduction import _xp


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (that dim removed): a view."""
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _normalize_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return input[(slice(None),) * d + (i,)]


def _section_bounds(n: int, sections: int) -> list[int]:
    """Split points of ``n`` into ``sections`` parts, the first ``n % sections`` one longer."""
    size, extra = divmod(n, sections)
    bounds, at = [], 0
    for k in range(sections - 1):
        at += size + (1 if k < extra else 0)
        bounds.append(at)
    return bounds


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Views of ``input`` split along ``dim``: into ``n`` near-equal parts (an int), or at
    the given indices (a sequence, or a 1-d integer tensor)."""
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _normalize_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype.kind not in "iu" or spec._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor of integers, but got "
                               f"shape {list(spec.shape)} and dtype {spec.dtype}")
        spec = int(spec.item()) if spec._data.ndim == 0 else [int(i) for i in spec.tolist()]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        bounds = _section_bounds(n, spec)
    elif isinstance(spec, (list, tuple)) and all(isinstance(i, int) for i in spec):
        bounds = list(spec)
    else:
        raise TypeError(f"tensor_split(): indices_or_sections must be an int, a sequence of "
                        f"ints or an integer tensor, got {spec!r}")
    def clip(i: int) -> int:  # Python slicing's reading of a bound
        return min(max(i + n if i < 0 else i, 0), n)

    pieces, start = [], 0
    for stop in bounds + [n]:
        lo, hi = clip(start), clip(stop)
        pieces.append(narrow(input, d, lo, max(hi - lo, 0)))
        start = stop
    return tuple(pieces)


def _split_along(name: str, input: Tensor, spec, dim: int, min_dims: int) -> tuple:
    if input._data.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input._data.ndim} dimensions!")
    if isinstance(spec, int):
        size = input._data.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 1 (dim 0 for 1-d tensors); an int must divide that dim."""
    dim = 1 if input._data.ndim >= 2 else 0
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 0 of a tensor with at least 2 dims."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 2 of a tensor with at least 3 dims."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Windows of ``size`` entries every ``step`` along ``dimension``: that dim becomes the
    window count and a new last dim holds each window (a copy here; PyTorch gives a view)."""
    nd = self._data.ndim
    d = _normalize_dim(dimension, nd) if nd else 0
    n = self._data.shape[d] if nd else 1
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    if size < 0 or size > n:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {d} is {n} but "
                           f"size is {size}")
    if nd == 0:
        return self.reshape(1)
    xp = _xp(self)
    windows = (n - size) // step + 1
    index = (xp.arange(windows)[:, None] * step + xp.arange(size)[None, :]).astype("int64")
    moved = self.movedim(d, -1)
    return moved[..., _wrap(index)].movedim(-2, d)


# ----------------------------------------------------------------------------- methods
Tensor.select = select
Tensor.tensor_split = tensor_split
Tensor.hsplit = hsplit
Tensor.vsplit = vsplit
Tensor.dsplit = dsplit
Tensor.unfold = unfold

__all__ = ["select", "tensor_split", "hsplit", "vsplit", "dsplit"]
