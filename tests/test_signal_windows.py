"""`autograd_core.signal.windows` and the top-level window factories: values against
PyTorch (float32 and float64, symmetric and periodic, the lengths 0, 1, 2 and longer, each
window's own parameters), the argument checks with PyTorch's exception classes, and the
factory options (requires_grad, device)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

LENGTHS = [0, 1, 2, 3, 8, 11, 64]
DTYPES = [(ag.float32, torch.float32), (ag.float64, torch.float64)]

# window -> list of parameter sets (keyword arguments)
WINDOWS = {
    "bartlett": [{}],
    "blackman": [{}],
    "cosine": [{}],
    "exponential": [{}, {"tau": 0.3}, {"tau": 5.0}],
    "gaussian": [{}, {"std": 0.4}, {"std": 7.5}],
    "general_cosine": [{"a": [0.5, 0.5]}, {"a": (0.3, 0.4, 0.2, 0.1)}, {"a": [1.0]}],
    "general_hamming": [{}, {"alpha": 0.6}],
    "hamming": [{}],
    "hann": [{}],
    "kaiser": [{}, {"beta": 0.0}, {"beta": 2.5}, {"beta": 30.0}],
    "nuttall": [{}],
}


def _close(ours, theirs, dtype):
    # ours is computed in float64 and rounded once; torch's float32 windows carry float32
    # rounding (exp(-tau*0) comes out as 0.999995 for tau=0.3), hence 1e-5 there
    tol = 1e-5 if dtype == ag.float32 else 1e-12
    a, b = ours.numpy(), theirs.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
def test_window_matches_torch(name, dtypes):
    ours_fn = getattr(ag.signal.windows, name)
    theirs_fn = getattr(torch.signal.windows, name)
    for params in WINDOWS[name]:
        for M in LENGTHS:
            for sym in (True, False):
                ours = ours_fn(M, sym=sym, dtype=dtypes[0], **params)
                theirs = theirs_fn(M, sym=sym, dtype=dtypes[1], **params)
                _close(ours, theirs, dtypes[0])


def test_exponential_center_for_periodic_windows():
    for M in (4, 9):
        for center in (0.0, 1.5, 7.0):
            ours = ag.signal.windows.exponential(M, center=center, tau=2.0, sym=False)
            theirs = torch.signal.windows.exponential(M, center=center, tau=2.0, sym=False)
            _close(ours, theirs, ag.float32)


def test_default_dtype_and_leaf_options():
    w = ag.signal.windows.hann(5)
    assert w.dtype == ag.float32 and not w.requires_grad and w.grad_fn is None
    w = ag.signal.windows.kaiser(5, requires_grad=True, device="cpu")
    assert w.requires_grad and w.is_leaf
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.signal.windows.gaussian(4).dtype == ag.float64
    finally:
        ag.set_default_dtype(ag.float32)


@pytest.mark.parametrize("kwargs, match", [
    ({"M": -1}, "non-negative window length"),
    ({"M": 3, "dtype": ag.int64}, "float32 or float64"),
    ({"M": 3, "dtype": ag.float16}, "float32 or float64"),
    ({"M": 3, "layout": "sparse_coo"}, "strided tensors only"),
])
@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_common_checks_raise_value_error(name, kwargs, match):
    params = WINDOWS[name][0]
    with pytest.raises(ValueError, match=match):
        getattr(ag.signal.windows, name)(**kwargs, **params)


@pytest.mark.parametrize("call, error, match", [
    (lambda w: w.exponential(3, tau=0.0), ValueError, "Tau must be positive"),
    (lambda w: w.exponential(3, center=1.0), ValueError, "Center must be None"),
    (lambda w: w.gaussian(3, std=-1.0), ValueError, "Standard deviation must be positive"),
    (lambda w: w.kaiser(3, beta=-0.5), ValueError, "beta must be non-negative"),
    (lambda w: w.general_cosine(3, a=None), TypeError, "Coefficients must be a list/tuple"),
    (lambda w: w.general_cosine(3, a=[]), ValueError, "Coefficients cannot be empty"),
])
def test_parameter_checks(call, error, match):
    with pytest.raises(error, match=match):
        call(ag.signal.windows)
    with pytest.raises(error):  # torch agrees on the class
        call(torch.signal.windows)


FACTORIES = {
    "hann_window": [()],
    "hamming_window": [(), (0.5,), (0.6, 0.3)],
    "blackman_window": [()],
    "bartlett_window": [()],
    "kaiser_window": [(), (0.0,), (4.0,)],
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_matches_torch(name):
    for params in FACTORIES[name]:
        for n in LENGTHS:
            for periodic in (True, False):
                for dt, tdt in DTYPES:
                    ours = getattr(ag, name)(n, periodic, *params, dtype=dt)
                    theirs = getattr(torch, name)(n, periodic, *params, dtype=tdt)
                    _close(ours, theirs, dt)
    default = getattr(ag, name)(7)
    assert default.dtype == ag.float32
    _close(default, getattr(torch, name)(7), ag.float32)  # periodic by default


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_checks_raise_runtime_error(name):
    fn = getattr(ag, name)
    with pytest.raises(RuntimeError, match="non-negative window_length"):
        fn(-1)
    with pytest.raises(RuntimeError, match="floating point dtypes"):
        fn(4, dtype=ag.int64)
    with pytest.raises(RuntimeError, match="sparse"):
        fn(4, layout="sparse_coo")
    half = fn(6, dtype=ag.float16)  # float16 is allowed here, as in PyTorch
    assert half.dtype == ag.float16
    np.testing.assert_allclose(half.numpy(), getattr(torch, name)(6).numpy(), atol=2e-3)
    assert fn(5, requires_grad=True).requires_grad


def test_windows_on_every_device(device):
    for name, params in WINDOWS.items():
        ours = getattr(ag.signal.windows, name)(9, sym=False, device=device, **params[-1])
        assert ours.device == ag.zeros(1, device=device).device
        np.testing.assert_allclose(ours.cpu().numpy(),
                                   getattr(ag.signal.windows, name)(9, sym=False,
                                                                    **params[-1]).numpy())
    np.testing.assert_allclose(ag.kaiser_window(8, device=device).cpu().numpy(),
                               ag.kaiser_window(8).numpy())
