"""stft and istft against torch: values and gradients for windows, hops, padding modes,
normalisation, one- and two-sided spectra; the round trip; errors."""

from __future__ import annotations

import numpy as np
import pytest
from complex_compare import compare_with_torch, complex_gradcheck

import autograd_core as ag

torch = pytest.importorskip("torch")

R = np.random.default_rng(17)
SIGNAL = R.standard_normal((2, 40))
CASES = [dict(n_fft=8), dict(n_fft=8, hop_length=3, win_length=6), dict(n_fft=7, center=False),
         dict(n_fft=8, pad_mode="constant", normalized=True), dict(n_fft=8, onesided=False),
         dict(n_fft=8, pad_mode="circular"), dict(n_fft=8, pad_mode="replicate")]


def _window(lib, kw, kind):
    if kind is None:
        return None
    n = kw.get("win_length", kw["n_fft"])
    return lib.tensor(np.hanning(n + 1)[:-1])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("window", [None, "hann"])
@pytest.mark.parametrize("kw", CASES, ids=str)
def test_stft_matches_torch(kw, window):
    def run(lib, x):
        return lib.stft(x, window=_window(lib, kw, window), return_complex=True, **kw)

    compare_with_torch(torch, lambda x: run(ag, x), lambda x: run(torch, x), [SIGNAL])
    compare_with_torch(torch, lambda x: run(ag, x), lambda x: run(torch, x), [SIGNAL[0]])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("length", [None, 40, 45])
@pytest.mark.parametrize("kw", [c for c in CASES if c.get("center", True)], ids=str)
def test_istft_round_trip_and_gradients_match_torch(kw, length):
    istft_kw = {k: v for k, v in kw.items() if k != "pad_mode"}

    def run(lib, x):
        w = _window(lib, kw, "hann")
        spec = lib.stft(x, window=w, return_complex=True, **kw)
        return lib.istft(spec, window=w, length=length, **istft_kw)

    if length == 45 and "win_length" in kw:  # the padded tail has no window: both refuse
        for lib in (torch, ag):
            with pytest.raises(RuntimeError, match="overlap"):
                run(lib, lib.tensor(SIGNAL))
        return
    compare_with_torch(torch, lambda x: run(ag, x), lambda x: run(torch, x), [SIGNAL])
    back = run(ag, ag.tensor(SIGNAL)).numpy()
    n = min(40, back.shape[-1])
    np.testing.assert_allclose(back[:, :n], SIGNAL[:, :n], atol=1e-10)


def test_istft_of_a_given_spectrum_matches_torch():
    spec = R.standard_normal((5, 7)) + 1j * R.standard_normal((5, 7))
    w = np.hanning(9)[:-1]

    def run(lib, s):
        return lib.istft(s, 8, hop_length=2, window=lib.tensor(w))

    compare_with_torch(torch, lambda s: run(ag, s), lambda s: run(torch, s), [spec])
    assert complex_gradcheck(lambda s: run(ag, s), [spec[:, :4]])


def test_stft_finite_differences():
    w = ag.tensor(np.hanning(7)[:-1])
    assert complex_gradcheck(lambda x: ag.stft(x, 6, 2, window=w, return_complex=True),
                             [SIGNAL[0, :16]])


@pytest.mark.filterwarnings("ignore::UserWarning")  # (torch deprecates return_complex=False)
def test_return_complex_false_and_the_method():
    x = ag.tensor(SIGNAL[0])
    out = x.stft(8, return_complex=False)
    ref = torch.tensor(SIGNAL[0]).stft(8, return_complex=False)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-10)


@pytest.mark.filterwarnings("ignore::UserWarning")  # (torch: no window given)
@pytest.mark.parametrize("call", [
    lambda lib: lib.stft(lib.ones(20), 8),  # return_complex missing for a real input
    lambda lib: lib.stft(lib.ones(20), 8, hop_length=0, return_complex=True),
    lambda lib: lib.stft(lib.ones(20), 8, win_length=9, return_complex=True),
    lambda lib: lib.stft(lib.ones(20), 8, window=lib.ones(5), return_complex=True),
    lambda lib: lib.stft(lib.ones(2, 2, 20), 8, return_complex=True),
    lambda lib: lib.stft(lib.ones(6), 8, center=False, return_complex=True),
    lambda lib: lib.istft(lib.ones(5, 3), 8),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(ag)
