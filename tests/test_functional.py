"""`autograd.functional`: vjp, jvp, jacobian, hessian, hvp, vhp against closed forms and
against ``torch.autograd.functional``; return structures, create_graph and strict mode."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
from autograd_core.autograd import functional as F


def host(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach().cpu()._host())


def t64(values, requires_grad: bool = False) -> ag.Tensor:
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


RNG = np.random.default_rng(0)
A_VALUES = RNG.standard_normal((2, 3))
X_VALUES = RNG.standard_normal(3)
Y_VALUES = RNG.standard_normal(3)


def linear(x):
    """f(x) = A x: J = A."""
    return t64(A_VALUES) @ x


def cubic_sum(x):
    """f(x) = sum x^3: grad = 3 x^2, H = diag(6 x)."""
    return (x ** 3).sum()


def two_inputs(x, y):
    """f(x, y) = sum x^2 y: d/dx = 2 x y, d/dy = x^2; H = [[2 diag(y), 2 diag(x)],
    [2 diag(x), 0]]."""
    return (x * x * y).sum()


# ----------------------------------------------------------------------------- closed forms
def test_vjp_linear():
    v = t64([1.0, -2.0])
    out, g = F.vjp(linear, t64(X_VALUES), v)
    np.testing.assert_allclose(host(out), A_VALUES @ X_VALUES)
    np.testing.assert_allclose(host(g), host(v) @ A_VALUES)
    assert not out.requires_grad and not g.requires_grad


def test_vjp_scalar_output_needs_no_v():
    out, g = F.vjp(cubic_sum, t64(X_VALUES))
    np.testing.assert_allclose(host(g), 3 * X_VALUES ** 2)


def test_jvp_linear():
    v = t64([1.0, 0.5, -1.0])
    out, jv = F.jvp(linear, t64(X_VALUES), v)
    np.testing.assert_allclose(host(out), A_VALUES @ X_VALUES)
    np.testing.assert_allclose(host(jv), A_VALUES @ host(v))


def test_jvp_single_element_input_needs_no_v():
    out, jv = F.jvp(lambda x: x ** 3, t64([2.0]))
    np.testing.assert_allclose(host(jv), [12.0])


def test_jacobian_structures():
    x, y = t64(X_VALUES), t64(Y_VALUES)
    np.testing.assert_allclose(host(F.jacobian(linear, x)), A_VALUES)
    (j,) = F.jacobian(linear, (x,))
    np.testing.assert_allclose(host(j), A_VALUES)
    (j,) = F.jacobian(lambda x: (linear(x),), x)
    np.testing.assert_allclose(host(j), A_VALUES)
    jx, jy = F.jacobian(lambda a, b: a * b, (x, y))
    np.testing.assert_allclose(host(jx), np.diag(Y_VALUES))
    np.testing.assert_allclose(host(jy), np.diag(X_VALUES))
    ((jax, jay), (jbx, jby)) = F.jacobian(lambda a, b: (a * b, (a + b).sum()), (x, y))
    assert jax.shape == (3, 3) and jbx.shape == (3,) and jby.shape == (3,)
    np.testing.assert_allclose(host(jbx), np.ones(3))


def test_jacobian_shapes_follow_outputs_then_inputs():
    x = t64(RNG.standard_normal((2, 3)))
    j = F.jacobian(lambda t: (t * 2).sum(0), x)
    assert j.shape == (3, 2, 3)
    expected = np.zeros((3, 2, 3))
    for c in range(3):
        expected[c, :, c] = 2.0
    np.testing.assert_allclose(host(j), expected)
    s = F.jacobian(lambda t: (t * t).sum(), x)
    assert s.shape == (2, 3)
    np.testing.assert_allclose(host(s), 2 * host(x))


def test_hessian_closed_forms():
    x, y = t64(X_VALUES), t64(Y_VALUES)
    np.testing.assert_allclose(host(F.hessian(cubic_sum, x)), np.diag(6 * X_VALUES))
    (hxx, hxy), (hyx, hyy) = F.hessian(two_inputs, (x, y))
    np.testing.assert_allclose(host(hxx), np.diag(2 * Y_VALUES))
    np.testing.assert_allclose(host(hxy), np.diag(2 * X_VALUES))
    np.testing.assert_allclose(host(hyx), np.diag(2 * X_VALUES))
    np.testing.assert_allclose(host(hyy), np.zeros((3, 3)))


@pytest.mark.parametrize("product", [F.hvp, F.vhp])
def test_hessian_vector_products(product):
    x, y = t64(X_VALUES), t64(Y_VALUES)
    v = t64([1.0, -1.0, 0.5])
    out, hv = product(cubic_sum, x, v)
    np.testing.assert_allclose(host(out), (X_VALUES ** 3).sum())
    np.testing.assert_allclose(host(hv), 6 * X_VALUES * host(v))
    _, (hx, hy) = product(two_inputs, (x, y), (v, v))
    np.testing.assert_allclose(host(hx), 2 * Y_VALUES * host(v) + 2 * X_VALUES * host(v))
    np.testing.assert_allclose(host(hy), 2 * X_VALUES * host(v))


def test_forward_mode_strategy():
    x, y = t64(X_VALUES), t64(Y_VALUES)
    j = F.jacobian(linear, x, vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(host(j), A_VALUES)
    jx, jy = F.jacobian(lambda a, b: a * b, (x, y), vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(host(jx), np.diag(Y_VALUES))
    h = F.hessian(cubic_sum, x, vectorize=True, outer_jacobian_strategy="forward-mode")
    np.testing.assert_allclose(host(h), np.diag(6 * X_VALUES))
    assert np.allclose(host(F.jacobian(linear, x, vectorize=True)), A_VALUES)


def test_unused_inputs_give_zeros():
    x, y = t64(X_VALUES), t64(Y_VALUES)
    jx, jy = F.jacobian(lambda a, b: a * 2, (x, y))
    assert not host(jy).any() and jy.shape == (3, 3)
    _, (gx, gy) = F.vjp(lambda a, b: (a * a).sum(), (x, y))
    assert not host(gy).any()
    _, hv = F.hvp(lambda a: a.sum() * 2, x, x)  # linear: H = 0
    assert not host(hv).any()


def test_inputs_are_left_alone():
    x = t64(X_VALUES, requires_grad=True)
    F.jacobian(cubic_sum, x)
    F.hessian(cubic_sum, x)
    F.vjp(cubic_sum, x)
    assert x.grad is None and x.is_leaf


# ----------------------------------------------------------------------------- create_graph
def test_create_graph_keeps_results_differentiable():
    x = t64(X_VALUES, requires_grad=True)
    j = F.jacobian(cubic_sum, x, create_graph=True)  # 3 x^2
    assert j.requires_grad
    (j.sum()).backward()
    np.testing.assert_allclose(host(x.grad), 6 * X_VALUES)
    x.grad = None
    h = F.hessian(cubic_sum, x, create_graph=True)  # diag(6 x)
    h.sum().backward()
    np.testing.assert_allclose(host(x.grad), np.full(3, 6.0))
    x.grad = None
    _, jv = F.jvp(lambda t: t ** 3, x, t64([1.0, 1.0, 1.0]), create_graph=True)  # 3 x^2 v
    jv.sum().backward()
    np.testing.assert_allclose(host(x.grad), 6 * X_VALUES)
    x.grad = None
    v = t64([1.0, 2.0, 3.0], requires_grad=True)
    _, hv = F.hvp(cubic_sum, x, v, create_graph=True)  # 6 x v
    hv.sum().backward()
    np.testing.assert_allclose(host(x.grad), 6 * host(v))
    np.testing.assert_allclose(host(v.grad), 6 * X_VALUES)


def test_without_create_graph_results_are_detached():
    x = t64(X_VALUES, requires_grad=True)
    for result in (F.jacobian(cubic_sum, x), F.hessian(cubic_sum, x), F.vjp(cubic_sum, x)[1],
                   F.hvp(cubic_sum, x, x)[1], F.jvp(linear, x, x)[1]):
        assert not result.requires_grad


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, exc, message", [
    (lambda: F.vjp(linear, t64(X_VALUES)), RuntimeError,
     "The vector v can only be None if the user-provided function returns a single Tensor "
     "with a single element."),
    (lambda: F.jvp(linear, t64(X_VALUES)), RuntimeError,
     "The vector v can only be None if the input to the user-provided function is a single "
     "Tensor with a single element."),
    (lambda: F.vjp(linear, t64(X_VALUES), t64([1.0, 2.0, 3.0])), RuntimeError,
     "v has invalid size: should be (2,) but got (3,)."),
    (lambda: F.jvp(two_inputs, (t64(X_VALUES), t64(Y_VALUES)), (t64(X_VALUES), t64([1.0]))),
     RuntimeError, "Entry 1 in v has invalid size: should be (3,) but got (1,)."),
    (lambda: F.vjp(linear, t64(X_VALUES), (t64([1.0, 2.0]), t64([1.0, 2.0]))), RuntimeError,
     "v is a tuple of invalid length: should be 1 but got 2."),
    (lambda: F.vjp(linear, (t64(X_VALUES), 3)), TypeError,
     "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the value at "
     "index 1 has type int."),
    (lambda: F.hessian(linear, t64(X_VALUES)), RuntimeError,
     "The Tensor returned by the function given to hessian should contain a single element"),
    (lambda: F.hvp(lambda x: (x, x), t64(X_VALUES), t64(X_VALUES)), RuntimeError,
     "The function given to hvp should return a single Tensor"),
    (lambda: F.jacobian(linear, t64(X_VALUES), strategy="sideways"), ValueError,
     'Expected strategy to be either "forward-mode" or "reverse-mode"'),
    (lambda: F.jacobian(linear, t64(X_VALUES), strategy="forward-mode"), NotImplementedError,
     "only implemented for `vectorize=True`"),
    (lambda: F.jacobian(linear, t64(X_VALUES), vectorize=True, strict=True), RuntimeError,
     "`strict=True` and `vectorized=True` are not supported together"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize("call, message", [
    (lambda x, y: F.jacobian(lambda a, b: a * 2, (x, y), strict=True),
     "Output 0 of the user-provided function is independent of input 1"),
    (lambda x, y: F.vjp(lambda a, b: a * 2, (x, y), x, strict=True),
     "The output of the user-provided function is independent of input 1"),
    (lambda x, y: F.jvp(lambda a, b: a * 2, (x, y), (x, y), strict=True),
     "independent of"),
    (lambda x, y: F.vjp(lambda a: a.detach(), x, x, strict=True),
     "Output 0 of the user-provided function does not require gradients"),
    (lambda x, y: F.hessian(lambda a: a.sum(), x, strict=True),
     "The jacobian of the user-provided function with respect to input 0 is independent of "
     "the input"),
    (lambda x, y: F.vhp(lambda a, b: (a * a).sum() + b.sum(), (x, y), (x, y), strict=True),
     "with respect to input 1 is independent of the input"),
])
def test_strict_mode(call, message):
    with pytest.raises(RuntimeError) as info:
        call(t64(X_VALUES), t64(Y_VALUES))
    assert message in str(info.value)


# ----------------------------------------------------------------------------- vs torch
def _compare(ours, theirs):
    torch = pytest.importorskip("torch")
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ag.Tensor)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    else:
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _compare(a, b)


def _both(fn_name, ours, theirs, inputs, v=None, **kwargs):
    torch = pytest.importorskip("torch")
    tf = getattr(torch.autograd.functional, fn_name)
    of = getattr(F, fn_name)

    def convert(x, lib):
        if isinstance(x, tuple):
            return tuple(convert(e, lib) for e in x)
        return t64(x) if lib is ag else torch.tensor(x)

    args_o = (ours, convert(inputs, ag)) + (() if v is None else (convert(v, ag),))
    args_t = (theirs, convert(inputs, torch)) + (() if v is None else (convert(v, torch),))
    _compare(of(*args_o, **kwargs), tf(*args_t, **kwargs))


def _funcs(lib):
    a = t64(A_VALUES) if lib is ag else __import__("torch").tensor(A_VALUES)
    return {
        "vector": lambda x: a @ (x ** 3),
        "pair": lambda x, y: (x * y * y, (x ** 2).sum() * y),
        "scalar": lambda x: (x ** 3).sum() * (x ** 2).sum(),
        "scalar2": lambda x, y: (x ** 2 * y).sum() + (x ** 3).sum() * y.sum(),
    }


X3, Y3, V2 = X_VALUES, Y_VALUES, np.array([0.5, -1.5])


@pytest.mark.parametrize("fn_name, key, inputs, v, kwargs", [
    ("vjp", "vector", X3, V2, {}),
    ("vjp", "pair", (X3, Y3), (Y3, X3), {}),
    ("vjp", "scalar", X3, None, {}),
    ("jvp", "vector", X3, Y3, {}),
    ("jvp", "pair", (X3, Y3), (Y3, X3), {}),
    ("jacobian", "vector", X3, None, {}),
    ("jacobian", "vector", (X3,), None, {}),
    ("jacobian", "pair", (X3, Y3), None, {}),
    ("jacobian", "pair", (X3, Y3), None, {"vectorize": True, "strategy": "forward-mode"}),
    ("hessian", "scalar", X3, None, {}),
    ("hessian", "scalar2", (X3, Y3), None, {}),
    ("hessian", "scalar2", (X3, Y3), None,
     {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}),
    ("hvp", "scalar", X3, Y3, {}),
    ("hvp", "scalar2", (X3, Y3), (Y3, X3), {}),
    ("vhp", "scalar", X3, Y3, {}),
    ("vhp", "scalar2", (X3, Y3), (Y3, X3), {}),
])
def test_against_torch(fn_name, key, inputs, v, kwargs):
    torch = pytest.importorskip("torch")
    _both(fn_name, _funcs(ag)[key], _funcs(torch)[key], inputs, v, **kwargs)


def test_create_graph_against_torch():
    torch = pytest.importorskip("torch")
    x = t64(X_VALUES, requires_grad=True)
    tx = torch.tensor(X_VALUES, requires_grad=True)
    f, tf = _funcs(ag)["scalar"], _funcs(torch)["scalar"]
    h = F.hessian(f, x, create_graph=True)
    th = torch.autograd.functional.hessian(tf, tx, create_graph=True)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), rtol=1e-10)


# ----------------------------------------------------------------------------- devices
@pytest.mark.usefixtures("fake_cuda")
def test_on_fake_gpu():
    x = ag.randn(3, device="cuda", dtype=ag.float64)
    h = F.hessian(cubic_sum, x)
    assert h.device.type == "cuda"
    np.testing.assert_allclose(host(h), np.diag(6 * host(x)))
    _, hv = F.hvp(cubic_sum, x, x)
    _, jv = F.jvp(lambda t: t * t, x, x)
    j = F.jacobian(lambda t: t * t, x, create_graph=True)
    assert hv.device.type == jv.device.type == j.device.type == "cuda"
