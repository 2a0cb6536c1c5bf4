"""Newton's damped Cholesky solve on every backend, CuPy's silent partial factor included.

CuPy's default linear-algebra setting neither raises nor writes NaN when Cholesky meets a
matrix that is not positive definite: it returns the factor as far as it got. The fake CuPy
does the same (`fake_cupy._cholesky_like_cupy`), so `damped_solve` must check the factor
itself (``L Lᵀ = A``), not rely on an exception.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda, fake_cupy, requires_fake  # noqa: F401

import autograd_core as ag
import optim
from autograd_core.ops import fused_optim

F64 = ag.float64
SADDLE = [[1.0, 2.0], [2.0, 1.0]]  # eigenvalues 3 and -1


@requires_fake
def test_the_fake_returns_a_plausible_partial_factor(fake_cuda):  # noqa: F811
    """The trap: finite, positive diagonal, yet not a factor of the matrix."""
    factor = fake_cupy.linalg.cholesky(fake_cupy.asarray(np.array(SADDLE))).get()
    assert np.isfinite(factor).all() and (np.diag(factor) > 0).all()
    assert not np.allclose(factor @ factor.T, SADDLE)
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    np.testing.assert_allclose(fake_cupy.linalg.cholesky(fake_cupy.asarray(spd)).get(),
                               np.linalg.cholesky(spd))


@pytest.mark.parametrize("device", ["cpu", "fake-cuda"])
@pytest.mark.parametrize("matrix", [SADDLE, [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0], [0.0, 3.0, 1.0]],
                                    [[-1.0, 0.0], [0.0, -4.0]]], ids=["2x2", "3x3", "negative"])
def test_damped_solve_damps_until_positive_definite(device, matrix, request):
    if device == "fake-cuda":
        request.getfixturevalue("fake_cuda")
    dev = "cuda" if device == "fake-cuda" else "cpu"
    h = np.array(matrix)
    rhs = np.arange(1.0, len(h) + 1)
    x, lam = fused_optim.damped_solve(ag.tensor(h, dtype=F64, device=dev),
                                      ag.tensor(rhs, dtype=F64, device=dev))
    assert lam > -np.linalg.eigvalsh(h).min()  # H + λI is positive definite
    np.testing.assert_allclose(x.cpu().numpy(), np.linalg.solve(h + lam * np.eye(len(h)), rhs),
                               rtol=1e-10)


@pytest.mark.parametrize("device", ["cpu", "fake-cuda"])
def test_damped_solve_takes_no_damping_when_positive_definite(device, request):
    if device == "fake-cuda":
        request.getfixturevalue("fake_cuda")
    dev = "cuda" if device == "fake-cuda" else "cpu"
    h = np.array([[2.0, 0.5], [0.5, 1.0]])
    x, lam = fused_optim.damped_solve(ag.tensor(h, dtype=F64, device=dev),
                                      ag.tensor([1.0, -1.0], dtype=F64, device=dev))
    assert lam == 0.0
    np.testing.assert_allclose(x.cpu().numpy(), np.linalg.solve(h, [1.0, -1.0]))


def test_newton_on_a_saddle_matches_the_cpu_on_fake_cuda(fake_cuda):  # noqa: F811
    """f = x² - y² + y⁴ from (1, 0.1): the same damped steps on both devices."""
    e0, e1 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    paths = {}
    for dev in ("cpu", "cuda"):
        x = ag.tensor([1.0, 0.1], dtype=F64, requires_grad=True, device=dev)
        u_w, v_w = ag.tensor(e0, dtype=F64, device=dev), ag.tensor(e1, dtype=F64, device=dev)

        def f(x=x, u_w=u_w, v_w=v_w):
            u, v = (x * u_w).sum(), (x * v_w).sum()
            return u ** 2 - v ** 2 + v ** 4

        opt = optim.Newton([x], line_search_fn="strong_wolfe")
        opt.step(f)
        damping = opt.state[x]["damping"]
        for _ in range(20):
            opt.step(f)
        paths[dev] = (damping, x.detach().cpu().numpy())
    assert paths["cuda"][0] == paths["cpu"][0] > 1.88  # damped past the -1.88 eigenvalue
    np.testing.assert_allclose(paths["cuda"][1], paths["cpu"][1], rtol=1e-12)
    np.testing.assert_allclose(np.abs(paths["cuda"][1]), [0.0, 1 / math.sqrt(2)], atol=1e-8)
