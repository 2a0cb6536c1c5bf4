"""autograd_core.fft against torch.fft: values, dtypes and gradients (PyTorch's convention
for complex inputs, its Hermitian-half handling for rfft/irfft/hfft), all norm modes,
n=/s= that pad and trim, and finite differences in float64/complex128."""

from __future__ import annotations

import numpy as np
import pytest
from complex_compare import compare_with_torch, complex_gradcheck

import autograd_core as ag

torch = pytest.importorskip("torch")

R = np.random.default_rng(3)
X = R.standard_normal((4, 6))
Z = X + 1j * R.standard_normal((4, 6))
REAL_INPUT = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}
ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn",
       "irfftn", "hfftn", "ihfftn"]


def _sizes(name):
    if name in ONE_D:
        return [{}, {"n": 5}, {"n": 9}, {"dim": 0}]
    return [{}, {"s": (3, 5)}, {"s": (5, 9)}, {"dim": (1, 0)}]


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("name", ONE_D + N_D)
def test_values_and_gradients_match_torch(name, norm):
    data = X if name in REAL_INPUT else Z
    for kw in _sizes(name):
        compare_with_torch(torch, lambda t, kw=kw: getattr(ag.fft, name)(t, norm=norm, **kw),
                           lambda t, kw=kw: getattr(torch.fft, name)(t, norm=norm, **kw), [data])


@pytest.mark.parametrize("name", ["fft", "ifft", "fft2", "fftn", "irfft", "hfft"])
def test_real_input_to_a_complex_transform(name):
    compare_with_torch(torch, getattr(ag.fft, name), getattr(torch.fft, name), [X])


@pytest.mark.parametrize("name", ONE_D + ["fft2", "irfftn", "hfftn", "ihfft2"])
def test_finite_differences(name):
    data = X[:3, :5] if name in REAL_INPUT else Z[:3, :5]
    for kw in _sizes(name)[:2]:
        assert complex_gradcheck(lambda t, kw=kw: getattr(ag.fft, name)(t, norm="ortho", **kw),
                                 [data])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_dtypes_follow_torch(dtype):
    a = ag.ones(4, dtype=getattr(ag, dtype))
    b = torch.ones(4, dtype=getattr(torch, dtype))
    assert str(ag.fft.fft(a).dtype).split(".")[-1] == str(torch.fft.fft(b).dtype).split(".")[-1]
    assert str(ag.fft.rfft(a).dtype).split(".")[-1] == str(torch.fft.rfft(b).dtype).split(".")[-1]
    spectrum = ag.fft.rfft(a)
    assert str(ag.fft.irfft(spectrum).dtype).split(".")[-1] == \
        str(torch.fft.irfft(torch.fft.rfft(b)).dtype).split(".")[-1]


def test_float32_values_close_to_torch():
    x32 = X.astype(np.float32)
    np.testing.assert_allclose(ag.fft.fft2(ag.tensor(x32)).numpy(),
                               torch.fft.fft2(torch.tensor(x32)).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape_dim", [((5,), None), ((4, 6), None), ((4, 6), 1), ((4, 6), (0,)),
                                       ((3, 4, 5), (-1, 0))])
def test_shifts_and_their_gradients(shape_dim):
    shape, dim = shape_dim
    data = R.standard_normal(shape) + 1j * R.standard_normal(shape)
    for name in ("fftshift", "ifftshift"):
        compare_with_torch(torch, lambda t, name=name: getattr(ag.fft, name)(t, dim=dim),
                           lambda t, name=name: getattr(torch.fft, name)(t, dim=dim), [data])


@pytest.mark.parametrize("n", [0, 1, 4, 5])
@pytest.mark.parametrize("d", [1.0, 0.25])
def test_frequencies(n, d):
    np.testing.assert_allclose(ag.fft.fftfreq(n, d).numpy(), torch.fft.fftfreq(n, d).numpy())
    np.testing.assert_allclose(ag.fft.rfftfreq(n, d).numpy(), torch.fft.rfftfreq(n, d).numpy())
    assert ag.fft.fftfreq(n, dtype=ag.float64).dtype is ag.float64


@pytest.mark.parametrize("call", [
    lambda lib: lib.fft.fft(lib.ones(3), norm="bad"),
    lambda lib: lib.fft.rfft(lib.ones(3, dtype=lib.complex64)),
    lambda lib: lib.fft.fft(lib.ones(3), n=0),
    lambda lib: lib.fft.fft(lib.ones(3), dim=2),
    lambda lib: lib.fft.fft(lib.ones(3, dtype=lib.float16)),
    lambda lib: lib.fft.irfft(lib.ones(1, dtype=lib.complex64)),
    lambda lib: lib.fft.fftn(lib.ones(3, 3), s=(2, 2, 2)),
    lambda lib: lib.fft.fftn(lib.ones(3, 3), dim=(0, 0)),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(ag)


def test_a_spectral_filter_trains_like_torch():
    """A real signal low-passed in the frequency domain, the loss on the result."""
    signal = R.standard_normal((2, 16))
    gain = R.standard_normal(9)

    def program(lib, x, g):
        spectrum = lib.fft.rfft(x, norm="ortho") * g
        back = lib.fft.irfft(spectrum, n=16, norm="ortho")
        return (back ** 2).mean() + spectrum.abs().mean()

    compare_with_torch(torch, lambda x, g: program(ag, x, g), lambda x, g: program(torch, x, g),
                       [signal, gain])


def test_a_fourier_neural_operator_layer_matches_torch():
    """The spectral convolution of an FNO: rfft2, complex weights on the low modes (einsum),
    irfft2 back; real input and real weights (as parts), real output."""
    u = R.standard_normal((2, 3, 8, 8))
    wr, wi = R.standard_normal((3, 4, 3, 2)), R.standard_normal((3, 4, 3, 2))

    def layer(lib, u, wr, wi):
        spectrum = lib.fft.rfft2(u)[:, :, :3, :2]
        mixed = lib.einsum("bixy,ioxy->boxy", spectrum, lib.complex(wr, wi))
        return lib.fft.irfft2(mixed, s=u.shape[-2:])

    compare_with_torch(torch, lambda *a: layer(ag, *a), lambda *a: layer(torch, *a), [u, wr, wi])
