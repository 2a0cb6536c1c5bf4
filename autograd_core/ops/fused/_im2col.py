"""im2col and col2im: convolution patches laid out as GEMM columns, and the adjoint.

    col[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh*s_h + i*d_h, ow*s_w + j*d_w]

Batch first, (N, C*kh*kw, OH*pitch): one batched ``W_mat @ col`` then writes (N, O, OH*pitch),
the NCHW output, and every copy below runs over (n, c) planes in NCHW order (no transposes).
`_im2col` copies one strided slice per kernel offset (no gather); `_col2im` adds them back
(``+=``, never ``add.at``). `_Geometry` holds what the layout needs besides the arrays;
`_gemm_layout` / `_from_gemm_layout` move outputs and gradients between (N, K, OH, OW) and
(N, K, OH*pitch) (a view unless the layout is wide). The convolution nodes are in `conv`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ... import _cuda_kernels_im2col as _cuda
from ..._backend import KERNEL_BACKENDS, NUMPY

# One spatial axis of a convolution: (in_size, out_size, kernel, stride, dilation,
# pad_before, pad_after). ``in_size`` is the size of the (unpadded) convolution input, that
# is the *output* of a transposed convolution. Sizes are explicit so that the two directions
# are exact adjoints even where floor division would lose rows.
_Axis = tuple


class _Geometry:
    """Everything the convolution nodes need besides the arrays: groups, the two axes, and the
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


def _geometry(groups: int, axes: Sequence[_Axis], allow_wide: bool = True) -> _Geometry:
    if len(axes) == 1:
        return _Geometry(groups, (1, 1, 1, 1, 1, 0, 0), tuple(axes[0]), True, allow_wide)
    return _Geometry(groups, tuple(axes[0]), tuple(axes[1]), False, allow_wide)


# ---------------------------------------------------------------------------- array kernels
#
# Column layout: col[n, (c, i, j), (oh, q)] for q < pitch. Normally pitch = OW and q = ow.
# For stride-1 convolutions the layout is "wide": pitch = padded width Wp. Then, with the
# padded image flattened per (n, c), kernel offset (i, j) reads the single contiguous run
# x_flat[i*d*Wp + j*d :][: OH*Wp], so im2col and col2im copy long runs instead of rows of
# OW elements, and the GEMMs do Wp/OW more work. The columns q >= OW are spare: im2col
# leaves there whatever the run passes over (finite when x is), the forward drops the
# outputs they give, and an output or gradient laid out for a GEMM has zeros there
# (`_gemm_layout`), so they add nothing to dL/dW or to col2im.

def _padded_flat(xp, x, g: _Geometry):
    """(N, C, H, W) -> zero-padded (N, C, rows, Wp) with one spare row for wide runs."""
    n, c, height, width = x.shape
    _, _, kh, _, _, ph0, ph1 = g.h
    _, _, kw, _, _, pw0, pw1 = g.w
    rows = height + ph0 + ph1 + (1 if kw > 1 else 0)
    padded = xp.empty((n, c, rows, width + pw0 + pw1), dtype=x.dtype)
    if ph0:
        padded[:, :, :ph0] = 0
    padded[:, :, ph0 + height:] = 0
    if pw0:
        padded[:, :, ph0:ph0 + height, :pw0] = 0
    if pw1:
        padded[:, :, ph0:ph0 + height, pw0 + width:] = 0
    padded[:, :, ph0:ph0 + height, pw0:pw0 + width] = x
    return padded


