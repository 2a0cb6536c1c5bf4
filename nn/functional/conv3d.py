"""3-D convolution and its transpose, built on the 2-D fused nodes.

A 3-D convolution sums 2-D convolutions over the kernel's depth offsets. We move the
depth offsets into the channels: `unfold` over the depth axis alone (an im2col of width 1)
turns x (N, C, D, H, W) into, for every output depth od, a (C*kd, H, W) stack of the input
slices od*s + k*d; one `conv2d` of that stack with W reshaped to (O, C/G*kd, kh, kw) is
then the whole 3-D convolution:

    y[n, o, od] = b[o] + sum_{c, k} conv2d(x[n, c, od*s_d + k*d_d - p_d], W[o, c, k])

The transpose runs the same steps backwards: `conv_transpose2d` with W reshaped to
(C_in, C_out/G*kd, kh, kw) gives every depth offset's contribution, and `fold` over the
depth axis adds each to its output depth id*s + k*d (then the padding is cropped).
Gradients (of any order) come from the fused unfold/fold/conv nodes.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from .misc import pad

__all__ = ["conv3d", "conv_transpose3d"]


def _triple(value, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        value = tuple(int(v) for v in value)
        if len(value) == 1:
            value = value * 3
        if len(value) != 3:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 3 "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return value
    return (int(value),) * 3


def _check(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
           transposed: bool) -> None:
    if weight.ndim != 5:
        raise RuntimeError(f"conv3d expects a 5-dimensional weight, got weight of size "
                           f"{list(weight.shape)}")
    if input.ndim != 5:
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
                           f"input of size: {list(input.shape)}")
    c = input.shape[1]
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if c != expected:
        kind = "transposed=1, " if transposed else f"groups={groups}, "
        raise RuntimeError(f"Given {kind}weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {expected} channels, but got {c} "
                           f"channels instead")
    out = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _same_padding(input: Tensor, kernel: tuple, dilation: tuple) -> tuple[Tensor, tuple]:
    """'same' padding: (d (k - 1)) split in two per axis, the extra one on the high side
    (padded explicitly, the symmetric part handed to the convolution)."""
    sym, extra = [], []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        sym.append(total // 2)
        extra.append(total - 2 * (total // 2))
    if any(extra):
        input = pad(input, (0, extra[2], 0, extra[1], 0, extra[0]))
    return input, tuple(sym)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution of (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) with weight
    (C_out, C_in/groups, kd, kh, kw). ``padding``: int, triple, 'valid' or 'same'."""
    unbatched = input.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    _check(x, weight, bias, groups, transposed=False)
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        if padding == "valid":
            padding = (0, 0, 0)
        else:
            x, padding = _same_padding(x, kernel, dilation)
    padding = _triple(padding, "padding")
    if any(int(p) < 0 for p in padding):
        raise RuntimeError(f"conv3d: negative padding is not supported (got padding="
                           f"{list(padding)}); crop the input first, e.g. with F.pad")
    n, c, d, h, w = x.shape
    kd = kernel[0]
    padded = tuple(s + 2 * p for s, p in zip((d, h, w), padding))
    spans = tuple(dl * (k - 1) + 1 for dl, k in zip(dilation, kernel))
    if any(s < k for s, k in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be "
                           f"greater than actual input size")
    # depth patches as columns: (N, C*H*W*kd, OD)
    cols = ag.fused.unfold(x.permute(0, 1, 3, 4, 2).reshape(n, c * h * w, d, 1), (kd, 1),
                           (dilation[0], 1), (padding[0], 0), (stride[0], 1))
    od = cols.shape[-1]
    stack = cols.reshape(n, c, h, w, kd, od).permute(0, 5, 1, 4, 2, 3)
    stack = stack.reshape(n * od, c * kd, h, w)
    o = weight.shape[0]
    w2 = weight.reshape(o, weight.shape[1] * kd, kernel[1], kernel[2])
    y = ag.fused.conv2d(stack, w2, bias, stride[1:], padding[1:], dilation[1:], groups)
    y = y.reshape(n, od, o, y.shape[-2], y.shape[-1]).permute(0, 2, 1, 3, 4)
    return y.squeeze(0) if unbatched else y


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution of (N, C_in, D, H, W) with weight
    (C_in, C_out/groups, kd, kh, kw); output size per axis
    (D - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    unbatched = input.ndim == 4
    x = input.unsqueeze(0) if unbatched else input
    _check(x, weight, bias, groups, transposed=True)
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    padding, output_padding = _triple(padding, "padding"), _triple(output_padding,
                                                                  "output_padding")
    for op, s, dl in zip(output_padding, stride, dilation):
        if op >= s and op >= dl:
            raise RuntimeError(f"output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={list(output_padding)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")
    n, c, d, h, w = x.shape
    kd, kh, kw = weight.shape[2:]
    out_per_group = weight.shape[1]
    o = out_per_group * groups
    # every depth offset's 2-D contribution: (N*D, C_out*kd, OH, OW)
    w2 = weight.reshape(c, out_per_group * kd, kh, kw)
    y = ag.fused.conv_transpose2d(x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w), w2, None,
                                  stride[1:], padding[1:], output_padding[1:], groups,
                                  dilation[1:])
    oh, ow = y.shape[-2:]
    # add each to its output depth id*s + k*d: fold over the depth axis
    cols = y.reshape(n, d, o, kd, oh, ow).permute(0, 2, 4, 5, 3, 1)
    cols = cols.reshape(n, o * oh * ow * kd, d)
    full = (d - 1) * stride[0] + dilation[0] * (kd - 1) + 1
    z = ag.fused.fold(cols, (full, 1), (kd, 1), (dilation[0], 1), 0, (stride[0], 1))
    z = pad(z, (0, 0, -padding[0], output_padding[0] - padding[0]))
    depth = z.shape[2]
    z = z.reshape(n, o, oh, ow, depth).permute(0, 1, 4, 2, 3)
    if bias is not None:
        z = z + bias.reshape(1, o, 1, 1, 1)
    return z.squeeze(0) if unbatched else z
