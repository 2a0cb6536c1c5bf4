"""``_upsample_bilinear2d_aa``: bilinear resizing with antialiasing (what
``F.interpolate(mode="bilinear", antialias=True)`` runs), separable over H and W.

Along an axis of n inputs resized to m outputs with scale s = n / m (or 1 / scale_factor;
(n - 1) / (m - 1) with ``align_corners``), output i averages the inputs j near its centre
c_i = s (i + 1/2) with the triangle filter stretched to cover s inputs when shrinking:

    support = max(s, 1),   w_ij ∝ max(0, 1 - |j + 1/2 - c_i| / max(s, 1)),   |c_i - j - 1/2| < support

each row normalised to sum 1. The result is ``W_h x W_w^T``: two matmuls with constant
weight matrices, so its gradient is ``W_h^T g W_w``.
"""

from __future__ import annotations

import math

from ..tensor import Tensor, _wrap
from .reduction import _xp

__all__: list[str] = []  # (reached as ops.aten._upsample_bilinear2d_aa, as in PyTorch)


def _scale(n: int, m: int, align_corners: bool, given) -> float:
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / given if given is not None and given > 0 else n / m


def _weights(xp, n: int, m: int, scale: float, dtype):
    """The (m, n) matrix of antialiasing weights along one axis."""
    support = scale if scale >= 1.0 else 1.0
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    rows = []
    for i in range(m):
        centre = scale * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n)
        row = [0.0] * n
        for j in range(lo, hi):
            row[j] = max(0.0, 1.0 - abs((j - centre + 0.5) * invscale))
        total = sum(row)
        rows.append([w / total for w in row] if total else row)
    return xp.asarray(rows, dtype=dtype).reshape(m, n)


def _upsample_bilinear2d_aa(input: Tensor, output_size=None, align_corners: bool = False,
                            scale_factors=None, scales_h=None, scales_w=None) -> Tensor:
    """Antialiased bilinear resize of the last two dims of an (N, C, H, W) input to
    ``output_size`` (or by ``scale_factors``)."""
    if input.ndim != 4:
        raise RuntimeError(f"_upsample_bilinear2d_aa: expected a 4-d (N, C, H, W) input, got "
                           f"shape {list(input.shape)}")
    h, w = input.shape[-2:]
    if scale_factors is not None:
        if output_size is not None:
            raise RuntimeError("_upsample_bilinear2d_aa: give either output_size or "
                               "scale_factors, not both")
        scales_h, scales_w = (float(s) for s in scale_factors)
        output_size = (math.floor(h * scales_h), math.floor(w * scales_w))
    if output_size is None:
        raise RuntimeError("_upsample_bilinear2d_aa: output_size or scale_factors is needed")
    oh, ow = (int(s) for s in output_size)
    if oh <= 0 or ow <= 0 or h <= 0 or w <= 0:
        raise RuntimeError(f"_upsample_bilinear2d_aa: input ({h}, {w}) and output ({oh}, {ow}) "
                           f"sizes should be greater than 0")
    xp, dtype = _xp(input), input._data.dtype
    wh = _wrap(_weights(xp, h, oh, _scale(h, oh, align_corners, scales_h), dtype))
    ww = _wrap(_weights(xp, w, ow, _scale(w, ow, align_corners, scales_w), dtype))
    return wh @ input @ ww.mT
