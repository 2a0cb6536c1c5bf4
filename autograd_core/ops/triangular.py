"""Diagonals and triangles: diagonal, diag_embed, diag, diagflat, trace, tril, triu, block_diag.

Two primitives, each the other's backward (``g`` is dL/dout, ``o`` the offset, positive
above the main diagonal):

    diagonal(x, o)_k = x[k + max(-o, 0), k + max(o, 0)]      dx = diag_embed(g, o)
    diag_embed(v, o)  = zeros with v on diagonal o            dv = diagonal(g, o)

both on the last two dims (the public functions move ``dim1``/``dim2`` there and back).
Everything else composes them with `where` (triangles: a constant mask) and `cat`.
``diagonal`` returns a view (writes through it reach the input, as in PyTorch).
"""

from __future__ import annotations

from .._backend import backend_of
from ..function import Function
from ..tensor import Tensor, _normalize_dim, _wrap
from .conversion import clone
from .joining import cat
from .reduction import _xp
from .selection import where
from .shape import _share_version


def _diagonal_positions(xp, rows: int, cols: int, offset: int):
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    k = xp.arange(length)
    return k + max(-offset, 0), k + max(offset, 0)


class Diagonal(Function):
    """The ``offset`` diagonal of the last two dims (a view: stride = row + column stride)."""

    @staticmethod
    def forward(ctx, x, offset):
        ctx.offset = offset
        rows, cols = x.shape[-2:]
        length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
        corner = x[..., max(-offset, 0):, max(offset, 0):] if length else x[..., :0, :0]
        strides = x.strides
        return backend_of(x).as_strided(corner, x.shape[:-2] + (length,),
                                        strides[:-2] + (strides[-2] + strides[-1],))

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.input_metadata[0][0][-2:]
        return ctx.math.apply(DiagEmbed, grad, ctx.offset, rows, cols), None


class DiagEmbed(Function):
    """zeros(..., rows, cols) with the last dim of ``v`` on diagonal ``offset``."""

    @staticmethod
    def forward(ctx, v, offset, rows, cols):
        ctx.offset = offset
        xp = ctx.xp
        out = xp.zeros(v.shape[:-1] + (rows, cols), dtype=v.dtype)
        i, j = _diagonal_positions(xp, rows, cols, offset)
        out[..., i, j] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Diagonal, grad, ctx.offset), None, None, None


def _two_dims(dim1: int, dim2: int, ndim: int, op: str) -> tuple[int, int]:
    d1, d2 = _normalize_dim(dim1, ndim), _normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"{op}(): dim1 and dim2 cannot be identical, but got dim1 = {dim1} "
                           f"and dim2 = {dim2}; pick two different dims")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the 2-d slices over ``dim1``, ``dim2``, as the last dim."""
    if input._data.ndim < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got "
                           f"shape {list(input.shape)}")
    d1, d2 = _two_dims(dim1, dim2, input._data.ndim, "diagonal")
    return _share_version(Diagonal.apply(input.movedim((d1, d2), (-2, -1)), int(offset)), input)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose 2-d slices over ``dim1``, ``dim2`` hold the last dim of ``input`` on
    diagonal ``offset`` (zeros elsewhere)."""
    d1, d2 = _two_dims(dim1, dim2, input._data.ndim + 1, "diag_embed")
    v = input.reshape(1) if input._data.ndim == 0 else input
    n = v._data.shape[-1] + abs(int(offset))
    out = DiagEmbed.apply(v, int(offset), n, n)
    return out.movedim((-2, -1), (d1, d2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector to a square matrix with it on diagonal ``diagonal``; a matrix to that diagonal."""
    nd = input._data.ndim
    if nd == 1:
        return diag_embed(input, diagonal)
    if nd == 2:
        return clone(Diagonal.apply(input, int(diagonal)))  # (a copy, as in PyTorch)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D (shape "
                       f"{list(input.shape)}); use diagonal() or diag_embed() for batches")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """``input`` flattened, on diagonal ``offset`` of a square matrix."""
    return diag_embed(input.reshape(-1), offset)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with shape "
                           f"{list(input.shape)}")
    return Diagonal.apply(input, 0).sum()


def _triangle(input: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{list(input.shape)}")
    rows, cols = input._data.shape[-2:]
    keep = _xp(input).tri(rows, cols, int(diagonal) - (0 if lower else 1), dtype=bool)
    if not lower:
        keep = ~keep
    zero = False if input._data.dtype.kind == "b" else 0
    return where(_wrap(keep), input, zero)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (entries with ``col - row <= diagonal``), zeros above."""
    return _triangle(input, diagonal, True, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (entries with ``col - row >= diagonal``), zeros below."""
    return _triangle(input, diagonal, False, "triu")


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d or 2-d) as blocks along the diagonal of one matrix."""
    blocks = []
    for t in tensors:
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {len(blocks)} has {t._data.ndim} dimensions")
        blocks.append(t.reshape(1, -1) if t._data.ndim < 2 else t)
    if not blocks:
        from ..factories import empty

        return empty(1, 0)
    from ..dtypes import promote_types

    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = promote_types(dtype, b.dtype)
    blocks = [b.to(dtype) for b in blocks]
    width = sum(b._data.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b._data.shape
        parts = [b.new_zeros((r, left)), b, b.new_zeros((r, width - left - c))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


# ----------------------------------------------------------------------------- methods
Tensor.diagonal = diagonal
Tensor.diag_embed = diag_embed
Tensor.diag = diag
Tensor.diagflat = diagflat
Tensor.trace = trace
Tensor.tril = tril
Tensor.triu = triu

__all__ = ["diagonal", "diag_embed", "diag", "diagflat", "trace", "tril", "triu", "block_diag"]
