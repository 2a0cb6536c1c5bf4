"""Resampling: `interpolate` (nearest, nearest-exact, linear, bilinear, area).

Each mode acts on each spatial axis separately, y = R_h x R_w^T with constant matrices
whose rows hold the interpolation weights of one output position (the `_separable` node,
dL/dx = R_h^T G R_w). 'area' is adaptive average pooling. Nearest upsampling by integer
factors is a block repeat instead, whose backward sums each block.
"""

from __future__ import annotations

import math

import numpy as np

from ...function import Function
from ...tensor import Tensor
from .._operands import int_argument
from ._separable import _resample
from .adaptive_pool import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate"]


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
            out_sizes = [int_argument(s, "size", "interpolate") for s in size]
        else:
            out_sizes = [int_argument(size, "size", "interpolate")] * dims
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
        return ctx.math.apply(_BlockSum, grad, *ctx.f), None, None


class _BlockSum(Function):
    @staticmethod
    def forward(ctx, g, fh, fw):
        ctx.f = (fh, fw)
        *lead, h, w = g.shape
        return g.reshape(*lead, h // fh, fh, w // fw, fw).sum(axis=(-3, -1))

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(_Repeat, grad, *ctx.f), None, None


def _repeat(input: Tensor, fh: int, fw: int) -> Tensor:
    return _Repeat.apply(input, fh, fw)
