"""Converters of the fused layer primitives: linear, convolution, pooling, batch and layer
normalisation, embedding, and the activations with parameters."""

from __future__ import annotations

import math

import numpy as np

from ..ops.fused.activation import GELU, LeakyReLU
from ..ops.fused.conv import Convolution
from ..ops.fused.linear import Embedding, Linear
from ..ops.fused.norm import BatchNormEval, LayerNorm
from ..ops.fused.pool import AvgPool, MaxPool
from ._registry import converts
from .errors import UnsupportedOperatorError


@converts(Linear)
def _linear(g, step):
    """y = x W^T + b: ``Gemm`` for a matrix x, ``MatMul`` + ``Add`` for a batch of them."""
    x, w, b = step.args[:3]
    if x.ndim == 2:
        inputs = [g.value(x), g.value(w)] + ([] if b is None else [g.value(b)])
        return [g.one("Gemm", inputs, transB=1)]
    y = g.one("MatMul", [g.value(x), g.one("Transpose", [g.value(w)], perm=[1, 0])])
    return [y if b is None else g.one("Add", [y, g.value(b)])]


def _axes(geometry) -> list:
    """The spatial axes (in, out, kernel, stride, dilation, pad_before, pad_after), as ONNX
    orders them (H then W; only W in 1-D)."""
    return [geometry.w] if geometry.one_d else [geometry.h, geometry.w]


def _window_attrs(axes: list, dilations: bool = True) -> dict:
    attrs = {"kernel_shape": [a[2] for a in axes], "strides": [a[3] for a in axes],
             "pads": [a[5] for a in axes] + [a[6] for a in axes]}
    if dilations:
        attrs["dilations"] = [a[4] for a in axes]
    return attrs


@converts(Convolution)
def _conv(g, step):
    x, w, b, geometry = step.args[:4]
    inputs = [g.value(x), g.value(w)] + ([] if b is None else [g.value(b)])
    return [g.one("Conv", inputs, group=int(geometry.groups), **_window_attrs(_axes(geometry)))]


@converts(MaxPool)
def _max_pool(g, step):
    x, p, one_d, return_indices = step.args[:4]
    if return_indices:
        raise UnsupportedOperatorError("onnx.export: MaxPool with return_indices=True is not supported")
    axes = [p.w] if one_d else [p.h, p.w]
    return [g.one("MaxPool", [g.value(x)], **_window_attrs(axes))]


@converts(AvgPool)
def _avg_pool(g, step):
    """AveragePool; a fixed divisor other than the window size (``divisor_override``) scales
    the window mean; a per-window divisor means padding is left out of the count."""
    x, p, one_d, divisor = step.args[:4]
    axes = [p.w] if one_d else [p.h, p.w]
    if any(a[4] != 1 for a in axes):
        raise UnsupportedOperatorError("onnx.export: AvgPool with dilation is not supported")
    window = math.prod(a[2] for a in axes)
    fixed = isinstance(divisor, float)
    y = g.one("AveragePool", [g.value(x)], count_include_pad=int(fixed), **_window_attrs(axes, False))
    if fixed and divisor != window:
        y = g.one("Mul", [y, g.constant(np.asarray(window / divisor, dtype=x._data.dtype), "scale")])
    return [y]


def _ones_or(g, t, like, size: int, value: float) -> str:
    return g.value(t) if t is not None else g.constant(np.full(size, value, dtype=like._data.dtype), "affine")


@converts(BatchNormEval)
def _batch_norm(g, step):
    """Eval-mode batch norm: (x - running_mean) / sqrt(running_var + eps) * weight + bias."""
    x, mean, var, weight, bias, eps = step.args[:6]
    c = x.shape[1]
    inputs = [g.value(x), _ones_or(g, weight, x, c, 1.0), _ones_or(g, bias, x, c, 0.0), g.value(mean), g.value(var)]
    return [g.one("BatchNormalization", inputs, epsilon=float(eps))]


@converts(LayerNorm)
def _layer_norm(g, step):
    """Layer norm over the last k axes: ``LayerNormalization`` (opset 17)."""
    x, weight, bias, k, eps = step.args[:5]
    shape = tuple(x.shape[x.ndim - k:])
    scale = g.value(weight) if weight is not None else g.constant(np.ones(shape, x._data.dtype), "ln_scale")
    inputs = [g.value(x), scale]
    if bias is not None:
        inputs.append(g.value(bias))
    return [g.one("LayerNormalization", inputs, axis=-int(k), epsilon=float(eps))]


@converts(Embedding)
def _embedding(g, step):
    """Rows of the table: ``Gather`` along axis 0 (padding_idx only changes the gradient)."""
    weight, idx = step.args[:2]
    return [g.one("Gather", [g.value(weight), g.value(idx)], axis=0)]


@converts(LeakyReLU)
def _leaky_relu(g, step):
    return [g.one("LeakyRelu", [g.value(step.args[0])], alpha=float(step.args[1]))]


@converts(GELU)
def _gelu(g, step):
    """x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, or its tanh approximation
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2; the ``Gelu`` node from opset 20."""
    x = step.args[0]
    approximate = step.args[1] if len(step.args) > 1 else "none"
    name = g.value(x)
    if g.opset >= 20:
        return [g.one("Gelu", [name], approximate=str(approximate))]

    def c(v):
        return g.constant(np.asarray(v, dtype=x._data.dtype), "gelu_c")

    if approximate == "tanh":
        cube = g.one("Mul", [g.one("Mul", [name, name]), name])
        inner = g.one("Add", [name, g.one("Mul", [cube, c(0.044715)])])
        u = g.one("Tanh", [g.one("Mul", [inner, c(math.sqrt(2.0 / math.pi))])])
    else:
        u = g.one("Erf", [g.one("Mul", [name, c(1.0 / math.sqrt(2.0))])])
    return [g.one("Mul", [g.one("Mul", [name, g.one("Add", [u, c(1.0)])]), c(0.5)])]
