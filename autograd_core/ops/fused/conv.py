"""Convolution as im2col + one GEMM, its transpose, and its weight gradient.

A 2-D convolution of x (N, C, H, W) with W (O, C/G, kh, kw) and G groups is a matrix
product once the input patches are laid out as columns ("im2col"):

    col[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh*s_h + i*d_h, ow*s_w + j*d_w]
    Y_n = W_mat col_n (+ b)           W_mat = W.reshape(O, C/G*kh*kw)  (per group)

im2col loops over the kh*kw kernel offsets copying one strided slice each (no gather); its
adjoint, col2im, loops over them adding slices back (``+=``, never ``add.at``).

Layout: ``col`` is (N, C*kh*kw, OH*OW), batch first, so each product is one batched GEMM
(one per group) that reads and writes NCHW arrays as they are: Y_n = W_mat col_n,
dL/dcol_n = W_mat^T G_n, dL/dW = sum_n G_n col_n^T (a batched GEMM and a sum over n),
with G_n the output gradient of sample n as (O, OH*OW). No (N, O) <-> (O, N) transposes.
(The stride-1 "wide" layout widens each row of columns to the padded width, see `_im2col`.)

Three fused nodes, each the adjoint or the derivative of the others:

    conv(x; W)          Y = W col(x)                      (forward convolution)
    conv_T(y; W)        X = col2im(W^T y)                 (transposed convolution)
    conv_W(x, g)        dW = g_mat col(x)^T               (weight gradient)

    d conv(x; W):    dL/dx = conv_T(G; W)      dL/dW = conv_W(x, G)    dL/db = sum G
    d conv_T(y; W):  dL/dy = conv(G; W)        dL/dW = conv_W(G, y)    dL/db = sum G
    d conv_W(x, g):  dL/dx = conv_T(g; G)      dL/dg = conv(x; G)

Every backward is written with these three nodes through ``ctx.math.apply``: on arrays
their forwards (array code), under ``create_graph=True`` the nodes themselves, so gradients
of gradients (gradgradcheck, Hessian-vector products) work to any order. 1-D convolutions run as 2-D ones of height 1
inside the same nodes.

The column layout (im2col, col2im) is in `_im2col`, the argument checks in `_conv_args`.
"""

from __future__ import annotations

from ..._teaching import Input, Rule
from ...function import Function
from ...tensor import Tensor
from ._conv_args import (
    _conv_geometry,
    _conv_transpose_geometry,
    _fold_geometry,
    _unfold_geometry,
)
from ._im2col import (
    _as_2d,
    _batch_blocks,
    _col2im,
    _from_gemm_layout,
    _gemm_layout,
    _Geometry,
    _im2col,
)

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


