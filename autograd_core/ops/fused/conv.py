"""Convolution as im2col + one GEMM, its transpose, and its weight gradient.

A 2-D convolution of x (N, C, H, W) with W (O, C/G, kh, kw) and G groups is a matrix
product once the input patches are laid out as columns ("im2col"):

    col[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh*s_h + i*d_h, ow*s_w + j*d_w]
    Y_mat = W_mat col (+ b)           W_mat = W.reshape(O, C/G*kh*kw)  (per group)

im2col loops over the kh*kw kernel offsets copying one strided slice each (no gather); its
adjoint, col2im, loops over them adding slices back (``+=``, never ``add.at``).

Layout: ``col`` is (C*kh*kw, N*OH*OW), the whole batch side by side, so each product is ONE
GEMM (one per group, batched): Y = W_mat col, dL/dW = G_mat col^T, dL/dcol = W_mat^T G_mat,
with G_mat the output gradient as (O, N*OH*OW). Only output-sized arrays are transposed
between (N, O, ...) and (O, N, ...). (A (N, C*kh*kw, OH*OW) layout writes NCHW directly but
costs N small GEMMs per product plus a batch-sum for dL/dW; measured on the CNN benchmark,
the single large GEMMs were faster, markedly so with a multi-threaded BLAS.)

Three fused nodes, each the adjoint or the derivative of the others:

    conv(x; W)          Y = W col(x)                      (forward convolution)
    conv_T(y; W)        X = col2im(W^T y)                 (transposed convolution)
    conv_W(x, g)        dW = g_mat col(x)^T               (weight gradient)

    d conv(x; W):    dL/dx = conv_T(G; W)      dL/dW = conv_W(x, G)    dL/db = sum G
    d conv_T(y; W):  dL/dy = conv(G; W)        dL/dW = conv_W(G, y)    dL/db = sum G
    d conv_W(x, g):  dL/dx = conv_T(g; G)      dL/dg = conv(x; G)

Every backward is written with these three nodes, so gradients of gradients (gradgradcheck,
Hessian-vector products) work to any order. 1-D convolutions run as 2-D ones of height 1
inside the same nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...function import Function
from ...tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

# One spatial axis of a convolution: (in_size, out_size, kernel, stride, dilation,
# pad_before, pad_after). ``in_size`` is the size of the (unpadded) convolution input, that
# is the *output* of a transposed convolution. Sizes are explicit so that the two directions
# are exact adjoints even where floor division would lose rows.
_Axis = tuple


class _Geometry:
    """Everything the three nodes need besides the arrays: groups, the two axes, and the
    column layout (``pitch`` columns per output row: OW, or the padded width when wide)."""

    __slots__ = ("groups", "h", "w", "one_d", "pointwise", "wide", "pitch")

    def __init__(self, groups: int, h: _Axis, w: _Axis, one_d: bool,
                 allow_wide: bool = True) -> None:
        self.groups = groups
        self.h = h
        self.w = w
        self.one_d = one_d
        self.pointwise = h[2:] == (1, 1, 1, 0, 0) and w[2:] == (1, 1, 1, 0, 0) \
            and h[0] == h[1] and w[0] == w[1]
        # stride 1 in 2-D: every kernel offset reads one contiguous run of the padded image
        self.wide = allow_wide and not self.pointwise and h[1] > 1 and h[3] == 1 \
            and w[3] == 1
        self.pitch = w[0] + w[5] + w[6] if self.wide else w[1]


# ---------------------------------------------------------------------------- array kernels
#
# Column layout: col[(c, i, j), (n, oh, q)] for q < pitch. Normally pitch = OW and q = ow.
# For stride-1 convolutions the layout is "wide": pitch = padded width Wp. Then, with the
# padded image flattened per (c, n), kernel offset (i, j) reads the single contiguous run
# x_flat[i*d*Wp + j*d :][: OH*Wp], so im2col and col2im copy long runs instead of rows of
# OW elements, and the GEMMs do Wp/OW more work. The columns q >= OW are spare: im2col
# leaves there whatever the run passes over (finite when x is), the forward drops the
# outputs they give, and an output or gradient laid out for a GEMM has zeros there
# (`_channels_first`), so they add nothing to dL/dW or to col2im.

def _padded_flat(xp, xt, g: _Geometry):
    """(C, N, H, W) -> zero-padded (C, N, rows, Wp) with one spare row for wide runs."""
    c, n, height, width = xt.shape
    _, _, kh, _, _, ph0, ph1 = g.h
    _, _, kw, _, _, pw0, pw1 = g.w
    rows = height + ph0 + ph1 + (1 if kw > 1 else 0)
    padded = xp.empty((c, n, rows, width + pw0 + pw1), dtype=xt.dtype)
    if ph0:
        padded[:, :, :ph0] = 0
    padded[:, :, ph0 + height:] = 0
    if pw0:
        padded[:, :, ph0:ph0 + height, :pw0] = 0
    if pw1:
        padded[:, :, ph0:ph0 + height, pw0 + width:] = 0
    padded[:, :, ph0:ph0 + height, pw0:pw0 + width] = xt
    return padded


def _im2col(xp, x, g: _Geometry):
    """(N, C, H, W) -> contiguous (C*kh*kw, N*OH*pitch) patches; one copy per kernel offset.

    Row (c, i, j), column (n, oh, ow) holds x_pad[n, c, oh*s + i*d, ow*s + j*d].
    """
    n, c, height, width = x.shape
    _, oh, kh, sh, dh, ph0, ph1 = g.h
    _, ow, kw, sw, dw, pw0, pw1 = g.w
    xt = x.transpose(1, 0, 2, 3)  # (C, N, H, W): a view
    if g.pointwise:
        return xp.ascontiguousarray(xt).reshape(c, n * oh * ow)
    if g.wide:
        pitch = g.pitch
        run = oh * pitch
        flat = _padded_flat(xp, xt, g).reshape(c, n, -1)
        col = xp.empty((c, kh, kw, n, run), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * pitch + j * dw
                col[:, i, j] = flat[:, :, start:start + run]
        return col.reshape(c * kh * kw, n * run)
    if ph0 or ph1 or pw0 or pw1:
        padded = xp.zeros((c, n, height + ph0 + ph1, width + pw0 + pw1), dtype=x.dtype)
        padded[:, :, ph0:ph0 + height, pw0:pw0 + width] = xt
        xt = padded
    col = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            col[:, i, j] = xt[:, :, rows, j * dw:j * dw + w_span:sw]
    return col.reshape(c * kh * kw, n * oh * ow)


def _col2im(xp, col, g: _Geometry, n: int, c: int):
    """Adjoint of `_im2col`: (C*kh*kw, N*OH*pitch) -> contiguous (N, C, H, W), adding the
    overlapping patches back (one slice ``+=`` per kernel offset)."""
    height, oh, kh, sh, dh, ph0, ph1 = g.h
    width, ow, kw, sw, dw, pw0, pw1 = g.w
    if g.pointwise:
        return xp.ascontiguousarray(col.reshape(c, n, height, width).transpose(1, 0, 2, 3))
    if g.wide:
        pitch = g.pitch
        run = oh * pitch
        rows = height + ph0 + ph1 + (1 if kw > 1 else 0)
        flat = xp.zeros((c, n, rows * pitch), dtype=col.dtype)
        col = col.reshape(c, kh, kw, n, run)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * pitch + j * dw
                flat[:, :, start:start + run] += col[:, i, j]
        inner = flat.reshape(c, n, rows, pitch)[:, :, ph0:ph0 + height, pw0:pw0 + width]
        return xp.ascontiguousarray(inner.transpose(1, 0, 2, 3))
    col = col.reshape(c, kh, kw, n, oh, ow)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    padded = xp.zeros((n, c, height + ph0 + ph1, width + pw0 + pw1), dtype=col.dtype)
    target = padded.transpose(1, 0, 2, 3)  # written through a (C, N, ...) view
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            target[:, :, rows, j * dw:j * dw + w_span:sw] += col[:, i, j]
    if ph0 or ph1 or pw0 or pw1:
        return xp.ascontiguousarray(padded[:, :, ph0:ph0 + height, pw0:pw0 + width])
    return padded


def _as_2d(x, one_d: bool):
    return x[:, :, None, :] if one_d else x


def _channels_first(xp, y, g: _Geometry | None = None):
    """(N, K, OH, OW) -> contiguous (K, N*OH*pitch): an output or gradient as GEMM operand
    (in the wide layout the columns q >= OW are zero)."""
    n, k = y.shape[:2]
    if g is not None and g.wide:
        oh, ow = y.shape[2], y.shape[3]
        out = xp.empty((k, n, oh, g.pitch), dtype=y.dtype)
        out[..., ow:] = 0
        out[..., :ow] = y.transpose(1, 0, 2, 3)
        return out.reshape(k, -1)
    if n == 1:
        return y.reshape(k, -1)
    return xp.ascontiguousarray(y.reshape(n, k, -1).transpose(1, 0, 2)).reshape(k, -1)


def _batch_first(xp, y, n: int, g: _Geometry, bias):
    """(K, N*OH*pitch) GEMM result -> contiguous (N, K, OH, OW), adding the bias on the way."""
    k = y.shape[0]
    oh, ow = g.h[1], g.w[1]
    src = y.reshape(k, n, oh, g.pitch)[..., :ow].transpose(1, 0, 2, 3)
    out = xp.empty((n, k, oh, ow), dtype=y.dtype)
    if bias is None:
        out[...] = src
    else:
        xp.add(src, bias.reshape(1, k, 1, 1), out=out)
    return out


def _weight_matrix(w, groups: int):
    """(O, C/G, kh, kw) -> (O, C/G*kh*kw), or (G, O/G, C/G*kh*kw) with groups."""
    o = w.shape[0]
    if groups == 1:
        return w.reshape(o, -1)
    return w.reshape(groups, o // groups, -1)


def _conv_forward(xp, x, w, b, g: _Geometry, col=None):
    """Y = W_mat @ col(x) (+ b) as arrays (one GEMM, or one per group); returns (y, col)."""
    x = _as_2d(x, g.one_d)
    n = x.shape[0]
    o = w.shape[0]
    if col is None:
        col = _im2col(xp, x, g)
    groups = g.groups
    wm = _weight_matrix(w, groups)
    if groups == 1:
        y = xp.matmul(wm, col)
    else:
        y = xp.matmul(wm, col.reshape(groups, -1, col.shape[-1])).reshape(o, -1)
    y = _batch_first(xp, y, n, g, b)
    if g.one_d:
        y = y.reshape(n, o, g.w[1])
    return y, col


def _conv_transpose_forward(xp, y, w, b, g: _Geometry, yt=None):
    """X = col2im(W_mat^T @ y) (+ b) as arrays. ``yt``: y already as (O, N*OH*pitch)."""
    n = y.shape[0]
    groups = g.groups
    wm = _weight_matrix(w, groups)
    c = w.shape[1] * groups
    if yt is None:
        yt = _channels_first(xp, _as_2d(y, g.one_d), g)
    if groups == 1:
        col = xp.matmul(wm.T, yt)
    else:
        col = xp.matmul(wm.transpose(0, 2, 1), yt.reshape(groups, -1, yt.shape[-1]))
    x = _col2im(xp, col.reshape(-1, yt.shape[-1]), g, n, c)
    if b is not None:
        x += b.reshape(c, 1, 1)  # x is a fresh array (col2im's buffer)
    if g.one_d:
        x = x.reshape(n, c, g.w[0])
    return x


def _conv_weight(xp, x, gy, g: _Geometry, col=None, gyt=None):
    """dW = G_mat @ col(x)^T as arrays, shaped like the weight: one GEMM over the whole
    batch (G_mat: gy as (O, N*OH*pitch))."""
    o = gy.shape[1]
    groups = g.groups
    if col is None:
        col = _im2col(xp, _as_2d(x, g.one_d), g)
    if gyt is None:
        gyt = _channels_first(xp, gy, g)
    if groups == 1:
        dw = xp.matmul(gyt, col.T)
    else:
        m = col.shape[-1]
        dw = xp.matmul(gyt.reshape(groups, -1, m), col.reshape(groups, -1, m).transpose(0, 2, 1))
    c_per_group = col.shape[0] // (g.h[2] * g.w[2] * groups)
    if g.one_d:
        return dw.reshape(o, c_per_group, g.w[2])
    return dw.reshape(o, c_per_group, g.h[2], g.w[2])


# ---------------------------------------------------------------------------- the nodes
def _bias_grad(grad: Tensor, one_d: bool) -> Tensor:
    return grad.sum(dim=(0, 2) if one_d else (0, 2, 3))


class Convolution(Function):
    """Y = conv(x; W) + b, one node (im2col + one GEMM).

    Backward: dL/dx = conv_T(G; W), dL/dW = conv_W(x, G), dL/db = sum_{n,h,w} G.
    Keeps x and W, and the im2col buffer when W needs a gradient (it is the GEMM operand
    of dL/dW). ``col`` optionally passes im2col(x) when already made.
    """

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
        x, w, col = ctx.saved_tensors if needs[0] or needs[1] else (None, None, None)
        g = ctx.g
        # G as (O, N*OH*OW), the GEMM operand of both dL/dx and dL/dW: transposed once
        gt = _channels_first(ctx.xp, _as_2d(grad._data, g.one_d), g) \
            if needs[0] or needs[1] else None
        dx = ConvolutionTranspose.apply(grad, w, None, g, gt) if needs[0] else None
        dw = ConvolutionWeight.apply(x, grad, g, None if col is None else col._data, gt) \
            if needs[1] else None
        db = _bias_grad(grad, g.one_d) if needs[2] else None
        return dx, dw, db, None, None


class ConvolutionTranspose(Function):
    """X = conv_T(y; W) + b = col2im(W^T y) + b: the adjoint of `Convolution` in its input.

    Backward: dL/dy = conv(G; W), dL/dW = conv_W(G, y), dL/db = sum_{n,h,w} G.
    ``yt`` optionally passes y already laid out as (O, N*OH*OW).
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
        y, w = ctx.saved_tensors if needs[0] or needs[1] else (None, None)
        g = ctx.g
        # im2col(G) is the GEMM operand of both dL/dy and dL/dW: built once
        col = _im2col(ctx.xp, _as_2d(grad._data, g.one_d), g) if needs[0] and needs[1] \
            else None
        dy = Convolution.apply(grad, w, None, g, col) if needs[0] else None
        dw = ConvolutionWeight.apply(grad, y, g, col, None) if needs[1] else None
        db = _bias_grad(grad, g.one_d) if needs[2] else None
        return dy, dw, db, None, None


