"""fft, stft and the complex operations on every device (the CPU, and the GPU or its test
stand-in): the same values and gradients as on the CPU, so no NumPy-only call hides in the
device code."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag

R = np.random.default_rng(9)
X = R.standard_normal((4, 6))
Y = R.standard_normal((4, 6))

PROGRAMS = {
    "fft_family": lambda x, y: ag.fft.irfft(ag.fft.rfft(x, n=8) * ag.fft.fft(y, n=5).abs().sum(),
                                            n=7).sum(0)
    + ag.fft.hfft(ag.fft.ifft2(ag.complex(x, y), s=(3, 4)), n=5).abs().sum(0)[:1]
    + ag.view_as_real(ag.fft.fftshift(ag.fft.ihfftn(x), dim=0)).sum(),
    "complex_ops": lambda x, y: (ag.polar(x.abs() + 0.5, y) * ag.complex(x, y).conj()
                                 / (ag.complex(y, x) + 3)).exp().angle().sum(0)
    + (ag.complex(x, y) @ ag.complex(y, x).mT).abs().sum(0)[:1]
    + ag.view_as_complex(ag.stack([x, y], -1)).log().imag.mean(0),
    "stft": lambda x, y: ag.istft(ag.stft(x.reshape(-1) * y.reshape(-1), 8, 2,
                                          return_complex=True), 8, 2),
}


def _run(fn, device):
    x = ag.tensor(X, device=device, requires_grad=True)
    y = ag.tensor(Y, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(x, y)
    gx, gy = ag.autograd.grad(out.sum(), [x, y], allow_unused=True)
    return [out.detach().cpu().numpy()] + [None if g is None else g.cpu().numpy()
                                           for g in (gx, gy)]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_and_gradients_match_the_cpu(name, device):
    ours, cpu = _run(PROGRAMS[name], device), _run(PROGRAMS[name], "cpu")
    for a, b in zip(ours, cpu):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_frequencies_on_the_device(device):
    f = ag.fft.fftfreq(6, 0.5, device=device)
    assert f.device.type == ag.device(device).type
    np.testing.assert_allclose(f.cpu().numpy(), np.fft.fftfreq(6, 0.5))
