"""3-D pooling (max, average, adaptive) as two passes of the 2-D fused pooling nodes.

A max or a mean over a box d x h x w is separable: pool each depth slice over (h, w),
then pool the results over depth. Both passes are PyTorch's own window rules per axis
(padding, dilation, ceil_mode, and divisors that are products of per-axis counts), so the
result is the 3-D pooling exactly; ties go to the first maximum in (d, h, w) order, as in
PyTorch. The depth pass runs on a (N, C*OH*OW, D, 1) view with a (kd, 1) window.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from ._output_size import check_output_size

__all__ = ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices"]


def _triple(value, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * 3
        if len(value) != 3:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of three ints")
        return tuple(value)
    return (value,) * 3


def _batched(op: str, input: Tensor) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}: non-empty 4D or 5D (batch mode) tensor expected for input, "
                           f"but got input of size {list(input.shape)}")
    return input if input.ndim == 5 else input.unsqueeze(0)


def _depth_view(y: Tensor, n: int, c: int, d: int) -> Tensor:
    """(N, C*D, OH, OW) after the (h, w) pass -> (N, C*OH*OW, D, 1) for the depth pass."""
    oh, ow = y.shape[-2:]
    return y.reshape(n, c, d, oh * ow).transpose(2, 3).reshape(n, c * oh * ow, d, 1)


def _volume(z: Tensor, n: int, c: int, oh: int, ow: int) -> Tensor:
    """(N, C*OH*OW, OD, 1) after the depth pass -> (N, C, OD, OH, OW)."""
    od = z.shape[2]
    return z.reshape(n, c, oh * ow, od).transpose(2, 3).reshape(n, c, od, oh, ow)


def _combine_indices(i_hw: Tensor, i_d: Tensor, n: int, c: int, d: int, hw: int,
                     out: tuple) -> Tensor:
    """Flat d*H*W + h*W + w indices from the two passes' indices: ``i_hw`` (N, C*D, OH, OW)
    of the (h, w) pass and ``i_d`` (N, C*OH*OW, OD, 1) of the depth pass."""
    od, oh, ow = out
    per_slice = i_hw.reshape(n, c, d, oh * ow).transpose(2, 3)  # (N, C, OH*OW, D)
    depth = i_d.reshape(n, c, oh * ow, od)
    hw_index = per_slice.gather(3, depth)
    flat = depth * hw + hw_index
    return flat.transpose(2, 3).reshape(n, c, od, oh, ow)


def _unbatch(result, unbatched: bool):
    if not unbatched:
        return result
    if isinstance(result, tuple):
        return tuple(r.squeeze(0) for r in result)
    return result.squeeze(0)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W); with ``return_indices`` also the
    flat positions d*H*W + h*W + w of the maxima (for `max_unpool3d`)."""
    x = _batched("max_pool3d", input)
    if any(size == 0 for size in x.shape[1:]):
        raise RuntimeError(f"max_pool3d: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(input.shape)}")
    k = _triple(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _triple(stride, "stride")
    p, dl = _triple(padding, "padding"), _triple(dilation, "dilation")
    n, c, d, h, w = x.shape
    y, i_hw = ag.fused.max_pool2d(x.reshape(n, c * d, h, w), k[1:], s[1:], p[1:], dl[1:],
                                  ceil_mode, True)
    oh, ow = y.shape[-2:]
    z, i_d = ag.fused.max_pool2d(_depth_view(y, n, c, d), (k[0], 1), (s[0], 1), (p[0], 0),
                                 (dl[0], 1), ceil_mode, True)
    out = _volume(z, n, c, oh, ow)
    if not return_indices:
        return _unbatch(out, input.ndim == 4)
    idx = _combine_indices(i_hw, i_d, n, c, d, h * w, (z.shape[2], oh, ow))
    return _unbatch((out, idx), input.ndim == 4)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W). The divisor of a window is
    the product of its per-axis counts (padding counted or not), or ``divisor_override``."""
    x = _batched("avg_pool3d", input)
    k = _triple(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _triple(stride, "stride")
    p = _triple(padding, "padding")
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError("divisor must be not zero")
    total = 1 if divisor_override is not None else None  # sum pooling, divided at the end
    n, c, d, h, w = x.shape
    y = ag.fused.avg_pool2d(x.reshape(n, c * d, h, w), k[1:], s[1:], p[1:], ceil_mode,
                            count_include_pad, total)
    oh, ow = y.shape[-2:]
    z = ag.fused.avg_pool2d(_depth_view(y, n, c, d), (k[0], 1), (s[0], 1), (p[0], 0),
                            ceil_mode, count_include_pad, total)
    out = _volume(z, n, c, oh, ow)
    if divisor_override is not None:
        out = out / divisor_override
    return _unbatch(out, input.ndim == 4)


def _adaptive_sizes(op: str, x: Tensor, output_size) -> tuple:
    sizes = _triple(output_size, "output_size")
    sizes = tuple(s if o is None else int(o) for o, s in zip(sizes, x.shape[-3:]))
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(sizes)}")
    return sizes


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) to ``output_size`` (an int or a triple; ``None``
    keeps that input size): bin i of an axis covers floor(i*in/out) .. ceil((i+1)*in/out)."""
    check_output_size(input, output_size)
    x = _batched("adaptive_avg_pool3d", input)
    od, oh, ow = _adaptive_sizes("adaptive_avg_pool3d", x, output_size)
    n, c, d, h, w = x.shape
    y = ag.fused.adaptive_avg_pool2d(x.reshape(n, c * d, h, w), (oh, ow))
    z = ag.fused.adaptive_avg_pool2d(_depth_view(y, n, c, d), (od, 1))
    return _unbatch(_volume(z, n, c, oh, ow), input.ndim == 4)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) to ``output_size``; with ``return_indices`` also the
    flat positions of the maxima."""
    check_output_size(input, output_size)
    x = _batched("adaptive_max_pool3d", input)
    od, oh, ow = _adaptive_sizes("adaptive_max_pool3d", x, output_size)
    n, c, d, h, w = x.shape
    y, i_hw = ag.fused.adaptive_max_pool2d(x.reshape(n, c * d, h, w), (oh, ow), True)
    z, i_d = ag.fused.adaptive_max_pool2d(_depth_view(y, n, c, d), (od, 1), True)
    out = _volume(z, n, c, oh, ow)
    if not return_indices:
        return _unbatch(out, input.ndim == 4)
    idx = _combine_indices(i_hw, i_d, n, c, d, h * w, (od, oh, ow))
    return _unbatch((out, idx), input.ndim == 4)


# the explicit "with indices" names of torch.nn.functional
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """`max_pool1d` returning (values, indices)."""
    return ag.fused.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """`max_pool2d` returning (values, indices)."""
    return ag.fused.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """`max_pool3d` returning (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """`adaptive_max_pool1d` returning (values, indices)."""
    return ag.fused.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """`adaptive_max_pool2d` returning (values, indices)."""
    return ag.fused.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """`adaptive_max_pool3d` returning (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)