class ConvolutionWeight(Function):
    """dW = conv_W(x, gy) = sum_n gy_n col(x)_n^T: the weight gradient, bilinear in x and gy.

    Backward (for second derivatives): dL/dx = conv_T(gy; G), dL/dgy = conv(x; G).
    ``col`` and ``gyt`` optionally pass im2col(x) and gy as (O, N*OH*OW) when already made.
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
        x, gy = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g = ctx.g
        dx = ConvolutionTranspose.apply(gy, grad, None, g, None) if needs[0] else None
        dgy = Convolution.apply(x, grad, None, g) if needs[1] else None
        return dx, dgy, None, None, None


# ---------------------------------------------------------------------------- arguments
def _tuple(value, n: int, name: str, op: str) -> tuple:
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to "
                f"match the convolution dimensions, but got {name}={list(value)}"
            )
        return tuple(int(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{op}(): argument '{name}' must be tuple of ints, not {type(value).__name__}"
            ) from None
    return (int(value),) * n


def _dims_text(values) -> str:
    return " x ".join(str(v) for v in values)


def _dtype_name(a) -> str:
    return {"float16": "Half", "float32": "Float", "float64": "Double"}.get(
        str(a.dtype).replace("autograd_core.", ""), str(a.dtype))


def _check_common(op: str, input: Tensor, weight: Tensor, bias, dims: int) -> bool:
    """Shape and dtype checks shared by the convolutions; returns whether input is batched."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"weight should have at least three dimensions: expected {dims + 2}-D weight for "
            f"{op}, but got weight of size {list(weight.shape)}"
        )
    for other in (weight, bias):
        if isinstance(other, Tensor) and other.dtype != input.dtype:
            raise RuntimeError(
                f"expected scalar type {_dtype_name(input)} but found {_dtype_name(other)} "
                f"({op}: input is {input.dtype}, weight/bias {other.dtype}; convert one with "
                f".to(dtype))"
            )
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    return input.ndim == dims + 2


