"""Max and average pooling over sliding windows, as fused nodes with cheap,
twice-differentiable backwards.

Every channel is pooled on its own, so the nodes see x as (M, H, W) with M = all leading
axes together (1-D pooling: H = 1), and loop over the kh*kw offsets of the window, reading
one strided slice per offset (no gather, no ``add.at``).

Max pooling: y = max over the window; the forward also records, per output, which window
offset held the (first) maximum, as a small integer array. Backward sends each output
gradient to that position only (a *scatter* by fixed indices); the scatter's adjoint is a
*gather* by the same indices, and each is the other's backward, so second derivatives are
exact (max pooling is piecewise linear):

    y = P_idx x          dL/dx = P_idx^T G          (P_idx: picks one entry per window)

Average pooling is linear: y = A x with A averaging each window, dL/dx = A^T G (adding
G / divisor back over each window); again the two are each other's backward.

Pooling to a given output size is in `adaptive_pool`; interpolation in `resample`.
"""

from __future__ import annotations

import math

import numpy as np

from ..._teaching import Input, Rule
from ...function import Function
from ...tensor import Tensor
from .._operands import int_argument
from ._im2col import _batch_blocks

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]

# One spatial axis: (in_size, out_size, kernel, stride, dilation, pad_before, pad_after);
# pad_after makes the padded length cover every window (ceil_mode windows included).


class _Pool:
    """The geometry of one pooling: its two axes, and whether windows overlap."""

    __slots__ = ("h", "w", "disjoint", "tiles", "padded")

    def __init__(self, h: tuple, w: tuple) -> None:
        self.h = h
        self.w = w
        # windows never share an input position: each offset's slices are disjoint
        self.disjoint = all(a[3] >= a[4] * (a[2] - 1) + 1 for a in (h, w))
        # ... and together they cover the whole (padded) input exactly
        self.tiles = self.disjoint and all(
            a[3] == a[2] and a[4] == 1 and a[1] * a[2] == a[0] + a[5] + a[6] for a in (h, w))
        self.padded = any(a[5] or a[6] for a in (h, w))

    def offsets(self):
        """(t, rows, cols): the slices of the padded input seen by window offset t."""
        h_in, oh, kh, sh, dh, _, _ = self.h
        w_in, ow, kw, sw, dw, _, _ = self.w
        h_span = sh * (oh - 1) + 1
        w_span = sw * (ow - 1) + 1
        t = 0
        for i in range(kh):
            rows = slice(i * dh, i * dh + h_span, sh)
            for j in range(kw):
                yield t, rows, slice(j * dw, j * dw + w_span, sw)
                t += 1


def _pad(xp, x, p: _Pool, value: float):
    """x (M, H, W) inside a buffer padded with ``value`` (x itself when there is no padding)."""
    if not p.padded:
        return x
    m, height, width = x.shape
    top, bottom = p.h[5], p.h[6]
    left, right = p.w[5], p.w[6]
    out = xp.empty((m, height + top + bottom, width + left + right), dtype=x.dtype)
    out[:, :top] = value
    out[:, top + height:] = value
    out[:, top:top + height, :left] = value
    out[:, top:top + height, left + width:] = value
    out[:, top:top + height, left:left + width] = x
    return out


def _crop(xp, padded, p: _Pool):
    if not p.padded:
        return padded
    top, left = p.h[5], p.w[5]
    return xp.ascontiguousarray(padded[:, top:top + p.h[0], left:left + p.w[0]])


def _blocks(xp, m: int, plane, dtype):
    """Ranges of the M planes (each of shape ``plane``) that fit in the cache together, so
    the passes over one offset after another re-read a block from the cache, not memory."""
    return _batch_blocks(xp, m, math.prod(plane) * dtype.itemsize)


