"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d.

Parameters, their shapes, names and initialisation are PyTorch's:

- ``weight``: (out_channels, in_channels / groups, *kernel_size) for a convolution,
  (in_channels, out_channels / groups, *kernel_size) for a transposed one;
- ``bias``: (out_channels,) or None;
- weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias
  ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.size(1) * prod(kernel_size).
"""

from __future__ import annotations

import math
import numbers

import autograd_core as ag
from autograd_core import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _int(v, name: str) -> int:
    """An int argument; 2.5 or '3' are refused (int() would silently make them 2 and 3)."""
    if isinstance(v, numbers.Integral):
        return int(v)
    raise TypeError(f"{name} must be an int or a tuple of ints, got {v!r} of type "
                    f"{type(v).__name__}")


def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        value = tuple(_int(v, name) for v in value)
        if len(value) == 1:
            value = value * n
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
        return value
    return (_int(value, name),) * n


class _ConvNd(Module):
    """What the convolution layers share: arguments, parameters, initialisation, repr."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, output_padding, groups: int, bias: bool, padding_mode: str,
                 device=None, dtype=None) -> None:
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        stride = _ntuple(stride, n, "stride")
        dilation = _ntuple(dilation, n, "dilation")
        kernel_size = _ntuple(kernel_size, n, "kernel_size")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad order (last axis first), each side: used when padding_mode != 'zeros'
        if isinstance(padding, str):
            pads = []
            for d, k in zip(dilation, kernel_size):
                total = d * (k - 1) if padding == "same" else 0
                pads.append((total // 2, total - total // 2))
        else:
            pads = [(p, p) for p in padding]
        self._reversed_padding_repeated_twice = [v for pair in reversed(pads) for v in pair]
        if self._transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        factory = {"device": device, "dtype": dtype}
        self.weight = Parameter(ag.empty(shape, **factory))
        if bias:
            self.bias = Parameter(ag.empty((out_channels,), **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight ~ kaiming_uniform_(a=sqrt(5)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = len(self.kernel_size)
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str) or self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _padded(self, input: Tensor) -> Tensor:
        """The input padded by ``padding_mode`` (for modes other than 'zeros')."""
        return F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)


class _ConvForward(_ConvNd):
    _conv = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0,
                         groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            return self._conv(self._padded(input), weight, bias, self.stride, 0, self.dilation,
                              self.groups)
        return self._conv(input, weight, bias, self.stride, self.padding, self.dilation,
                          self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvForward):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out),
    L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1."""

    _dims = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_ConvForward):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out), one fused node
    (im2col + one GEMM). ``padding`` may be an int, a pair, 'valid' or 'same';
    ``padding_mode`` 'zeros', or 'reflect' / 'replicate' / 'circular' (through
    ``nn.functional.pad``)."""

    _dims = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_ConvForward):
    """3-D convolution over (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out), for
    video and volumetric data (depth offsets folded into the channels of one 2-D
    convolution, see `nn.functional.conv3d`)."""

    _dims = 3
    _conv = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True
    _conv = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding "
                             f"('{padding}'); give the padding as int or tuple")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """``output_padding``, or the one that yields ``output_size`` (whose leading batch
        and channel entries may be included)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = [int(s) for s in output_size]
        leading = input.ndim - n
        if len(output_size) == leading + n:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{leading + n} elements (got {len(output_size)})")
        spatial = tuple(input.shape[-n:])
        low = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
               zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        high = [lo + s - 1 for lo, s in zip(low, self.stride)]
        for size, lo, hi in zip(output_size, low, high):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{low} to {high} (for an input of {list(spatial)})")
        return tuple(size - lo for size, lo in zip(output_size, low))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                          output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C_in, L) -> (N, C_out, L_out),
    L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""

    _dims = 1
    _conv = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution ("deconvolution"): the adjoint of Conv2d in its input,
    which upsamples (N, C_in, H, W) -> (N, C_out, H_out, W_out); for GAN generators and
    decoders. ``forward(input, output_size=None)`` picks output_padding from a size."""

    _dims = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out),
    the adjoint of Conv3d in its input (upsampling volumes)."""

    _dims = 3
    _conv = staticmethod(F.conv_transpose3d)
