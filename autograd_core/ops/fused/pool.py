"""Pooling and resampling as fused nodes with cheap, twice-differentiable backwards.

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

Adaptive average pooling and interpolation (nearest, linear, bilinear, area) act on each
spatial axis separately: y = R_h x R_w^T with small constant matrices (rows of averaging or
interpolation weights), so forward and backward are two matrix products each:

    dL/dx = R_h^T G R_w
"""

from __future__ import annotations

import math

import numpy as np

from ...function import Function
from ...tensor import Tensor

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
]

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


def _scatter(xp, p: _Pool, dtype, m: int, pieces):
    """Sum of ``piece_t`` placed at window offset t of a zero (padded) input: the adjoint of
    reading one slice per offset. ``pieces(t)`` returns what goes to offset t."""
    shape = (m, p.h[0] + p.h[5] + p.h[6], p.w[0] + p.w[5] + p.w[6])
    out = xp.empty(shape, dtype=dtype) if p.tiles else xp.zeros(shape, dtype=dtype)
    for t, rows, cols in p.offsets():
        if p.disjoint:
            pieces(t, out[:, rows, cols])
        else:
            out[:, rows, cols] += pieces(t, None)
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

    @staticmethod
    def forward(ctx, x, p, one_d, return_indices):
        xp = ctx.xp
        lead = x.shape[:-1] if one_d else x.shape[:-2]
        x3 = _pad(xp, _flat(x, one_d), p, _lowest(x.dtype))
        slices = [x3[:, rows, cols] for _, rows, cols in p.offsets()]
        if len(slices) == 1:
            out = slices[0].copy()
        else:
            out = xp.maximum(slices[0], slices[1])
            for s in slices[2:]:
                xp.maximum(out, s, out=out)
        want_index = ctx.needs_input_grad[0] or return_indices
        y = _unflat(out, lead, one_d)
        if not want_index:
            return y
        # offset of the first maximum = number of leading offsets that are not maximal
        missing = slices[0] != out
        index = missing.astype(_index_dtype(len(slices)))
        for s in slices[1:-1]:
            missing &= s != out
            index += missing
        ctx.p = p
        ctx.one_d = one_d
        ctx.in_shape = x.shape
        ctx.save_for_backward(index)
        if not return_indices:
            return y
        return y, _unflat(_flat_positions(xp, index, p), lead, one_d)

    @staticmethod
    def backward(ctx, grad, *_):
        (index,) = ctx.saved_tensors
        return _MaxScatter.apply(grad, index._data, ctx.p, ctx.one_d, ctx.in_shape), \
            None, None, None


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

        def piece(t, out):
            mask = index == t
            if out is None:
                return mask * g
            xp.multiply(mask, g, out=out)

        result = _scatter(xp, p, grad.dtype, g.shape[0], piece)
        return result.reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        index, p, one_d, out_shape = ctx.args
        return _MaxGather.apply(grad, index, p, one_d, out_shape), None, None, None, None


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
        return _MaxScatter.apply(grad, index, p, one_d, in_shape), None, None, None, None


# ---------------------------------------------------------------------------- average pooling
class AvgPool(Function):
    """y = (sum over each window) / divisor: linear, y = A x, so dL/dx = A^T G
    (`_AvgScatter`), and A^T's backward is A again."""

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
        return _AvgScatter.apply(grad, p, one_d, divisor, in_shape), None, None, None


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

        def piece(t, out):
            if out is None:
                return g
            out[...] = g

        return _scatter(xp, p, grad.dtype, g.shape[0], piece).reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        p, one_d, divisor = ctx.args
        return AvgPool.apply(grad, p, one_d, divisor), None, None, None, None


# ---------------------------------------------------------------------------- separable maps
class Resample(Function):
    """y = R_h x R_w^T on the last two axes, with constant matrices R_h (OH, H), R_w (OW, W)
    (``None``: that axis unchanged). Adaptive average pooling and interpolation are of this
    form. Backward: dL/dx = R_h^T G R_w, the same node with the transposed matrices."""

    @staticmethod
    def forward(ctx, x, rh, rw):
        xp = ctx.xp
        ctx.mats = (rh, rw)
        y = x
        if rw is not None:
            lead = y.shape[:-1]
            y = xp.matmul(y.reshape(-1, y.shape[-1]), rw.T).reshape(lead + (rw.shape[0],))
        if rh is not None:
            y = xp.matmul(rh, y)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, grad):
        rh, rw = ctx.mats
        rh_t = None if rh is None else rh.T.copy()
        rw_t = None if rw is None else rw.T.copy()
        return Resample.apply(grad, rh_t, rw_t), None, None


