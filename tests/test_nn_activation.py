"""Activations: the fused primitives, `nn.functional` and the modules.

Forward values and gradients against PyTorch (kinks included, where the conventions for
the derivative at a kink must match), float64 gradcheck / gradgradcheck on hypothesis
shapes and layouts, float32 kept float32, finiteness at +-1000, in-place variants,
PReLU's learned slopes, module reprs, and `Maxout` (ours: not in PyTorch).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor, shapes

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from nn import functional as F

# name: (our function, torch function name, kwargs, kinks of the derivative)
ACTIVATIONS = {
    "relu": (F.relu, "relu", {}, (0.0,)),
    "relu6": (F.relu6, "relu6", {}, (0.0, 6.0)),
    "leaky_relu": (F.leaky_relu, "leaky_relu", {"negative_slope": 0.2}, (0.0,)),
    "elu": (F.elu, "elu", {"alpha": 0.7}, (0.0,)),
    "selu": (F.selu, "selu", {}, (0.0,)),
    "celu": (F.celu, "celu", {"alpha": 1.5}, (0.0,)),
    "gelu": (F.gelu, "gelu", {}, ()),
    "gelu_tanh": (F.gelu, "gelu", {"approximate": "tanh"}, ()),
    "silu": (F.silu, "silu", {}, ()),
    "mish": (F.mish, "mish", {}, ()),
    "softplus": (F.softplus, "softplus", {}, ()),
    "softplus_beta": (F.softplus, "softplus", {"beta": 2.0, "threshold": 3.0}, (1.5,)),
    "softsign": (F.softsign, "softsign", {}, (0.0,)),
    "sigmoid": (F.sigmoid, "sigmoid", {}, ()),
    "tanh": (F.tanh, "tanh", {}, ()),
    "hardtanh": (F.hardtanh, "hardtanh", {"min_val": -0.5, "max_val": 2.0}, (-0.5, 2.0)),
    "hardsigmoid": (F.hardsigmoid, "hardsigmoid", {}, (-3.0, 3.0)),
    "hardswish": (F.hardswish, "hardswish", {}, (-3.0, 3.0)),
    "threshold": (F.threshold, "threshold", {"threshold": 0.5, "value": -2.0}, (0.5,)),
    "logsigmoid": (F.logsigmoid, "logsigmoid", {}, ()),
    "tanhshrink": (F.tanhshrink, "tanhshrink", {}, ()),
}
NAMES = sorted(ACTIVATIONS)
# the values compared with PyTorch: a grid plus every kink
GRID = np.concatenate([np.linspace(-7, 7, 29), [0.0, -3.0, 3.0, 6.0, -0.5, 2.0, 0.5, 1.5]])


def _away_from_kinks(values: np.ndarray, kinks, gap: float = 0.05) -> np.ndarray:
    """Move values within ``gap`` of a kink to ``gap`` beyond it (finite differences need
    the function to be smooth around each point)."""
    out = values.copy()
    for k in kinks:
        near = np.abs(out - k) < gap
        out[near] = k + gap * np.where(out[near] >= k, 1.5, -1.5)
    return out


def _torch_fn(name: str):
    torch = pytest.importorskip("torch")
    return getattr(torch.nn.functional, ACTIVATIONS[name][1])


# ----------------------------------------------------------------------------- vs PyTorch
@pytest.mark.parametrize("name", NAMES)
def test_forward_and_gradient_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, _, kwargs, _ = ACTIVATIONS[name]
    theirs = _torch_fn(name)
    upstream = np.random.default_rng(1).uniform(-1, 1, GRID.shape)
    x = ag.tensor(GRID, requires_grad=True)
    y = ours(x, **kwargs)
    y.backward(ag.tensor(upstream))
    tx = torch.tensor(GRID, requires_grad=True)
    ty = theirs(tx, **kwargs)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    # PyTorch's hard* kernels use float32 constants (1/6 in single precision) even in float64
    rtol = 1e-7 if name.startswith("hard") else 1e-10
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32_and_matches_pytorch(name, device):
    torch = pytest.importorskip("torch")
    ours, _, kwargs, _ = ACTIVATIONS[name]
    values = GRID.astype(np.float32).reshape(1, -1)
    x = ag.tensor(values, device=device, requires_grad=True)
    y = ours(x, **kwargs)
    y.sum().backward()
    assert y.dtype == ag.float32 and x.grad.dtype == ag.float32
    tx = torch.tensor(values, requires_grad=True)
    ty = _torch_fn(name)(tx, **kwargs)
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), ty.detach().numpy(), rtol=2e-6,
                               atol=2e-6)
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", NAMES)
def test_finite_for_huge_inputs(name):
    ours, _, kwargs, _ = ACTIVATIONS[name]
    for dtype in (ag.float32, ag.float64):
        x = ag.tensor([-1000.0, -80.0, 80.0, 1000.0], dtype=dtype, requires_grad=True)
        y = ours(x, **kwargs)
        y.sum().backward()
        assert np.isfinite(y.detach().numpy()).all(), name
        assert np.isfinite(x.grad.numpy()).all(), name


def test_one_graph_node_each():
    x = ag.randn(3, requires_grad=True)
    names = {
        "gelu": F.gelu(x), "silu": F.silu(x), "mish": F.mish(x), "elu": F.elu(x),
        "leaky": F.leaky_relu(x), "softplus": F.softplus(x), "hardswish": F.hardswish(x),
    }
    for name, y in names.items():
        assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad", name
    assert F.gelu(x).grad_fn.name() == "GELUBackward0"


# ----------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradcheck_and_gradgradcheck(name, data):
    ours, _, kwargs, kinks = ACTIVATIONS[name]
    shape = data.draw(shapes(0, 3, 1, 3))
    values = _away_from_kinks(data.draw(arrays(shape, -4.0, 4.0)), kinks)
    x = make_tensor(values, data.draw(layouts()))
    assert gradcheck(lambda t: ours(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: ours(t, **kwargs), (x,))


def test_empty_input():
    for name in NAMES:
        ours, _, kwargs, _ = ACTIVATIONS[name]
        x = ag.zeros(0, 3, requires_grad=True)
        y = ours(x, **kwargs)
        y.sum().backward()
        assert tuple(y.shape) == (0, 3) and tuple(x.grad.shape) == (0, 3)


# ----------------------------------------------------------------------------- in place
INPLACE = {
    "relu": (F.relu, {}), "relu6": (F.relu6, {}), "leaky_relu": (F.leaky_relu, {}),
    "elu": (F.elu, {"alpha": 0.5}), "selu": (F.selu, {}), "celu": (F.celu, {}),
    "silu": (F.silu, {}), "mish": (F.mish, {}), "hardtanh": (F.hardtanh, {}),
    "hardsigmoid": (F.hardsigmoid, {}), "hardswish": (F.hardswish, {}),
    "threshold": (F.threshold, {"threshold": 0.1, "value": 3.0}),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_matches_out_of_place(name):
    fn, kwargs = INPLACE[name]
    values = _away_from_kinks(np.linspace(-4, 4, 12), (0.0, 0.1, -1.0, 1.0, -3.0, 3.0))
    leaf = ag.tensor(values, requires_grad=True)
    expected = fn(leaf * 2.0, **kwargs)
    expected.sum().backward()
    expected_grad = leaf.grad.numpy().copy()
    leaf.grad = None
    x = leaf * 2.0
    out = fn(x, inplace=True, **kwargs)
    assert out is x
    np.testing.assert_allclose(x.detach().numpy(), expected.detach().numpy())
    x.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected_grad)
    with pytest.raises(RuntimeError, match="leaf"):
        fn(ag.tensor(values, requires_grad=True), inplace=True, **kwargs)
    plain = ag.tensor(values)
    fn(plain, inplace=True, **kwargs)
    np.testing.assert_allclose(plain.numpy(), fn(ag.tensor(values), **kwargs).numpy())


def test_bad_inputs():
    with pytest.raises(RuntimeError, match="not implemented for"):
        F.gelu(ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.elu([1.0, 2.0])
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(ag.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        F.hardtanh(ag.ones(2), 1.0, -1.0)


# ----------------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_match_pytorch(dim):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).normal(size=(3, 4)) * 3
    for ours, theirs in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax),
                         (F.softmin, torch.nn.functional.softmin)):
        x = ag.tensor(values, requires_grad=True)
        tx = torch.tensor(values, requires_grad=True)
        y, ty = ours(x, dim), theirs(tx, dim)
        (y * ag.tensor(values)).sum().backward()
        (ty * torch.tensor(values)).sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    for cls in ("Softmax", "LogSoftmax", "Softmin"):
        ours_m, theirs_m = getattr(nn, cls)(dim=dim), getattr(torch.nn, cls)(dim=dim)
        np.testing.assert_allclose(ours_m(ag.tensor(values)).numpy(),
                                   theirs_m(torch.tensor(values)).numpy(), atol=1e-12)


def test_glu_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).normal(size=(2, 4, 3))
    for dim in (1, -2):
        x = ag.tensor(values, requires_grad=True)
        tx = torch.tensor(values, requires_grad=True)
        F.glu(x, dim).sum().backward()
        torch.nn.functional.glu(tx, dim).sum().backward()
        np.testing.assert_allclose(nn.GLU(dim)(ag.tensor(values)).numpy(),
                                   torch.nn.functional.glu(torch.tensor(values), dim).numpy())
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(ag.ones(2, 3), -1)


# ----------------------------------------------------------------------------- PReLU
@pytest.mark.parametrize("shape,n", [((5,), 1), ((3, 4), 1), ((3, 4), 4), ((2, 3, 2, 2), 3),
                                     ((2, 3, 4), 3), ((), 1)])
def test_prelu_matches_pytorch(shape, n):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    values = rng.normal(size=shape)
    w = rng.uniform(0.05, 0.5, n)
    x, wt = ag.tensor(values, requires_grad=True), ag.tensor(w, requires_grad=True)
    tx, twt = torch.tensor(values, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, ty = F.prelu(x, wt), torch.nn.functional.prelu(tx, twt)
    up = rng.normal(size=shape)
    y.backward(ag.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), twt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape,n", [((3, 4), 4), ((2, 3, 2), 3), ((4,), 1)])
def test_prelu_gradcheck(shape, n):
    rng = np.random.default_rng(3)
    x = make_tensor(_away_from_kinks(rng.normal(size=shape), (0.0,)), "transposed")
    w = ag.tensor(rng.uniform(0.1, 0.4, n), requires_grad=True)
    assert gradcheck(F.prelu, (x, w))
    assert gradgradcheck(F.prelu, (x, w))


def test_prelu_module():
    torch = pytest.importorskip("torch")
    m, tm = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy())
    assert repr(m) == repr(tm)
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        m(ag.ones(2, 4))
    assert nn.PReLU().weight.shape == (1,) and float(nn.PReLU().weight) == 0.25


# ----------------------------------------------------------------------------- modules
MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}), ("SELU", (), {}), ("CELU", (2.0,), {}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Mish", (), {}), ("Softplus", (), {}), ("Softplus", (2, 10), {}), ("Softsign", (), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 2.0, True), {}), ("Threshold", (0.1, 20.0), {}),
    ("Softmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": -1}), ("Softmax", (), {}),
    ("LogSigmoid", (), {}), ("Tanhshrink", (), {}), ("Softmin", (0,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_repr_and_forward_match_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    values = np.random.default_rng(0).normal(size=(2, 3)) * 3
    if name in ("Softmax",) and "dim" not in kwargs:
        with pytest.warns(UserWarning, match="Implicit dimension"):
            y = ours(ag.tensor(values))
        with pytest.warns(UserWarning):
            ty = theirs(torch.tensor(values))
    else:
        y, ty = ours(ag.tensor(values)), theirs(torch.tensor(values))
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10, atol=1e-12)


def test_inplace_module_writes_into_its_input():
    x = ag.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0]
    y = ag.tensor([-1.0, 2.0])
    nn.ELU(inplace=True)(y)
    assert y.tolist()[1] == 2.0 and y.tolist()[0] == pytest.approx(np.expm1(-1.0))


# ----------------------------------------------------------------------------- Maxout
def test_maxout_is_the_max_of_affine_pieces():
    m = nn.Maxout(3, 2, pieces=4)
    assert tuple(m.weight.shape) == (8, 3) and tuple(m.bias.shape) == (8,)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(m) == "Maxout(in_features=3, out_features=2, pieces=4, bias=True)"
    assert "Not in PyTorch" in nn.Maxout.__doc__
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    expected = (x @ w.T + b).reshape(5, 2, 4).max(-1)
    np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(), expected, rtol=1e-6)
    bound = 1 / np.sqrt(3)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert nn.Maxout(3, 2, 2, bias=False).bias is None
    with pytest.raises(ValueError, match="at least one piece"):
        nn.Maxout(3, 2, 0)


def test_maxout_gradcheck():
    m = nn.Maxout(3, 2, pieces=3).double()
    x = ag.randn(4, 3, dtype=ag.float64, requires_grad=True)

    def f(x, w, b):
        z = F.linear(x, w, b).reshape(4, 2, 3)
        return z.amax(-1)

    assert gradcheck(f, (x, m.weight, m.bias))
    y = m(x)
    y.sum().backward()
    assert m.weight.grad is not None and x.grad is not None
    # with 2 pieces (w, 0) and (-w, 0) it is |w x|: ReLU-like convex units
    relu_like = nn.Maxout(1, 1, pieces=2, bias=False).double()
    with ag.no_grad():
        relu_like.weight.copy_(ag.tensor([[1.0], [-1.0]], dtype=ag.float64))
    out = relu_like(ag.tensor([[-2.0], [3.0]], dtype=ag.float64))
    assert out.reshape(-1).tolist() == [2.0, 3.0]
