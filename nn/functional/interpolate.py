"""Resampling modes beyond the fused 1-D/2-D node: 'bicubic' (4-D input), 'trilinear'
and every other mode on 5-D input (volumes).

All modes are separable: the N-D resize applies a 1-D resize along each spatial axis in
turn. Nearest, linear and area along one axis are the fused 1-D node on a (N, M, L) view;
bicubic along one axis is a product with a constant (L_out, L_in) matrix whose row o holds
Keys' cubic convolution weights (a = -0.75, as PyTorch) of the four neighbours of the
source coordinate (indices clamped at the borders):

    w(t) = ((a + 2) t - (a + 3)) t^2 + 1              for |t| <= 1
    w(t) = ((a t - 5a) t + 8a) t - 4a                 for 1 < |t| < 2

The source coordinate is o * (in - 1) / (out - 1) with ``align_corners``, else
(o + 0.5) / scale - 0.5 (not clamped at 0 for cubic), in the input's float precision.
"""

from __future__ import annotations

import math

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from .pooling3d import adaptive_avg_pool3d

__all__ = ["resize_separable"]

_A = -0.75
_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _cubic_weights(t: np.ndarray, dtype) -> list:
    a = dtype(_A)
    one, two = dtype(1), dtype(2)

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + one), near(t), near(one - t), far(two - t)]


def _cubic_matrix(in_size: int, out_size: int, scale, align_corners: bool, dtype) -> np.ndarray:
    if align_corners:
        s = dtype((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
        src = np.arange(out_size, dtype=dtype) * s
    else:
        s = dtype(1.0 / scale if scale else in_size / out_size)
        src = s * (np.arange(out_size, dtype=dtype) + dtype(0.5)) - dtype(0.5)
    base = np.floor(src)
    t = (src - base).astype(dtype)
    base = base.astype(np.int64)
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    for k, w in enumerate(_cubic_weights(t, dtype)):
        np.add.at(m, (rows, np.clip(base - 1 + k, 0, in_size - 1)), w.astype(np.float64))
    return m


def _along(x: Tensor, axis: int, fn) -> Tensor:
    """Apply ``fn`` to (N, M, L) views with ``axis`` last, then put the axis back."""
    moved = x.movedim(axis, -1)
    lead = tuple(moved.shape[:-1])
    flat = moved.reshape(lead[0], -1, moved.shape[-1]) if lead else moved
    out = fn(flat)
    return out.reshape(*lead, out.shape[-1]).movedim(-1, axis)


def _sizes(input: Tensor, size, scale_factor, recompute_scale_factor) -> tuple[list, list]:
    dims = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = [None] * dims
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dims
        if len(sizes) != dims:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {spatial} "
                             f"and output size of {tuple(sizes)}. Please provide input tensor "
                             f"in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             f"...,oK) format.")
        out = [int(s) for s in sizes]
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (list, tuple)) \
            else [scale_factor] * dims
        if len(factors) != dims:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {spatial} "
                             f"and scale_factor of shape {tuple(factors)}.")
        factors = [float(f) for f in factors]
        out = [int(math.floor(s * f)) for s, f in zip(spatial, factors)]
        if not recompute_scale_factor:
            scales = factors
    if any(o <= 0 for o in out) or any(s <= 0 for s in spatial):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"{spatial} output {out}")
    return out, scales


def resize_separable(input: Tensor, size, scale_factor, mode: str, align_corners,
                     recompute_scale_factor, antialias: bool) -> Tensor:
    """`interpolate` for 'bicubic', 'trilinear', and nearest / nearest-exact / area on 5-D
    inputs, one spatial axis at a time."""
    dims = input.ndim - 2
    needed = _DIMS.get(mode)
    if needed is not None and needed != dims:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{needed + 2}D input")
    if antialias:
        raise NotImplementedError(f"interpolate: antialias=True is not implemented for mode "
                                  f"'{mode}'; use antialias=False")
    out, scales = _sizes(input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return adaptive_avg_pool3d(input, tuple(out))
    x = input
    for a in range(dims - 1, -1, -1):
        axis = 2 + a
        if mode == "bicubic":
            dtype = np.float64 if input.dtype == ag.float64 else np.float32
            m = _cubic_matrix(x.shape[axis], out[a], scales[a], bool(align_corners), dtype)
            mt = ag.tensor(m.T, dtype=input.dtype, device=input.device)
            x = _along(x, axis, lambda v, mt=mt: v @ mt)
            continue
        one_d = "linear" if mode == "trilinear" else mode
        kw = {"scale_factor": scales[a]} if scales[a] is not None else {"size": out[a]}
        x = _along(x, axis, lambda v, kw=kw, one_d=one_d: ag.fused.interpolate(
            v, mode=one_d, align_corners=align_corners if one_d == "linear" else None, **kw))
    return x
