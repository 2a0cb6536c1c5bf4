"""Softmax, log_softmax and logsumexp (ops/softmax.py): values against NumPy (and PyTorch
where installed), gradients by finite differences (first and second order), numerical
stability for large logits, one fused node, dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradients import check_grads
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, np_axes, reduce_case

import autograd_core as ag

INF = math.inf


# ----------------------------------------------------------------------------- logsumexp
@given(reduce_case(min_side=0), st.data())
def test_logsumexp(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape, -3, 3))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    with np.errstate(divide="ignore"):
        expect = np.log(np.exp(values).sum(axis=axes, keepdims=keepdim))
    dims = () if dim is None else dim
    np.testing.assert_allclose(host(x.logsumexp(dims, keepdim)), expect)
    check_grads(lambda t: ag.logsumexp(t, dims, keepdim), x)


def test_logsumexp_is_stable():
    x = ag.tensor([[1000.0, 1000.0], [-1000.0, -1000.0], [-INF, -INF]])
    out = host(x.logsumexp(1))
    np.testing.assert_allclose(out[:2], [1000 + math.log(2), -1000 + math.log(2)], rtol=1e-6)
    assert out[2] == -INF
    assert x.logsumexp(1).dtype == ag.float32
    assert ag.tensor([1, 2]).logsumexp(0).dtype == ag.float32


# ----------------------------------------------------------------------------- softmax
@given(reduce_case(min_side=0, tuples=False, none=False), st.data())
def test_softmax_and_log_softmax(case, data):
    shape, dim, _ = case
    values = data.draw(arrays(shape, -5, 5))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    if shape:
        shifted = values - values.max(axis=axis, keepdims=True) if values.size else values
        e = np.exp(shifted)
        expect = e / e.sum(axis=axis, keepdims=True)
    else:
        expect = np.ones(())
    np.testing.assert_allclose(host(x.softmax(dim)), expect)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(host(ag.log_softmax(x, dim)), np.log(expect), atol=1e-12)
    check_grads(lambda t: ag.softmax(t, dim), x)
    check_grads(lambda t: t.log_softmax(dim), x)


def test_softmax_is_stable_for_large_logits():
    for dtype in (ag.float32, ag.float64):
        x = ag.tensor([1000.0, 0.0, -1000.0], dtype=dtype)
        out = x.log_softmax(0)
        assert out.dtype == dtype and np.isfinite(host(out)).all()
        np.testing.assert_allclose(host(out), [0.0, -1000.0, -2000.0], rtol=1e-6)
        np.testing.assert_allclose(host(x.softmax(0)), [1.0, 0.0, 0.0])
    x = leaf([1000.0, 0.0, -1000.0])
    x.log_softmax(0)[1].backward()
    assert np.isfinite(host(x.grad)).all()


def test_softmax_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = rng.standard_normal((3, 4, 5)).astype(np.float32) * 10
    for name in ("softmax", "log_softmax"):
        for dim in (0, 1, -1):
            x = ag.tensor(values, requires_grad=True)
            tx = torch.tensor(values, requires_grad=True)
            y, ty = getattr(x, name)(dim), getattr(tx, name)(dim)
            assert y.dtype == ag.float32
            np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
            seed = rng.standard_normal(values.shape).astype(np.float32)
            y.backward(ag.tensor(seed))
            ty.backward(torch.tensor(seed))
            np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_softmax_is_one_fused_node():
    x = leaf([[1.0, 2.0], [3.0, 5.0]])
    for y, name in ((x.softmax(1), "SoftmaxBackward0"), (x.log_softmax(0), "LogSoftmaxBackward0")):
        assert y.grad_fn.name() == name
        assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"  # the input itself


def test_softmax_dtype_and_implicit_dim():
    x = ag.tensor([[1, 2], [3, 4]])
    assert x.softmax(1, dtype=ag.float64).dtype == ag.float64
    assert ag.log_softmax(x.float(), 0).dtype == ag.float32
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        x.softmax(0)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = ag.softmax(x.float(), None)
    np.testing.assert_allclose(host(out).sum(axis=1), [1.0, 1.0], rtol=1e-6)
    assert ag.empty(0, 3).softmax(1).shape == (0, 3)
