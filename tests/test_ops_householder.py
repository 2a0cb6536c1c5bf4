"""geqrf and ormqr (ops/householder.py) against PyTorch: the Householder form, Q applied on
either side (transposed or not), gradients in a, tau and C, a float64 gradcheck."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck
from tests._torch_compare import compare, torch

R = np.random.default_rng(37)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 5, 3), (5, 0)])
def test_geqrf_matches_torch(shape):
    a = R.normal(size=shape)
    mine, theirs = ag.geqrf(ag.tensor(a)), torch.geqrf(torch.tensor(a))
    for x, y in zip(mine, theirs):
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("m, n", [(5, 3), (4, 4), (3, 5)])
def test_ormqr_matches_torch(left, transpose, m, n):
    a, tau = (t.numpy() for t in torch.geqrf(torch.tensor(R.normal(size=(m, n)))))
    c = R.normal(size=(m, 2) if left else (2, m))
    compare(lambda a_, t_, c_: ag.ormqr(a_, t_, c_, left, transpose),
            lambda a_, t_, c_: torch.ormqr(a_, t_, c_, left, transpose), [a, tau, c],
            rtol=1e-8)


def test_ormqr_reconstructs_the_matrix_and_checks_shapes():
    a = R.normal(size=(2, 5, 3))
    h, tau = ag.geqrf(ag.tensor(a))
    r = h.triu()
    np.testing.assert_allclose(ag.ormqr(h, tau, r).numpy(), a, atol=1e-12)
    with pytest.raises(RuntimeError):
        ag.ormqr(h, tau, ag.zeros(2, 4, 3, dtype=ag.float64))
    x = ag.tensor(a[0], requires_grad=True)
    assert gradcheck(lambda t: ag.ormqr(t, tau[0], ag.tensor(a[1]), True, True), (x,))
