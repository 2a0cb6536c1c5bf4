"""svd_lowrank and pca_lowrank (ops/lowrank.py) against PyTorch: on matrices of rank <= q the
factorisation is exact, so U diag(S) V^T and S agree with PyTorch's whatever the draws; a
float64 gradcheck with the draws seeded."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck
from tests._torch_compare import compare, torch

R = np.random.default_rng(43)


def _low_rank(shape, rank):
    a = R.normal(size=shape[:-1] + (rank,))
    b = R.normal(size=shape[:-2] + (shape[-1], rank))
    return a @ np.swapaxes(b, -1, -2)


def _rebuilt(u, s, v):
    return (u * s[..., None, :]) @ v.mT


@pytest.mark.parametrize("shape, q", [((6, 4), 3), ((4, 7), 3), ((2, 5, 4), 2)])
def test_svd_lowrank_is_exact_on_low_rank_matrices(shape, q):
    a = _low_rank(shape, q)
    mine, theirs = ag.svd_lowrank(ag.tensor(a), q=q), torch.svd_lowrank(torch.tensor(a), q=q)
    assert [tuple(t.shape) for t in mine] == [tuple(t.shape) for t in theirs]
    np.testing.assert_allclose(mine[1].numpy(), theirs[1].numpy(), rtol=1e-8)
    np.testing.assert_allclose(_rebuilt(*mine).numpy(), a, atol=1e-9)
    u, s, v = mine
    np.testing.assert_allclose((u.mT @ u).numpy(), np.broadcast_to(np.eye(q), u.shape[:-2] + (q, q)),
                               atol=1e-10)


def test_pca_lowrank_centres_and_its_reconstruction_gradient_matches_torch():
    a = _low_rank((7, 5), 2) + 3.0
    mine = ag.pca_lowrank(ag.tensor(a), q=3)
    theirs = torch.pca_lowrank(torch.tensor(a), q=3)
    np.testing.assert_allclose(mine[1].numpy(), theirs[1].numpy(), rtol=1e-7, atol=1e-9)
    # (values only: away from rank <= q the factors, and so the gradients, depend on the draws)
    compare(lambda t: _rebuilt(*ag.pca_lowrank(t, q=2)),
            lambda t: (lambda u, s, v: (u * s[..., None, :]) @ v.mT)(*torch.pca_lowrank(t, q=2)),
            [a], grad=False)
    with pytest.raises(ValueError):
        ag.pca_lowrank(ag.tensor(a), q=6)


def test_svd_lowrank_gradcheck_with_seeded_draws():
    def fn(t):
        ag.manual_seed(0)
        return ag.svd_lowrank(t, q=2, niter=1)[1]

    x = ag.tensor(R.normal(size=(5, 3)), requires_grad=True)
    assert gradcheck(fn, (x,), eps=1e-6, atol=1e-5)