def _check_bias(bias, channels: int, weight: Tensor) -> None:
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.ndim != 1 or bias.shape[0] != channels:
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
            f"with {channels} elements, but got bias of size {list(bias.shape)} instead"
        )


def _check_positive(stride, dilation) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"dilation should be greater than zero, but got {list(dilation)}")


def _convolution(op: str, dims: int, input: Tensor, weight: Tensor, bias, stride, padding,
                 dilation, groups: int) -> Tensor:
    batched = _check_common(op, input, weight, bias, dims)
    x = input if batched else input.unsqueeze(0)
    stride = _tuple(stride, dims, "stride", op)
    dilation = _tuple(dilation, dims, "dilation", op)
    _check_positive(stride, dilation)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _tuple(padding, dims, "padding", op))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    out_channels = weight.shape[0]
    if out_channels % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(weight.shape)}] instead"
        )
    channels = x.shape[1]
    if channels != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{channels} channels instead"
        )
    _check_bias(bias, out_channels, weight)
    spatial = tuple(x.shape[2:])
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_dims_text(padded)}). Kernel size: "
            f"({_dims_text(effective)}). Kernel size can't be greater than actual input size"
        )
    axes = [(s, (p - e) // st + 1, k, st, d, lo, hi)
            for s, p, e, k, st, d, (lo, hi) in zip(spatial, padded, effective, kernel, stride,
                                                   dilation, pads)]
    g = _geometry(groups, axes)
    out = Convolution.apply(x, weight, bias, g)
    return out if batched else out.squeeze(0)


def _geometry(groups: int, axes: Sequence[_Axis], allow_wide: bool = True) -> _Geometry:
    if len(axes) == 1:
        return _Geometry(groups, (1, 1, 1, 1, 1, 0, 0), tuple(axes[0]), True, allow_wide)
    return _Geometry(groups, tuple(axes[0]), tuple(axes[1]), False, allow_wide)


def _convolution_transpose(op: str, dims: int, input: Tensor, weight: Tensor, bias, stride,
                           padding, output_padding, groups: int, dilation) -> Tensor:
    batched = _check_common(op, input, weight, bias, dims)
    x = input if batched else input.unsqueeze(0)
    stride = _tuple(stride, dims, "stride", op)
    dilation = _tuple(dilation, dims, "dilation", op)
    _check_positive(stride, dilation)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    padding = _tuple(padding, dims, "padding", op)
    output_padding = _tuple(output_padding, dims, "output_padding", op)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output padding is not supported")
    names = ("height", "width") if dims == 2 else ("width",)
    if any(op_ >= s and op_ >= d for op_, s, d in zip(output_padding, stride, dilation)):
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, output_padding)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           "but got " + " ".join(parts))
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    in_channels = weight.shape[0]
    if in_channels % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(weight.shape)}] instead"
        )
    if x.shape[1] != in_channels:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {in_channels} channels, but got {x.shape[1]} "
            f"channels instead"
        )
    _check_bias(bias, weight.shape[1] * groups, weight)
    kernel = tuple(weight.shape[2:])
    axes = []
    for size, k, s, d, p, extra in zip(x.shape[2:], kernel, stride, dilation, padding,
                                       output_padding):
        out = (size - 1) * s - 2 * p + d * (k - 1) + extra + 1
        if out <= 0:
            raise RuntimeError(
                f"Given input size per channel: ({_dims_text(x.shape[2:])}). Calculated output "
                f"size per channel: {out} along one axis. Output size is too small"
            )
        # the adjoint convolution reads ``size`` windows from the output padded by p on
        # both sides (output_padding only adds rows that its last window may not reach)
        axes.append((out, size, k, s, d, p, p))
    g = _geometry(groups, axes)
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
        col = _im2col(xp, x, g)
        n = x.shape[0]
        out = xp.ascontiguousarray(col.reshape(col.shape[0], n, -1).transpose(1, 0, 2))
        return out.copy() if g.pointwise else out  # own memory, not a view of x

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.g, ctx.channels), None


