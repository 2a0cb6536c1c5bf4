"""Activation functions (plays the activations of ``torch.nn.functional``).

Each is one graph node (``autograd_core.fused`` or a core op) with its derivative written
next to its forward; ``inplace=True`` writes the result into the input, as in PyTorch.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
           "mish", "softplus", "softsign", "sigmoid", "tanh", "hardtanh", "hardsigmoid",
           "hardswish", "threshold", "prelu", "softmax", "log_softmax", "softmin",
           "logsigmoid", "glu", "tanhshrink"]

_fused = ag.fused


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); dx = g [x > 0]."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _fused.relu6(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope x otherwise."""
    return _fused.leaky_relu(input, negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return _fused.elu(input, alpha, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return _fused.selu(input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^{x/alpha} - 1) otherwise."""
    return _fused.celu(input, alpha, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x), or with ``approximate='tanh'`` its tanh approximation."""
    return _fused.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    return _fused.silu(input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    return _fused.mish(input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{beta x}) / beta, and x where beta x > threshold."""
    return _fused.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _fused.softsign(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^{-x})."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val)."""
    return _fused.hardtanh(input, min_val, max_val, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _fused.hardsigmoid(input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    return _fused.hardswish(input, inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    return _fused.threshold(input, threshold, value, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a x otherwise, with a learned slope per channel (dim 1) or shared."""
    return _fused.prelu(input, weight)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(x) / sum exp(x) along ``dim`` (one node; dx = y (g - sum g y))."""
    return ag.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x - log sum exp(x) along ``dim`` (one node, finite for logits of 1000)."""
    return ag.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return ag.softmax(-input, dim, dtype=dtype)


def logsigmoid(input: Tensor) -> Tensor:
    """log sigmoid(x) = -softplus(-x)."""
    return _fused.logsigmoid(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a sigmoid(b), where a and b are the two halves along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        d = dim % input.ndim
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()
