"""Fused CUDA kernels for convolution's column layout: im2col (gather the patches) and
col2im (add them back), one launch each instead of one strided copy per kernel offset.

The layout is `ops.fused._im2col`'s: batch first, rows (c, ky, kx), columns (oy, q) with
q < pitch::

    col[n, (c, ky, kx), (oy, q)] = x_pad[n, c, oy s_h + ky d_h, q s_w + kx d_w]

and, in the "wide" stride-1 layout (pitch = the padded width), the run of the flattened
padded image that starts at offset (ky d_h) pitch + kx d_w: position p = (oy + ky d_h) pitch
+ q + kx d_w, pixel (p / pitch - pad_h, p % pitch - pad_w), zero outside the image.

- ``im2col``: one thread per column entry, reading x (a ``raw`` parameter) at its pixel.
- ``col2im:kh,kw``: one thread per pixel of the (N, C, H, W) result, summing the column
  entries that read it, kernel offset by kernel offset in the order col2im's slice loop adds
  them (so the sums are the composed code's, bit for bit: no atomics, no reordering). The
  loop over the offsets is unrolled in the generated source, one kernel per window shape
  (windows up to `MAX_UNROLLED` offsets; larger ones take the composed code).

Scalars: the geometry (sizes, strides, dilations, padding before, ``wide`` 0/1). The
composed code in ``ops/fused/_im2col.py`` stays the reference; the tests compare them on the
fake CUDA device.
"""

from __future__ import annotations

MAX_UNROLLED = 49

_GEOMETRY = ("int64 channels, int64 height, int64 width, int64 batch, int64 out_h, "
             "int64 pitch, int64 kh, int64 kw, int64 sh, int64 sw, int64 dh, int64 dw, "
             "int64 ph, int64 pw, int64 wide")

ELEMENTWISE_KERNELS: dict[str, tuple[str, str, str]] = {
    "im2col": (
        "raw T x, " + _GEOMETRY, "T col",
        "long long q = i % pitch;\n"
        "long long r = i / pitch;\n"
        "long long oy = r % out_h;\n"
        "r = r / out_h;\n"
        "long long kx = r % kw;\n"
        "r = r / kw;\n"
        "long long ky = r % kh;\n"
        "r = r / kh;\n"
        "long long ch = r % channels;\n"
        "long long b = r / channels;\n"
        "long long pos = (oy + ky * dh) * pitch + q + kx * dw;\n"
        "long long yy = wide ? pos / pitch - ph : oy * sh + ky * dh - ph;\n"
        "long long xx = wide ? pos % pitch - pw : q * sw + kx * dw - pw;\n"
        "bool inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width);\n"
        "long long src = inside ? ((b * channels + ch) * height + yy) * width + xx : 0;\n"
        "col = inside ? x[src] : 0;"),
}
SCALAR_PARAMS = {"im2col": tuple(p.split()[-1] for p in _GEOMETRY.split(","))}

GENERATED = ("col2im",)
GENERATED_SCALARS = SCALAR_PARAMS["im2col"] + ("cols",)
COMPILE_SAMPLES = ("col2im:1,1", "col2im:3,3", "col2im:2,5")


def generated(name: str) -> tuple[str, str, str]:
    """``col2im:kh,kw``: (parameters in, parameters out, body) for that window shape."""
    kh, kw = (int(v) for v in name.split(":", 1)[1].split(","))
    lines = ["long long xx = i % width;", "long long r = i / width;",
             "long long yy = r % height;", "r = r / height;", "long long ch = r % channels;",
             "long long b = r / channels;", "long long at = (yy + ph) * pitch + xx + pw;",
             "T acc = 0;"]
    for ky in range(kh):
        for kx in range(kw):
            s = f"_{ky}_{kx}"
            lines += [
                f"long long t{s} = at - {ky} * dh * pitch - {kx} * dw;",
                f"long long ty{s} = yy + ph - {ky} * dh;",
                f"long long tx{s} = xx + pw - {kx} * dw;",
                f"long long oy{s} = wide ? t{s} / pitch : ty{s} / sh;",
                f"long long q{s} = wide ? t{s} % pitch : tx{s} / sw;",
                f"bool ok{s} = wide ? (t{s} >= 0) & (oy{s} < out_h) : (ty{s} >= 0) & "
                f"(ty{s} % sh == 0) & (oy{s} < out_h) & (tx{s} >= 0) & (tx{s} % sw == 0) & "
                f"(q{s} < pitch);",
                f"long long k{s} = ok{s} ? (((b * channels + ch) * kh + {ky}) * kw + {kx}) "
                f"* cols + oy{s} * pitch + q{s} : 0;",
                f"acc += ok{s} ? col[k{s}] : 0;"]
    lines.append("img = acc;")
    return "raw T col, " + _GEOMETRY + ", int64 cols", "T img", "\n".join(lines)


def _geometry_args(h_axis, w_axis, batch: int, channels: int, wide: bool, pitch: int) -> tuple:
    height, out_h, kh, sh, dh, ph, _ = h_axis
    width, _, kw, sw, dw, pw, _ = w_axis
    return (channels, height, width, batch, out_h, pitch, kh, kw, sh, sw, dh, dw, ph, pw,
            int(wide))


def im2col(backend, x, h_axis, w_axis, wide: bool, pitch: int):
    """(N, C, H, W) -> (N, C kh kw, OH pitch) in one launch; None without a kernel."""
    kernel = backend.fused_kernel("im2col", x.dtype)
    if kernel is None:
        return None
    n, c = x.shape[:2]
    kh, kw = h_axis[2], w_axis[2]
    out = backend.xp.empty((n, c * kh * kw, h_axis[1] * pitch), dtype=x.dtype)
    if out.size:
        kernel(x, *_geometry_args(h_axis, w_axis, n, c, wide, pitch), out)
    return out


def col2im(backend, col, h_axis, w_axis, wide: bool, pitch: int, n: int, c: int):
    """(N, C kh kw, OH pitch) -> (N, C, H, W), overlaps added, in one launch; None without a
    kernel (or for windows of more than `MAX_UNROLLED` offsets)."""
    kh, kw = h_axis[2], w_axis[2]
    if kh * kw > MAX_UNROLLED:
        return None
    kernel = backend.fused_kernel(f"col2im:{kh},{kw}", col.dtype)
    if kernel is None:
        return None
    out = backend.xp.empty((n, c, h_axis[0], w_axis[0]), dtype=col.dtype)
    if out.size:
        kernel(col, *_geometry_args(h_axis, w_axis, n, c, wide, pitch), col.shape[-1], out)
    return out
