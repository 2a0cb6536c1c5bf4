"""The top-level window factories of PyTorch (``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``).

They are the windows of `signal.windows` under their older names, with ``periodic=True`` by
default (``periodic`` is ``not sym``: the first N samples of the symmetric window of length
N+1, the form spectral analysis wants), PyTorch's RuntimeError for bad arguments, and any
floating dtype (float16 included).
"""

from __future__ import annotations

from .dtypes import float16, float32, float64, get_default_dtype
from .signal import windows as _w
from .tensor import Tensor

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"]


def _make(name: str, window_length: int, dtype, layout, device, requires_grad: bool,
          compute) -> Tensor:
    dtype = get_default_dtype() if dtype is None else dtype
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if layout is not None and not str(layout).endswith("strided"):
        raise RuntimeError(f"{name} is not implemented for sparse types, got: layout={layout}; "
                           f"leave layout at its default (strided)")
    if dtype not in (float16, float32, float64):
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}; pass "
                           f"dtype=float32 (or float64, float16)")
    w = compute(window_length, dtype=float64, device=device).to(dtype)
    return w.requires_grad_(True) if requires_grad else w


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    """w[n] = 1/2 - 1/2 cos(2 pi n / N), N = window_length (periodic) or window_length - 1."""
    return _make("hann_window", window_length, dtype, layout, device, requires_grad,
                 lambda M, **kw: _w.hann(M, sym=not periodic, **kw))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """w[n] = alpha - beta cos(2 pi n / N)."""
    return _make("hamming_window", window_length, dtype, layout, device, requires_grad,
                 lambda M, **kw: _w.general_cosine(M, a=[alpha, beta], sym=not periodic, **kw))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """w[n] = 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)."""
    return _make("blackman_window", window_length, dtype, layout, device, requires_grad,
                 lambda M, **kw: _w.blackman(M, sym=not periodic, **kw))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """w[n] = 1 - |2n/N - 1| (triangular)."""
    return _make("bartlett_window", window_length, dtype, layout, device, requires_grad,
                 lambda M, **kw: _w.bartlett(M, sym=not periodic, **kw))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """w[n] = I0(beta sqrt(1 - (2n/N - 1)^2)) / I0(beta)."""
    return _make("kaiser_window", window_length, dtype, layout, device, requires_grad,
                 lambda M, **kw: _w.kaiser(M, beta=beta, sym=not periodic, **kw))