def _im2col(xp, x, g: _Geometry, out=None):
    """(N, C, H, W) -> contiguous (N, C*kh*kw, OH*pitch) patches; one copy per kernel offset.

    Entry [n, (c, i, j), (oh, ow)] holds x_pad[n, c, oh*s + i*d, ow*s + j*d]. ``out``: a
    contiguous buffer of that shape to write into (NumPy's blocked path, `_batch_blocks`).
    """
    n, c, height, width = x.shape
    _, oh, kh, sh, dh, ph0, ph1 = g.h
    _, ow, kw, sw, dw, pw0, pw1 = g.w
    fresh = _im2col_fresh(xp, x, g)
    if fresh is not None:
        if out is None:
            return fresh
        out[...] = fresh
        return out
    if g.wide:
        pitch = g.pitch
        run = oh * pitch
        padded = _padded_flat(xp, x, g)
        flat = padded.reshape(n, c, padded.shape[2] * padded.shape[3])
        col = _buffer(xp, out, (n, c, kh, kw, run), x.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * pitch + j * dw
                col[:, :, i, j] = flat[:, :, start:start + run]
        return col.reshape(n, c * kh * kw, run)
    if ph0 or ph1 or pw0 or pw1:
        padded = xp.zeros((n, c, height + ph0 + ph1, width + pw0 + pw1), dtype=x.dtype)
        padded[:, :, ph0:ph0 + height, pw0:pw0 + width] = x
        x = padded
    col = _buffer(xp, out, (n, c, kh, kw, oh, ow), x.dtype)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            col[:, :, i, j] = x[:, :, rows, j * dw:j * dw + w_span:sw]
    return col.reshape(n, c * kh * kw, oh * ow)


def _im2col_fresh(xp, x, g: _Geometry):
    """im2col where it needs no copy loop: 1x1 (the image itself) or a CUDA kernel; else
    None."""
    n, c = x.shape[:2]
    if g.pointwise:  # 1x1, stride 1, no padding
        return xp.ascontiguousarray(x).reshape(n, c, g.h[1] * g.w[1])
    kernels = KERNEL_BACKENDS.get(xp)  # CUDA: one gathering launch
    return kernels and _cuda.im2col(kernels, x, g.h, g.w, g.wide, g.pitch)


def _buffer(xp, out, shape, dtype):
    return xp.empty(shape, dtype=dtype) if out is None else out.reshape(shape)


def _batch_blocks(xp, n: int, sample_bytes: int) -> list[tuple[int, int]]:
    """Batch ranges [start, stop) whose column buffers (``sample_bytes`` per sample) fit in
    about `BLOCK_BYTES`, so a GEMM reads its block's columns from the cache right after
    im2col wrote them (or col2im reads the GEMM's result from the cache). One range off the
    CPU backend (a GPU's kernels and caches want the whole batch in one launch)."""
    if xp is not NUMPY.xp or n * sample_bytes <= BLOCK_BYTES:
        return [(0, n)]
    step = max(1, BLOCK_BYTES // max(sample_bytes, 1))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


BLOCK_BYTES = 512 * 1024  # about half of a core's L2 cache on current x86 CPUs


def _col2im(xp, col, g: _Geometry, n: int, c: int, out=None):
    """Adjoint of `_im2col`: (N, C*kh*kw, OH*pitch) -> contiguous (N, C, H, W), adding the
    overlapping patches back (one slice ``+=`` per kernel offset). ``out``: a contiguous
    (N, C, H, W) buffer to write into."""
    height, oh, kh, sh, dh, ph0, ph1 = g.h
    width, ow, kw, sw, dw, pw0, pw1 = g.w
    if g.pointwise:
        return _copy_into(xp, out, col.reshape(n, c, height, width))
    kernels = KERNEL_BACKENDS.get(xp)  # CUDA: one launch, a thread per pixel
    image = kernels and _cuda.col2im(kernels, col, g.h, g.w, g.wide, g.pitch, n, c)
    if image is not None:
        return _copy_into(xp, out, image)
    if g.wide:
        pitch = g.pitch
        run = oh * pitch
        rows = height + ph0 + ph1 + (1 if kw > 1 else 0)
        flat = xp.zeros((n, c, rows * pitch), dtype=col.dtype)
        col = col.reshape(n, c, kh, kw, run)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * pitch + j * dw
                flat[:, :, start:start + run] += col[:, :, i, j]
        inner = flat.reshape(n, c, rows, pitch)[:, :, ph0:ph0 + height, pw0:pw0 + width]
        return _copy_into(xp, out, inner)
    col = col.reshape(n, c, kh, kw, oh, ow)
    h_span = sh * (oh - 1) + 1
    w_span = sw * (ow - 1) + 1
    padded = xp.zeros((n, c, height + ph0 + ph1, width + pw0 + pw1), dtype=col.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + h_span, sh)
        for j in range(kw):
            padded[:, :, rows, j * dw:j * dw + w_span:sw] += col[:, :, i, j]
    return _copy_into(xp, out, padded[:, :, ph0:ph0 + height, pw0:pw0 + width])


def _copy_into(xp, out, a):
    """``a`` as a contiguous array: into ``out`` when given, else itself when it already
    is one, else a contiguous copy."""
    if out is None:
        return xp.ascontiguousarray(a)
    out[...] = a
    return out


def _as_2d(x, one_d: bool):
    return x[:, :, None, :] if one_d else x


def _gemm_layout(xp, y, g: _Geometry):
    """(N, K, OH, OW) -> (N, K, OH*pitch): an output or gradient as GEMM operand. A view
    when the layout is not wide and y is contiguous; in the wide layout a copy whose columns
    q >= OW are zero."""
    n, k, oh, ow = y.shape
    if not g.wide:
        return y.reshape(n, k, oh * ow)
    out = xp.empty((n, k, oh, g.pitch), dtype=y.dtype)
    out[..., ow:] = 0
    out[..., :ow] = y
    return out.reshape(n, k, oh * g.pitch)


def _from_gemm_layout(xp, y, g: _Geometry, bias, out=None):
    """(N, K, OH*pitch) fresh GEMM result -> contiguous (N, K, OH, OW), plus the bias: in
    place when the layout is not wide, else one copy (into ``out`` when given) dropping the
    spare columns."""
    n, k = y.shape[:2]
    oh, ow = g.h[1], g.w[1]
    if not g.wide:
        y = y.reshape(n, k, oh, ow)
        if bias is not None:
            y += bias.reshape(k, 1, 1)
        return y
    src = y.reshape(n, k, oh, g.pitch)[..., :ow]
    if out is None:
        out = xp.empty((n, k, oh, ow), dtype=y.dtype)
    if bias is None:
        out[...] = src
    else:
        xp.add(src, bias.reshape(k, 1, 1), out=out)
    return out
