"""Weight initialisation (plays ``torch.nn.init``).

Every function fills its tensor in place, without recording a graph, and returns it; it
works on any device, through the tensor's own in-place methods (``uniform_``, ``normal_``,
``fill_``, ``copy_``).

Why the scales: for a layer y = W x with n inputs of unit variance and weights of
variance s^2, Var(y) = n s^2. Keeping activations (and gradients) at unit variance through
depth asks for s^2 = 1/n, corrected by a *gain* for the nonlinearity:

- Glorot/Xavier: s = gain * sqrt(2 / (fan_in + fan_out)) (a compromise between forward
  and backward); the uniform version U(-a, a) with a = sqrt(3) s has the same variance.
- He/Kaiming: s = gain / sqrt(fan), with gain = sqrt(2) for ReLU (half the units are off).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import autograd_core
from autograd_core import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity.

    ========================= =====================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope^2))
    selu                      3/4
    ========================= =====================================
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight ``(out, in, *kernel)``: in * prod(kernel) and
    out * prod(kernel)."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _generator_kwargs(generator) -> dict:
    return {} if generator is None else {"generator": generator}


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from U(a, b)."""
    with autograd_core.no_grad():
        return tensor.uniform_(a, b, **_generator_kwargs(generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from N(mean, std^2)."""
    with autograd_core.no_grad():
        return tensor.normal_(mean, std, **_generator_kwargs(generator))


# Giles (2010), "Approximating the erfinv function": erfinv(y) ~ y * p(w), w = -log(1 - y^2)
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                   0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefficients: tuple, w: Tensor) -> Tensor:
    p = autograd_core.full_like(w, coefficients[0])
    for c in coefficients[1:]:
        p = p * w + c
    return p


def _erfinv(y: Tensor) -> Tensor:
    """erf^-1(y) for y in [-1, 1] (float64), with tensor operations on y's device: Giles'
    polynomial guess, refined by one Newton step on erf(x) = y (erf'(x) = 2/sqrt(pi) e^-x^2);
    erf^-1(+-1) = +-inf."""
    erfinv = getattr(autograd_core, "erfinv", None)
    if erfinv is not None:
        return erfinv(y)
    inner = autograd_core.clamp(y, -1.0 + 1e-15, 1.0 - 1e-15)
    w = -autograd_core.log((1.0 - inner) * (1.0 + inner))
    central = _horner(_ERFINV_CENTRAL, w - 2.5)
    tail = _horner(_ERFINV_TAIL, autograd_core.sqrt(w) - 3.0)
    x = inner * autograd_core.where(w < 5.0, central, tail)
    x = x - (autograd_core.erf(x) - inner) / (autograd_core.exp(-x * x) * (2 / math.sqrt(math.pi)))
    x = autograd_core.where(y <= -1.0, -math.inf, x)
    return autograd_core.where(y >= 1.0, math.inf, x)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) restricted to [a, b] (inverse-CDF sampling).

    With Phi the standard normal CDF and u ~ U(Phi(alpha), Phi(beta)),
    alpha = (a - mean)/std, beta = (b - mean)/std: x = mean + std * Phi^-1(u), where
    Phi^-1(u) = sqrt(2) erfinv(2u - 1).
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    with autograd_core.no_grad():
        tensor.uniform_(2 * low - 1, 2 * high - 1, **_generator_kwargs(generator))
        values = _erfinv(tensor.double()) * (std * math.sqrt(2.0)) + mean
        tensor.copy_(autograd_core.clamp(values, min=a, max=b))
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with autograd_core.no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    with autograd_core.no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    with autograd_core.no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal), keeping y = W x = x."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with autograd_core.no_grad():
        identity = autograd_core.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device)
        return tensor.copy_(identity)


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: the convolution then
    passes its input channels through unchanged (per group)."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    host = np.zeros(sizes, dtype=np.float64)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min(out_per_group, sizes[1])):
            host[(g * out_per_group + d, d, *centre)] = 1.0
    with autograd_core.no_grad():
        return tensor.copy_(autograd_core.tensor(host, dtype=tensor.dtype, device=tensor.device))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He uniform: U(-b, b), b = gain * sqrt(3 / fan); ``a`` is the leaky-ReLU slope and
    ``mode`` picks fan_in (keeps forward variance) or fan_out (backward)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He normal: N(0, s^2), s = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def _host_normal(shape: tuple, generator) -> np.ndarray:
    """Standard normal float64 values on the host, from the library's seeded generator."""
    draw = autograd_core.randn(*shape, dtype=autograd_core.float64,
                               **_generator_kwargs(generator))
    return draw.numpy()


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix, scaled by ``gain`` (Saxe et al., 2013).

    The tensor is seen as ``rows x (numel / rows)``; Q of the QR decomposition of a
    Gaussian matrix, with column signs fixed by sign(diag R) so Q is uniformly (Haar)
    distributed, rows and columns orthonormal as far as the shape allows.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _host_normal((rows, cols), generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if rows < cols:
        q = q.T
    q = (q * gain).reshape(tuple(tensor.shape))
    with autograd_core.no_grad():
        return tensor.copy_(autograd_core.tensor(q, dtype=tensor.dtype, device=tensor.device))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) values, then zero a fraction ``sparsity`` of the
    entries of each column (Martens, 2010)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    keys = _host_normal((rows, cols), generator)
    order = np.argsort(keys, axis=0)  # an independent random row order per column
    mask = np.ones((rows, cols), dtype=np.float64)
    np.put_along_axis(mask, order[:num_zeros], 0.0, axis=0)
    with autograd_core.no_grad():
        normal_(tensor, 0.0, std, generator)
        tensor.mul_(autograd_core.tensor(mask, dtype=tensor.dtype, device=tensor.device))
    return tensor
