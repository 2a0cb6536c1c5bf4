"""Spatial transformers (Jaderberg et al. 2015): `affine_grid` and `grid_sample`.

`affine_grid` maps the output pixel centres, in normalised coordinates [-1, 1], through a
batch of affine matrices theta: grid = [x, y, 1] theta^T. `grid_sample` reads the input at
those (x, y[, z]) positions. A coordinate g along an axis of size S becomes a pixel index

    p = (g + 1) / 2 * (S - 1)          (align_corners)
    p = ((g + 1) S - 1) / 2            (otherwise)

then 'border' clamps p into [0, S-1], 'reflection' mirrors it at the edges, 'zeros' reads
zeros outside. 'bilinear' mixes the 2^d neighbouring pixels with weights prod_a
(1 - |p_a - q_a|); 'nearest' takes the nearest pixel (ties to even, as PyTorch); 'bicubic'
(2-D) mixes 4 x 4 pixels with Keys' cubic weights. Each tap is a `gather`, so gradients
flow to the input and, through the weights, to the grid.
"""

from __future__ import annotations

import itertools
import math
import warnings

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["affine_grid", "grid_sample"]

_A = -0.75  # cubic convolution parameter, as PyTorch


def _warn_align_corners() -> None:
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired.", stacklevel=3)


def _base_coordinates(size: int, align_corners: bool, like: Tensor) -> Tensor:
    """The normalised coordinates of ``size`` pixel centres along one axis."""
    if size <= 1:
        return like.new_zeros((max(size, 0),))
    steps = ag.arange(size, dtype=like.dtype, device=like.device)
    if align_corners:
        return steps * (2.0 / (size - 1)) - 1.0
    return (steps * 2.0 + 1.0) / size - 1.0


def affine_grid(theta: Tensor, size: list, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of 2-D affine matrices theta (N, 2, 3), or
    (N, D, H, W, 3) of 3-D ones (N, 3, 4), for an output of ``size`` (N, C, [D,] H, W)."""
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {list(theta.shape)}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {list(theta.shape)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    spatial = size[2:]
    dims = len(spatial)
    axes = [_base_coordinates(s, align_corners, theta) for s in spatial]
    # homogeneous coordinates (x, y[, z], 1) of every output position, x the last axis
    mesh = []
    for a in range(dims - 1, -1, -1):
        shape = [1] * dims
        shape[a] = spatial[a]
        mesh.append(axes[a].reshape(shape).expand(*spatial))
    mesh.append(theta.new_ones(tuple(spatial)))
    base = ag.stack(mesh, -1).reshape(1, -1, dims + 1)
    grid = base @ theta.transpose(1, 2)  # (N, prod(spatial), dims)
    return grid.reshape(size[0], *spatial, dims)


def _source_index(g: Tensor, size: int, align_corners: bool, padding_mode: str) -> Tensor:
    if align_corners:
        p = (g + 1) / 2 * (size - 1)
    else:
        p = ((g + 1) * size - 1) / 2
    if padding_mode == "border":
        p = p.clamp(0, size - 1)
    elif padding_mode == "reflection":
        p = _reflect(p, size, align_corners).clamp(0, size - 1)
    return p


def _reflect(p: Tensor, size: int, align_corners: bool) -> Tensor:
    """Mirror p into [0, S-1] (align_corners) or [-0.5, S-0.5] at the edges."""
    low, high = (0.0, 2.0 * (size - 1)) if align_corners else (-1.0, 2.0 * size - 1)
    if low == high:
        return p * 0.0
    lo, span = low / 2, (high - low) / 2
    d = (p - lo).abs()
    extra = d.fmod(span)
    flips = (d / span).floor()
    even = flips.remainder(2) == 0
    return ag.where(even, extra + lo, span - extra + lo)


def _taps(input: Tensor, positions: list, weights: Tensor | None) -> Tensor:
    """sum over the taps of w * input[idx] (zero outside); positions: per axis (N, *O)
    integer indices, in the input's axis order."""
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    valid = None
    flat = None
    for idx, size in zip(positions, spatial):
        inside = (idx >= 0) & (idx < size)
        valid = inside if valid is None else valid & inside
        clamped = idx.clamp(0, size - 1)
        flat = clamped if flat is None else flat * size + clamped
    out_shape = tuple(flat.shape[1:])
    index = flat.reshape(n, 1, -1).expand(n, c, flat[0].numel())
    values = input.reshape(n, c, -1).gather(2, index).reshape(n, c, *out_shape)
    factor = valid.to(input.dtype)
    if weights is not None:
        factor = factor * weights
    return values * factor.unsqueeze(1)


def _cubic(t: Tensor) -> list:
    """Keys' weights of the 4 taps at offsets -1, 0, 1, 2 for fractional position t."""
    def near(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo), or (N, C, D, H, W) at
    (N, Do, Ho, Wo, 3); grid[..., 0] is x (width), grid[..., 1] y, grid[..., 2] z."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    dims = input.ndim - 2
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != dims:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {dims} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and dims != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    spatial = tuple(input.shape[2:])
    # per input axis a (depth, height, width), the grid component dims-1-a
    comps = [grid[..., dims - 1 - a] for a in range(dims)]
    if mode == "bicubic":
        return _bicubic(input, comps, spatial, align_corners, padding_mode)
    coords = [_source_index(g, s, align_corners, padding_mode) for g, s in zip(comps, spatial)]
    if mode == "nearest":
        return _taps(input, [p.round().long() for p in coords], None)
    lows = [p.floor() for p in coords]
    fracs = [p - lo for p, lo in zip(coords, lows)]
    lows = [lo.long() for lo in lows]
    out = None
    for corner in itertools.product((0, 1), repeat=dims):
        weight = math.prod((f if bit else 1 - f) for f, bit in zip(fracs, corner))
        tap = _taps(input, [lo + bit for lo, bit in zip(lows, corner)], weight)
        out = tap if out is None else out + tap
    return out


def _bicubic(input: Tensor, comps: list, spatial: tuple, align_corners: bool,
             padding_mode: str) -> Tensor:
    """4 x 4 taps around the unclamped source position; each tap's index goes through the
    padding rule on its own (as PyTorch's bicubic grid sampler)."""
    coords = [_source_index(g, s, align_corners, "zeros") for g, s in zip(comps, spatial)]
    lows = [p.floor() for p in coords]
    weights = [_cubic(p - lo) for p, lo in zip(coords, lows)]
    out = None
    for i, j in itertools.product(range(4), repeat=2):
        idx = []
        for (lo, size), k in zip(zip(lows, spatial), (i, j)):
            q = lo + (k - 1)
            if padding_mode == "border":
                q = q.clamp(0, size - 1)
            elif padding_mode == "reflection":
                q = _reflect(q, size, align_corners).clamp(0, size - 1)
            idx.append(q.round().long())
        tap = _taps(input, idx, weights[0][i] * weights[1][j])
        out = tap if out is None else out + tap
    return out
