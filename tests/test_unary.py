"""Pointwise functions of one tensor: gradients (finite differences, first and second order),
forward values against NumPy and PyTorch, dtypes, in-place variants and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check_gradients
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor, shapes

import autograd_core as ag

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _round_half_even(x, decimals=0):
    return np.round(x, decimals)


# name, (low, high), away_from_zero, NumPy reference, twice differentiable
OPS = [
    ("exp", (-2, 2), 0, np.exp, True),
    ("exp2", (-2, 2), 0, np.exp2, True),
    ("expm1", (-2, 2), 0, np.expm1, True),
    ("log", (0.5, 3), 0, np.log, True),
    ("log2", (0.5, 3), 0, np.log2, True),
    ("log10", (0.5, 3), 0, np.log10, True),
    ("log1p", (-0.5, 2), 0, np.log1p, True),
    ("sqrt", (0.5, 3), 0, np.sqrt, True),
    ("rsqrt", (0.5, 3), 0, lambda x: 1 / np.sqrt(x), True),
    ("square", (-2, 2), 0, np.square, True),
    ("reciprocal", (-2, 2), 0.3, np.reciprocal, True),
    ("sin", (-3, 3), 0, np.sin, True),
    ("cos", (-3, 3), 0, np.cos, True),
    ("tan", (-1.2, 1.2), 0, np.tan, True),
    ("asin", (-0.9, 0.9), 0, np.arcsin, True),
    ("acos", (-0.9, 0.9), 0, np.arccos, True),
    ("atan", (-3, 3), 0, np.arctan, True),
    ("sinh", (-2, 2), 0, np.sinh, True),
    ("cosh", (-2, 2), 0, np.cosh, True),
    ("tanh", (-2, 2), 0, np.tanh, True),
    ("asinh", (-2, 2), 0, np.arcsinh, True),
    ("acosh", (1.2, 3), 0, np.arccosh, True),
    ("atanh", (-0.9, 0.9), 0, np.arctanh, True),
    ("sigmoid", (-4, 4), 0, lambda x: 1 / (1 + np.exp(-x)), True),
    ("relu", (-2, 2), 0.05, lambda x: np.maximum(x, 0), True),
    ("abs", (-2, 2), 0.05, np.abs, True),
    ("erf", (-4, 4), 0, _erf, True),
    ("erfc", (-4, 4), 0, _erfc, True),
    ("floor", (-3, 3), 0, np.floor, True),
    ("ceil", (-3, 3), 0, np.ceil, True),
    ("trunc", (-3, 3), 0, np.trunc, True),
    ("round", (-3, 3), 0, _round_half_even, True),
    ("frac", (-3, 3), 0, lambda x: x - np.trunc(x), True),
    ("sign", (-2, 2), 0.05, np.sign, True),
    ("nan_to_num", (-2, 2), 0, np.nan_to_num, True),
]
OP_IDS = [op[0] for op in OPS]


@pytest.mark.parametrize("name, domain, away, reference, twice", OPS, ids=OP_IDS)
@settings(max_examples=6)
@given(shape=shapes(0, 3, 0, 3), layout=layouts(), data=st.data())
def test_gradients(name, domain, away, reference, twice, shape, layout, data):
    values = data.draw(arrays(shape, *domain, away_from_zero=away))
    check_gradients(getattr(ag, name), (make_tensor(values, layout),), twice)


@pytest.mark.parametrize("name, domain, away, reference, twice", OPS, ids=OP_IDS)
@settings(max_examples=5)
@given(shape=shapes(0, 3, 0, 4), layout=layouts(), data=st.data())
def test_forward_matches_numpy(name, domain, away, reference, twice, shape, layout, data):
    values = data.draw(arrays(shape, *domain, away_from_zero=away))
    x = make_tensor(values, layout, requires_grad=False)
    out = getattr(ag, name)(x)
    assert out.dtype == ag.float64
    assert out.shape == values.shape
    np.testing.assert_allclose(out.numpy(), reference(values), rtol=1e-12, atol=1e-14)
    method = getattr(x, name)()
    np.testing.assert_array_equal(method.numpy(), out.numpy())


@pytest.mark.parametrize("name, domain, away, reference, twice", OPS, ids=OP_IDS)
def test_values_and_gradients_match_pytorch(name, domain, away, reference, twice):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = rng.uniform(*domain, size=(3, 5))
    values = np.where(np.abs(values) < away, away, values)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        x = ag.tensor(values.astype(dtype), requires_grad=True)
        tx = torch.tensor(values.astype(dtype), requires_grad=True)
        out = getattr(ag, name)(x)
        tout = getattr(torch, name)(tx)
        assert out.dtype.name == str(tout.dtype).split(".")[1]
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol,
                                   atol=rtol)
        seed = rng.standard_normal(values.shape).astype(dtype)
        out.backward(ag.tensor(seed))
        tout.backward(torch.tensor(seed))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=rtol)


def test_special_values_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, -0.5, 1.5, 2.0, 30.0, -30.0,
                       100.0, -100.0, np.inf, -np.inf, np.nan], dtype=np.float64)
    names = ["exp", "tanh", "sigmoid", "relu", "abs", "sign", "erf", "erfc", "floor", "ceil",
             "trunc", "round", "frac", "atan", "nan_to_num", "sgn", "expm1", "log1p"]
    with np.errstate(all="ignore"):
        for dtype in (np.float64, np.float32):
            for name in names:
                ours = getattr(ag, name)(ag.tensor(values.astype(dtype))).numpy()
                theirs = getattr(torch, name)(torch.tensor(values.astype(dtype))).numpy()
                np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-30,
                                           err_msg=f"{name} {dtype.__name__}")


def test_erf_is_accurate_over_its_whole_range():
    x = np.linspace(-7, 7, 4001)
    ours = ag.erf(ag.tensor(x)).numpy()
    np.testing.assert_allclose(ours, _erf(x), rtol=0, atol=2e-15)
    ours_c = ag.erfc(ag.tensor(x)).numpy()
    np.testing.assert_allclose(ours_c, _erfc(x), rtol=5e-12, atol=1e-300)
    x32 = x.astype(np.float32)
    ours32 = ag.erf(ag.tensor(x32)).numpy()
    assert ours32.dtype == np.float32
    np.testing.assert_allclose(ours32, _erf(x32.astype(np.float64)), rtol=0, atol=6e-7)
    ours32c = ag.erfc(ag.tensor(x32)).numpy()
    np.testing.assert_allclose(ours32c, _erfc(x32.astype(np.float64)), rtol=2e-6, atol=1e-37)
    x16 = x.astype(np.float16)
    ours16 = ag.erf(ag.tensor(x16)).numpy()
    assert ours16.dtype == np.float16
    np.testing.assert_allclose(ours16, _erf(x16.astype(np.float64)), rtol=0, atol=1e-3)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = ag.sigmoid(ag.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=ag.float64))
    values = out.numpy()
    assert values[0] == 0.0 and values[-1] == 1.0 and values[2] == 0.5
    np.testing.assert_allclose(values[1], math.exp(-50), rtol=1e-12)  # relative precision kept


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    x.grad = None
    x.abs().sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]
    x.grad = None
    abs(x).sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_sqrt_gradient_at_zero_is_infinite():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert x.grad.tolist() == [math.inf, 0.25]


def test_rounding_has_zero_gradient():
    x = ag.tensor([-1.7, -0.2, 0.5, 2.5], requires_grad=True)
    for name in ["floor", "ceil", "trunc", "round", "sign"]:
        x.grad = None
        getattr(x, name)().sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0], name
    x.grad = None
    x.frac().sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_round_half_to_even_and_decimals():
    x = ag.tensor([0.5, 1.5, 2.5, -0.5, 1.234, -1.25, 1234.5])
    assert ag.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, 1.0, -1.0, 1234.0]
    np.testing.assert_allclose(x.round(decimals=2).numpy(),
                               np.array([0.5, 1.5, 2.5, -0.5, 1.23, -1.25, 1234.5], np.float32))
    np.testing.assert_allclose(ag.round(x, decimals=-2).numpy(),
                               np.array([0, 0, 0, 0, 0, 0, 1200], np.float32))
    assert x.round(decimals=1).dtype == ag.float32


def test_round_decimals_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).uniform(-100, 100, 50)
    for d in (-1, 0, 1, 3):
        np.testing.assert_allclose(ag.round(ag.tensor(values), decimals=d).numpy(),
                                   torch.round(torch.tensor(values), decimals=d).numpy())


# ------------------------------------------------------------------------------ dtypes
FLOAT_RESULT = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
                "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
                "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc"]
KEEP_DTYPE = ["relu", "abs", "square", "floor", "ceil", "trunc", "round", "sign",
              "nan_to_num"]


@pytest.mark.parametrize("name", FLOAT_RESULT + KEEP_DTYPE + ["frac"])
def test_float32_stays_float32(name):
    values = [1.25, 1.5, 1.75] if name == "acosh" else [0.25, 0.5, 0.75]
    x = ag.tensor(values, dtype=ag.float32, requires_grad=True)
    out = getattr(ag, name)(x)
    assert out.dtype == ag.float32
    out.sum().backward()
    assert x.grad.dtype == ag.float32


@pytest.mark.parametrize("name", FLOAT_RESULT)
def test_integer_input_gives_default_float(name):
    with np.errstate(all="ignore"):  # some values are outside the domain: only dtypes matter
        out = getattr(ag, name)(ag.tensor([1, 2, 3]))
        assert out.dtype == ag.float32
        assert not out.requires_grad
        ag.set_default_dtype(ag.float64)
        try:
            assert getattr(ag, name)(ag.tensor([1, 2])).dtype == ag.float64
        finally:
            ag.set_default_dtype(ag.float32)


@pytest.mark.parametrize("name", KEEP_DTYPE)
def test_integer_input_keeps_its_dtype(name):
    x = ag.tensor([-2, 0, 3], dtype=ag.int32)
    out = getattr(ag, name)(x)
    assert out.dtype == ag.int32
    torch = pytest.importorskip("torch")
    expected = getattr(torch, name)(torch.tensor([-2, 0, 3], dtype=torch.int32))
    assert out.tolist() == expected.tolist()


def test_bool_inputs():
    b = ag.tensor([True, False])
    assert ag.square(b).dtype == ag.int64 and ag.square(b).tolist() == [1, 0]
    assert ag.sign(b).dtype == ag.bool and ag.sign(b).tolist() == [True, False]
    assert ag.exp(b).dtype == ag.float32


def test_float16_is_kept():
    x = ag.tensor([0.5, 1.0], dtype=ag.float16)
    for name in ["exp", "sigmoid", "tanh", "erf", "erfc", "relu", "sqrt"]:
        assert getattr(ag, name)(x).dtype == ag.float16, name


def test_aliases():
    x = ag.tensor([-0.5, 0.25])
    for alias, name in [("absolute", "abs"), ("arcsin", "asin"), ("arccos", "acos"),
                        ("arctan", "atan"), ("arcsinh", "asinh"), ("arctanh", "atanh"),
                        ("fix", "trunc"), ("sgn", "sign")]:
        np.testing.assert_array_equal(getattr(ag, alias)(x).numpy(), getattr(ag, name)(x).numpy())
        np.testing.assert_array_equal(getattr(x, alias)().numpy(), getattr(ag, name)(x).numpy())


# ------------------------------------------------------------------------------ in place
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs",
                                  "floor", "round", "sin"])
def test_inplace_variants(name):
    values = np.array([0.3, 1.7, 2.2], dtype=np.float32)
    x = ag.tensor(values)
    expected = getattr(ag, name)(ag.tensor(values)).numpy()
    version = x._version
    assert getattr(x, name + "_")() is x
    np.testing.assert_allclose(x.numpy(), expected)
    assert x._version == version + 1


def test_inplace_relu_records_the_graph_on_a_non_leaf():
    a = ag.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    h = a * 2
    h.relu_()
    assert h.grad_fn is not None
    h.sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 0.0, 2.0]


def test_inplace_on_a_leaf_that_requires_grad_raises():
    a = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        a.exp_()


def test_inplace_float_result_into_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="can't be cast"):
        ag.tensor([1, 2]).exp_()


def test_saved_output_changed_in_place_is_detected():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = a.exp()
    y.exp_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------------------ errors
def test_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"exp\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not float"):
        ag.exp(2.0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        ag.relu([1.0, 2.0])


def test_frac_and_round_decimals_of_integers_raise():
    with pytest.raises(NotImplementedError, match="frac"):
        ag.frac(ag.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="decimals"):
        ag.round(ag.tensor([1, 2]), decimals=1)
    assert ag.round(ag.tensor([1, 2])).tolist() == [1, 2]


def test_nan_to_num_values_and_gradient():
    x = ag.tensor([math.nan, math.inf, -math.inf, 1.5], requires_grad=True)
    out = ag.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    assert out.tolist() == [0.5, 9.0, -9.0, 1.5]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    big = ag.nan_to_num(ag.tensor([math.inf, -math.inf]))
    assert big.tolist() == [float(np.finfo(np.float32).max), float(np.finfo(np.float32).min)]


def test_no_graph_under_no_grad():
    x = ag.tensor([0.5], requires_grad=True)
    with ag.no_grad():
        y = x.tanh().sigmoid().relu()
    assert not y.requires_grad and y.grad_fn is None


def test_backward_node_names():
    x = ag.tensor([0.5], requires_grad=True)
    assert x.exp().grad_fn.name() == "ExpBackward0"
    assert x.relu().grad_fn.name() == "ReluBackward0"
    assert x.sigmoid().grad_fn.name() == "SigmoidBackward0"


def test_hessian_of_a_composition():
    # f(x) = sum(tanh(x) * exp(x)); check the second derivative through create_graph.
    x = ag.tensor([0.3, -0.7], dtype=ag.float64, requires_grad=True)
    (g,) = ag.autograd.grad((x.tanh() * x.exp()).sum(), x, create_graph=True)
    (h,) = ag.autograd.grad(g.sum(), x)
    v = x.detach().numpy()
    t = np.tanh(v)
    s = 1 - t**2
    expected = np.exp(v) * (t + 2 * s - 2 * t * s)
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-10)


@pytest.mark.usefixtures("fake_cuda")
def test_ops_run_on_a_cupy_like_device():
    values = np.array([[0.3, -1.2, 2.6], [-3.0, 0.0, 1.1]])
    x = ag.tensor(values, device="cuda", requires_grad=True)
    names = ["exp", "log1p", "sqrt", "sigmoid", "tanh", "relu", "abs", "erf", "erfc", "floor",
             "round", "sign", "nan_to_num", "sin", "rsqrt", "reciprocal", "frac"]
    total = None
    with np.errstate(all="ignore"):
        for name in names:
            arg = x.abs() + 1.0 if name in ("sqrt", "rsqrt", "log1p", "reciprocal") else x
            out = getattr(ag, name)(arg)
            assert out.device.type == "cuda", name
            total = out.sum() if total is None else total + out.sum()
        total.backward()
    assert x.grad.device.type == "cuda"
    (g,) = ag.autograd.grad(x.sigmoid().sum(), x, create_graph=True)
    g.sum().backward()
    erf_host = ag.erf(ag.tensor(values)).numpy()
    np.testing.assert_allclose(np.array(ag.erf(x).detach().tolist()), erf_host)
