"""Argument parsing and checks of the convolutions, unfold and fold.

Each ``_*_geometry`` function validates the arguments in PyTorch's order and with its
exception classes and messages, and turns them into the `_Geometry` of the fused nodes:
padding ('valid', 'same' or numbers), output sizes, groups and bias shapes.
"""

from __future__ import annotations

import math

from ...tensor import Tensor
from .._operands import int_argument
from ._im2col import _Geometry, _geometry


def _tuple(value, n: int, name: str, op: str) -> tuple:
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to "
                f"match the convolution dimensions, but got {name}={list(value)}"
            )
        return tuple(int_argument(v, name, op) for v in value)
    return (int_argument(value, name, op),) * n


def _dims_text(values) -> str:
    return " x ".join(str(v) for v in values)


def _dtype_name(a) -> str:
    return {"float16": "Half", "float32": "Float", "float64": "Double"}.get(
        str(a.dtype).replace("autograd_core.", ""), str(a.dtype))


def _check_common(op: str, input: Tensor, weight: Tensor, bias, dims: int) -> bool:
    """Shape and dtype checks shared by the convolutions; returns whether input is batched."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"weight should have at least three dimensions: expected {dims + 2}-D weight for "
            f"{op}, but got weight of size {list(weight.shape)}"
        )
    for other in (weight, bias):
        if isinstance(other, Tensor) and other.dtype != input.dtype:
            raise RuntimeError(
                f"expected scalar type {_dtype_name(input)} but found {_dtype_name(other)} "
                f"({op}: input is {input.dtype}, weight/bias {other.dtype}; convert one with "
                f".to(dtype))"
            )
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    return input.ndim == dims + 2


def _check_bias(bias, channels: int, weight: Tensor) -> None:
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.ndim != 1 or bias.shape[0] != channels:
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
            f"with {channels} elements, but got bias of size {list(bias.shape)} instead"
        )


def _check_positive(stride, dilation) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"dilation should be greater than zero, but got {list(dilation)}")


def _wide_pays(weight: Tensor, groups: int) -> bool:
    """Whether a stride-1 convolution should use the wide column layout (see `_im2col`).

    Wide makes im2col/col2im copy long runs (cheaper per column entry: the column side,
    K = C*kh*kw rows per sample), but the GEMMs then compute spare columns, and the output
    and its gradient (O rows) need a copy to drop or zero them. So: wide when the columns
    outnumber the output rows (CNN benchmark: conv1 K=9 < O=16 narrow, conv2 K=144 > O=32
    wide, each measured faster so). The weight is (O, C/G, kh, kw) for a convolution and
    (C_in, C_out/G, kh, kw) for a transposed one: the same roles."""
    return weight.shape[1] * groups * math.prod(weight.shape[2:]) > weight.shape[0]


def _check_kernel(kernel: tuple, weight: Tensor) -> None:
    if any(k <= 0 for k in kernel):
        names = ("kernel_height", "kernel_width") if len(kernel) == 2 else ("kernel_size",)
        sizes = " ".join(f"{n}: {k}" for n, k in zip(names, kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {sizes} (weight "
                           f"of shape {list(weight.shape)}); use a kernel_size of at least 1")


# ---------------------------------------------------------------------------- geometries
def _conv_geometry(op: str, dims: int, input: Tensor, weight: Tensor, bias, stride,
                   padding, dilation, groups: int) -> tuple[Tensor, bool, _Geometry]:
    """Checks the arguments of conv1d/conv2d; returns the input as a batch, whether it
    was one, and the geometry (padding 'same' puts an odd extra row/column after)."""
    batched = _check_common(op, input, weight, bias, dims)
    x = input if batched else input.unsqueeze(0)
    stride = _tuple(stride, dims, "stride", op)
    dilation = _tuple(dilation, dims, "dilation", op)
    _check_positive(stride, dilation)
    kernel = tuple(weight.shape[2:])
    _check_kernel(kernel, weight)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * dims
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _tuple(padding, dims, "padding", op))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    out_channels = weight.shape[0]
    if out_channels == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead "
                           f"(a convolution needs at least one output channel)")
    if out_channels % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(weight.shape)}] instead"
        )
    channels = x.shape[1]
    if channels != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{channels} channels instead"
        )
    _check_bias(bias, out_channels, weight)
    spatial = tuple(x.shape[2:])
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_dims_text(padded)}). Kernel size: "
            f"({_dims_text(effective)}). Kernel size can't be greater than actual input size"
        )
    axes = [(s, (p - e) // st + 1, k, st, d, lo, hi)
            for s, p, e, k, st, d, (lo, hi) in zip(spatial, padded, effective, kernel, stride,
                                                   dilation, pads)]
    return x, batched, _geometry(groups, axes, _wide_pays(weight, groups))


def _conv_transpose_geometry(op: str, dims: int, input: Tensor, weight: Tensor, bias,
                             stride, padding, output_padding, groups: int,
                             dilation) -> tuple[Tensor, bool, _Geometry]:
    """Checks the arguments of conv_transpose1d/2d; returns the input as a batch, whether
    it was one, and the geometry of the adjoint convolution."""
    batched = _check_common(op, input, weight, bias, dims)
    x = input if batched else input.unsqueeze(0)
    stride = _tuple(stride, dims, "stride", op)
    dilation = _tuple(dilation, dims, "dilation", op)
    _check_positive(stride, dilation)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    padding = _tuple(padding, dims, "padding", op)
    output_padding = _tuple(output_padding, dims, "output_padding", op)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output padding is not supported")
    names = ("height", "width") if dims == 2 else ("width",)
    if any(op_ >= s and op_ >= d for op_, s, d in zip(output_padding, stride, dilation)):
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, output_padding)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           "but got " + " ".join(parts))
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    in_channels = weight.shape[0]
    if in_channels % groups != 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(weight.shape)}] instead"
        )
    if x.shape[1] != in_channels:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {in_channels} channels, but got {x.shape[1]} "
            f"channels instead"
        )
    _check_bias(bias, weight.shape[1] * groups, weight)
    kernel = tuple(weight.shape[2:])
    _check_kernel(kernel, weight)
    axes = []
    for size, k, s, d, p, extra in zip(x.shape[2:], kernel, stride, dilation, padding,
                                       output_padding):
        out = (size - 1) * s - 2 * p + d * (k - 1) + extra + 1
        if out <= 0:
            raise RuntimeError(
                f"Given input size per channel: ({_dims_text(x.shape[2:])}). Calculated output "
                f"size per channel: {out} along one axis. Output size is too small"
            )
        # the adjoint convolution reads ``size`` windows from the output padded by p on
        # both sides (output_padding only adds rows that its last window may not reach)
        axes.append((out, size, k, s, d, p, p))
    return x, batched, _geometry(groups, axes, _wide_pays(weight, groups))


def _patch_axes(spatial, kernel_size, dilation, padding, stride, op: str) -> list:
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(stride, dilation)
    axes = []
    for size, k, d, p, s in zip(spatial, kernel, dilation, padding, stride):
        blocks = (size + 2 * p - d * (k - 1) - 1) // s + 1
        if blocks <= 0:
            raise RuntimeError(
                f"Given input with spatial size ({_dims_text(spatial)}), kernel_size "
                f"({_dims_text(kernel)}), dilation ({_dims_text(dilation)}), padding "
                f"({_dims_text(padding)}), calculated shape of the array of sliding blocks "
                f"has a non-positive size; check the arguments"
            )
        axes.append((size, blocks, k, s, d, p, p))
    return axes


def _unfold_geometry(input: Tensor, kernel_size, dilation, padding,
                     stride) -> tuple[Tensor, _Geometry]:
    """Checks the arguments of unfold; returns the input as a batch and the geometry."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    axes = _patch_axes(tuple(x.shape[2:]), kernel_size, dilation, padding, stride, "unfold")
    return x, _geometry(1, axes, allow_wide=False)


