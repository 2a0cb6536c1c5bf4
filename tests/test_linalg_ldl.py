"""`linalg.ldl_factor` (``_ex``) and `linalg.ldl_solve`: the compact factor, pivots (1x1 and
2x2 blocks) and info against PyTorch (LAPACK's sytrf) on random symmetric indefinite
matrices, zero diagonals and singular ones; the solve against PyTorch and against A X = B;
batches and broadcasting; the errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def _symmetric(n, kind):
    a = RNG.normal(size=(n, n))
    a = a + a.T
    if kind == "zero_diagonal":  # forces 2x2 pivots
        a[np.diag_indices(n)] = 0.0
    elif kind == "zero_column":  # singular: D has a zero block
        a[:, n // 2] = 0.0
        a[n // 2, :] = 0.0
    return a


@pytest.mark.parametrize("kind", ["random", "zero_diagonal", "zero_column"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_factor_matches_torch(kind, dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for n in (1, 2, 3, 5, 8):
        for _ in range(6):
            a = _symmetric(n, kind).astype(dtype)
            # the upper triangle is not read: garbage there changes nothing
            a_up = a + np.triu(RNG.normal(size=(n, n)), 1).astype(dtype)
            ld, piv, info = ag.linalg.ldl_factor_ex(ag.tensor(a_up))
            ld_t, piv_t, info_t = torch.linalg.ldl_factor_ex(torch.tensor(a))
            np.testing.assert_array_equal(piv.numpy(), piv_t.numpy())
            assert piv.dtype == ag.int32 and info.dtype == ag.int32
            assert int(info) == int(info_t)
            np.testing.assert_allclose(ld.numpy(), ld_t.numpy(), rtol=tol, atol=tol)


def test_two_by_two_pivots_appear_and_reconstruct():
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    ld, piv = ag.linalg.ldl_factor(ag.tensor(a))
    assert piv.tolist() == [-3, -3, 3]
    # x = A^{-1} b through the factor solves A x = b
    b = RNG.normal(size=(3, 2))
    x = ag.linalg.ldl_solve(ld, piv, ag.tensor(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-12)


def test_batched_factor_and_broadcast_solve():
    a = np.stack([_symmetric(5, "random"), _symmetric(5, "zero_diagonal")])
    ld, piv = ag.linalg.ldl_factor(ag.tensor(a))
    ld_t, piv_t = torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_array_equal(piv.numpy(), piv_t.numpy())
    for b_shape in ((5, 3), (2, 5, 3)):
        b = RNG.normal(size=b_shape)
        x = ag.linalg.ldl_solve(ld, piv, ag.tensor(b))
        x_t = torch.linalg.ldl_solve(ld_t, piv_t, torch.tensor(b))
        assert tuple(x.shape) == tuple(x_t.shape)
        np.testing.assert_allclose(x.numpy(), x_t.numpy(), rtol=1e-10, atol=1e-12)
    # batch dims broadcast (torch 2.13 crashes on this one, so it is checked by A X = B)
    b = RNG.normal(size=(4, 1, 5, 2))
    x = ag.linalg.ldl_solve(ld, piv, ag.tensor(b)).numpy()
    assert x.shape == (4, 2, 5, 2)
    np.testing.assert_allclose(a @ x, np.broadcast_to(b, x.shape), atol=1e-10)


def test_empty_matrices():
    for shape in ((0, 0), (0, 2, 2), (3, 0, 0)):
        ld, piv, info = ag.linalg.ldl_factor_ex(ag.zeros(*shape))
        ld_t, piv_t, info_t = torch.linalg.ldl_factor_ex(torch.zeros(*shape))
        assert tuple(ld.shape) == tuple(ld_t.shape)
        assert tuple(piv.shape) == tuple(piv_t.shape)
        assert tuple(info.shape) == tuple(info_t.shape)


def test_singular_and_bad_arguments():
    with pytest.raises(ag.linalg.LinAlgError, match="singular"):
        ag.linalg.ldl_factor(ag.zeros(3, 3))
    with pytest.raises(ag.linalg.LinAlgError):
        ag.linalg.ldl_factor_ex(ag.zeros(3, 3), check_errors=True)
    assert int(ag.linalg.ldl_factor_ex(ag.zeros(3, 3)).info) == 1
    with pytest.raises(RuntimeError, match="square"):
        ag.linalg.ldl_factor(ag.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        ag.linalg.ldl_factor(ag.ones(3, 3, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ag.linalg.ldl_factor(ag.ones(3))
    ld, piv = ag.linalg.ldl_factor(ag.eye(3))
    with pytest.raises(RuntimeError, match="integers"):
        ag.linalg.ldl_solve(ld, piv.float(), ag.ones(3, 1))
    with pytest.raises(RuntimeError, match="same"):
        ag.linalg.ldl_solve(ld, piv[:2], ag.ones(3, 1))
    with pytest.raises(RuntimeError, match="same dtype"):
        ag.linalg.ldl_solve(ld, piv, ag.ones(3, 1, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes"):
        ag.linalg.ldl_solve(ld, piv, ag.ones(4, 1))


def test_results_are_not_differentiable_as_in_torch():
    a = ag.tensor(_symmetric(3, "random"), requires_grad=True)
    ld, piv = ag.linalg.ldl_factor(a)
    assert not ld.requires_grad and not piv.requires_grad


def test_on_every_device(device):
    a = np.stack([_symmetric(4, "random"), _symmetric(4, "zero_diagonal")])
    b = RNG.normal(size=(2, 4, 3))
    ld, piv = ag.linalg.ldl_factor(ag.tensor(a, device=device))
    x = ag.linalg.ldl_solve(ld, piv, ag.tensor(b, device=device))
    ld_c, piv_c = ag.linalg.ldl_factor(ag.tensor(a))
    np.testing.assert_array_equal(piv.cpu().numpy(), piv_c.numpy())
    np.testing.assert_allclose(ld.cpu().numpy(), ld_c.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a @ x.cpu().numpy(), b, atol=1e-10)
