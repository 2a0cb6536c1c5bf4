"""native_batch_norm, _native_batch_norm_legit, _batch_norm_with_update, native_layer_norm and
native_group_norm (ops/native_norms.py) against PyTorch: every output, the running statistics,
the gradients of the result from identical weights, a float64 gradcheck."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck
from tests._torch_compare import compare, torch

R = np.random.default_rng(19)
X = R.normal(size=(3, 2, 4))
W, B = R.normal(size=2), R.normal(size=2)


def _all_close(mine, theirs, rtol=1e-7):
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_outputs_and_running_stats_match_torch(training):
    stats = [R.normal(size=2), R.uniform(0.5, 2, size=2)]
    rm, rv = ag.tensor(stats[0]), ag.tensor(stats[1])
    trm, trv = torch.tensor(stats[0]), torch.tensor(stats[1])
    mine = ag.native_batch_norm(ag.tensor(X), ag.tensor(W), ag.tensor(B), rm, rv, training,
                                0.3, 1e-5)
    theirs = torch.native_batch_norm(torch.tensor(X), torch.tensor(W), torch.tensor(B), trm, trv,
                                     training, 0.3, 1e-5)
    _all_close(mine, theirs)
    _all_close([rm, rv], [trm, trv])
    compare(lambda x, w, b: ag.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
            lambda x, w, b: torch.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
            [X, W, B])


def test_native_batch_norm_legit_spellings_and_with_update():
    mine = ag._native_batch_norm_legit(ag.tensor(X), None, None, True, 0.1, 1e-5)
    theirs = torch._native_batch_norm_legit(torch.tensor(X), None, None, True, 0.1, 1e-5)
    _all_close(mine, theirs)
    rm, rv = ag.zeros(2, dtype=ag.float64), ag.ones(2, dtype=ag.float64)
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    mine = ag.ops.aten._batch_norm_with_update(ag.tensor(X), ag.tensor(W), None, rm, rv, 0.2, 1e-5)
    theirs = torch.ops.aten._batch_norm_with_update(torch.tensor(X), torch.tensor(W), None,
                                                    trm, trv, 0.2, 1e-5)
    _all_close(mine[:3], theirs[:3])
    _all_close([rm, rv], [trm, trv])
    assert tuple(mine[3].shape) == (0,)


def test_native_layer_norm_matches_torch():
    w, b = R.normal(size=(2, 4)), R.normal(size=(2, 4))
    mine = ag.native_layer_norm(ag.tensor(X), (2, 4), ag.tensor(w), ag.tensor(b), 1e-5)
    theirs = torch.native_layer_norm(torch.tensor(X), (2, 4), torch.tensor(w), torch.tensor(b),
                                     1e-5)
    _all_close(mine, theirs)
    compare(lambda x, w_: ag.native_layer_norm(x, (4,), w_, None, 1e-5),
            lambda x, w_: torch.native_layer_norm(x, (4,), w_, None, 1e-5), [X, w[0]])
    with pytest.raises(RuntimeError):
        ag.native_layer_norm(ag.tensor(X), (3,), None, None, 1e-5)


def test_native_group_norm_matches_torch_with_differentiable_statistics():
    x = R.normal(size=(2, 6, 3))
    w, b = R.normal(size=6), R.normal(size=6)
    mine = ag.native_group_norm(ag.tensor(x), ag.tensor(w), ag.tensor(b), 2, 6, 3, 2, 1e-5)
    theirs = torch.native_group_norm(torch.tensor(x), torch.tensor(w), torch.tensor(b), 2, 6, 3,
                                     2, 1e-5)
    _all_close(mine, theirs)
    compare(lambda t, w_, b_: ag.native_group_norm(t, w_, b_, 2, 6, 3, 3, 1e-5)[0],
            lambda t, w_, b_: torch.native_group_norm(t, w_, b_, 2, 6, 3, 3, 1e-5)[0], [x, w, b])
    # (PyTorch marks the statistics as requiring grad, but its backward drops their
    # gradients; ours are their derivatives)
    t = ag.tensor(x, requires_grad=True)
    assert all(s.requires_grad for s in ag.native_group_norm(t, None, None, 2, 6, 3, 3, 1e-5))
    for k in (1, 2):
        assert gradcheck(lambda u, k=k: ag.native_group_norm(u, None, None, 2, 6, 3, 3, 1e-5)[k],
                         (t,))
    with pytest.raises(RuntimeError):
        ag.native_group_norm(ag.tensor(x), None, None, 2, 6, 3, 4, 1e-5)


def test_native_norms_are_twice_differentiable():
    x = ag.tensor(X, requires_grad=True)
    w = ag.tensor(W, requires_grad=True)
    assert gradcheck(lambda t, w_: ag.native_batch_norm(t, w_, None, None, None, True, 0.1,
                                                        1e-5)[0], (x, w))
    assert ag.autograd.gradgradcheck(
        lambda t: ag.native_layer_norm(t, (4,), None, None, 1e-5)[0], (x,))
