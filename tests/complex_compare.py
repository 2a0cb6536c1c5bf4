"""Helpers for the complex and fft tests: the same program on autograd_core and torch from
identical inputs, gradients compared, and a finite-difference check on complex inputs."""

from __future__ import annotations

import numpy as np

import autograd_core as ag
from autograd_core.autograd import gradcheck


def real_loss_weights(shape, complex_out: bool, seed: int = 0) -> np.ndarray:
    """Fixed weights for L = sum(w * view_as_real(out)) (or sum(w * out) for real out)."""
    r = np.random.default_rng(seed)
    return r.standard_normal(tuple(shape) + ((2,) if complex_out else ()))


def _view_as_real(t):
    if t.is_complex():
        mod = ag if isinstance(t, ag.Tensor) else __import__("torch")
        return mod.view_as_real(t)
    return t


def value_and_grads(lib, fn, arrays):
    """fn(*tensors) in ``lib`` (ag or torch), a real loss of it, and the inputs' grads."""
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    if lib is not ag:
        out = out.resolve_conj()
    w = real_loss_weights(out.shape, out.is_complex())
    loss = (_view_as_real(out) * lib.tensor(w, dtype=_view_as_real(out).dtype)).sum()
    loss.backward()
    value = out.detach().numpy() if lib is ag else out.detach().resolve_conj().numpy()
    grads = [None if x.grad is None else x.grad for x in xs]
    if lib is not ag:
        grads = [None if g is None else g.resolve_conj() for g in grads]
    return value, [None if g is None else g.numpy() for g in grads]


def compare_with_torch(torch, fn_ag, fn_torch, arrays, rtol=1e-7, atol=1e-9):
    """Values and input gradients of ``fn`` on both libraries agree."""
    v1, g1 = value_and_grads(ag, fn_ag, arrays)
    v2, g2 = value_and_grads(torch, fn_torch, arrays)
    assert v1.shape == v2.shape and v1.dtype == v2.dtype, (v1.shape, v2.shape, v1.dtype, v2.dtype)
    np.testing.assert_allclose(v1, v2, rtol=rtol, atol=atol)
    for a, b in zip(g1, g2):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype, (a.dtype, b.dtype)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def complex_gradcheck(fn, arrays) -> bool:
    """Finite differences on the real and imaginary parts: complex inputs are passed as
    real (..., 2) tensors and complex outputs read through view_as_real, so the check
    covers the whole real Jacobian (and with it PyTorch's gradient convention)."""
    is_c = [np.iscomplexobj(a) for a in arrays]
    reals = [ag.tensor(np.stack([a.real, a.imag], -1) if c else a, dtype=ag.float64,
                       requires_grad=True) for a, c in zip(arrays, is_c)]

    def wrapped(*xs):
        args = [ag.view_as_complex(x) if c else x for x, c in zip(xs, is_c)]
        return _view_as_real(fn(*args))

    return gradcheck(wrapped, reals, eps=1e-6, atol=1e-5, rtol=1e-4)
