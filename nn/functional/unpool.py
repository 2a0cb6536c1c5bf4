"""Max unpooling (plays ``max_unpool1d/2d/3d``): the partial inverse of max pooling.

Each pooled value goes back to the position its maximum came from (the flat indices that
max pooling returns with ``return_indices=True``); every other position is zero. It is a
`scatter` of the values into a zero volume, so its gradient gathers the output gradient
at those positions.
"""

from __future__ import annotations

import math

from autograd_core import Tensor

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _tuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) * (n if len(value) == 1 else 1)
    return (int(value),) * n


def _output_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                 output_size) -> tuple:
    n = len(kernel)
    spatial = tuple(input.shape[-n:])
    default = tuple((s - 1) * st + k - 2 * p for s, k, st, p in
                    zip(spatial, kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        sizes = tuple(int(v) for v in output_size)
        if len(sizes) == n + 2:
            sizes = sizes[2:]
        if len(sizes) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(sizes)}'")
        for d, (size, base, st) in enumerate(zip(sizes, default, stride)):
            if not base - st < size < base + st:
                raise ValueError(f'invalid output_size "{list(sizes)}" (dim {d} must be '
                                 f"between {base - st} and {base + st})")
    for d, size in enumerate(sizes):
        if size < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={size}")
    return sizes


def _max_unpool(input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size,
                dims: int) -> Tensor:
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"max_unpool{dims}d: expected a {dims + 1}D or {dims + 2}D input, "
                           f"got input of size {list(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    kernel = _tuple(kernel_size, dims)
    stride = kernel if stride is None else _tuple(stride, dims)
    padding = _tuple(padding, dims)
    sizes = _output_size(input, kernel, stride, padding, output_size)
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    idx = indices.unsqueeze(0) if unbatched else indices
    n, c = x.shape[:2]
    total = math.prod(sizes)
    flat_idx = idx.reshape(n, c, -1).long()
    if flat_idx.numel():
        lo, hi = int(flat_idx.min()), int(flat_idx.max())
        if lo < 0 or hi >= total:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{'x'.join(str(s) for s in sizes)})")
    out = x.new_zeros((n, c, total)).scatter(2, flat_idx, x.reshape(n, c, -1))
    out = out.reshape(n, c, *sizes)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of `max_pool1d` on (N, C, L): maxima back in place, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of `max_pool2d` on (N, C, H, W): maxima back in place, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of `max_pool3d` on (N, C, D, H, W): maxima back in place, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)