class Fold(Function):
    """(N, C*kh*kw, L) -> (N, C, H, W), summing overlapping patches (col2im); backward is
    unfold."""

    @staticmethod
    def forward(ctx, col, g, channels):
        ctx.g = g
        xp = ctx.xp
        out = _col2im(xp, _channels_first(xp, col), g, col.shape[0], channels)
        return out.copy() if g.pointwise else out  # own memory, not a view of col

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.g), None, None


def _patch_axes(spatial, kernel_size, dilation, padding, stride, op: str) -> list:
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(stride, dilation)
    axes = []
    for size, k, d, p, s in zip(spatial, kernel, dilation, padding, stride):
        blocks = (size + 2 * p - d * (k - 1) - 1) // s + 1
        if blocks <= 0:
            raise RuntimeError(
                f"Given input with spatial size ({_dims_text(spatial)}), kernel_size "
                f"({_dims_text(kernel)}), dilation ({_dims_text(dilation)}), padding "
                f"({_dims_text(padding)}), calculated shape of the array of sliding blocks "
                f"has a non-positive size; check the arguments"
            )
        axes.append((size, blocks, k, s, d, p, p))
    return axes


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    axes = _patch_axes(tuple(x.shape[2:]), kernel_size, dilation, padding, stride, "unfold")
    out = Unfold.apply(x, _geometry(1, axes, allow_wide=False))
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks into an image, summing overlaps: the adjoint of
    `unfold`. (N, C*kh*kw, L) -> (N, C, H, W)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors "
                           f"are supported (got {input.ndim}D)")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    output_size = _tuple(output_size, 2, "output_size", "fold")
    kernel = _tuple(kernel_size, 2, "kernel_size", "fold")
    axes = _patch_axes(output_size, kernel, dilation, padding, stride, "fold")
    per_block = kernel[0] * kernel[1]
    if x.shape[1] % per_block != 0:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size="
            f"({_dims_text(kernel)})"
        )
    blocks = axes[0][1] * axes[1][1]
    if x.shape[2] != blocks:
        shown = ", ".join(f"{name}=({a}, {b})" for name, (a, b) in (
            ("output_size", output_size), ("kernel_size", kernel),
            ("dilation", (axes[0][4], axes[1][4])), ("padding", (axes[0][5], axes[1][5])),
            ("stride", (axes[0][3], axes[1][3]))))
        raise RuntimeError(
            f"Given {shown}, expected size of input's dimension 2 to match the calculated "
            f"number of sliding blocks {axes[0][1]} * {axes[1][1]} = {blocks}, but got "
            f"input.size(2)={x.shape[2]}."
        )
    out = Fold.apply(x, _geometry(1, axes, allow_wide=False), x.shape[1] // per_block)
    return out if input.ndim == 3 else out.squeeze(0)

