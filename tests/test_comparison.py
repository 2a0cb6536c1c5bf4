"""Comparisons, logical and bitwise operators, isnan/isinf/isfinite, equal/allclose/isclose:
values against NumPy and PyTorch, promotion, broadcasting, numbers on either side, errors."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcast_pairs, layouts, make_tensor

import autograd_core as ag

COMPARISONS = [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
               ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]


def _ints(data, shape):
    """Small integers as float64, so that ties are common."""
    return np.round(data.draw(arrays(shape, -2.0, 2.0)))


@pytest.mark.parametrize("name, op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
@settings(max_examples=10)
@given(pair=broadcast_pairs(0, 3, 4, 0), layout=layouts(), data=st.data())
def test_comparisons_match_numpy(name, op, pair, layout, data):
    a, b = _ints(data, pair[0]), _ints(data, pair[1])
    ta = make_tensor(a, layout, requires_grad=True)
    tb = make_tensor(b, layout, requires_grad=False)
    expected = op(a, b)
    for out in (getattr(ag, name)(ta, tb), op(ta, tb), getattr(ta, name)(tb)):
        assert out.dtype == ag.bool
        assert not out.requires_grad and out.grad_fn is None
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name, op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons_with_numbers_on_either_side(name, op):
    values = np.array([[-1.0, 0.0], [1.0, 2.5]])
    t = ag.tensor(values)
    for number in (0, 1.0, 2.5, np.float64(1.0), np.int64(0), True):
        np.testing.assert_array_equal(op(t, number).numpy(), op(values, number))
        np.testing.assert_array_equal(op(number, t).numpy(), op(number, values))
        np.testing.assert_array_equal(getattr(ag, name)(t, number).numpy(),
                                      op(values, number))
    np.testing.assert_array_equal(op(t, [0.0, 2.5]).numpy(), op(values, [0.0, 2.5]))
    zero_d = op(ag.tensor(1.0), 1.0)
    assert zero_d.shape == () and zero_d.dtype == ag.bool


def test_comparisons_promote_like_pytorch():
    torch = pytest.importorskip("torch")
    big = 16777217  # not a float32 number: int64 vs float32 compares in float32 as PyTorch
    assert (ag.tensor([big]) == float(big)).tolist() == (torch.tensor([big]) == float(big)).tolist()
    ints = ag.tensor([1, 2, 3])
    assert (ints < 2.5).tolist() == [True, True, False]
    assert (ag.tensor([1.5, 2.0]) == ag.tensor([1.5, 2.0], dtype=ag.float64)).tolist() == [True,
                                                                                           True]
    assert (ints == ag.tensor([1.0, 2.5, 3.0])).tolist() == [True, False, True]


def test_equality_with_other_objects():
    t = ag.tensor([1.0, 2.0])
    assert (t == None) is False  # noqa: E711
    assert (t != None) is True  # noqa: E711
    assert (t == "a") is False
    with pytest.raises(TypeError):
        _ = t < None
    with pytest.raises(TypeError, match="other"):
        ag.eq(t, None)


def test_tensors_stay_hashable():
    a, b = ag.tensor([1.0]), ag.tensor([1.0])
    assert hash(a) == id(a)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len({a, b, a}) == 2


def test_nan_comparisons():
    t = ag.tensor([math.nan, 1.0])
    assert (t == t).tolist() == [False, True]
    assert (t != t).tolist() == [True, False]
    assert (t < math.inf).tolist() == [False, True]


def test_aliases():
    a, b = ag.tensor([1, 2, 3]), ag.tensor([2, 2, 2])
    for alias, name in [("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"),
                        ("less_equal", "le"), ("not_equal", "ne")]:
        assert getattr(ag, alias)(a, b).tolist() == getattr(ag, name)(a, b).tolist()
        assert getattr(a, alias)(b).tolist() == getattr(ag, name)(a, b).tolist()


# ------------------------------------------------------------------------------ logic
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@settings(max_examples=10)
@given(pair=broadcast_pairs(0, 3, 3, 0), data=st.data())
def test_logical_ops_match_numpy(name, pair, data):
    a, b = _ints(data, pair[0]), _ints(data, pair[1])
    out = getattr(ag, name)(ag.tensor(a), ag.tensor(b).long())
    assert out.dtype == ag.bool
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(getattr(ag.tensor(a), name)(ag.tensor(True)).numpy(),
                                  getattr(np, name)(a, True))
    with pytest.raises(TypeError, match="must be Tensor"):  # PyTorch takes Tensors only
        getattr(ag.tensor(a), name)(True)


def test_logical_not_any_dtype():
    assert ag.logical_not(ag.tensor([1.5, 0.0])).tolist() == [False, True]
    assert ag.tensor([0, 3]).logical_not().tolist() == [True, False]


@pytest.mark.parametrize("op, name", [(operator.and_, "bitwise_and"), (operator.or_, "bitwise_or"),
                                      (operator.xor, "bitwise_xor")])
def test_bitwise_ops_on_bools_and_integers(op, name):
    p = np.array([True, True, False, False])
    q = np.array([True, False, True, False])
    tp, tq = ag.tensor(p), ag.tensor(q)
    for out in (op(tp, tq), getattr(ag, name)(tp, tq), getattr(tp, name)(tq)):
        assert out.dtype == ag.bool
        np.testing.assert_array_equal(out.numpy(), op(p, q))
    assert op(tp, True).dtype == ag.bool and op(True, tp).dtype == ag.bool
    np.testing.assert_array_equal(op(True, tp).numpy(), op(True, p))
    i, j = np.array([5, -3, 12]), np.array([3, 6, -1])
    out = op(ag.tensor(i), ag.tensor(j))
    assert out.dtype == ag.int64
    np.testing.assert_array_equal(out.numpy(), op(i, j))
    np.testing.assert_array_equal(op(6, ag.tensor(i)).numpy(), op(6, i))
    # promotion: bool with integers gives integers
    assert op(tp, 1).dtype == ag.int64
    assert op(tp, ag.tensor([1, 0, 1, 0])).dtype == ag.int64
    assert op(ag.tensor(i, dtype=ag.int32), 1).dtype == ag.int32


def test_masks_combine_with_operators():
    x = ag.tensor([-2.0, -0.5, 0.5, 2.0])
    inside = (x > -1) & (x < 1)
    assert inside.tolist() == [False, True, True, False]
    assert (~inside).tolist() == [True, False, False, True]
    assert ((x < -1) | (x > 1)).tolist() == [True, False, False, True]
    assert ((x > 0) ^ (x > 1)).tolist() == [False, False, True, False]
    assert (~ag.tensor([0, 5])).tolist() == [-1, -6]
    assert ag.bitwise_not(ag.tensor([True])).tolist() == [False]


def test_bitwise_ops_on_floats_raise():
    f = ag.tensor([1.0, 0.0])
    with pytest.raises(NotImplementedError, match="bitwise_and.*float32"):
        _ = f & f
    with pytest.raises(NotImplementedError, match="bitwise_or"):
        _ = ag.tensor([True]) | 1.5
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented on integer "
                                        r"and Boolean-type tensors"):
        _ = ~f
    with pytest.raises(TypeError):
        _ = ag.tensor([True]) & "x"


# ------------------------------------------------------------------------------ values
@settings(max_examples=10)
@given(shape=st.sampled_from([(), (0,), (3,), (2, 3)]), data=st.data())
def test_isnan_isinf_isfinite(shape, data):
    values = data.draw(arrays(shape))
    if values.size:
        flat = values.reshape(-1)
        flat[:: 3] = np.nan
        flat[1:: 3] = np.inf * np.sign(flat[1:: 3])
    t = ag.tensor(values)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
        out = getattr(ag, name)(t)
        assert out.dtype == ag.bool and out.shape == values.shape
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(values))
        np.testing.assert_array_equal(getattr(t, name)().numpy(), getattr(np, name)(values))


def test_value_tests_on_integers():
    ints = ag.tensor([1, 2])
    assert ints.isnan().tolist() == [False, False]
    assert ints.isinf().tolist() == [False, False]
    assert ints.isfinite().tolist() == [True, True]
    assert ag.isfinite(ag.tensor([True])).tolist() == [True]


def test_equal():
    a = ag.tensor([1.0, 2.0])
    assert ag.equal(a, ag.tensor([1.0, 2.0]))
    assert a.equal(a.double())
    assert not ag.equal(a, ag.tensor([1.0, 2.5]))
    assert not ag.equal(a, ag.tensor([[1.0, 2.0]]))  # shapes differ: no broadcasting
    assert not ag.equal(ag.tensor([math.nan]), ag.tensor([math.nan]))
    assert ag.equal(ag.tensor([1, 2]), ag.tensor([1.0, 2.0]))
    assert isinstance(ag.equal(a, a), bool)


def test_isclose_and_allclose_match_pytorch():
    torch = pytest.importorskip("torch")
    a = [1.0, 1.0, math.inf, math.inf, -math.inf, math.nan, math.nan, 1e-9, 100.0, 0.0]
    b = [1.0 + 1e-6, 1.1, math.inf, -math.inf, 1.0, math.nan, 1.0, 0.0, 100.001, math.inf]
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 1e-3, "rtol": 0.0}):
        ours = ag.isclose(ag.tensor(a, dtype=ag.float64), ag.tensor(b, dtype=ag.float64),
                          **kwargs)
        theirs = torch.isclose(torch.tensor(a, dtype=torch.float64),
                               torch.tensor(b, dtype=torch.float64), **kwargs)
        assert ours.tolist() == theirs.tolist(), kwargs
    ints = ag.tensor([1, 2, 100])
    assert ag.isclose(ints, ag.tensor([1, 3, 101]), rtol=0.015).tolist() == torch.isclose(
        torch.tensor([1, 2, 100]), torch.tensor([1, 3, 101]), rtol=0.015).tolist()
    assert ag.allclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-7]))
    assert not ag.allclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.1]))
    assert ag.tensor([1.0, 2.0]).allclose(ag.tensor([1.0, 2.0]))
    assert ag.allclose(ag.tensor([math.nan]), ag.tensor([math.nan]), equal_nan=True)
    assert isinstance(ag.allclose(ag.ones(1), ag.ones(1)), bool)
    assert ag.allclose(ag.ones(2, 3), ag.tensor(1.0))
    with pytest.raises(TypeError, match="must be Tensor"):  # as torch.allclose(t, 1.0)
        ag.allclose(ag.ones(2, 3), 1.0)
    assert ag.isclose(ag.ones(2), ag.ones(1)).shape == (2,)


def test_isclose_rejects_negative_tolerances():
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero"):
        ag.isclose(ag.ones(1), ag.ones(1), rtol=-1.0)
    with pytest.raises(RuntimeError, match="atol"):
        ag.allclose(ag.ones(1), ag.ones(1), atol=-1.0)


def test_comparison_results_match_pytorch_on_broadcast_shapes():
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3, 1) % 3
    b = np.arange(4.0) % 3
    for _, op in COMPARISONS:
        np.testing.assert_array_equal(op(ag.tensor(a), ag.tensor(b)).numpy(),
                                      op(torch.tensor(a), torch.tensor(b)).numpy())
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size "
                                           r"of tensor b \(3\)"):
        _ = ag.ones(2) < ag.ones(3)
    with pytest.raises(RuntimeError, match=r"\[2\]"):
        ag.logical_and(ag.ones(2), ag.ones(3))


@pytest.mark.usefixtures("fake_cuda")
def test_comparisons_run_on_a_cupy_like_device():
    x = ag.tensor([[-1.0, 0.0, 2.0]], device="cuda")
    y = ag.tensor([0.0, 0.0, 1.0], device="cuda")
    for out in (x > y, x == 0, 1 <= x, (x > 0) & (y > 0), ~(x > 0), x.isnan(), x.isposinf(),
                ag.logical_or(x, y), ag.isclose(x, y)):
        assert out.device.type == "cuda" and out.dtype == ag.bool
    assert ((x > y).tolist()) == [[False, False, True]]
    assert ag.tensor(0.5, device="cuda") > 0  # 0-d result usable as a Python bool
    assert ag.equal(y, y) and not ag.allclose(x, y)
    cpu = ag.tensor([0.0, 0.0, 1.0])
    with pytest.raises(RuntimeError, match="same device"):
        _ = y == cpu
