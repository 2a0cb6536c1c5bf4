"""Arithmetic operators: gradients (first and second order) on broadcast shapes, numbers on
either side, PyTorch's type promotion, ``div`` rounding modes, and ``**`` edge cases."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check_gradients
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcast_pairs, layouts, make_tensor, shapes

import autograd_core as ag


def _values(data, shape, low=-2.0, high=2.0, away=0.0):
    return data.draw(arrays(shape, low, high, away_from_zero=away))


# name, function, (low, high) and distance from zero of the second operand
BINARY = [
    ("add", operator.add, (-2.0, 2.0), 0.0),
    ("sub", operator.sub, (-2.0, 2.0), 0.0),
    ("mul", operator.mul, (-2.0, 2.0), 0.0),
    ("div", operator.truediv, (-2.0, 2.0), 0.3),
    ("pow", operator.pow, (0.3, 2.0), 0.0),
]


@pytest.mark.parametrize("name, fn, domain, away", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=10)
@given(pair=broadcast_pairs(0, 3, 3, 0), layout=layouts(), data=st.data())
def test_binary_gradients_on_broadcast_shapes(name, fn, domain, away, pair, layout, data):
    a = make_tensor(_values(data, pair[0], *domain), layout)
    b = make_tensor(_values(data, pair[1], -2.0, 2.0, away=away), layout)
    check_gradients(fn, (a, b))
    check_gradients(getattr(ag, name), (a, b), twice=False)


@pytest.mark.parametrize("name, fn", [("add", lambda x: 2 + x), ("radd", lambda x: x + 2.5),
                                      ("rsub", lambda x: 2 - x), ("sub", lambda x: x - 2),
                                      ("rmul", lambda x: 3 * x), ("rdiv", lambda x: 2 / x),
                                      ("div", lambda x: x / 4), ("square", lambda x: x ** 2),
                                      ("cube", lambda x: x ** 3), ("inverse", lambda x: x ** -1),
                                      ("zero", lambda x: x ** 0), ("exp2", lambda x: 2 ** x),
                                      ("neg", lambda x: -x), ("pos", lambda x: +x),
                                      ("alpha", lambda x: ag.add(x, x * x, alpha=0.5)),
                                      ("numpy", lambda x: np.float64(2.0) * x)])
@settings(max_examples=6)
@given(shape=shapes(0, 3, 0, 3), layout=layouts(), data=st.data())
def test_numbers_on_either_side(name, fn, shape, layout, data):
    x = make_tensor(_values(data, shape, away=0.3), layout)
    check_gradients(fn, (x,))


@settings(max_examples=10)
@given(shape=shapes(0, 3, 1, 3), layout=layouts(), data=st.data())
def test_fractional_powers_of_positive_bases(shape, layout, data):
    x = make_tensor(_values(data, shape, 0.3, 2.0), layout)
    check_gradients(lambda x: x ** 2.5, (x,))
    check_gradients(lambda x: x ** 0.5, (x,))
    check_gradients(lambda x: x ** x, (x,))
    check_gradients(lambda x: ag.pow(1.5, x), (x,))


def _far_from_jumps(data, pair):
    """Operands of // and % whose quotient stays away from integers (where they jump):
    divisors +-1/2, +-1, +-2 and dividends m + 1/4 + noise, m an integer."""
    a = np.round(_values(data, pair[0], -3.0, 3.0)) + 0.25 + _values(data, pair[0], -0.1, 0.1)
    b = np.choose(data.draw(arrays(pair[1], 0.0, 5.99)).astype(int),
                  [0.5, 1.0, 2.0, -0.5, -1.0, -2.0])
    return a, b


@settings(max_examples=10)
@given(pair=broadcast_pairs(0, 3, 3, 0), data=st.data())
def test_floor_divide_and_remainder_gradients(pair, data):
    ta, tb = (make_tensor(v) for v in _far_from_jumps(data, pair))
    check_gradients(operator.mod, (ta, tb))
    check_gradients(operator.floordiv, (ta, tb))
    check_gradients(ag.remainder, (ta, tb), twice=False)


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.floordiv, operator.mod, operator.pow])
@settings(max_examples=8)
@given(pair=broadcast_pairs(0, 3, 4, 0), data=st.data())
def test_forward_matches_pytorch(op, pair, data):
    torch = pytest.importorskip("torch")
    a = _values(data, pair[0], 0.5 if op is operator.pow else -3.0, 3.0)
    b = _values(data, pair[1], away=0.25)
    ours = op(ag.tensor(a), ag.tensor(b))
    theirs = op(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    ia = np.asarray(np.round(a * 3), dtype=np.int64)
    ib = np.asarray(np.round(b * 3), dtype=np.int64)
    ib[ib == 0] = 1
    if op is operator.pow:
        ib = np.abs(ib)
    ours_i = op(ag.tensor(ia), ag.tensor(ib))
    theirs_i = op(torch.tensor(ia), torch.tensor(ib))
    assert ours_i.dtype.name == str(theirs_i.dtype).split(".")[1]
    np.testing.assert_allclose(ours_i.numpy(), theirs_i.numpy(), rtol=1e-6)


def test_gradients_match_pytorch_at_special_points():
    torch = pytest.importorskip("torch")

    def grads(lib, fn, x, y):
        tx = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        ty = lib.tensor(y, dtype=lib.float64, requires_grad=True)
        fn(tx, ty).sum().backward()
        return tx.grad.tolist(), ty.grad.tolist()

    x, y = [0.0, 2.0, 0.0, 3.0, -2.0], [2.0, 0.0, 0.0, 1.0, 2.0]
    with np.errstate(all="ignore"):  # 0 ** -1 and log(-2) on the way, as in PyTorch
        for fn in (lambda a, b: a ** b, lambda a, b: a ** 2 * b, lambda a, b: a ** 0 + b):
            np.testing.assert_array_equal(grads(ag, fn, x, y), grads(torch, fn, x, y))


# ------------------------------------------------------------------------------ dtypes
def test_type_promotion_follows_pytorch():
    f32 = ag.tensor([1.0, 2.0])
    f64 = ag.tensor([1.0, 2.0], dtype=ag.float64)
    ints = ag.tensor([1, 2])
    cases = [
        (f32 + f64, ag.float64),
        (f32 + ag.tensor(1.0, dtype=ag.float64), ag.float32),  # 0-d counts by category only
        (ag.tensor(1.0, dtype=ag.float64) * f32, ag.float32),
        (ints + 1.5, ag.float32),
        (1.5 * ints, ag.float32),
        (ints / ints, ag.float32),
        (ints / 2, ag.float32),
        (2 / ints, ag.float32),
        (np.float64(2.0) * f32, ag.float32),
        (f32 * np.float64(2.0), ag.float32),
        (f32 - np.float32(1.0), ag.float32),
        (ints * 2, ag.int64),
        (ints + ag.tensor([1, 2], dtype=ag.int32), ag.int64),
        (ints + ag.tensor(1.0), ag.float32),
        (ints * f64, ag.float64),
        (ints ** 2, ag.int64),
        (ints ** 2.0, ag.float32),
        (2 ** ints, ag.int64),
        (ints // 2, ag.int64),
        (ints % 2, ag.int64),
        (f32 // 2, ag.float32),
        (ag.tensor([True, False]) + 1, ag.int64),
        (ag.tensor([True, False]) * 1.5, ag.float32),
        (f32 ** ag.tensor(2.0, dtype=ag.float64), ag.float32),
    ]
    for i, (out, dtype) in enumerate(cases):
        assert out.dtype == dtype, (i, out.dtype, dtype)
    ag.set_default_dtype(ag.float64)
    try:
        assert (ints / ints).dtype == ag.float64
        assert (ints * 0.5).dtype == ag.float64
    finally:
        ag.set_default_dtype(ag.float32)


def test_float32_gradients_stay_float32():
    x = ag.tensor([0.5, 1.5], requires_grad=True)
    y = ag.tensor([2.0, 3.0], requires_grad=True)
    (np.float64(3.0) * x / y - 2.0 ** x + x ** 2 + x % 0.7 + x // 0.3).sum().backward()
    assert x.grad.dtype == ag.float32 and y.grad.dtype == ag.float32


def test_mixed_dtype_gradients_come_back_in_each_dtype():
    x = ag.tensor([0.5, 1.5], requires_grad=True)
    y = ag.tensor([2.0, 3.0], dtype=ag.float64, requires_grad=True)
    out = x * y
    assert out.dtype == ag.float64
    out.sum().backward()
    assert x.grad.dtype == ag.float32 and y.grad.dtype == ag.float64
    assert x.grad.tolist() == [2.0, 3.0]


# ------------------------------------------------------------------------------ division
@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_modes_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    a = np.array([-7.5, -7.0, -1.0, 0.0, 3.0, 7.0, 7.5, 9.0])
    b = np.array([2.0, -2.0, 3.0, 5.0, -2.0, 2.0, -2.0, 3.0])
    for x, y in ((a, b), (a.astype(np.int64), b.astype(np.int64))):
        ours = ag.div(ag.tensor(x), ag.tensor(y), rounding_mode=mode)
        theirs = torch.div(torch.tensor(x), torch.tensor(y), rounding_mode=mode)
        assert ours.dtype.name == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ours_s = ag.tensor(x).div(3, rounding_mode=mode)
        theirs_s = torch.tensor(x).div(3, rounding_mode=mode)
        np.testing.assert_array_equal(ours_s.numpy(), theirs_s.numpy())


def test_div_trunc_gradient_is_zero():
    x = ag.tensor([1.5, -2.5], requires_grad=True)
    ag.div(x, 2.0, rounding_mode="trunc").sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, "
                                           "'trunc', or 'floor' but found 'round'"):
        ag.div(ag.ones(2), 2, rounding_mode="round")


def test_integer_to_negative_power_raises():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not "
                                           "allowed"):
        _ = ag.tensor([1, 2]) ** -1
    assert (ag.tensor([1, 2]) ** -1.0).tolist() == [1.0, 0.5]


def test_broadcast_mismatch_is_an_error():
    with pytest.raises((RuntimeError, ValueError)):
        _ = ag.ones(2, 3) + ag.ones(4)


def test_aliases():
    x, y = ag.tensor([4.0, 9.0]), ag.tensor([2.0, 3.0])
    assert ag.subtract(x, y).tolist() == (x - y).tolist()
    assert ag.multiply(x, y).tolist() == (x * y).tolist()
    assert ag.divide(x, y).tolist() == (x / y).tolist()
    assert ag.negative(x).tolist() == [-4.0, -9.0]
    assert x.true_divide(y).tolist() == [2.0, 3.0]
    assert x.sub(y, alpha=2).tolist() == [0.0, 3.0]
    assert ag.tensor([-7.0, 7.0]).fmod(2.0).tolist() == [-1.0, 1.0]


@pytest.mark.usefixtures("fake_cuda")
def test_arithmetic_runs_on_a_cupy_like_device():
    x = ag.tensor([[0.5, 1.5, 2.5]], device="cuda", requires_grad=True)
    y = ag.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    out = (x + y) * (x - 1.0) / y + x ** 2 + 2 ** x + x ** y + x % y + x // y - (-x)
    (gx, gy) = ag.autograd.grad(out.sum(), (x, y), create_graph=True)
    assert gx.device.type == "cuda" and gy.device.type == "cuda"
    (gx.sum() + gy.sum()).backward()
    with pytest.raises(RuntimeError, match="same device"):
        _ = y + ag.tensor([1.0, 2.0, 3.0])
