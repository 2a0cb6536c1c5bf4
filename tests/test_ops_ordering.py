"""sort, argsort, msort, topk, kthvalue, mode, cummax, cummin against PyTorch."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(3)
X = R.normal(size=(3, 5))
TIES = np.array([[2.0, 1, 2, 1, 3], [5, 5, 4, 4, 4], [0, 0, 0, 1, 1]])

CASES = {
    "sort": (lambda x: x.sort(1)[0], lambda x: x.sort(1)[0]),
    "sort_desc": (lambda x: ag.sort(x, 0, descending=True).values,
                  lambda x: torch.sort(x, 0, descending=True).values),
    "msort": (ag.msort, torch.msort),
    "topk": (lambda x: ag.topk(x, 2).values, lambda x: torch.topk(x, 2).values),
    "topk_small": (lambda x: x.topk(2, 0, largest=False)[0],
                   lambda x: x.topk(2, 0, largest=False)[0]),
    "kthvalue": (lambda x: x.kthvalue(3, 1, keepdim=True)[0],
                 lambda x: x.kthvalue(3, 1, keepdim=True)[0]),
    "mode": (lambda x: ag.mode(x, 0).values, lambda x: torch.mode(x, 0).values),
    "cummax": (lambda x: ag.cummax(x, 1).values, lambda x: torch.cummax(x, 1).values),
    "cummin": (lambda x: ag.cummin(x, 0).values, lambda x: torch.cummin(x, 0).values),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    ours, theirs = CASES[name]
    compare(ours, theirs, [X])


# (kthvalue's index among ties follows PyTorch's selection algorithm: not compared)
@pytest.mark.parametrize("fn", ["sort", "mode", "cummax", "cummin", "argsort"])
def test_indices_with_ties_match_torch(fn):
    args = ()
    for dim in (0, 1):
        ours = getattr(ag, fn)(ag.tensor(TIES), *args, dim=dim)
        theirs = getattr(torch, fn)(torch.tensor(TIES), *args, dim=dim)
        if fn == "argsort":
            ours, theirs = (ours, None), (theirs, None)
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        if fn != "argsort":
            np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_descending_sort_is_stable_and_puts_nan_first():
    x = np.array([1.0, np.nan, 3.0, 1.0, 3.0])
    ours = ag.sort(ag.tensor(x), descending=True, stable=True)
    theirs = torch.sort(torch.tensor(x), descending=True, stable=True)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_cummax_stays_on_nan():
    x = np.array([1.0, 3.0, 3.0, np.nan, 5.0, np.nan])
    np.testing.assert_array_equal(ag.cummax(ag.tensor(x), 0).indices.numpy(),
                                  torch.cummax(torch.tensor(x), 0).indices.numpy())


def test_zero_dim_and_second_order():
    v, i = ag.sort(ag.tensor(2.0))
    assert v.shape == () and int(i) == 0
    x = ag.tensor(X, requires_grad=True)
    (g,) = ag.autograd.grad((x.sort(1).values ** 3).sum(), x, create_graph=True)
    (h,) = ag.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * X)


def test_bad_k_raises_like_torch():
    with pytest.raises(RuntimeError, match="k"):
        ag.topk(ag.tensor(X), 6)
    with pytest.raises(RuntimeError, match="k"):
        ag.kthvalue(ag.tensor(X), 0)
    with pytest.raises(RuntimeError):
        torch.topk(torch.tensor(X), 6)
    with pytest.raises(RuntimeError):
        torch.kthvalue(torch.tensor(X), 0)


@pytest.mark.parametrize("fn", [lambda x: ag.sort(x, 1).values ** 2,
                                lambda x: ag.topk(x, 2, 0).values ** 3,
                                lambda x: ag.kthvalue(x, 2, 1).values ** 2,
                                lambda x: ag.cummax(x, 1).values * ag.cummin(x, 1).values])
def test_gradgradcheck(fn):
    assert ag.autograd.gradgradcheck(fn, (ag.tensor(X, requires_grad=True),))
