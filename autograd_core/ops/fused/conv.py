"""Convolution as im2col + one batched GEMM, its transpose, and its weight gradient.

A 2-D convolution of x (N, C, H, W) with W (O, C/G, kh, kw) and G groups is a matrix
product once the input patches are laid out as columns ("im2col"):

    col[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh*s_h + i*d_h, ow*s_w + j*d_w]
    Y[n] = W_mat col[n] (+ b)           W_mat = W.reshape(O, C/G*kh*kw)  (per group)

``col`` is built contiguous as (N, C*kh*kw, OH*OW), so one batched ``W_mat @ col`` writes
the output in NCHW order directly. im2col loops over the kh*kw kernel offsets copying one
strided slice each; its adjoint, col2im, loops over them adding slices back (``+=``).

Three fused nodes, each the adjoint or the derivative of the others:

    conv(x; W)          = col2im^T:  Y = W col(x)                      (forward convolution)
    conv_T(y; W)        = col2im(W^T y)                                (transposed convolution)
    conv_W(x, g)        = sum_n g_n col(x)_n^T                          (weight gradient)

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
    """Everything the three nodes need besides the arrays: groups and the two axes."""

    __slots__ = ("groups", "h", "w", "one_d")

    def __init__(self, groups: int, h: _Axis, w: _Axis, one_d: bool) -> None:
        self.groups = groups
        self.h = h
        self.w = w
        self.one_d = one_d


# ---------------------------------------------------------------------------- array kernels
def _pointwise(g: _Geometry) -> bool:
    """A 1x1 kernel, stride 1, no padding: im2col is a reshape."""
    return g.h[2:] == (1, 1, 1, 0, 0) and g.w[2:] == (1, 1, 1, 0, 0) \
        and g.h[0] == g.h[1] and g.w[0] == g.w[1]


def _im2col(xp, x, g: _Geometry):
    """(N, C, H, W) -> contiguous (N, C*kh*kw, OH*OW) patches; one slice copy per offset."""
    n, c, height, width = x.shape
    _, oh, kh, sh, dh, ph0, ph1 = g.h
    _, ow, kw, sw, dw, pw0, pw1 = g.w
    if ph0 or ph1 or pw0 or pw1:
        padded = xp.empty((n, c, height + ph0 + ph1, width + pw0 + pw1), dtype=x.dtype)
        if ph0:
            padded[:, :, :ph0] = 0
        if ph1:
            padded[:, :, ph0 + height:] = 0
        if pw0:
            padded[:, :, ph0:ph0 + height, :pw0] = 0
        if pw1:
            padded[:, :, ph0:ph0 + height, pw0 + width:] = 0
        padded[:, :, ph0:ph0 + height, pw0:pw0 + width] = x
        x = padded
    if _pointwise(g):
        return xp.ascontiguousarray(x).reshape(n, c, oh * ow)
    col = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            col[:, :, i, j] = x[:, :, rows, j * dw:j * dw + w_span:sw]
    return col.reshape(n, c * kh * kw, oh * ow)


def _col2im(xp, col, g: _Geometry, n: int, c: int):
    """Adjoint of `_im2col`: (N, C*kh*kw, OH*OW) -> (N, C, H, W), adding overlapping patches."""
    height, oh, kh, sh, dh, ph0, ph1 = g.h
    width, ow, kw, sw, dw, pw0, pw1 = g.w
    if _pointwise(g):
        return col.reshape(n, c, height, width)
    col = col.reshape(n, c, kh, kw, oh, ow)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    padded = xp.zeros((n, c, height + ph0 + ph1, width + pw0 + pw1), dtype=col.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            padded[:, :, rows, j * dw:j * dw + w_span:sw] += col[:, :, i, j]
    if ph0 or ph1 or pw0 or pw1:
        return xp.ascontiguousarray(padded[:, :, ph0:ph0 + height, pw0:pw0 + width])
    return padded


def _as_2d(x, one_d: bool):
    return x[:, :, None, :] if one_d else x


def _weight_matrix(w, groups: int):
    """(O, C/G, kh, kw) -> (G, O/G, C/G*kh*kw), or (O, C*kh*kw) for one group."""
    o = w.shape[0]
    if groups == 1:
        return w.reshape(o, -1)
    return w.reshape(groups, o // groups, -1)


def _conv_forward(xp, x, w, b, g: _Geometry, col=None):
    """Y = W_mat @ col(x) (+ b) as arrays; returns (y, col)."""
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
        y = xp.matmul(wm, col.reshape(n, groups, -1, col.shape[-1]))
    y = y.reshape(n, o, g.h[1], g.w[1])
    if b is not None:
        y += b.reshape(o, 1, 1)
    if g.one_d:
        y = y.reshape(n, o, g.w[1])
    return y, col


def _conv_transpose_forward(xp, y, w, b, g: _Geometry):
    """X = col2im(W_mat^T @ y) (+ b) as arrays."""
    n = y.shape[0]
    groups = g.groups
    p = g.h[1] * g.w[1]
    wm = _weight_matrix(w, groups)
    c = w.shape[1] * groups
    if groups == 1:
        col = xp.matmul(wm.T, y.reshape(n, y.shape[1], p))
    else:
        col = xp.matmul(wm.transpose(0, 2, 1), y.reshape(n, groups, -1, p))
    x = _col2im(xp, col.reshape(n, -1, p), g, n, c)
    if b is not None:
        x += b.reshape(c, 1, 1)  # x is a fresh array (col2im's buffer or the GEMM's result)
    if g.one_d:
        x = x.reshape(n, c, g.w[0])
    return x


def _conv_weight(xp, x, gy, g: _Geometry, col=None):
    """dW[o, (c,i,j)] = sum_n gy_n col(x)_n^T as arrays, shaped like the weight."""
    n = gy.shape[0]
    o = gy.shape[1]
    groups = g.groups
    p = g.h[1] * g.w[1]
    if col is None:
        col = _im2col(xp, _as_2d(x, g.one_d), g)
    if groups == 1:
        gm = gy.reshape(n, o, p)
        dw = xp.matmul(gm, col.transpose(0, 2, 1)).sum(axis=0)
    else:
        gm = gy.reshape(n, groups, o // groups, p)
        cm = col.reshape(n, groups, -1, p)
        dw = xp.matmul(gm, cm.transpose(0, 1, 3, 2)).sum(axis=0)
    c_per_group = col.shape[1] // (g.h[2] * g.w[2] * groups)
    if g.one_d:
        return dw.reshape(o, c_per_group, g.w[2])
    return dw.reshape(o, c_per_group, g.h[2], g.w[2])


# ---------------------------------------------------------------------------- the nodes
def _bias_grad(grad: Tensor, one_d: bool) -> Tensor:
    return grad.sum(dim=(0, 2) if one_d else (0, 2, 3))


class Convolution(Function):
    """Y = conv(x; W) + b, one node (im2col + one batched GEMM).

    Backward: dL/dx = conv_T(G; W), dL/dW = conv_W(x, G), dL/db = sum_{n,h,w} G.
    Keeps x and W, and the im2col buffer when W needs a gradient (it is the GEMM operand
    of dL/dW).
    """

    @staticmethod
    def forward(ctx, x, w, b, g):
        needs = ctx.needs_input_grad
        y, col = _conv_forward(ctx.xp, x, w, b, g)
        ctx.g = g
        if needs[0] or needs[1]:
            ctx.save_for_backward(x, w, col if needs[1] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w, col = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g = ctx.g
        dx = ConvolutionTranspose.apply(grad, w, None, g) if needs[0] else None
        dw = ConvolutionWeight.apply(x, grad, g, None if col is None else col._data) \
            if needs[1] else None
        db = _bias_grad(grad, g.one_d) if needs[2] else None
        return dx, dw, db, None


class ConvolutionTranspose(Function):
    """X = conv_T(y; W) + b = col2im(W^T y) + b: the adjoint of `Convolution` in its input.

    Backward: dL/dy = conv(G; W), dL/dW = conv_W(G, y), dL/db = sum_{n,h,w} G.
    """

    @staticmethod
    def forward(ctx, y, w, b, g):
        needs = ctx.needs_input_grad
        ctx.g = g
        if needs[0] or needs[1]:
            ctx.save_for_backward(y, w)
        return _conv_transpose_forward(ctx.xp, y, w, b, g)

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g = ctx.g
        dy = Convolution.apply(grad, w, None, g) if needs[0] else None
        dw = ConvolutionWeight.apply(grad, y, g, None) if needs[1] else None
        db = _bias_grad(grad, g.one_d) if needs[2] else None
        return dy, dw, db, None


class ConvolutionWeight(Function):
    """dW = conv_W(x, gy) = sum_n gy_n col(x)_n^T: the weight gradient, bilinear in x and gy.

    Backward (for second derivatives): dL/dx = conv_T(gy; G), dL/dgy = conv(x; G).
    ``col`` optionally passes im2col(x) already computed by the forward convolution.
    """

    @staticmethod
    def forward(ctx, x, gy, g, col):
        ctx.g = g
        needs = ctx.needs_input_grad
        if needs[0] or needs[1]:
            ctx.save_for_backward(x, gy)
        return _conv_weight(ctx.xp, x, gy, g, col)

    @staticmethod
    def backward(ctx, grad):
        x, gy = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g = ctx.g
        dx = ConvolutionTranspose.apply(gy, grad, None, g) if needs[0] else None
        dgy = Convolution.apply(x, grad, None, g) if needs[1] else None
        return dx, dgy, None, None


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


def _geometry(groups: int, axes: Sequence[_Axis]) -> _Geometry:
    if len(axes) == 1:
        return _Geometry(groups, (1, 1, 1, 1, 1, 0, 0), tuple(axes[0]), True)
    return _Geometry(groups, tuple(axes[0]), tuple(axes[1]), False)


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
    out = ConvolutionTranspose.apply(x, weight, bias, g)
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
        col = _im2col(ctx.xp, x, g)
        return col.copy() if _pointwise(g) else col  # own memory, not a view of x

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.g, ctx.channels), None


class Fold(Function):
    """(N, C*kh*kw, L) -> (N, C, H, W), summing overlapping patches (col2im); backward is
    unfold."""

    @staticmethod
    def forward(ctx, col, g, channels):
        ctx.g = g
        out = _col2im(ctx.xp, col, g, col.shape[0], channels)
        return out.copy() if _pointwise(g) else out  # own memory, not a view of col

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
    out = Unfold.apply(x, _geometry(1, axes))
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
        raise RuntimeError(
            f"Given output_size=({_dims_text(output_size)}), kernel_size="
            f"({_dims_text(kernel)}), expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {axes[0][1]} * {axes[1][1]} = {blocks}, but "
            f"got input.size(2)={x.shape[2]}."
        )
    out = Fold.apply(x, _geometry(1, axes), x.shape[1] // per_block)
    return out if input.ndim == 3 else out.squeeze(0)

