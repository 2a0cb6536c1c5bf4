"""Fractional max pooling (Graham 2014), plays ``fractional_max_pool2d/3d``.

The output size need not divide the input size: along each axis the windows (of fixed
size k) start at pseudo-random positions drawn from one sample u in [0, 1) per sample and
channel,

    alpha = (in - k) / (out - 1)
    start_i = floor((i + u) alpha) - floor(u alpha)   (i < out - 1),   start_last = in - k

and each output is the max of its window. The windows are gathered with Tensor ops and
maxed, so gradients come from the engine; ``_random_samples`` (N, C, dims) fixes the draw.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_AXIS_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _tuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value) * (n if len(value) == 1 else 1)
    return (value,) * n


def _starts(sample: Tensor, in_size: int, out_size: int, k: int) -> Tensor:
    """Window starts (N, C, out) for the samples (N, C)."""
    last = sample.new_full(tuple(sample.shape) + (1,), float(in_size - k)).long()
    if out_size == 1:
        return last
    alpha = (in_size - k) / (out_size - 1)
    i = ag.arange(out_size - 1, dtype=sample.dtype, device=sample.device)
    u = sample.unsqueeze(-1)
    starts = ((i + u) * alpha).floor() - (u * alpha).floor()
    return ag.cat([starts.long(), last], -1)


def _fractional(op: str, input: Tensor, kernel_size, output_size, output_ratio,
                random_samples, dims: int):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    spatial = tuple(input.shape[-dims:])
    kernel = tuple(int(k) for k in _tuple(kernel_size, dims))
    if output_size is None:
        ratio = _tuple(output_ratio, dims)
        output_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    out = tuple(int(o) for o in _tuple(output_size, dims))
    for name, o, k, s in zip(_AXIS_NAMES[dims], out, kernel, spatial):
        if o + k - 1 > s:
            raise RuntimeError(f"{op}(): pool {name} {k} too large relative to input {name} "
                               f"{s}")
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c = x.shape[:2]
    if random_samples is None:
        random_samples = ag.rand(n, c, dims, dtype=input.dtype, device=input.device)
    shape = tuple(random_samples.shape)
    if len(shape) != 3 or shape[0] < n or shape[1:] != (c, dims):
        raise RuntimeError(f"{op}(): expected _random_samples of shape {[n, c, dims]}, got "
                           f"{list(shape)}")
    random_samples = random_samples[:n]
    # PyTorch's sample order: width first for 2-D; time, height, width for 3-D
    order = (1, 0) if dims == 2 else (0, 1, 2)
    starts = [_starts(random_samples[:, :, j], s, o, k)
              for j, s, o, k in zip(order, spatial, out, kernel)]
    windows = x
    for a, (st, k) in enumerate(zip(starts, kernel)):
        pos = (st.unsqueeze(-1) + ag.arange(k, device=x.device)).reshape(n, c, -1)
        view = [n, c] + [1] * dims
        view[2 + a] = pos.shape[-1]
        shape = list(windows.shape)
        shape[2 + a] = pos.shape[-1]
        windows = windows.gather(2 + a, pos.reshape(view).expand(*shape))
    split = [n, c] + [v for o, k in zip(out, kernel) for v in (o, k)]
    perm = [0, 1] + [2 + 2 * a for a in range(dims)] + [3 + 2 * a for a in range(dims)]
    windows = windows.reshape(split).permute(*perm).reshape(n, c, *out, math.prod(kernel))
    values, arg = windows.max(-1)
    # the flat index of each maximum: position along each axis, row-major
    flat = None
    inner = math.prod(kernel)
    for a, (st, k, s) in enumerate(zip(starts, kernel, spatial)):
        inner //= k
        view = [n, c] + [1] * dims
        view[2 + a] = out[a]
        pos = st.reshape(view) + (arg // inner) % k
        flat = pos if flat is None else flat * s + pos
    if unbatched:
        values, flat = values.squeeze(0), flat.squeeze(0)
    return values, flat


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """`fractional_max_pool2d` returning (values, indices)."""
    return _fractional("fractional_max_pool2d", input, kernel_size, output_size, output_ratio,
                       _random_samples, 2)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """`fractional_max_pool3d` returning (values, indices)."""
    return _fractional("fractional_max_pool3d", input, kernel_size, output_size, output_ratio,
                       _random_samples, 3)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None):
    """Fractional max pooling of (N, C, H, W) to ``output_size`` (or ``output_ratio`` of
    the input size) with windows ``kernel_size``."""
    values, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                     output_ratio, True, _random_samples)
    return (values, idx) if return_indices else values


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None):
    """Fractional max pooling of (N, C, D, H, W)."""
    values, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                     output_ratio, True, _random_samples)
    return (values, idx) if return_indices else values
