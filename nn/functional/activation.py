"""Activation functions (plays the activations of ``torch.nn.functional``).

Each is one graph node (``autograd_core.fused`` or a core op) with its derivative written
next to its forward; ``inplace=True`` writes the result into the input, as in PyTorch.
"""

from __future__ import annotations

import warnings

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
           "mish", "softplus", "softsign", "sigmoid", "tanh", "hardtanh", "hardsigmoid",
           "hardswish", "threshold", "prelu", "softmax", "log_softmax", "softmin",
           "logsigmoid", "glu", "tanhshrink", "hardshrink", "softshrink", "rrelu", "rrelu_",
           "elu_", "celu_", "selu_", "leaky_relu_", "hardtanh_", "threshold_",
           "gumbel_softmax"]

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


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (NaN stays NaN)."""
    return ag.where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd for x > lambd, x + lambd for x < -lambd, else 0 (the proximal map of
    lambd |x|): sign(x) max(|x| - lambd, 0)."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, inf) for input dtype {input.dtype}, "
                           f"but found {lambd}")
    # 0 x in the dead zone (-0.0 for negative x); NaN is outside it (stays NaN, passes its
    # gradient), as in PyTorch
    dead = (input >= -lambd) & (input <= lambd)
    return ag.where(dead, input * 0.0, ag.where(input > lambd, input - lambd, input + lambd))


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomised leaky ReLU (Xu et al. 2015): x for x >= 0, a x otherwise, with
    a ~ U(lower, upper) drawn per element while training, a = (lower + upper) / 2 in
    evaluation."""
    if lower > upper:
        raise RuntimeError(f"Lower bound should be less than or equal to the upper bound "
                           f"(got lower={lower}, upper={upper})")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    with ag.no_grad():
        slope = ag.empty(tuple(input.shape), dtype=input.dtype, device=input.device)
        slope.uniform_(lower, upper)
    out = ag.where(input >= 0, input, input * slope)
    return input.copy_(out) if inplace else out


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place `rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place `elu`."""
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place `celu`."""
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place `selu`."""
    return selu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place `leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place `hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place `threshold`."""
    return _fused.threshold(input, threshold, value, True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A differentiable sample of a categorical distribution (Jang et al. 2017):

        y = softmax((logits + g) / tau),   g = -log(-log u),  u ~ U(0, 1)  (Gumbel noise)

    ``hard``: the one-hot argmax in the forward pass with the soft sample's gradient
    (straight-through: y_hard - y.detach() + y)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    with ag.no_grad():
        u = ag.rand(*logits.shape, dtype=logits.dtype, device=logits.device)
        tiny = 1e-20 if logits.dtype == ag.float64 else 1e-12
        gumbels = -(-(u.clamp_min(tiny)).log()).clamp_min(tiny).log()
    y = ag.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = ag.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y
