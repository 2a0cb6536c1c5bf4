"""`Linear` and `Bilinear`: the fused linear node, `nn.functional.linear` / `bilinear` and
the modules.

Values and gradients against PyTorch for any number of leading dimensions (and none),
float64 gradcheck / gradgradcheck on hypothesis shapes and layouts, one graph node per
linear, float32 kept float32, PyTorch's initialisation, state_dict keys and reprs, and
PyTorch's errors for mismatched shapes and dtypes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from nn import functional as F


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


# ----------------------------------------------------------------------------- functional
@pytest.mark.parametrize("lead", [(), (4,), (2, 3), (2, 1, 3), (0,), (3, 0)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_pytorch(lead, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=lead + (3,)), rng.normal(size=(5, 3)), rng.normal(size=5)
    ours = [ag.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    y = F.linear(ours[0], ours[1], ours[2] if bias else None)
    ty = torch.nn.functional.linear(theirs[0], theirs[1], theirs[2] if bias else None)
    assert tuple(y.shape) == tuple(ty.shape) == lead + (5,)
    up = rng.normal(size=lead + (5,))
    y.backward(ag.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=1e-12)
    for a, t in zip(ours if bias else ours[:2], theirs if bias else theirs[:2]):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12)


@given(data=st.data())
def test_linear_gradcheck_and_gradgradcheck(data):
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    n_in, n_out = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x = make_tensor(data.draw(arrays(lead + (n_in,))), data.draw(layouts()))
    w = make_tensor(data.draw(arrays((n_out, n_in))), data.draw(layouts()))
    b = make_tensor(data.draw(arrays((n_out,))))
    with_bias = data.draw(st.booleans())
    inputs = (x, w, b) if with_bias else (x, w)
    assert gradcheck(F.linear, inputs)
    assert gradgradcheck(F.linear, inputs)


def test_linear_gradient_only_where_needed():
    x = ag.randn(4, 3, dtype=ag.float64)
    w = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
    F.linear(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((4, 2)).T @ x.numpy())
    x.requires_grad_(True)
    frozen = ag.randn(2, 3, dtype=ag.float64)
    F.linear(x, frozen).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 2)) @ frozen.numpy())


def test_linear_is_one_node_and_keeps_float32(device):
    x = ag.randn(2, 5, 3, device=device, requires_grad=True)
    w = ag.randn(4, 3, device=device, requires_grad=True)
    b = ag.randn(4, device=device, requires_grad=True)
    y = F.linear(x, w, b)
    assert y.grad_fn.name() == "LinearBackward0"
    assert all(fn.name() == "AccumulateGrad" for fn, _ in y.grad_fn.next_functions)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == ag.float32
    np.testing.assert_allclose(_np(b.grad), np.full(4, 10.0))
    np.testing.assert_allclose(_np(y), _np(x) @ _np(w).T + _np(b), rtol=1e-5, atol=1e-6)


def test_linear_one_dimensional_weight_and_scalar_bias():
    torch = pytest.importorskip("torch")
    x, w = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    y = F.linear(ag.tensor(x), ag.tensor(w))
    np.testing.assert_allclose(_np(y), torch.nn.functional.linear(torch.tensor(x),
                                                                  torch.tensor(w)).numpy())
    w2 = np.arange(6.0).reshape(2, 3) / 4
    y = F.linear(ag.tensor(x), ag.tensor(w2), ag.tensor(np.array(0.5)))
    ty = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w2),
                                    torch.tensor(0.5, dtype=torch.float64))
    np.testing.assert_allclose(_np(y), ty.numpy())
    xt = ag.tensor(x, requires_grad=True)
    bt = ag.tensor(np.array([0.5]), requires_grad=True)
    assert gradcheck(lambda a, b: F.linear(a, ag.tensor(w2), b), (xt, bt))


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(4x3 and 5x2\)"):
        F.linear(ag.randn(4, 3), ag.randn(2, 5))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        F.linear(ag.randn(4, 3), ag.randn(2, 3, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="bias"):
        F.linear(ag.randn(4, 3), ag.randn(2, 3), ag.randn(3))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.linear([[1.0, 2.0]], ag.randn(2, 2))
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D"):
        F.linear(ag.tensor(1.0), ag.randn(2, 3))


# ----------------------------------------------------------------------------- Linear module
def test_linear_module_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 4), torch.nn.Linear(3, 4)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype(np.float32)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xo), theirs(xt)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-5)
    plain, tplain = nn.Linear(3, 2, bias=False), torch.nn.Linear(3, 2, bias=False)
    assert list(plain.state_dict()) == list(tplain.state_dict()) == ["weight"]
    assert repr(plain) == repr(tplain) and plain.bias is None


def test_linear_module_initialisation_as_pytorch():
    m = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (40, 50) and b.shape == (40,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound) has standard deviation bound / sqrt(3)
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert m.weight.dtype == ag.float32 and m.weight.requires_grad
    ag.manual_seed(3)
    first = nn.Linear(4, 2).weight.detach().numpy().copy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 2).weight.detach().numpy(), first)
    d = nn.Linear(2, 3, dtype=ag.float64)
    assert d.weight.dtype == d.bias.dtype == ag.float64
    with pytest.warns(UserWarning, match="zero-element"):
        empty = nn.Linear(0, 3)
    assert float(empty.bias.abs().sum()) == 0.0


def test_linear_module_gradcheck():
    m = nn.Linear(3, 2).double()
    x = ag.randn(4, 3, dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, m.weight, m.bias))
    with pytest.raises(RuntimeError, match="in_features=3"):
        m(ag.randn(4, 5, dtype=ag.float64))


# ----------------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
def test_bilinear_matches_pytorch(lead):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=lead + (3,)), rng.normal(size=lead + (2,))
    w, b = rng.normal(size=(4, 3, 2)), rng.normal(size=4)
    ours = [ag.tensor(v, requires_grad=True) for v in (x1, x2, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x1, x2, w, b)]
    y, ty = F.bilinear(*ours), torch.nn.functional.bilinear(*theirs)
    up = rng.normal(size=tuple(ty.shape))
    y.backward(ag.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_bilinear_gradcheck_and_errors():
    rng = np.random.default_rng(5)
    args = [ag.tensor(rng.normal(size=s), requires_grad=True)
            for s in ((2, 3), (2, 2), (2, 3, 2), (2,))]
    assert gradcheck(F.bilinear, args)
    assert gradgradcheck(F.bilinear, args)
    with pytest.raises(RuntimeError, match="input batch dimensions do not match"):
        F.bilinear(ag.randn(2, 3), ag.randn(3, 2), ag.randn(4, 3, 2))
    with pytest.raises(RuntimeError, match="input1 size does not match weight size"):
        F.bilinear(ag.randn(2, 4), ag.randn(2, 2), ag.randn(4, 3, 2))
    with pytest.raises(RuntimeError, match="input dimensions do not match"):
        F.bilinear(ag.randn(2, 3), ag.randn(2), ag.randn(4, 3, 2))


def test_bilinear_module_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    bound = 1 / math.sqrt(3)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    assert np.abs(ours.bias.detach().numpy()).max() <= bound
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(6)
    x1, x2 = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32)
    np.testing.assert_allclose(_np(ours(ag.tensor(x1), ag.tensor(x2))),
                               theirs(torch.tensor(x1), torch.tensor(x2)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.Bilinear(3, 2, 4, bias=False).bias is None


# ----------------------------------------------------------------------------- training
def test_linear_regression_converges():
    """Fit y = 2 x - 1 with one Linear layer, MSE and plain gradient descent."""
    ag.manual_seed(0)
    m = nn.Linear(1, 1)
    x = ag.linspace(-1, 1, 32).reshape(32, 1)
    y = x * 2.0 - 1.0
    for _ in range(300):
        loss = F.mse_loss(m(x), y)
        m.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in m.parameters():
                p.sub_(p.grad * 0.3)
    assert loss.item() < 1e-6
    assert float(m.weight) == pytest.approx(2.0, abs=1e-3)
    assert float(m.bias) == pytest.approx(-1.0, abs=1e-3)