def _scatter(xp, p: _Pool, dtype, m: int, pieces):
    """Sum of ``piece_t`` placed at window offset t of a zero (padded) input: the adjoint of
    reading one slice per offset. ``pieces(t, out, block)`` writes into ``out`` what goes to
    offset t for the planes ``block`` (a slice), or returns it when ``out`` is None."""
    shape = (m, p.h[0] + p.h[5] + p.h[6], p.w[0] + p.w[5] + p.w[6])
    out = xp.empty(shape, dtype=dtype) if p.tiles else xp.zeros(shape, dtype=dtype)
    for start, stop in _blocks(xp, m, shape[1:], out.dtype):
        block = slice(start, stop)
        for t, rows, cols in p.offsets():
            if p.disjoint:
                pieces(t, out[block, rows, cols], block)
            else:
                out[block, rows, cols] += pieces(t, None, block)
    return _crop(xp, out, p)


def _flat(x, one_d: bool):
    """(..., H, W) -> (M, H, W); 1-D pooling: (..., L) -> (M, 1, L)."""
    if one_d:
        return x.reshape(-1, 1, x.shape[-1])
    return x.reshape(-1, x.shape[-2], x.shape[-1])


def _unflat(y, lead: tuple, one_d: bool):
    return y.reshape(lead + y.shape[2:]) if one_d else y.reshape(lead + y.shape[1:])


def _lowest(dtype):
    return -math.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _index_dtype(window: int):
    return np.int8 if window < 127 else np.int32


# ---------------------------------------------------------------------------- max pooling
class MaxPool(Function):
    """y = max over each window; backward scatters G to the first maximum of each window.

    Keeps only the window offset of each maximum (int8); ``return_indices`` also gives the
    flat input positions as PyTorch does (int64, not differentiable).
    """

    rule = Rule("y = max over each window of a", r"y_w = \max_{i \in w} a_i",
                Input("a", "dy_w/da_i = 1 at the window's max, else 0",
                      r"\frac{\partial y_w}{\partial a_i} = \mathbb{1}[a_i = y_w]",
                      "g of each window sent to its max", r"\bar a_i = \textstyle\sum_w g_w \mathbb{1}[a_i = y_w]"))

    @staticmethod
    def forward(ctx, x, p, one_d, return_indices):
        xp = ctx.xp
        lead = x.shape[:-1] if one_d else x.shape[:-2]
        x3 = _pad(xp, _flat(x, one_d), p, _lowest(x.dtype))
        m = x3.shape[0]
        out = xp.empty((m, p.h[1], p.w[1]), dtype=x.dtype)
        want_index = ctx.needs_input_grad[0] or return_indices
        index = xp.empty(out.shape, dtype=_index_dtype(p.h[2] * p.w[2])) if want_index else None
        for start, stop in _blocks(xp, m, x3.shape[1:], x3.dtype):
            block = slice(start, stop)
            _max_block(xp, x3[block], p, out[block], None if index is None else index[block])
        y = _unflat(out, lead, one_d)
        if not want_index:
            return y
        ctx.p = p
        ctx.one_d = one_d
        ctx.in_shape = x.shape
        ctx.save_for_backward(index)
        if not return_indices:
            return y
        return y, _unflat(_flat_positions(xp, index, p), lead, one_d)

    @staticmethod
    def backward(ctx, grad, *_):
        (index,) = ctx.saved
        return ctx.math.apply(_MaxScatter, grad, index, ctx.p, ctx.one_d, ctx.in_shape), \
            None, None, None


def _max_block(xp, x3, p: _Pool, out, index) -> None:
    """The window maxima of the planes x3 into ``out``, and (``index`` not None) the offset
    of each window's first maximum: the number of leading offsets that are not maximal."""
    slices = [x3[:, rows, cols] for _, rows, cols in p.offsets()]
    if len(slices) == 1:
        out[...] = slices[0]
    else:
        xp.maximum(slices[0], slices[1], out=out)
        for s in slices[2:]:
            xp.maximum(out, s, out=out)
    if index is None:
        return
    missing = slices[0] != out
    index[...] = missing
    for s in slices[1:-1]:
        missing &= s != out
        index += missing


