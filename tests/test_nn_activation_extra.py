"""Hardshrink, Softshrink, RReLU, Softmax2d, the in-place functional forms, Dropout3d,
AlphaDropout and FeatureAlphaDropout: values and gradients against PyTorch (float64),
gradchecks, the statistics of the random layers, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))


@pytest.mark.parametrize("name,args", [("Hardshrink", ()), ("Hardshrink", (1.2,)),
                                       ("Softshrink", ()), ("Softshrink", (0.3,)),
                                       ("Softmax2d", ()), ("RReLU", (0.1, 0.3))])
def test_activation_modules_match_torch(name, args):
    compare_module(name, args, inputs=[X], train=False)
    grad_ok(getattr(nn, name)(*args).eval(), X)


def test_softmax2d_on_a_batch_and_its_error():
    torch = pytest.importorskip("torch")
    compare_module("Softmax2d", (), inputs=[RNG.standard_normal((2, 3, 2, 2))])
    raises_like_torch(lambda: nn.Softmax2d()(ag.zeros(3, 4)),
                      lambda: torch.nn.Softmax2d()(torch.zeros(3, 4)), "3D or 4D")


def test_shrink_errors_and_reprs():
    torch = pytest.importorskip("torch")
    raises_like_torch(lambda: F.softshrink(ag.zeros(3), -1),
                      lambda: torch.nn.functional.softshrink(torch.zeros(3), -1), "lambda")
    raises_like_torch(lambda: F.rrelu(ag.zeros(3), 0.5, 0.1, training=True),
                      lambda: torch.nn.functional.rrelu(torch.zeros(3), 0.5, 0.1, True),
                      "Lower bound")
    assert repr(nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))


def test_rrelu_training_draws_slopes_in_range_and_routes_gradients():
    x = ag.tensor(-np.ones((200, 50)), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    pos = ag.tensor(np.abs(X))
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), pos.numpy())


@pytest.mark.parametrize("name,args", [("elu_", ()), ("celu_", (0.5,)), ("selu_", ()),
                                       ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
                                       ("threshold_", (0.1, -2.0)), ("rrelu_", (0.1, 0.3))])
def test_inplace_functional_forms_match_torch(name, args):
    torch = pytest.importorskip("torch")
    ours = ag.tensor(X.copy())
    theirs = torch.tensor(X.copy())
    out = getattr(F, name)(ours, *args)
    getattr(torch.nn.functional, name)(theirs, *args)
    assert out is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_shrink_functions_match_torch():
    compare_function("hardshrink", [X], {"lambd": 0.7})
    compare_function("softshrink", [X], {"lambd": 0.7})


# ----------------------------------------------------------------------------- dropout
def test_dropout3d_zeroes_whole_volumes():
    x = ag.ones(4, 30, 2, 3, 2, requires_grad=True)
    y = F.dropout3d(x, 0.4)
    v = y.detach().numpy().reshape(4, 30, -1)
    per_channel = v.min(-1) == v.max(-1)
    assert per_channel.all()
    values = np.unique(v)
    assert len(values) == 2
    np.testing.assert_allclose(values, [0.0, 1 / 0.6], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    unbatched = F.dropout3d(ag.ones(30, 2, 2, 2), 0.5)
    assert tuple(unbatched.shape) == (30, 2, 2, 2)
    assert F.dropout3d(x, 0.4, training=False) is x
    with pytest.warns(UserWarning, match="dropout3d"):
        F.dropout3d(ag.ones(3, 4), 0.5)
    m = nn.Dropout3d(0.2)
    assert repr(m) == "Dropout3d(p=0.2, inplace=False)"


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_selu_statistics(feature):
    ag.manual_seed(1)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    x = ag.randn(64, 64, 8, 8, dtype=ag.float64) if feature else ag.randn(200000,
                                                                         dtype=ag.float64)
    y = fn(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    if feature:
        # a dropped channel is constant: a (-alpha') + b
        flat = y.reshape(64 * 64, -1)
        const = flat.min(1) == flat.max(1)
        assert 0.15 < const.mean() < 0.25
    assert fn(x, 0.2, training=False) is x


def test_alpha_dropout_gradient_is_the_kept_scale():
    x = ag.randn(1000, dtype=ag.float64, requires_grad=True)
    y = F.alpha_dropout(x, 0.3, training=True)
    y.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    g = x.grad.numpy()
    assert set(np.round(np.unique(g), 10)) <= {0.0, round(a, 10)}


def test_alpha_dropout_modules_and_errors():
    torch = pytest.importorskip("torch")
    assert repr(nn.AlphaDropout(0.3)) == repr(torch.nn.AlphaDropout(0.3))
    assert repr(nn.FeatureAlphaDropout()) == repr(torch.nn.FeatureAlphaDropout())
    m = nn.AlphaDropout(0.5).eval()
    x = ag.randn(3, 4)
    assert m(x) is x
    raises_like_torch(lambda: F.alpha_dropout(x, 2.0), lambda: torch.nn.functional.alpha_dropout(
        torch.zeros(3), 2.0), "between 0 and 1")
    with pytest.raises(ValueError):
        nn.FeatureAlphaDropout(-0.1)