def _fold_geometry(input: Tensor, output_size, kernel_size, dilation, padding,
                   stride) -> tuple[Tensor, _Geometry, int]:
    """Checks the arguments of fold; returns the input as a batch, the geometry and the
    number of output channels."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors "
                           f"are supported (got {input.ndim}D)")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    output_size = _tuple(output_size, 2, "output_size", "fold")
    kernel = _tuple(kernel_size, 2, "kernel_size", "fold")
    axes = _patch_axes(output_size, kernel, dilation, padding, stride, "fold")
    per_block = kernel[0] * kernel[1]
    if x.shape[1] % per_block != 0:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size="
            f"({_dims_text(kernel)})"
        )
    blocks = axes[0][1] * axes[1][1]
    if x.shape[2] != blocks:
        shown = ", ".join(f"{name}=({a}, {b})" for name, (a, b) in (
            ("output_size", output_size), ("kernel_size", kernel),
            ("dilation", (axes[0][4], axes[1][4])), ("padding", (axes[0][5], axes[1][5])),
            ("stride", (axes[0][3], axes[1][3]))))
        raise RuntimeError(
            f"Given {shown}, expected size of input's dimension 2 to match the calculated "
            f"number of sliding blocks {axes[0][1]} * {axes[1][1]} = {blocks}, but got "
            f"input.size(2)={x.shape[2]}."
        )
    return x, _geometry(1, axes, allow_wide=False), x.shape[1] // per_block
