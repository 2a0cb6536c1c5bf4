"""``autograd_core.fft``: discrete Fourier transforms, as ``torch.fft``.

Every transform is built from four primitives (`_transforms`): ``Resize`` (``n=``/``s=``:
zero-pad or trim), ``C2C`` (fftn/ifftn), ``R2C`` (rfft) and ``C2R`` (irfft), so gradients
follow PyTorch's. The Hermitian transforms are conjugates of the real ones with the dual norm:

    hfftn(x, s, norm)  = irfftn(conj(x), s, dual(norm))
    ihfftn(x, s, norm) = conj(rfftn(x, s, dual(norm)))

``norm``: "backward" (the default: no scaling forward, 1/n inverse), "ortho" (1/sqrt(n)
both ways) or "forward" (1/n forward). float32 gives complex64, float64 complex128.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor, _normalize_dim
from ._transforms import C2C, C2R, DUAL, R2C, Resize
from .frequencies import fftfreq, fftshift, ifftshift, rfftfreq
from .short_time import istft, stft  # noqa: F401  (torch.stft / torch.istft; top level)


def _check(input, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}" (use "backward", "ortho" or '
                           f'"forward")')
    return norm


def _to_complex(x: Tensor, op: str) -> Tensor:
    kind = x._data.dtype.kind
    if kind == "c":
        return x
    return x.to(_floating(x, op).to_complex())


def _floating(x: Tensor, op: str) -> _dt.dtype:
    d = x.dtype
    if d.is_complex:
        return d.to_real()
    if d is _dt.float16:
        raise RuntimeError(f"Unsupported dtype Half ({op}: use float32 or float64)")
    return d if d.is_floating_point else _dt.get_default_dtype()


def _to_real(x: Tensor, op: str) -> Tensor:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{op} expects a real input tensor, but got {x.dtype}; use fft for "
                           f"complex input")
    target = _floating(x, op)
    return x if x.dtype is target else x.to(target)


def _dims_and_sizes(x: Tensor, s, dim, default_all: bool = True):
    """PyTorch's rules: s and dim of equal length; s alone means the last len(s) dims;
    dim alone means those dims at their current sizes; -1 in s means unchanged."""
    ndim = x._data.ndim
    if isinstance(dim, int):
        dim = (dim,)
    if s is not None:
        s = tuple(int(n) for n in s)
        if dim is None:
            if len(s) > ndim:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                   f"{ndim} dimensions.")
            dim = tuple(range(ndim - len(s), ndim))
        elif len(s) != len(dim):
            raise RuntimeError(f"When given, dim and shape arguments must have the same length "
                               f"(got s={s}, dim={tuple(dim)})")
    if dim is None:
        dim = tuple(range(ndim)) if default_all else (ndim - 1,)
    dims = tuple(_normalize_dim(d, max(ndim, 1)) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"FFT dims must be unique (got dim={tuple(dim)})")
    if s is None:
        s = tuple(x._data.shape[d] for d in dims)
    sizes = tuple(x._data.shape[d] if n == -1 else n for d, n in zip(dims, s))
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return dims, sizes


def _resize(x: Tensor, dims, sizes) -> Tensor:
    if all(x._data.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    return Resize.apply(x, dims, sizes)


# ----------------------------------------------------------------------------- complex <-> complex
def _c2c(input, s, dim, norm, forward: bool, op: str, default_all: bool = True) -> Tensor:
    _check(input, op)
    norm = _norm(norm)
    x = _to_complex(input, op)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    return C2C.apply(_resize(x, dims, sizes), dims, norm, forward)


def _one(n, dim):
    return (None if n is None else (n,)), dim


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """X_k = sum_j x_j e^{-2 pi i jk/n} along ``dim`` (zero-padded or trimmed to ``n``)."""
    return _c2c(input, *_one(n, dim), norm, True, "fft")


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """x_j = (1/n) sum_k X_k e^{+2 pi i jk/n} along ``dim``."""
    return _c2c(input, *_one(n, dim), norm, False, "ifft")


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _c2c(input, s, dim, norm, True, "fft2")


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _c2c(input, s, dim, norm, False, "ifft2")


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _c2c(input, s, dim, norm, True, "fftn")


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _c2c(input, s, dim, norm, False, "ifftn")


# ----------------------------------------------------------------------------- real <-> half spectrum
def _rfftn(input, s, dim, norm, op: str, default_all: bool = True) -> Tensor:
    _check(input, op)
    norm = _norm(norm)
    x = _to_real(input, op)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    x = _resize(x, dims, sizes)
    out = R2C.apply(x, dims[-1], norm)
    if len(dims) > 1:
        out = C2C.apply(out, dims[:-1], norm, True)
    return out


def _irfftn(input, s, dim, norm, op: str, default_all: bool = True) -> Tensor:
    _check(input, op)
    norm = _norm(norm)
    x = _to_complex(input, op)
    dims, sizes = _dims_and_sizes(x, s, dim, default_all)
    last = dims[-1]
    n = sizes[-1] if s is not None and s[-1] != -1 else 2 * (x._data.shape[last] - 1)
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resize(x, dims, sizes[:-1] + (n // 2 + 1,))
    if len(dims) > 1:
        x = C2C.apply(x, dims[:-1], norm, False)
    return C2R.apply(x, last, n, norm)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The n//2+1 non-negative-frequency terms of the fft of a real signal."""
    return _rfftn(input, *_one(n, dim), norm, "rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The real signal (length ``n``, default 2(m-1)) whose rfft is ``input``."""
    return _irfftn(input, *_one(n, dim), norm, "irfft")


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _rfftn(input, s, dim, norm, "rfft2")


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _irfftn(input, s, dim, norm, "irfft2")


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _rfftn(input, s, dim, norm, "rfftn")


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _irfftn(input, s, dim, norm, "irfftn")


# ----------------------------------------------------------------------------- Hermitian
def _hfftn(input, s, dim, norm, op: str) -> Tensor:
    _check(input, op)
    return _irfftn(_to_complex(input, op).conj(), s, dim, DUAL[_norm(norm)], op)


def _ihfftn(input, s, dim, norm, op: str) -> Tensor:
    _check(input, op)
    return _rfftn(input, s, dim, DUAL[_norm(norm)], op).conj()


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The real fft (length ``n``) of a Hermitian-symmetric signal given by its first half."""
    return _hfftn(input, *_one(n, dim), norm, "hfft")


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of `hfft`: the first n//2+1 terms of ifft of a real signal."""
    return _ihfftn(input, *_one(n, dim), norm, "ihfft")


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _hfftn(input, s, dim, norm, "hfft2")


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return _ihfftn(input, s, dim, norm, "ihfft2")


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _hfftn(input, s, dim, norm, "hfftn")


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    return _ihfftn(input, s, dim, norm, "ihfftn")


__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftshift",
           "ifftshift", "fftfreq", "rfftfreq"]
