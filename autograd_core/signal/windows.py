"""``autograd_core.signal.windows`` (plays ``torch.signal.windows``): window functions.

A window of length M weights the samples n = 0, ..., M-1 of a frame before a Fourier
transform. A *symmetric* window (``sym=True``, for filter design) reaches back to its first
value at n = M-1; a *periodic* one (``sym=False``, for spectral analysis) is the first M
samples of the symmetric window of length M+1, so its period is exactly M. Each window is
computed in float64 on the requested device and rounded once to ``dtype``; none records a
graph (``requires_grad=True`` only makes the result a leaf), as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..dtypes import float32, float64, get_default_dtype
from ..factories import arange, ones
from ..ops.special_bessel import i0
from ..tensor import Tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checks(name: str, M: int, dtype, layout) -> None:
    """PyTorch's argument checks shared by every window (ValueError for each)."""
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}; "
                         f"pass the number of samples, 0 or more")
    if layout is not None and not str(layout).endswith("strided"):
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}; "
                         f"leave layout at its default")
    if dtype not in (float32, float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}; "
                         f"pass dtype=float32 or dtype=float64")


def _finish(w: Tensor, dtype, requires_grad: bool) -> Tensor:
    out = w.detach().to(dtype)
    return out.requires_grad_(True) if requires_grad else out


def _window(name: str, M: int, sym: bool, dtype, layout, device, requires_grad: bool,
            body) -> Tensor:
    """Checks, the trivial lengths 0 and 1 (empty, and ``[1.]``), then ``body(n, M)`` on the
    sample positions ``n`` (float64) for the rest."""
    dtype = get_default_dtype() if dtype is None else dtype
    _checks(name, M, dtype, layout)
    if M <= 1:
        return _finish(ones(M, dtype=float64, device=device), dtype, requires_grad)
    n = arange(M, dtype=float64, device=device)
    return _finish(body(n, M), dtype, requires_grad)


def _span(M: int, sym: bool) -> int:
    """The denominator of the phase: M-1 for a symmetric window, M for a periodic one."""
    return M - 1 if sym else M


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype=None, layout=None,
                   device=None, requires_grad: bool = False) -> Tensor:
    """A sum of cosines: w[n] = sum_k (-1)^k a_k cos(2 pi k n / N), N = M-1 (sym) or M."""
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    coefficients = [float(c) for c in a]
    if not coefficients:
        raise ValueError("Coefficients cannot be empty")

    def body(n, M):
        phase = n * (2 * math.pi / _span(M, sym))
        w = phase * 0.0
        for k, c in enumerate(coefficients):
            w = w + ((-1) ** k * c) * (phase * k).cos()
        return w

    return _window("general_cosine", M, sym, dtype, layout, device, requires_grad, body)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """w[n] = alpha - (1 - alpha) cos(2 pi n / N): the cosine sum with a = (alpha, 1-alpha)."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Hamming: general_hamming with alpha = 0.54."""
    return general_hamming(M, alpha=0.54, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Hann: w[n] = 1/2 - 1/2 cos(2 pi n / N) = sin^2(pi n / N)."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """Blackman: the cosine sum with a = (0.42, 0.5, 0.08)."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Nuttall's minimum 4-term Blackman-Harris: a = (0.3635819, 0.4891775, 0.1365995,
    0.0106411)."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """Bartlett (triangular, zero at both ends): w[n] = 1 - |2n/N - 1|."""
    return _window("bartlett", M, sym, dtype, layout, device, requires_grad,
                   lambda n, M: 1.0 - (n * (2.0 / _span(M, sym)) - 1.0).abs())


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Cosine (sine) window: w[n] = sin(pi (n + 1/2) / N), N = M (sym) or M+1."""
    return _window("cosine", M, sym, dtype, layout, device, requires_grad,
                   lambda n, M: ((n + 0.5) * (math.pi / (M if sym else M + 1))).sin())


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """Exponential (Poisson) window: w[n] = exp(-|n - center| / tau), centred at N/2 by
    default (N = M-1 symmetric, M periodic)."""
    dtype = get_default_dtype() if dtype is None else dtype
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def body(n, M):
        c = _span(M, sym) / 2.0 if center is None else float(center)
        return ((n - c).abs() * (-1.0 / tau)).exp()

    return _window("exponential", M, sym, dtype, layout, device, requires_grad, body)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    """Gaussian: w[n] = exp(-(n - N/2)^2 / (2 std^2)), N = M-1 (sym) or M."""
    dtype = get_default_dtype() if dtype is None else dtype
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")

    def body(n, M):
        z = (n - _span(M, sym) / 2.0) * (1.0 / (std * math.sqrt(2.0)))
        return (-(z * z)).exp()

    return _window("gaussian", M, sym, dtype, layout, device, requires_grad, body)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None,
           device=None, requires_grad: bool = False) -> Tensor:
    """Kaiser: w[n] = I0(beta sqrt(1 - (2n/N - 1)^2)) / I0(beta), N = M-1 (sym) or M;
    I0 is the modified Bessel function of order 0."""
    dtype = get_default_dtype() if dtype is None else dtype
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def body(n, M):
        r = (n * (2.0 / _span(M, sym)) - 1.0).clamp(-1.0, 1.0)
        inner = ((1.0 - r * r).clamp(min=0.0)).sqrt() * float(beta)
        peak = i0(n[:1] * 0.0 + float(beta))
        return i0(inner) / peak

    return _window("kaiser", M, sym, dtype, layout, device, requires_grad, body)