def _flat_positions(xp, index, p: _Pool):
    """Window offsets -> PyTorch's indices: flat positions h * W + w in the unpadded input."""
    h_in, oh, kh, sh, dh, top, _ = p.h
    w_in, ow, kw, sw, dw, left, _ = p.w
    i, j = index // kw, index % kw
    rows = xp.arange(oh, dtype=np.int64).reshape(oh, 1) * sh - top
    cols = xp.arange(ow, dtype=np.int64).reshape(1, ow) * sw - left
    return (rows + i.astype(np.int64) * dh) * w_in + cols + j.astype(np.int64) * dw


class _MaxScatter(Function):
    """dL/dx of max pooling: G sent to the recorded offsets. Linear in G; its backward is
    `_MaxGather` (the same selection read forwards)."""

    @staticmethod
    def forward(ctx, grad, index, p, one_d, in_shape):
        xp = ctx.xp
        ctx.args = (index, p, one_d, grad.shape)
        g = _flat(grad, one_d)

        def piece(t, out, block):
            mask = index[block] == t
            if out is None:
                return mask * g[block]
            xp.multiply(mask, g[block], out=out)

        result = _scatter(xp, p, grad.dtype, g.shape[0], piece)
        return result.reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        index, p, one_d, out_shape = ctx.args
        return ctx.math.apply(_MaxGather, grad, index, p, one_d, out_shape), None, None, None, None


class _MaxGather(Function):
    """Reads x at the recorded offsets of each window (the adjoint of `_MaxScatter`)."""

    @staticmethod
    def forward(ctx, x, index, p, one_d, out_shape):
        xp = ctx.xp
        ctx.args = (index, p, one_d, x.shape)
        x3 = _pad(xp, _flat(x, one_d), p, 0)
        out = None
        for t, rows, cols in p.offsets():
            term = (index == t) * x3[:, rows, cols]
            out = term if out is None else out + term
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        index, p, one_d, in_shape = ctx.args
        return ctx.math.apply(_MaxScatter, grad, index, p, one_d, in_shape), None, None, None, None


# ---------------------------------------------------------------------------- average pooling
class AvgPool(Function):
    """y = (sum over each window) / divisor: linear, y = A x, so dL/dx = A^T G
    (`_AvgScatter`), and A^T's backward is A again."""

    rule = Rule("y = mean over each window of a (k elements)", r"y_w = \frac{1}{k}\sum_{i \in w} a_i",
                Input("a", "dy_w/da_i = 1/k inside the window", r"\frac{\partial y_w}{\partial a_i} = \frac{1}{k}",
                      "g / k spread over each window", r"\bar a_i = \frac{1}{k}\textstyle\sum_{w \ni i} g_w"))

    @staticmethod
    def forward(ctx, x, p, one_d, divisor):
        xp = ctx.xp
        lead = x.shape[:-1] if one_d else x.shape[:-2]
        ctx.args = (p, one_d, divisor, x.shape)
        x3 = _pad(xp, _flat(x, one_d), p, 0)
        out = None
        for _, rows, cols in p.offsets():
            s = x3[:, rows, cols]
            if out is None:
                out = s.copy()
            else:
                out += s
        out = _divide(xp, out, divisor)
        return _unflat(out, lead, one_d)

    @staticmethod
    def backward(ctx, grad):
        p, one_d, divisor, in_shape = ctx.args
        return ctx.math.apply(_AvgScatter, grad, p, one_d, divisor, in_shape), None, None, None


def _divide(xp, out, divisor):
    if isinstance(divisor, float):
        out /= divisor  # a Python float keeps the array's dtype
        return out
    return out / xp.asarray(divisor, dtype=out.dtype)


class _AvgScatter(Function):
    """A^T G: each output gradient divided by its divisor and added back over its window."""

    @staticmethod
    def forward(ctx, grad, p, one_d, divisor, in_shape):
        xp = ctx.xp
        ctx.args = (p, one_d, divisor)
        g = _divide(xp, _flat(grad, one_d).copy(), divisor)

        def piece(t, out, block):
            if out is None:
                return g[block]
            out[...] = g[block]

        return _scatter(xp, p, grad.dtype, g.shape[0], piece).reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        p, one_d, divisor = ctx.args
        return ctx.math.apply(AvgPool, grad, p, one_d, divisor), None, None, None, None


