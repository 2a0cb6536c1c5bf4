"""where, clamp/clip, maximum/minimum, fmax/fmin, lerp and atan2: gradients (first and
second order) on broadcast shapes, PyTorch's conventions at ties and bounds, dtypes, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check_gradients
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcast_pairs, layouts, make_tensor, shapes

import autograd_core as ag


@st.composite
def broadcast_triples(draw, max_dims: int = 3, max_side: int = 3, min_side: int = 1):
    """Three shapes that broadcast together."""
    base = draw(shapes(0, max_dims, min_side, max_side))

    def variant():
        dims = [1 if draw(st.booleans()) else d for d in base]
        return tuple(dims[draw(st.integers(0, len(dims))):])

    return variant(), variant(), variant()


def _values(data, shape, low=-2.0, high=2.0, away=0.0):
    return data.draw(arrays(shape, low, high, away_from_zero=away))


# ------------------------------------------------------------------------------ where
@settings(max_examples=15)
@given(shapes3=broadcast_triples(min_side=0), layout=layouts(), data=st.data())
def test_where_gradients(shapes3, layout, data):
    sc, sa, sb = shapes3
    cond = ag.tensor(data.draw(arrays(sc)) > 0)
    a = make_tensor(_values(data, sa), layout)
    b = make_tensor(_values(data, sb), layout)
    check_gradients(lambda a, b: ag.where(cond, a, b), (a, b))


@settings(max_examples=10)
@given(shape=shapes(0, 3, 1, 3), data=st.data())
def test_where_with_a_scalar_operand(shape, data):
    cond = ag.tensor(data.draw(arrays(shape)) > 0)
    x = make_tensor(_values(data, shape))
    check_gradients(lambda x: ag.where(cond, x, 0.0), (x,))
    check_gradients(lambda x: ag.where(cond, 1.5, x), (x,))
    check_gradients(lambda x: x.where(cond, -1), (x,))


@settings(max_examples=10)
@given(shapes3=broadcast_triples(), data=st.data())
def test_where_forward_matches_numpy_and_pytorch(shapes3, data):
    sc, sa, sb = shapes3
    c = data.draw(arrays(sc)) > 0
    a, b = _values(data, sa), _values(data, sb)
    out = ag.where(ag.tensor(c), ag.tensor(a), ag.tensor(b))
    np.testing.assert_array_equal(out.numpy(), np.where(c, a, b))
    torch = pytest.importorskip("torch")
    expected = torch.where(torch.tensor(c), torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_where_gradient_goes_to_the_chosen_side():
    c = ag.tensor([True, False, True])
    a = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ag.tensor([10.0], requires_grad=True)
    ag.where(c, a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 1.0]
    assert b.grad.tolist() == [1.0]


def test_where_dtypes_follow_pytorch():
    c = ag.tensor([True, False, True])
    f32 = ag.tensor([1.5, -2.0, 0.0])
    ints = ag.tensor([1, 2, 3])
    cases = [
        (ag.where(c, 1.0, 0), ag.float32),
        (ag.where(c, 1, 0), ag.int64),
        (ag.where(c, True, False), ag.bool),
        (ag.where(c, ints, 2.5), ag.float32),
        (ag.where(c, f32.double(), f32), ag.float64),
        (ag.where(c, ag.tensor(1.0, dtype=ag.float64), f32), ag.float32),
        (ag.where(c, f32.double(), 1.0), ag.float64),
        (ag.where(c, f32, np.float64(2.0)), ag.float32),
        (ag.where(c, ints, 7), ag.int64),
    ]
    for out, dtype in cases:
        assert out.dtype == dtype
    assert ag.where(c, 1.0, 0).tolist() == [1.0, 0.0, 1.0]
    torch = pytest.importorskip("torch")
    tc = torch.tensor([True, False, True])
    assert torch.where(tc, torch.tensor([1, 2, 3]), 2.5).dtype == torch.float32
    assert torch.where(tc, 1, 0).dtype == torch.int64


def test_where_errors():
    c = ag.tensor([True, False, True])
    with pytest.raises(RuntimeError, match=r"where expected condition to be a boolean tensor, "
                                           r"but got a tensor with dtype float32"):
        ag.where(ag.tensor([1.0, 0.0, 1.0]), c.float(), c.float())
    with pytest.raises(RuntimeError) as info:
        ag.where(c, ag.ones(3), ag.ones(4))
    message = str(info.value)
    assert "size of tensor" in message and "(3)" in message and "(4)" in message
    assert "[3]" in message and "[4]" in message
    with pytest.raises(RuntimeError, match=r"condition \[2, 5\]"):
        ag.where(ag.ones(2, 5) > 0, ag.ones(3, 1), 0.0)


def test_where_condition_alone_gives_indices():
    c = np.array([[True, False, True], [False, True, False]])
    rows, cols = ag.where(ag.tensor(c))
    expected = np.nonzero(c)
    assert rows.tolist() == expected[0].tolist() and cols.tolist() == expected[1].tolist()
    assert rows.dtype == ag.int64


def test_where_accepts_a_numpy_condition():
    out = ag.where(np.array([True, False]), ag.tensor([1.0, 2.0]), 0.0)
    assert out.tolist() == [1.0, 0.0]


# ------------------------------------------------------------------------------ clamp
@settings(max_examples=15)
@given(shape=shapes(0, 3, 0, 4), layout=layouts(), data=st.data(),
       bounds=st.sampled_from([(-0.5, 0.5), (None, 0.3), (-0.3, None), (1.0, -1.0)]))
def test_clamp_number_bounds_gradients(shape, layout, data, bounds):
    x = make_tensor(_values(data, shape), layout)
    lo, hi = bounds
    check_gradients(lambda x: ag.clamp(x, lo, hi), (x,))
    check_gradients(lambda x: x.clip(min=lo, max=hi), (x,), twice=False)


@settings(max_examples=15)
@given(shapes3=broadcast_triples(min_side=0), data=st.data(),
       which=st.sampled_from(["both", "min", "max"]))
def test_clamp_tensor_bounds_gradients(shapes3, data, which):
    sx, slo, shi = shapes3
    x = make_tensor(_values(data, sx))
    lo = make_tensor(_values(data, slo, -1.0, 0.0))
    hi = make_tensor(_values(data, shi, 0.0, 1.0))
    if which == "both":
        check_gradients(lambda x, lo, hi: ag.clamp(x, lo, hi), (x, lo, hi))
    elif which == "min":
        check_gradients(lambda x, lo: ag.clamp(x, min=lo), (x, lo))
    else:
        check_gradients(lambda x, hi: ag.clamp(x, max=hi), (x, hi))


def _clamp_grads(lib, x, lo, hi, tensors):
    tx = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    tlo = lib.tensor(lo, dtype=lib.float64, requires_grad=True) if tensors else lo
    thi = lib.tensor(hi, dtype=lib.float64, requires_grad=True) if tensors else hi
    out = lib.clamp(tx, tlo, thi)
    out.sum().backward()
    grads = [tx.grad.tolist()]
    if tensors:
        grads += [tlo.grad.tolist(), thi.grad.tolist()]
    return out.tolist(), grads


def test_clamp_matches_pytorch_at_bounds_and_when_min_exceeds_max():
    torch = pytest.importorskip("torch")
    x = [-2.0, -1.0, 0.0, 1.0, 2.0, 0.5, 0.5]
    lo = [-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 0.5]
    hi = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.5]
    assert _clamp_grads(ag, x, lo, hi, True) == _clamp_grads(torch, x, lo, hi, True)
    for bounds in [(-1.0, 1.0), (1.0, -1.0), (0.0, 0.0), (None, 1.0), (-1.0, None)]:
        assert (_clamp_grads(ag, x, *bounds, False) == _clamp_grads(torch, x, *bounds, False))
    for only in ("min", "max"):
        kw_ours = {only: ag.tensor(lo, dtype=ag.float64, requires_grad=True)}
        kw_torch = {only: torch.tensor(lo, dtype=torch.float64, requires_grad=True)}
        xs = ag.tensor(x, dtype=ag.float64, requires_grad=True)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        ag.clamp(xs, **kw_ours).sum().backward()
        torch.clamp(xt, **kw_torch).sum().backward()
        assert xs.grad.tolist() == xt.grad.tolist()
        assert kw_ours[only].grad.tolist() == kw_torch[only].grad.tolist()


def test_clamp_nan_propagates():
    out = ag.clamp(ag.tensor([math.nan, 3.0]), 0.0, 1.0)
    assert math.isnan(out.tolist()[0]) and out.tolist()[1] == 1.0


def test_clamp_dtypes_follow_pytorch():
    ints = ag.tensor([1, 2, 3])
    assert ag.clamp(ints, min=1.5).dtype == ag.float32
    assert ag.clamp(ints, min=1.5).tolist() == [1.5, 2.0, 3.0]
    assert ag.clamp(ints, min=0, max=2).dtype == ag.int64
    assert ag.clamp(ints, min=0, max=2).tolist() == [1, 2, 2]
    assert ag.clamp(ag.tensor([True, False]), min=0).dtype == ag.int64
    f32 = ag.tensor([0.5, 2.0])
    assert ag.clamp(f32, np.float64(0.0), np.float64(1.0)).dtype == ag.float32
    assert ag.clamp(f32, min=ag.tensor(0.0, dtype=ag.float64)).dtype == ag.float32
    assert ag.clamp(ints, min=ag.tensor(1.5)).dtype == ag.float32
    assert ag.clamp(f32, min=ag.tensor([0.0, 1.0]), max=1.0).tolist() == [0.5, 1.0]


def test_clamp_errors():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ag.clamp(ag.ones(2))
    with pytest.raises(TypeError, match="min"):
        ag.clamp(ag.ones(2), min="a")


def test_clamp_min_max_and_inplace():
    x = ag.tensor([-2.0, 0.5, 3.0])
    assert ag.clamp_min(x, 0.0).tolist() == [0.0, 0.5, 3.0]
    assert x.clamp_max(1.0).tolist() == [-2.0, 0.5, 1.0]
    version = x._version
    assert x.clamp_(-1.0, 1.0) is x
    assert x.tolist() == [-1.0, 0.5, 1.0] and x._version == version + 1
    a = ag.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    h = a * 1.0
    h.clamp_(min=0.0, max=1.0)
    h.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0]


# ------------------------------------------------------------------------------ max / min
def _untied(data, shape_a, shape_b, gap=0.05):
    """Values for a pair of broadcast operands that are never within ``gap`` of each other."""
    a = _values(data, shape_a)
    b = _values(data, shape_b)
    full = np.broadcast_shapes(shape_a, shape_b)
    diff = np.broadcast_to(a, full) - np.broadcast_to(b, full)
    if diff.size and np.abs(diff).min() < gap:
        # shift b to integers + 0.5 and a to integers: never closer than 0.5
        a = np.round(a)
        b = np.round(b) + 0.5
    return a, b


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
@settings(max_examples=10)
@given(pair=broadcast_pairs(0, 3, 3, 0), layout=layouts(), data=st.data())
def test_maximum_minimum_gradients(name, pair, layout, data):
    a, b = _untied(data, *pair)
    fn = getattr(ag, name)
    check_gradients(fn, (make_tensor(a, layout), make_tensor(b, layout)))


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_maximum_minimum_match_pytorch_with_ties_and_nan(name):
    torch = pytest.importorskip("torch")
    a = [1.0, 2.0, 3.0, math.nan, 1.0, math.nan]
    b = [1.0, 3.0, 2.0, 1.0, math.nan, math.nan]
    results = []
    for lib in (ag, torch):
        ta = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        tb = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        out = getattr(lib, name)(ta, tb)
        out.backward(lib.ones(6, dtype=lib.float64))
        results.append((np.array(out.tolist()), ta.grad.tolist(), tb.grad.tolist()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


def test_maximum_tie_splits_the_gradient():
    a = ag.tensor([2.0], requires_grad=True)
    b = ag.tensor([2.0], requires_grad=True)
    ag.maximum(a, b).backward(ag.ones(1))
    assert a.grad.tolist() == [0.5] and b.grad.tolist() == [0.5]


def test_maximum_dtypes_and_numbers():
    ints = ag.tensor([1, 2, 3])
    f = ag.tensor([1.5, -2.0, 0.0])
    assert ag.maximum(ints, f).dtype == ag.float32
    assert ag.maximum(ints, f).tolist() == [1.5, 2.0, 3.0]
    assert ag.maximum(f, ag.tensor(0.0, dtype=ag.float64)).dtype == ag.float32
    assert ag.maximum(f, ag.tensor(0.0)).tolist() == [1.5, 0.0, 0.0]
    assert ag.minimum(ints, ag.tensor(2)).dtype == ag.int64
    with pytest.raises(TypeError, match="must be Tensor"):  # as in PyTorch: two Tensors
        ag.maximum(f, 0.0)
    assert f.maximum(f.double()).dtype == ag.float64


# ------------------------------------------------------------------------------ lerp, atan2
@settings(max_examples=15)
@given(shapes3=broadcast_triples(min_side=0), layout=layouts(), data=st.data())
def test_lerp_gradients(shapes3, layout, data):
    sa, sb, sw = shapes3
    a = make_tensor(_values(data, sa), layout)
    b = make_tensor(_values(data, sb), layout)
    w = make_tensor(_values(data, sw, -1.0, 2.0), layout)
    check_gradients(ag.lerp, (a, b, w))
    check_gradients(lambda a, b: ag.lerp(a, b, 0.3), (a, b))
    check_gradients(lambda a, b: a.lerp(b, 0.8), (a, b))


def test_lerp_matches_pytorch_and_is_exact_at_the_ends():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b, w = rng.standard_normal((3, 4, 5)).astype(np.float32)
    for weight in (w, 0.0, 1.0, 0.25, 0.75, 2.0):
        ours = ag.lerp(ag.tensor(a), ag.tensor(b),
                       ag.tensor(weight) if isinstance(weight, np.ndarray) else weight)
        theirs = torch.lerp(torch.tensor(a), torch.tensor(b),
                            torch.tensor(weight) if isinstance(weight, np.ndarray) else weight)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert ag.lerp(ag.tensor(a), ag.tensor(b), 1.0).numpy().tolist() == b.tolist()
    assert ag.lerp(ag.tensor(a), ag.tensor(b), 0.0).numpy().tolist() == a.tolist()
    assert ag.lerp(ag.tensor(a), ag.tensor(b), 0.5).dtype == ag.float32


def test_lerp_errors():
    f = ag.ones(2)
    with pytest.raises(RuntimeError, match="expected dtype float32 for `end` but got dtype "
                                           "float64"):
        ag.lerp(f, f.double(), 0.5)
    with pytest.raises(RuntimeError, match="`weight`"):
        ag.lerp(f, f, ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="end"):
        ag.lerp(f, 1.0, 0.5)


def test_lerp_inplace():
    ema = ag.tensor([0.0, 10.0])
    assert ema.lerp_(ag.tensor([1.0, 0.0]), 0.5) is ema
    assert ema.tolist() == [0.5, 5.0]


@settings(max_examples=15)
@given(pair=broadcast_pairs(0, 3, 3, 0), layout=layouts(), data=st.data())
def test_atan2_gradients(pair, layout, data):
    y = make_tensor(_values(data, pair[0], away=0.2), layout)
    x = make_tensor(_values(data, pair[1], away=0.2), layout)
    check_gradients(ag.atan2, (y, x))


def test_atan2_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    y, x = rng.standard_normal((2, 3, 4))
    ty = torch.tensor(y, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ay = ag.tensor(y, requires_grad=True)
    ax = ag.tensor(x, requires_grad=True)
    torch.atan2(ty, tx).sum().backward()
    ag.atan2(ay, ax).sum().backward()
    np.testing.assert_allclose(ag.arctan2(ay, ax).detach().numpy(),
                               torch.atan2(ty, tx).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ay.grad.numpy(), ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert ag.atan2(ag.tensor([1, 2]), ag.tensor([1, 1])).dtype == ag.float32


# ------------------------------------------------------------------------------ devices
@pytest.mark.usefixtures("fake_cuda")
def test_selection_runs_on_a_cupy_like_device():
    x = ag.tensor([[-2.0, 0.5, 3.0], [1.0, -1.0, 0.0]], device="cuda", requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.5], device="cuda", requires_grad=True)
    total = (ag.where(x > 0, x, y).sum() + ag.clamp(x, -1.0, 1.0).sum()
             + ag.clamp(x, y, y + 1.0).sum() + ag.maximum(x, y).sum() + ag.minimum(x, ag.zeros_like(x)).sum()
             + ag.lerp(x, y, 0.3).sum() + ag.atan2(x, y + 2.0).sum() + ag.fmax(x, y).sum())
    (g,) = ag.autograd.grad(total, x, create_graph=True)
    assert g.device.type == "cuda"
    g.sum().backward()
    s = ag.tensor(0.5, device="cuda", requires_grad=True)  # 0-d operands
    (ag.where(s > 0, s, 0.0) + ag.clamp(s, 0.0, 1.0) + ag.maximum(s, s)).backward()
    assert s.grad.tolist() == 3.0
    with pytest.raises(RuntimeError, match="devices"):
        ag.where(ag.tensor([True, False]), ag.tensor([1.0, 2.0], device="cuda"),
                 ag.tensor([1.0, 2.0]))
