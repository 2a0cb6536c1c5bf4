"""linalg.eig and linalg.eigvals against torch: values (eigenvectors up to their phase),
gradients of phase-invariant losses, finite differences, errors."""

from __future__ import annotations

import numpy as np
import pytest
from complex_compare import complex_gradcheck

import autograd_core as ag

torch = pytest.importorskip("torch")

R = np.random.default_rng(11)


def _loss(lib, a):
    w, v = lib.linalg.eig(a)
    k = w.shape[-1]
    weights = lib.tensor(np.linspace(0.5, 1.5, k), dtype=w.real.dtype)
    return (w.real * weights).sum() + (w.imag ** 2).sum() + (v.abs() * weights).sum()


def _grads(lib, data, loss):
    a = lib.tensor(data, requires_grad=True)
    loss(lib, a).backward()
    g = a.grad
    return g.resolve_conj().numpy() if lib is torch else g.numpy()


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("kind", ["real", "complex"])
def test_values_and_gradients_match_torch(shape, kind):
    data = R.standard_normal(shape) + (1j * R.standard_normal(shape) if kind == "complex" else 0)
    w1, v1 = ag.linalg.eig(ag.tensor(data))
    w2, v2 = torch.linalg.eig(torch.tensor(data))
    assert str(w1.dtype).split(".")[-1] == str(w2.dtype).split(".")[-1]
    np.testing.assert_allclose(np.sort_complex(w1.numpy().ravel()),
                               np.sort_complex(w2.numpy().ravel()), rtol=1e-10)
    a = ag.tensor(data).to(w1.dtype)  # A V = V diag(L)
    np.testing.assert_allclose((a @ v1).numpy(), (v1 * w1[..., None, :]).numpy(), atol=1e-10)
    np.testing.assert_allclose(np.abs(v1.numpy()), np.abs(v2.numpy()), atol=1e-10)
    np.testing.assert_allclose(_grads(ag, data, _loss), _grads(torch, data, _loss), rtol=1e-7,
                               atol=1e-9)
    eigvals_loss = lambda lib, x: (lib.linalg.eigvals(x).abs() ** 2).sum()  # noqa: E731
    np.testing.assert_allclose(_grads(ag, data, eigvals_loss), _grads(torch, data, eigvals_loss),
                               rtol=1e-7, atol=1e-9)


def test_float32_gives_complex64():
    assert ag.linalg.eigvals(ag.eye(3)).dtype is ag.complex64
    res = ag.linalg.eig(ag.eye(2, dtype=ag.float64))
    assert res.eigenvalues.dtype is ag.complex128 and res.eigenvectors.shape == (2, 2)


def test_finite_differences():
    data = R.standard_normal((3, 3)) + 1j * R.standard_normal((3, 3))
    assert complex_gradcheck(lambda a: _loss(ag, a), [data])
    assert complex_gradcheck(lambda a: ag.linalg.eigvals(a), [data])
    assert complex_gradcheck(lambda a: ag.linalg.eigvals(a), [R.standard_normal((3, 3))])


def test_errors_match_torch():
    for lib in (torch, ag):
        with pytest.raises(RuntimeError):
            lib.linalg.eig(lib.ones(2, 3))
        with pytest.raises(RuntimeError):
            lib.linalg.eigvals(lib.ones(3))
        with pytest.raises(RuntimeError):
            lib.linalg.eig(lib.ones(2, 2, dtype=lib.int64))


def test_an_out_tensor_is_refused_not_ignored():
    for fn in (ag.linalg.eig, ag.linalg.eigvals):
        fn(ag.eye(2), out=None)
        with pytest.raises(TypeError, match="out= is not supported"):
            fn(ag.eye(2), out=ag.zeros(2))
