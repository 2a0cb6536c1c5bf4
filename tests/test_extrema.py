"""Extremes (ops/extrema.py: max, min, median, amax, amin, argmax, argmin): values against
NumPy (and PyTorch where installed), gradients by finite differences, PyTorch's
conventions at ties and nan, and the refusal of empty inputs without a dim."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradients import check_grads
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, np_axes, reduce_case

import autograd_core as ag
from autograd_core.autograd import gradcheck

INF = math.inf


# ----------------------------------------------------------------------------- extremes
@given(reduce_case(), st.data())
def test_amax_amin(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    dims = () if dim is None else dim
    np.testing.assert_array_equal(host(x.amax(dims, keepdim)), values.max(axes, keepdims=keepdim))
    np.testing.assert_array_equal(host(ag.amin(x, dims, keepdim)),
                                  values.min(axes, keepdims=keepdim))
    check_grads(lambda t: t.amax(dims, keepdim), x)
    check_grads(lambda t: t.amin(dims, keepdim), x)


@given(reduce_case(tuples=False, none=False), st.data())
def test_max_min_along_a_dim(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    for fn, np_fn, np_arg in ((ag.max, np.max, np.argmax), (ag.min, np.min, np.argmin)):
        result = fn(x, dim, keepdim)
        values_out, indices = result
        assert result.values is values_out and result.indices is indices
        assert indices.dtype == ag.int64 and not indices.requires_grad
        expect = np_fn(values, axis=axis, keepdims=keepdim) if shape else values
        expect_i = np_arg(values, axis=axis, keepdims=keepdim) if shape else np.array(0)
        np.testing.assert_array_equal(host(values_out), expect)
        np.testing.assert_array_equal(host(indices), expect_i)
        check_grads(lambda t, fn=fn: fn(t, dim, keepdim).values, x)


@given(reduce_case(tuples=False), st.data())
def test_argmax_argmin(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()), requires_grad=False)
    axis = np_axes(dim, len(shape))
    for fn, np_fn in ((ag.argmax, np.argmax), (ag.argmin, np.argmin)):
        out = fn(x, dim, keepdim)
        assert out.dtype == ag.int64
        if dim is None:
            expect = np.array(np_fn(values.reshape(-1)))
            if keepdim:
                expect = expect.reshape((1,) * len(shape))
        else:
            expect = np_fn(values, axis=axis, keepdims=keepdim) if shape else np.array(0)
        np.testing.assert_array_equal(host(out), expect)


def test_tie_gradients_follow_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 0.0, 2.0], [-1.0, -1.0, 5.0, -1.0]]
    cases = [
        lambda m, t: t.max(), lambda m, t: t.min(),
        lambda m, t: t.max(1).values, lambda m, t: t.min(0).values,
        lambda m, t: t.max(dim=0, keepdim=True)[0], lambda m, t: t.min(-1)[0],
        lambda m, t: t.amax(1), lambda m, t: t.amin(0), lambda m, t: t.amax(),
        lambda m, t: m.amin(t, (0, 1), True), lambda m, t: t.median(),
        lambda m, t: t.median(1).values, lambda m, t: t.norm(INF, 1),
        lambda m, t: t.norm(-INF), lambda m, t: t.norm(INF),
    ]
    rng = np.random.default_rng(0)
    for k, case in enumerate(cases):
        x, tx = leaf(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
        y, ty = case(ag, x), case(torch, tx)
        np.testing.assert_allclose(host(y), ty.detach().numpy(), err_msg=str(k))
        seed = rng.standard_normal(tuple(ty.shape))
        gx, = ag.autograd.grad(y, x, ag.tensor(seed))
        tgx, = torch.autograd.grad(ty, tx, torch.tensor(seed))
        np.testing.assert_allclose(host(gx), tgx.numpy(), err_msg=str(k))
    tx = torch.tensor(values)
    x = ag.tensor(values)
    for dim in (0, 1):  # indices at ties: the first occurrence, like PyTorch
        assert host(x.max(dim).indices).tolist() == tx.max(dim).indices.tolist()
        assert host(x.min(dim).indices).tolist() == tx.min(dim).indices.tolist()
        assert host(x.argmax(dim)).tolist() == tx.argmax(dim).tolist()
        assert host(x.median(dim).indices).tolist() == tx.median(dim).indices.tolist()


def test_max_of_nan_is_nan_like_torch():
    x = ag.tensor([float("nan"), 1.0, 3.0])
    assert math.isnan(x.max().item()) and math.isnan(x.amax().item())
    assert x.max(0).indices.item() == 0 and x.argmax().item() == 0
    assert math.isnan(x.median().item())


def test_median_values():
    x = ag.tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 9.0, 7.0, 5.0]])
    assert x.median().item() == 3.0  # the lower of the two middle values
    np.testing.assert_array_equal(host(x.median(1).values), [2.0, 5.0])
    np.testing.assert_array_equal(host(x.median(1, keepdim=True).indices), [[3], [3]])
    assert math.isnan(ag.empty(0).median().item())
    xg = leaf([[4.0, 1.0, 3.0], [0.0, 9.0, 7.0]])
    assert gradcheck(lambda t: t.median(0).values, (xg,))
    check_grads(lambda t: t.median(), xg, second=False)


def test_max_of_two_tensors_delegates_to_maximum():
    if not hasattr(ag, "maximum"):
        pytest.skip("autograd_core.maximum is not available yet")
    a, b = ag.tensor([1.0, 5.0, 2.0]), ag.tensor([3.0, 0.0, 2.0])
    assert host(a.max(b)).tolist() == [3.0, 5.0, 2.0]
    assert host(ag.min(a, b)).tolist() == [1.0, 0.0, 2.0]


def test_reductions_without_identity_refuse_empty_input():
    e = ag.empty(0, 3)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(RuntimeError, match=r"min\(\): Expected reduction dim to be specified"):
        e.min()
    with pytest.raises(RuntimeError, match=r"amax\(\): Expected reduction dim to be specified"):
        e.amax()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        e.max(0)
    with pytest.raises(IndexError, match=r"amin\(\): Expected reduction dim 0 to have non-zero"):
        e.amin((0, 1))
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        e.argmax()
    with pytest.raises(IndexError, match=r"argmin\(\): Expected reduction dim 0 to have"):
        e.argmin(0)
    assert e.max(1).values.shape == (0,) and e.argmax(1).shape == (0,)