# ---------------------------------------------------------------------------- arguments
def _pair(value, n: int, name: str, op: str = "pool") -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(int_argument(v, name, op) for v in value)
    return (int_argument(value, name, op),) * n


def _check_input(op: str, input: Tensor, dims: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        if dims == 1:
            raise RuntimeError(
                f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                f"for input, but got:{list(input.shape)}")
        raise RuntimeError(
            f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, but got "
            f"input of size {list(input.shape)}")


def _pool_geometry(op: str, input: Tensor, dims: int, kernel_size, stride, padding, dilation,
                   ceil_mode: bool) -> _Pool:
    kernel = _pair(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple))
                                          and len(stride) == 0) else _pair(stride, dims,
                                                                           "stride")
    padding = _pair(padding, dims, "padding")
    dilation = _pair(dilation, dims, "dilation")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got {list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}")
    spatial = tuple(input.shape[-dims:])
    axes = []
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        needed = (out - 1) * s + d * (k - 1) + 1
        axes.append((size, out, k, s, d, p, max(needed - size - p, 0)))
    if any(a[1] <= 0 for a in axes):
        shown_in = "x".join(str(v) for v in (input.shape[-dims - 1],) + spatial)
        shown_out = "x".join(str(v) for v in (input.shape[-dims - 1],) + tuple(a[1] for a in axes))
        raise RuntimeError(f"Given input size: ({shown_in}). Calculated output size: "
                           f"({shown_out}). Output size is too small")
    if dims == 1:
        return _Pool((1, 1, 1, 1, 1, 0, 0), axes[0])
    return _Pool(axes[0], axes[1])


# ---------------------------------------------------------------------------- public API
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, L) (padding counts as -inf)."""
    _check_input("max_pool1d", input, 1)
    p = _pool_geometry("max_pool1d", input, 1, kernel_size, stride, padding, dilation,
                       ceil_mode)
    return MaxPool.apply(input, p, True, bool(return_indices))


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    Gradient: to the first maximum of each window (as PyTorch).
    """
    _check_input("max_pool2d", input, 2)
    p = _pool_geometry("max_pool2d", input, 2, kernel_size, stride, padding, dilation,
                       ceil_mode)
    return MaxPool.apply(input, p, False, bool(return_indices))


def _check_floating(op: str, input: Tensor) -> None:
    if not input.is_floating_point():
        name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}.get(
            str(input.dtype).rsplit(".", 1)[-1], str(input.dtype))
        raise RuntimeError(f'"{op}" not implemented for \'{name}\' (average pooling needs a '
                           "floating point input; convert with .float())")


def _divisors(p: _Pool, count_include_pad: bool, divisor_override):
    """The divisor of each window: a float when all are equal, else an (OH, OW) list."""
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise RuntimeError("divisor must be not zero")
        return float(divisor_override)

    def counts(axis):
        size, out, k, s, _, pad, _ = axis
        result = []
        for o in range(out):
            start = o * s - pad
            end = min(start + k, size + pad)
            if count_include_pad:
                result.append(end - start)
            else:
                result.append(min(end, size) - max(start, 0))
        return result

    ch, cw = counts(p.h), counts(p.w)
    if len(set(ch)) == 1 and len(set(cw)) == 1:
        return float(ch[0] * cw[0])
    return [[a * b for b in cw] for a in ch]


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        nd = input.ndim if isinstance(input, Tensor) else 0
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for avg_pool1d)")
    _check_floating("avg_pool1d", input)
    p = _pool_geometry("avg_pool1d", input, 1, kernel_size, stride, padding, 1, ceil_mode)
    return AvgPool.apply(input, p, True, _divisors(p, count_include_pad, None))


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W). ``count_include_pad``: padded zeros count
    in the divisor; ``divisor_override``: divide by this instead."""
    _check_input("avg_pool2d", input, 2)
    _check_floating("avg_pool2d", input)
    p = _pool_geometry("avg_pool2d", input, 2, kernel_size, stride, padding, 1, ceil_mode)
    return AvgPool.apply(input, p, False, _divisors(p, count_include_pad, divisor_override))
