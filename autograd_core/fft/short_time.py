"""``stft`` and ``istft``: the short-time Fourier transform and its inverse, as PyTorch's.

Both are compositions of differentiable operations (indexing, products, ``rfft``/``fft``,
``index_add``), so their gradients are those of the pieces:

    stft:  X[f, t] = sum_k w[k] x[t hop + k] e^{-2 pi i f k / n_fft}
           (x padded by n_fft // 2 on both sides when ``center``; w the window,
           zero-padded to n_fft in the middle)
    istft: overlap-add of the windowed inverse transforms of the frames, divided by the
           overlap-added squared window:  y[j] = sum_t w[j - t hop] x_t[j - t hop] / sum_t w[j - t hop]^2
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _window(window, win_length: int, n_fft: int, like: Tensor, op: str) -> Tensor:
    """The window (ones when None), zero-padded to n_fft in the middle."""
    from ..factories import ones

    if window is None:
        window = ones(win_length, dtype=like.dtype.to_real(), device=like.device)
    elif not isinstance(window, Tensor) or window._data.ndim != 1 or \
            window._data.shape[0] != win_length:
        got = list(window.shape) if isinstance(window, Tensor) else type(window).__name__
        raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {got}")
    if win_length == n_fft:
        return window
    from ..ops.joining import cat

    left = (n_fft - win_length) // 2
    zeros_l = window.new_zeros(left)
    zeros_r = window.new_zeros(n_fft - win_length - left)
    return cat([zeros_l, window, zeros_r])


def _lengths(n_fft, hop_length, win_length, op: str):
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft <= 0:
        raise RuntimeError(f"{op}: expected 0 < n_fft, but got n_fft={n_fft}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got win_length={win}")
    return hop, win


def _pad_signal(x: Tensor, pad: int, mode: str) -> Tensor:
    """Pad the last axis by ``pad`` on both sides (an index map, so it is differentiable)."""
    n = x._data.shape[-1]
    if mode == "constant":
        from ..ops.joining import cat

        z = x.new_zeros(x.shape[:-1] + (pad,))
        return cat([z, x, z], -1)
    if mode == "reflect" and pad >= n:
        raise RuntimeError(f"stft: padding size {pad} must be less than the input's last "
                           f"dimension {n} for pad_mode='reflect' (use a shorter n_fft or "
                           f"center=False)")
    j = np.arange(-pad, n + pad)
    if mode == "reflect":
        j = np.abs(j)
        j = np.where(j > n - 1, 2 * (n - 1) - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:  # circular
        j = j % n
    return x[..., _index(j, x)]


def _index(values: np.ndarray, like: Tensor) -> Tensor:
    from ..factories import tensor

    return tensor(values.astype(np.int64), device=like.device)


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None) -> Tensor:
    """The short-time Fourier transform: (n_fft//2 + 1 or n_fft) frequencies x frames."""
    from ..ops.complex import view_as_real
    from . import fft, rfft

    if not isinstance(input, Tensor):
        raise TypeError(f"stft(): argument 'input' must be Tensor, not {type(input).__name__}")
    is_complex = input._data.dtype.kind == "c"
    if return_complex is None:
        if not is_complex and (window is None or window._data.dtype.kind != "c"):
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    if input._data.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got a tensor of shape "
                           f"{list(input.shape)}")
    if pad_mode not in _PAD_MODES:
        raise RuntimeError(f"stft: pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
    hop, win = _lengths(n_fft, hop_length, win_length, "stft")
    x = input if is_complex or input.is_floating_point() else input.float()
    if center:
        x = _pad_signal(x, n_fft // 2, pad_mode)
    n = x._data.shape[-1]
    if n_fft > n:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {n} (the padded signal's length), but "
                           f"got n_fft={n_fft}")
    frames = 1 + (n - n_fft) // hop
    starts = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]
    pieces = x[..., _index(starts, x)] * _window(window, win, n_fft, x, "stft")
    two_sided = is_complex or (window is not None and window._data.dtype.kind == "c")
    if onesided is None:
        onesided = not two_sided
    if onesided and two_sided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = (rfft(pieces, norm=norm) if onesided else fft(pieces, norm=norm)).transpose(-1, -2)
    return spec if return_complex else view_as_real(spec)


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """The inverse of `stft` by windowed overlap-add (least squares, Griffin and Lim). A real
    result (``return_complex=False``) reads only the first n_fft//2+1 rows of a two-sided
    spectrum, which it takes as Hermitian."""
    from ..ops.joining import cat
    from . import ifft, irfft

    if not isinstance(input, Tensor):
        raise TypeError(f"istft(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "c":
        raise RuntimeError(f"istft requires a complex-valued input tensor (got {input.dtype}); "
                           f"use torch.view_as_complex on a (..., 2) real tensor")
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex "
                           f"values, got shape {list(input.shape)}")
    hop, win = _lengths(n_fft, hop_length, win_length, "istft")
    n_freq, frames = input._data.shape[-2:]
    if onesided is None:
        onesided = n_freq != n_fft
    expected = n_fft // 2 + 1 if onesided else n_fft
    if n_freq != expected:
        raise RuntimeError(f"istft: expected the frequency dimension (second-last) of the input "
                           f"to equal {expected} (n_fft={n_fft}, onesided={onesided}), got "
                           f"{n_freq}")
    norm = "ortho" if normalized else "backward"
    spec = input.transpose(-1, -2)
    if return_complex:
        if onesided:
            raise RuntimeError("istft: cannot have onesided output if return_complex is True "
                               "(pass onesided=False and a two-sided spectrum)")
        pieces = ifft(spec, norm=norm)
    else:  # a real signal: its spectrum is Hermitian, only the first half is read (as PyTorch)
        pieces = irfft(spec if onesided else spec[..., : n_fft // 2 + 1], n=n_fft, norm=norm)
    w = _window(window, win, n_fft, pieces, "istft")
    pieces = pieces * w
    total = n_fft + hop * (frames - 1)
    where = _index((np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]).ravel(), pieces)
    flat = pieces.reshape(pieces.shape[:-2] + (frames * n_fft,))
    y = flat.new_zeros(flat.shape[:-1] + (total,)).index_add(-1, where, flat)
    envelope = (w * w).detach().expand(frames, n_fft).reshape(frames * n_fft)
    envelope = envelope.new_zeros(total).index_add(0, where, envelope)
    start = n_fft // 2 if center else 0
    end = total if length is None else start + length
    if length is None and center:
        end = total - n_fft // 2
    end = min(end, total)
    envelope = envelope[start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError("istft: window overlap add min: 0 (the window and hop_length do not "
                           "satisfy the nonzero overlap-add condition; use a longer window or "
                           "a shorter hop)")
    y = y[..., start:end] / envelope
    if length is not None and y._data.shape[-1] < length:
        y = cat([y, y.new_zeros(y.shape[:-1] + (length - y._data.shape[-1],))], -1)
    return y
