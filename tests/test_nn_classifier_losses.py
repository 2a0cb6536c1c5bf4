"""LinearCrossEntropyLoss (F.linear_cross_entropy, LinearCrossEntropyOptions) and
AdaptiveLogSoftmaxWithLoss: losses, outputs and the gradients of inputs and parameters
against PyTorch from identical float64 weights, gradchecks, reprs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, grad_ok, make_pair, raises_like_torch, to_np

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kwargs", [{}, {"bias": True, "label_smoothing": 0.1},
                                    {"out_features": (2,), "reduction": "sum"},
                                    {"ignore_index": 1, "reduction": "none"}])
def test_linear_cross_entropy_loss_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = make_pair("LinearCrossEntropyLoss", 5, 4, **kwargs)
    x = RNG.standard_normal((6, 5))
    shape = (6, *kwargs.get("out_features", ()))
    y = RNG.integers(0, 4, shape)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = ours(xo, ag.tensor(y)), theirs(xt, torch.tensor(y))
    np.testing.assert_allclose(to_np(got), expected.detach().numpy(), rtol=1e-10)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(to_np(xo.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(to_np(ours.linear.weight.grad),
                               theirs.linear.weight.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_linear_cross_entropy_function_with_probabilities_and_gradcheck():
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))
    probs = RNG.dirichlet(np.ones(5), 4)
    compare_function("linear_cross_entropy", [x, w, probs], grad=[True, True, False])
    weight = RNG.uniform(0.5, 2, 5)
    y = ag.tensor(RNG.integers(0, 5, 4))
    grad_ok(lambda a, b, c: F.linear_cross_entropy(a, b, y, linear_bias=c,
                                                   weight=ag.tensor(weight)),
            x, w, RNG.standard_normal(5))


def test_linear_cross_entropy_options_and_errors():
    torch = pytest.importorskip("torch")
    opts = nn.LinearCrossEntropyOptions(batch_chunk_size=2, chunking_method="aspect_ratio:2")
    loss = nn.LinearCrossEntropyLoss(3, 4, options=opts)
    assert repr(loss).startswith("LinearCrossEntropyLoss(")
    assert loss(ag.randn(5, 3), ag.tensor([0, 1, 2, 3, 0])).ndim == 0
    for bad in ({"acc_policy": "fast"}, {"chunking_method": "rows"}, {"batch_chunk_size": 0}):
        with pytest.raises(ValueError):
            nn.LinearCrossEntropyOptions(**bad)
        with pytest.raises(ValueError):
            torch.nn.LinearCrossEntropyOptions(**bad)
    tF = torch.nn.functional
    raises_like_torch(lambda: F.linear_cross_entropy(ag.zeros(2, 3), ag.zeros(4, 2),
                                                     ag.tensor([0, 1])),
                      lambda: tF.linear_cross_entropy(torch.zeros(2, 3), torch.zeros(4, 2),
                                                      torch.tensor([0, 1])), "in_features")
    raises_like_torch(lambda: F.linear_cross_entropy(ag.zeros(3), ag.zeros(4, 2, 3),
                                                     ag.tensor(0)),
                      lambda: tF.linear_cross_entropy(torch.zeros(3), torch.zeros(4, 2, 3),
                                                      torch.tensor(0)), "batched")
    raises_like_torch(lambda: nn.LinearCrossEntropyLoss(3, 4, label_smoothing=2.0),
                      lambda: torch.nn.LinearCrossEntropyLoss(3, 4, label_smoothing=2.0),
                      "label_smoothing")


# ----------------------------------------------------------------------------- adaptive
@pytest.mark.parametrize("kwargs", [{}, {"div_value": 2.0, "head_bias": True}])
def test_adaptive_log_softmax_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = make_pair("AdaptiveLogSoftmaxWithLoss", 8, 20, [4, 10, 15], **kwargs)
    x = RNG.standard_normal((7, 8))
    y = np.array([0, 5, 12, 19, 3, 11, 4])
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = ours(xo, ag.tensor(y)), theirs(xt, torch.tensor(y))
    np.testing.assert_allclose(to_np(got.output), expected.output.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_np(got.loss), expected.loss.detach().numpy(), rtol=1e-10)
    got.loss.backward()
    expected.loss.backward()
    np.testing.assert_allclose(to_np(xo.grad), xt.grad.numpy(), rtol=1e-9, atol=1e-14)
    params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(to_np(p.grad), params[key].grad.numpy(), rtol=1e-9,
                                   atol=1e-14, err_msg=key)
    np.testing.assert_allclose(to_np(ours.log_prob(ag.tensor(x))),
                               theirs.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(ag.tensor(x)).numpy(),
                                  theirs.predict(torch.tensor(x)).numpy())
    single = ours(ag.tensor(x[0]), ag.tensor(np.array(12)))
    assert single.output.ndim == 0


def test_adaptive_log_softmax_gradcheck_and_errors():
    m = nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4]).double()
    y = ag.tensor([0, 3, 5, 1])
    grad_ok(lambda x: m(x, y).output, RNG.standard_normal((4, 4)))
    torch = pytest.importorskip("torch")
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4])
    raises_like_torch(lambda: m(ag.zeros(4, 4, dtype=ag.float64), ag.tensor([0, 1, 2, 6])),
                      lambda: t(torch.zeros(4, 4), torch.tensor([0, 1, 2, 6])), "Target values")
    raises_like_torch(lambda: m(ag.zeros(3, 4, dtype=ag.float64), y),
                      lambda: t(torch.zeros(3, 4), torch.tensor([0, 3, 5, 1])), "batch")
    raises_like_torch(lambda: nn.AdaptiveLogSoftmaxWithLoss(4, 6, [4, 2]),
                      lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(4, 6, [4, 2]), "cutoffs")
