"""In-place operations through a view of a tensor in the graph: the view is rebased onto
its base, as PyTorch does.

``b = x * 1; v = b[0:2]; v.mul_(3)`` writes into ``b``'s memory. Afterwards ``b`` stands for
"old b with the region of v replaced by r = 3 v_old", and ``v`` for "that region of the new b":

    b_new = copy_slices(b_old, r):    d b_old = g with the region zeroed,   d r = g[region]
    v_new = region(b_new):            d b_new = zeros with g in the region

The region is described by its geometry in ``b``'s (C-contiguous) memory: shape, strides and
offset in elements (`Backend.view_geometry`), so any view made by slicing, ``narrow``,
``select``, ``transpose``, ``reshape``, ... is handled by the same three primitives.
"""

from __future__ import annotations

from .._backend import backend_of
from ..function import Function


class StridedView(Function):
    """The region ``geometry`` of ``x`` (a view of ``x`` when it is C-contiguous).
    Backward: the gradient placed in that region of zeros (`StridedScatter`)."""

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.geometry, ctx.shape = geometry, x.shape
        if not x.flags.c_contiguous:
            x = ctx.xp.ascontiguousarray(x)
        return backend_of(x).region(x, geometry)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(StridedScatter, grad, ctx.geometry, ctx.shape), None


class StridedScatter(Function):
    """Zeros of ``shape`` holding ``g`` in the region ``geometry``.
    Backward: the region of the gradient (`StridedView`)."""

    @staticmethod
    def forward(ctx, g, geometry, shape):
        ctx.geometry = geometry
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        backend_of(out).region(out, geometry)[...] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(StridedView, grad, ctx.geometry), None, None


class CopySlices(Function):
    """The base after an in-place change of one of its views: ``base`` with the region
    ``geometry`` replaced by ``value`` (already written into the base's memory).

        d base = g with the region zeroed,     d value = g[region]
    """

    @staticmethod
    def forward(ctx, base, value, geometry):
        ctx.geometry = geometry
        return base  # the memory already holds the result

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        need_base, need_value = ctx.needs_input_grad[:2]
        region = m.apply(StridedView, grad, ctx.geometry)
        g_base = grad - m.apply(StridedScatter, region, ctx.geometry, grad.shape) if need_base \
            else None
        return g_base, (region if need_value else None), None


# PyTorch's node names
CopySlices._backward_name = "CopySlices"
StridedView._backward_name = "AsStridedBackward0"