def _adaptive_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Row i averages x[floor(i*in/out) : ceil((i+1)*in/out)]."""
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        start = (i * in_size) // out_size
        end = -((-(i + 1) * in_size) // out_size)
        m[i, start:end] = 1.0 / (end - start)
    return m


def _nearest_matrix(in_size: int, out_size: int, scale, exact: bool) -> np.ndarray:
    """Row o picks x[src(o)]: floor(o * s) ('nearest') or floor((o + 0.5) * s)
    ('nearest-exact'), s = 1/scale_factor when given, else in/out (float32 as PyTorch)."""
    s = np.float32(1.0 / scale if scale else in_size / out_size)
    o = np.arange(out_size, dtype=np.float32)
    if exact:
        src = np.floor((o + np.float32(0.5)) * s).astype(np.int64)
    elif out_size == in_size:
        src = np.arange(out_size)
    elif out_size == 2 * in_size:
        src = np.arange(out_size) >> 1
    else:
        src = np.floor(o * s).astype(np.int64)
    src = np.minimum(src, in_size - 1)
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), src] = 1.0
    return m


def _linear_matrix(in_size: int, out_size: int, scale, align_corners: bool,
                   opmath) -> np.ndarray:
    """Row o mixes the two neighbours of the source coordinate with weights 1 - l and l.

    Source coordinate: o * (in - 1) / (out - 1) with ``align_corners``, else
    max((o + 0.5) / scale - 0.5, 0); computed in ``opmath`` (float32 for float32 input), as
    PyTorch does, so the weights agree to the last bit.
    """
    if align_corners:
        s = opmath((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
        src = np.arange(out_size, dtype=opmath) * s
    else:
        s = opmath(1.0 / scale if scale else in_size / out_size)
        src = s * (np.arange(out_size, dtype=opmath) + opmath(0.5)) - opmath(0.5)
        src = np.maximum(src, opmath(0.0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = np.clip(src - i0.astype(opmath), 0, 1).astype(np.float64)
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    m[rows, i0] += 1.0 - lam
    m[rows, i1] += lam
    return m


def _on_device(xp, host: np.ndarray | None, dtype):
    return None if host is None else xp.asarray(host.astype(dtype))


def _resample(input: Tensor, mh, mw) -> Tensor:
    from ..._backend import backend_of

    xp = backend_of(input._data).xp
    dtype = input._data.dtype
    return Resample.apply(input, _on_device(xp, mh, dtype), _on_device(xp, mw, dtype))


# ---------------------------------------------------------------------------- arguments
def _pair(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(int(v) for v in value)
    return (int(value),) * n


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
        name = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(
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


def _adaptive_sizes(op: str, input: Tensor, output_size, dims: int) -> tuple:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != dims:
            raise RuntimeError(f"{op}: output_size must be {dims}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * dims
    spatial = tuple(input.shape[-dims:])
    sizes = tuple(s if o is None else int(o) for o, s in zip(sizes, spatial))
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(sizes)}")
    return sizes


def _check_adaptive_input(op: str, input: Tensor, dims: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
                           f"{list(input.shape)}")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a given output size (entries ``None`` keep the input's size).
    Window i of an axis covers [floor(i*H/OH), ceil((i+1)*H/OH))."""
    _check_adaptive_input("adaptive_avg_pool2d", input, 2)
    oh, ow = _adaptive_sizes("adaptive_avg_pool2d", input, output_size, 2)
    h, w = input.shape[-2:]
    if oh > 0 and ow > 0 and h % oh == 0 and w % ow == 0 and h * w > 0:
        return avg_pool2d(input, (h // oh, w // ow))
    mh = None if oh == h else _adaptive_matrix(h, oh)
    mw = None if ow == w else _adaptive_matrix(w, ow)
    return _resample(input, mh, mw)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) to a given length."""
    _check_adaptive_input("adaptive_avg_pool1d", input, 1)
    (ol,) = _adaptive_sizes("adaptive_avg_pool1d", input, output_size, 1)
    length = input.shape[-1]
    return _resample(input, None, None if ol == length else _adaptive_matrix(length, ol))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a given output size. Sizes that divide the input become an ordinary
    max pooling; otherwise windows [floor(i*H/OH), ceil((i+1)*H/OH)) are used."""
    _check_adaptive_input("adaptive_max_pool2d", input, 2)
    oh, ow = _adaptive_sizes("adaptive_max_pool2d", input, output_size, 2)
    h, w = input.shape[-2:]
    if oh <= 0 or ow <= 0:
        raise RuntimeError("adaptive_max_pool2d: output sizes must be positive")
    return _adaptive_max(input, ((h, oh), (w, ow)), False, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) to a given length."""
    _check_adaptive_input("adaptive_max_pool1d", input, 1)
    (ol,) = _adaptive_sizes("adaptive_max_pool1d", input, output_size, 1)
    if ol <= 0:
        raise RuntimeError("adaptive_max_pool1d: output size must be positive")
    return _adaptive_max(input, ((1, 1), (input.shape[-1], ol)), True, return_indices)


def _adaptive_max(input: Tensor, sizes, one_d: bool, return_indices: bool):
    (h, oh), (w, ow) = sizes
    if h % oh == 0 and w % ow == 0:
        kh, kw = h // oh, w // ow
        p = _Pool((h, oh, kh, kh, 1, 0, 0), (w, ow, kw, kw, 1, 0, 0))
        return MaxPool.apply(input, p, one_d, bool(return_indices))
    return _AdaptiveMax.apply(input, sizes, one_d, bool(return_indices))


def _adaptive_windows(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


class _AdaptiveMax(Function):
    """Max over uneven adaptive windows [floor(i*H/OH), ceil((i+1)*H/OH)), one output cell at
    a time. Keeps the flat input position of each maximum; backward is `_IndexScatter`."""

    @staticmethod
    def forward(ctx, x, sizes, one_d, return_indices):
        xp = ctx.xp
        (h, oh), (w, ow) = sizes
        lead = x.shape[:-1] if one_d else x.shape[:-2]
        x3 = _flat(x, one_d)
        m = x3.shape[0]
        out = xp.empty((m, oh, ow), dtype=x.dtype)
        positions = xp.empty((m, oh, ow), dtype=np.int64)
        rows_m = xp.arange(m)
        for i, (h0, h1) in enumerate(_adaptive_windows(h, oh)):
            for j, (w0, w1) in enumerate(_adaptive_windows(w, ow)):
                window = x3[:, h0:h1, w0:w1].reshape(m, -1)
                arg = window.argmax(axis=1)
                out[:, i, j] = window[rows_m, arg]
                positions[:, i, j] = (h0 + arg // (w1 - w0)) * w + w0 + arg % (w1 - w0)
        ctx.args = (positions.reshape(m, -1), x.shape)
        y = _unflat(out, lead, one_d)
        if return_indices:
            return y, _unflat(positions, lead, one_d)
        return y

    @staticmethod
    def backward(ctx, grad, *_):
        positions, in_shape = ctx.args
        return _IndexScatter.apply(grad, positions, in_shape), None, None, None


class _IndexScatter(Function):
    """out[m, pos[m, k]] += g[m, k] for flat positions ``pos`` (M, K); one column of positions
    at a time (each row once per column, so no index repeats within an assignment)."""

    @staticmethod
    def forward(ctx, grad, positions, in_shape):
        xp = ctx.xp
        ctx.args = (positions, grad.shape)
        m = positions.shape[0]
        g = grad.reshape(m, -1)
        out = xp.zeros((m, math.prod(in_shape) // m), dtype=grad.dtype)
        rows = xp.arange(m)
        for k in range(positions.shape[1]):
            out[rows, positions[:, k]] += g[:, k]
        return out.reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        positions, out_shape = ctx.args
        return _IndexGather.apply(grad, positions, out_shape), None, None


class _IndexGather(Function):
    """y[m, k] = x[m, pos[m, k]]: the adjoint of `_IndexScatter`."""

    @staticmethod
    def forward(ctx, x, positions, out_shape):
        ctx.args = (positions, x.shape)
        flat = x.reshape(positions.shape[0], -1)
        return ctx.xp.take_along_axis(flat, positions, axis=1).reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        positions, in_shape = ctx.args
        return _IndexScatter.apply(grad, positions, in_shape), None, None


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``.

    Modes: 'nearest' (src = floor(dst * in/out)), 'nearest-exact', 'linear' (3-D),
    'bilinear' (4-D; ``align_corners`` maps corner pixel centres onto each other) and
    'area' (adaptive average pooling), each as y = R_h x R_w^T with constant matrices.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dims = input.ndim - 2
    if mode not in _MODES or dims not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})")
    if mode in ("bicubic", "trilinear") or dims == 3 or antialias:
        raise NotImplementedError(f"interpolate: mode '{mode}' on {input.ndim}D input (or "
                                  "antialias) is not implemented; use nearest, linear, "
                                  "bilinear or area on 3D/4D input")
    if mode == "linear" and dims != 1:
        raise NotImplementedError(f"Got {input.ndim}D input, but linear mode needs 3D input")
    if mode == "bilinear" and dims != 2:
        raise NotImplementedError(f"Got {input.ndim}D input, but bilinear mode needs 4D input")
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = [None] * dims
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dims:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and output size of "
                    f"{tuple(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    f"format and output size in (o1, o2, ...,oK) format.")
            out_sizes = [int(s) for s in size]
        else:
            out_sizes = [int(size)] * dims
    else:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dims:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {spatial} and scale_factor of "
                    f"shape {tuple(scale_factor)}. Please provide input tensor in (N, C, d1, "
                    f"d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            factors = [float(s) for s in scale_factor]
        else:
            factors = [float(scale_factor)] * dims
        out_sizes = [int(math.floor(s * f)) for s, f in zip(spatial, factors)]
        if not recompute_scale_factor:
            scales = factors
    if any(o <= 0 for o in out_sizes) or any(s <= 0 for s in spatial):
        names = ("H", "W") if dims == 2 else ("W",)
        shown_in = ", ".join(f"{n}: {s}" for n, s in zip(names, spatial))
        shown_out = ", ".join(f"{n}: {s}" for n, s in zip(names, out_sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({shown_in}) output ({shown_out})")
    if mode == "area":
        if dims == 1:
            return adaptive_avg_pool1d(input, out_sizes[0])
        return adaptive_avg_pool2d(input, tuple(out_sizes))
    mats = []
    for s, o, sc in zip(spatial, out_sizes, scales):
        if mode in ("nearest", "nearest-exact"):
            if o == s and mode == "nearest":
                mats.append(None)
                continue
            mats.append(_nearest_matrix(s, o, sc, mode == "nearest-exact"))
        else:
            opmath = np.float64 if input._data.dtype == np.float64 else np.float32
            mats.append(None if o == s and (sc is None or sc == 1.0) else
                        _linear_matrix(s, o, sc, bool(align_corners), opmath))
    if dims == 1:
        return _resample(input, None, mats[0])
    if mode == "nearest" and all(_block_repeat(m, s, o) for m, s, o in
                                 zip(mats, spatial, out_sizes)):
        return _repeat(input, out_sizes[0] // spatial[0], out_sizes[1] // spatial[1])
    return _resample(input, mats[0], mats[1])


def _block_repeat(m, in_size: int, out_size: int) -> bool:
    """Whether the selection matrix ``m`` (None: identity) repeats each entry f times."""
    if m is None:
        return True
    if out_size % in_size:
        return False
    return bool(np.array_equal(m.argmax(axis=1), np.arange(out_size) // (out_size // in_size)))


class _Repeat(Function):
    """Nearest upsampling by integer factors: each pixel becomes an fh x fw block.
    Backward sums each block (`_BlockSum`); the two are each other's backward."""

    @staticmethod
    def forward(ctx, x, fh, fw):
        ctx.f = (fh, fw)
        *lead, h, w = x.shape
        y = ctx.xp.broadcast_to(x[..., :, None, :, None], (*lead, h, fh, w, fw))
        return y.reshape(*lead, h * fh, w * fw)

    @staticmethod
    def backward(ctx, grad):
        return _BlockSum.apply(grad, *ctx.f), None, None


class _BlockSum(Function):
    @staticmethod
    def forward(ctx, g, fh, fw):
        ctx.f = (fh, fw)
        *lead, h, w = g.shape
        return g.reshape(*lead, h // fh, fh, w // fw, fw).sum(axis=(-3, -1))

    @staticmethod
    def backward(ctx, grad):
        return _Repeat.apply(grad, *ctx.f), None, None


def _repeat(input: Tensor, fh: int, fw: int) -> Tensor:
    return _Repeat.apply(input, fh, fw)