# ---------------------------------------------------------------------------- GEMMs on arrays
def _weight_matrix(w, groups: int):
    """(O, C/G, kh, kw) -> (O, C/G*kh*kw), or (G, O/G, C/G*kh*kw) with groups."""
    o = w.shape[0]
    if groups == 1:
        return w.reshape(o, -1)
    return w.reshape(groups, o // groups, -1)


def _by_group(a, groups: int):
    """(N, K, M) -> (N, G, K/G, M): the rows of each group (a view)."""
    n, k, m = a.shape
    return a.reshape(n, groups, k // groups, m)


def _product(xp, a, col, groups: int, out=None):
    """``a`` (R, K), or (G, R/G, K/G) with groups, times each sample's (K, M) -> (N, R, M):
    one batched GEMM. ``out``: a contiguous (N, R, M) buffer to write into."""
    n, _, m = col.shape
    rows = a.shape[0] if groups == 1 else a.shape[1] * groups
    if groups == 1:
        return xp.matmul(a, col) if out is None else xp.matmul(a, col, out=out)
    grouped = _by_group(col, groups)
    if out is None:
        return xp.matmul(a, grouped).reshape(n, rows, m)
    xp.matmul(a, grouped, out=out.reshape(n, groups, rows // groups, m))
    return out


def _conv_forward(xp, x, w, b, g: _Geometry, col=None):
    """Y = W_mat @ col(x) (+ b) as arrays, one batched GEMM (N, O, OH*pitch); returns
    (y, col). On NumPy, large batches go in blocks (`_batch_blocks`): im2col of a block into
    one reused buffer, then its GEMM while the columns are in the cache; the whole column
    buffer is then never made, and ``col`` is None (`_conv_weight` remakes them by block)."""
    x = _as_2d(x, g.one_d)
    n = x.shape[0]
    o = w.shape[0]
    wm = _weight_matrix(w, g.groups)
    k = wm.shape[-1] * g.groups
    m = g.h[1] * g.pitch
    blocks = [(0, n)] if col is not None else _batch_blocks(xp, n, k * m * x.dtype.itemsize)
    if len(blocks) == 1:
        if col is None:
            col = _im2col(xp, x, g)
        y = _from_gemm_layout(xp, _product(xp, wm, col, g.groups), g, b)
    else:
        scratch = xp.empty((blocks[0][1], k, m), dtype=x.dtype)
        y = xp.empty((n, o, g.h[1], g.w[1]), dtype=x.dtype)
        for start, stop in blocks:
            part = _im2col(xp, x[start:stop], g, out=scratch[:stop - start])
            if g.wide:
                _from_gemm_layout(xp, _product(xp, wm, part, g.groups), g, b, y[start:stop])
            else:  # the GEMM writes the output block itself
                out = y[start:stop].reshape(stop - start, o, m)
                _from_gemm_layout(xp, _product(xp, wm, part, g.groups, out), g, b)
    if g.one_d:
        y = y.reshape(n, o, g.w[1])
    return y, col


def _conv_transpose_forward(xp, y, w, b, g: _Geometry, yt=None):
    """X = col2im(W_mat^T @ y) (+ b) as arrays. ``yt``: y already as (N, O, OH*pitch).
    On NumPy, large batches go in blocks (`_batch_blocks`): a block's GEMM, then its col2im
    while the block's columns are in the cache (the full column buffer is never made)."""
    n = y.shape[0]
    groups = g.groups
    wm = _weight_matrix(w, groups)
    wt = wm.T if groups == 1 else wm.transpose(0, 2, 1)
    c = w.shape[1] * groups
    if yt is None:
        yt = _gemm_layout(xp, _as_2d(y, g.one_d), g)
    k = wm.shape[-1] * groups
    blocks = _batch_blocks(xp, n, k * yt.shape[-1] * yt.dtype.itemsize)
    if len(blocks) == 1:
        x = _col2im(xp, _product(xp, wt, yt, groups), g, n, c)
    else:
        x = xp.empty((n, c, g.h[0], g.w[0]), dtype=yt.dtype)
        for start, stop in blocks:
            _col2im(xp, _product(xp, wt, yt[start:stop], groups), g, stop - start, c,
                    out=x[start:stop])
    if b is not None:
        x += b.reshape(c, 1, 1)  # x is a fresh array (col2im's buffer)
    if g.one_d:
        x = x.reshape(n, c, g.w[0])
    return x


def _conv_weight(xp, x, gy, g: _Geometry, col=None, gyt=None):
    """dW = sum_n G_n col(x)_n^T as arrays, shaped like the weight: one batched GEMM
    and a sum over the batch (G_n: gy[n] as (O, OH*pitch)). Without ``col``, large NumPy
    batches go in blocks: im2col of a block into one reused buffer, then its GEMM."""
    n, o = gy.shape[:2]
    groups = g.groups
    x = _as_2d(x, g.one_d)
    k = x.shape[1] * g.h[2] * g.w[2]
    m = g.h[1] * g.pitch
    blocks = [(0, n)] if col is not None else _batch_blocks(xp, n, k * m * x.dtype.itemsize)
    scratch = None if len(blocks) == 1 else xp.empty((blocks[0][1], k, m), dtype=x.dtype)
    dw = None
    for start, stop in blocks:
        if col is not None:
            part = col
        elif scratch is None:
            part = _im2col(xp, x, g)
        else:
            part = _im2col(xp, x[start:stop], g, out=scratch[:stop - start])
        g_part = _gemm_layout(xp, gy[start:stop], g) if gyt is None else gyt[start:stop]
        term = _weight_product(xp, part, g_part, groups)
        dw = term if dw is None else xp.add(dw, term, out=dw)
    dw = xp.ascontiguousarray(dw.T if groups == 1 else dw.transpose(0, 2, 1))
    c_per_group = x.shape[1] // groups
    if g.one_d:
        return dw.reshape(o, c_per_group, g.w[2])
    return dw.reshape(o, c_per_group, g.h[2], g.w[2])


def _weight_product(xp, col, gyt, groups: int):
    """sum_n col_n G_n^T: (K, O), or (G, K/G, O/G) with groups (dW transposed). Measured
    faster than sum_n G_n col_n^T."""
    if groups == 1:
        return xp.matmul(col, gyt.transpose(0, 2, 1)).sum(axis=0)
    return xp.matmul(_by_group(col, groups),
                     _by_group(gyt, groups).transpose(0, 1, 3, 2)).sum(axis=0)


# ---------------------------------------------------------------------------- the nodes
def _bias_grad(m, grad, one_d: bool):
    return m.sum(grad, (0, 2) if one_d else (0, 2, 3))


class _GemmLayout(Function):
    """A gradient laid out for the GEMMs, (N, O, OH*pitch), shared by the two products of a
    backward (not differentiable: a layout hint the consumers ignore in their own rules)."""

    @staticmethod
    def forward(ctx, grad, g):
        out = _gemm_layout(ctx.xp, _as_2d(grad, g.one_d), g)
        ctx.mark_non_differentiable(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, None


class _Columns(Function):
    """im2col of a gradient, shared by the two products of a backward (not
    differentiable: a layout hint the consumers ignore in their own rules)."""

    @staticmethod
    def forward(ctx, grad, g):
        out = _im2col(ctx.xp, _as_2d(grad, g.one_d), g)
        ctx.mark_non_differentiable(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, None


class Convolution(Function):
    """Y = conv(x; W) + b, one node (im2col + one GEMM).

    Backward: dL/dx = conv_T(G; W), dL/dW = conv_W(x, G), dL/db = sum_{n,h,w} G.
    Keeps x and W, and the im2col buffer when W needs a gradient (it is the GEMM operand
    of dL/dW) and the batch ran in one block (a blocked batch remakes the columns block by
    block in dL/dW, from the cache). ``col`` optionally passes im2col(x) when already made.
    """

    rule = Rule("Y = W * X + b (cross-correlation)", r"Y = W \star X + b",
                Input("X", "dY/dX: the kernel W", r"\frac{\partial Y}{\partial X} = W",
                      "G convolved with the flipped W (transposed convolution)", r"G \star^{\top} W"),
                Input("W", "dY/dW: the input patches of X", r"\frac{\partial Y}{\partial W} = X",
                      "X correlated with G", r"X \star G"),
                Input("b", "dY/db = 1", r"\frac{\partial Y}{\partial b} = 1",
                      "sum of G over batch and positions", r"\textstyle\sum_{n,p} G_{n,:,p}"))

    @staticmethod
    def forward(ctx, x, w, b, g, col=None):
        needs = ctx.needs_input_grad
        y, col = _conv_forward(ctx.xp, x, w, b, g, col)
        ctx.g = g
        if needs[0] or needs[1]:
            ctx.save_for_backward(x, w, col if needs[1] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        x, w, col = ctx.saved if needs[0] or needs[1] else (None, None, None)
        m, g = ctx.math, ctx.g
        # G as (N, O, OH*pitch), the GEMM operand of both dL/dx and dL/dW: laid out once
        gt = m.apply(_GemmLayout, grad, g) if needs[0] and needs[1] else None
        dx = m.apply(ConvolutionTranspose, grad, w, None, g, gt) if needs[0] else None
        dw = m.apply(ConvolutionWeight, x, grad, g, col, gt) if needs[1] else None
        db = _bias_grad(m, grad, g.one_d) if needs[2] else None
        return dx, dw, db, None, None


class ConvolutionTranspose(Function):
    """X = conv_T(y; W) + b = col2im(W^T y) + b: the adjoint of `Convolution` in its input.

    Backward: dL/dy = conv(G; W), dL/dW = conv_W(G, y), dL/db = sum_{n,h,w} G.
    ``yt`` optionally passes y already laid out as (N, O, OH*pitch).
    """

    @staticmethod
    def forward(ctx, y, w, b, g, yt):
        needs = ctx.needs_input_grad
        ctx.g = g
        if needs[0] or needs[1]:
            ctx.save_for_backward(y, w)
        return _conv_transpose_forward(ctx.xp, y, w, b, g, yt)

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        y, w = ctx.saved if needs[0] or needs[1] else (None, None)
        m, g = ctx.math, ctx.g
        # im2col(G) is the GEMM operand of both dL/dy and dL/dW: built once
        col = m.apply(_Columns, grad, g) if needs[0] and needs[1] else None
        dy = m.apply(Convolution, grad, w, None, g, col) if needs[0] else None
        dw = m.apply(ConvolutionWeight, grad, y, g, col, None) if needs[1] else None
        db = _bias_grad(m, grad, g.one_d) if needs[2] else None
        return dy, dw, db, None, None


class ConvolutionWeight(Function):
    """dW = conv_W(x, gy) = sum_n gy_n col(x)_n^T: the weight gradient, bilinear in x and gy.

    Backward (for second derivatives): dL/dx = conv_T(gy; G), dL/dgy = conv(x; G).
    ``col`` and ``gyt`` optionally pass im2col(x) and gy as (N, O, OH*pitch) when already made.
    """

    @staticmethod
    def forward(ctx, x, gy, g, col, gyt):
        ctx.g = g
        needs = ctx.needs_input_grad
        if needs[0] or needs[1]:
            ctx.save_for_backward(x, gy)
        return _conv_weight(ctx.xp, x, _as_2d(gy, g.one_d), g, col, gyt)

    @staticmethod
    def backward(ctx, grad):
        x, gy = ctx.saved
        needs = ctx.needs_input_grad
        m, g = ctx.math, ctx.g
        dx = m.apply(ConvolutionTranspose, gy, grad, None, g, None) if needs[0] else None
        dgy = m.apply(Convolution, x, grad, None, g) if needs[1] else None
        return dx, dgy, None, None, None


def _convolution(op: str, dims: int, input: Tensor, weight: Tensor, bias, stride, padding,
                 dilation, groups: int) -> Tensor:
    x, batched, g = _conv_geometry(op, dims, input, weight, bias, stride, padding, dilation,
                                   groups)
    out = Convolution.apply(x, weight, bias, g)
    return out if batched else out.squeeze(0)


def _convolution_transpose(op: str, dims: int, input: Tensor, weight: Tensor, bias, stride,
                           padding, output_padding, groups: int, dilation) -> Tensor:
    x, batched, g = _conv_transpose_geometry(op, dims, input, weight, bias, stride, padding,
                                             output_padding, groups, dilation)
    out = ConvolutionTranspose.apply(x, weight, bias, g, None)
    return out if batched else out.squeeze(0)


# ---------------------------------------------------------------------------- public API
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) by (O, C/groups, k): a 2-D convolution of height 1."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of (N, C, H, W) by
    (O, C/groups, kh, kw), one node: Y[n] = W_mat im2col(x)[n] + b.

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input
    size, stride 1; an odd total padding puts the extra row/column after, as PyTorch).
    """
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) by (C_in, C_out/groups, k)."""
    return _convolution_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                                  output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution of (N, C_in, H, W) by (C_in, C_out/groups, kh, kw): the
    adjoint (in its input) of the convolution with the same weight, plus a bias.

    Output size per axis: (in - 1) * stride - 2 * padding + dilation * (k - 1)
    + output_padding + 1.
    """
    return _convolution_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                                  output_padding, groups, dilation)


# ---------------------------------------------------------------------------- unfold / fold
class Unfold(Function):
    """(N, C, H, W) -> (N, C*kh*kw, L) sliding patches (im2col); backward is fold (col2im)."""

    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        ctx.channels = x.shape[1]
        xp = ctx.xp
        out = _im2col(xp, x, g)  # (N, C*kh*kw, L): the layout is unfold's
        return out.copy() if g.pointwise else out  # own memory, not a view of x

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Fold, grad, ctx.g, ctx.channels), None


class Fold(Function):
    """(N, C*kh*kw, L) -> (N, C, H, W), summing overlapping patches (col2im); backward is
    unfold."""

    @staticmethod
    def forward(ctx, col, g, channels):
        ctx.g = g
        xp = ctx.xp
        out = _col2im(xp, xp.ascontiguousarray(col), g, col.shape[0], channels)
        return out.copy() if g.pointwise else out  # own memory, not a view of col

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Unfold, grad, ctx.g), None, None


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    x, g = _unfold_geometry(input, kernel_size, dilation, padding, stride)
    out = Unfold.apply(x, g)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks into an image, summing overlaps: the adjoint of
    `unfold`. (N, C*kh*kw, L) -> (N, C, H, W)."""
    x, g, channels = _fold_geometry(input, output_size, kernel_size, dilation, padding,
                                    stride)
    out = Fold.apply(x, g, channels)
    return out if input.ndim == 3 else out.squeeze(0)
