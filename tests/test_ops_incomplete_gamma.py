"""igamma/igammac (special.gammainc/gammaincc) and mvlgamma (special.multigammaln) against
PyTorch: values (with the edges), the gradient in x, a float64 gradcheck."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(17)
A = R.uniform(0.2, 6.0, size=(3, 4))
X = R.uniform(0.05, 9.0, size=(3, 4))


@pytest.mark.parametrize("name, special", [("igamma", "gammainc"), ("igammac", "gammaincc")])
def test_incomplete_gamma_matches_torch_in_x(name, special):
    compare(lambda x: getattr(ag, name)(ag.tensor(A), x),
            lambda x: getattr(torch, name)(torch.tensor(A), x), [X], rtol=1e-8)
    compare(lambda x: getattr(ag.special, special)(ag.tensor(A[0]), x),
            lambda x: getattr(torch.special, special)(torch.tensor(A[0]), x), [X], rtol=1e-8)


def test_incomplete_gamma_edges_match_torch():
    inf, nan = float("inf"), float("nan")
    a = [0.0, 0.0, 2.0, 1e-3, -1.0, 2.0, 1.0, inf, nan]
    x = [0.0, 3.0, 0.0, 5.0, 1.0, inf, -1.0, 3.0, 1.0]
    for name in ("igamma", "igammac"):
        mine = getattr(ag, name)(ag.tensor(a), ag.tensor(x)).numpy()
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(x)).numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, equal_nan=True)


def test_incomplete_gamma_has_no_derivative_in_a_like_torch():
    a = ag.tensor(A, requires_grad=True)
    with pytest.raises(NotImplementedError):
        ag.autograd.grad(ag.igamma(a, ag.tensor(X)).sum(), [a])
    a_t = torch.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(torch.igamma(a_t, torch.tensor(X)).sum(), [a_t])


@pytest.mark.parametrize("p", [1, 3, 5])
def test_mvlgamma_matches_torch(p):
    x = R.uniform(2.5, 6.0, size=(3, 4))
    compare(lambda t: ag.mvlgamma(t, p), lambda t: torch.mvlgamma(t, p), [x])
    compare(lambda t: ag.special.multigammaln(t, p), lambda t: torch.special.multigammaln(t, p),
            [x[0]])
    compare(lambda t: t.mvlgamma(p), lambda t: t.mvlgamma(p), [x[1]])
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        ag.mvlgamma(ag.tensor(x), 0)


def test_in_place_forms_match_torch():
    x, tx = ag.tensor(X), torch.tensor(X)
    x.igamma_(ag.tensor(A))
    tx.igamma_(torch.tensor(A))
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-8)
    x, tx = ag.tensor(X + 2), torch.tensor(X + 2)
    x.mvlgamma_(2)
    tx.mvlgamma_(2)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-10)
    x = ag.tensor(X, requires_grad=True)  # (the gradient flows to x, not to self = a)
    y = ag.tensor(A)
    y.igammac_(x)
    (g,) = ag.autograd.grad(y.sum(), [x])
    tx = torch.tensor(X, requires_grad=True)
    ty = torch.tensor(A)
    ty.igammac_(tx)
    (tg,) = torch.autograd.grad(ty.sum(), [tx])
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-8)
