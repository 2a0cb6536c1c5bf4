"""The discrete Fourier transform's primitives, each one `Function` with one rule.

With the unscaled DFT matrix F (F_jk = e^{-2 pi i jk / n}), ``fft(x, norm)`` is c F x with
c = 1 ("backward"), 1/sqrt(n) ("ortho") or 1/n ("forward"), and ``ifft`` is c' conj(F) x with
the opposite scaling. The adjoint of c F is c conj(F)^T = c conj(F): an inverse transform
with the *dual* norm (backward <-> forward, ortho <-> ortho). So:

    C2C (fft/ifft over some dims):  g_x = (inverse transform, dual norm)(g)
    R2C (rfft, the first n//2+1 outputs of F x, x real):  g_x = Re ifft_dual(zero-pad(g, n))
    C2R (irfft to n real outputs from the Hermitian half X_0..X_{n//2}):
        x_k appears twice in the full spectrum (as X_k and conj X_{n-k}) except k = 0 and,
        for even n, k = n/2, so g_X = w rfft_dual(g) with w = (1, 2, ..., 2, 1 or 2)
    Resize (pad with zeros or trim along dims, for n=/s=): its adjoint is the opposite
        resize.

NumPy's pocketfft keeps float32 data in complex64 (CuPy's cuFFT too): results are cast to
the input's complex dtype all the same.
"""

from __future__ import annotations

import numpy as np

from ..ops._complex_function import ComplexFunction

DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _complex_of(dtype) -> str:
    return "complex128" if str(dtype) in ("float64", "complex128") else "complex64"


class Resize(ComplexFunction):
    """Zero-pad or trim ``x`` along ``dims`` to ``sizes``; g_x = resize(g, original sizes)."""

    @staticmethod
    def forward(ctx, x, dims, sizes):
        ctx.dims, ctx.original = dims, tuple(x.shape[d] for d in dims)
        xp = ctx.xp
        trim = [slice(None)] * x.ndim
        pad = list(x.shape)
        grow = False
        for d, n in zip(dims, sizes):
            trim[d] = slice(0, min(n, x.shape[d]))
            pad[d] = n
            grow = grow or n > x.shape[d]
        part = x[tuple(trim)]
        if not grow:
            return part.copy()
        out = xp.zeros(tuple(pad), dtype=x.dtype)
        out[tuple(slice(0, s) for s in part.shape)] = part
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(Resize, grad, ctx.dims, ctx.original), None, None


class C2C(ComplexFunction):
    """fftn (``forward`` True) or ifftn over ``dims`` with ``norm``."""

    torch_name = "FftC2C"

    @staticmethod
    def forward(ctx, x, dims, norm, forward):
        ctx.dims, ctx.norm, ctx.forward_ = dims, norm, forward
        fn = ctx.xp.fft.fftn if forward else ctx.xp.fft.ifftn
        if not dims:
            return x.copy()
        return fn(x, axes=dims, norm=norm).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return ctx.math.apply(C2C, grad, ctx.dims, DUAL[ctx.norm], not ctx.forward_), None, None, None


class R2C(ComplexFunction):
    """rfft of real ``x`` along ``dim``: the n//2+1 non-redundant outputs."""

    torch_name = "FftR2C"

    @staticmethod
    def forward(ctx, x, dim, norm):
        ctx.dim, ctx.norm, ctx.n = dim, norm, x.shape[dim]
        return ctx.xp.fft.rfft(x, axis=dim, norm=norm).astype(_complex_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        full = m.apply(Resize, grad, (ctx.dim,), (ctx.n,))
        return m.real(m.apply(C2C, full, (ctx.dim,), DUAL[ctx.norm], False)), None, None


class C2R(ComplexFunction):
    """irfft along ``dim`` to ``n`` real outputs, from the n//2+1 entries of ``x``."""

    torch_name = "FftC2R"

    @staticmethod
    def forward(ctx, x, dim, n, norm):
        ctx.dim, ctx.norm = dim, norm
        real = "float64" if x.dtype == "complex128" else "float32"
        ctx.weights = ctx.xp.asarray(_hermitian_weights(n, dim, x.ndim), dtype=real)
        return ctx.xp.fft.irfft(x, n=n, axis=dim, norm=norm).astype(real, copy=False)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        half = m.apply(R2C, grad, ctx.dim, DUAL[ctx.norm])
        return half * m.const(ctx.weights), None, None, None


def _hermitian_weights(n: int, dim: int, ndim: int):
    """(1, 2, ..., 2, 1 for even n) along ``dim``, shaped to broadcast: how often each entry
    of the half spectrum appears in the full one."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * ndim
    shape[dim] = w.size
    return w.reshape(shape)
