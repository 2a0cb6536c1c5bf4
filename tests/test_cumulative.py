"""Cumulative ops (ops/cumulative.py: cumsum, cumprod): values against NumPy, gradients by
finite differences, exact gradients with zeros (against PyTorch), dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from gradients import check_grads
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, np_axes, reduce_case

import autograd_core as ag
from autograd_core.autograd import gradcheck


# ----------------------------------------------------------------------------- cumulative
@given(reduce_case(min_side=0, tuples=False, none=False), st.data())
def test_cumsum_cumprod(case, data):
    shape, dim, _ = case
    values = data.draw(arrays(shape, 0.5, 1.5)) * data.draw(st.sampled_from([1, -1]))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    expect_sum = np.cumsum(values, axis=axis) if shape else values
    expect_prod = np.cumprod(values, axis=axis) if shape else values
    np.testing.assert_allclose(host(x.cumsum(dim)), expect_sum)
    np.testing.assert_allclose(host(ag.cumprod(x, dim)), expect_prod)
    check_grads(lambda t: ag.cumsum(t, dim), x)
    check_grads(lambda t: t.cumprod(dim), x)


def test_cumprod_with_zeros():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for values in ([2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 2.0, 3.0], [1.5, 2.0, 0.0],
                   [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0], [1.0, 2.0, 3.0]]):
        for dim in (0, -1):
            x = leaf(values)
            tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
            seed = rng.standard_normal(np.shape(values))
            gx, = ag.autograd.grad(x.cumprod(dim), x, ag.tensor(seed))
            tgx, = torch.autograd.grad(tx.cumprod(dim), tx, torch.tensor(seed))
            np.testing.assert_allclose(host(gx), tgx.numpy())
            assert gradcheck(lambda t, dim=dim: t.cumprod(dim), (x,))


def test_cumulative_dtypes():
    i = ag.tensor([1, 2, 3], dtype=ag.int32)
    assert i.cumsum(0).dtype == ag.int64 and i.cumprod(0).dtype == ag.int64
    assert ag.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert i.cumsum(0, dtype=ag.float32).dtype == ag.float32
    assert ag.ones(2, 3).cumsum(1).dtype == ag.float32
    with pytest.raises(TypeError, match="must be int"):
        ag.ones(2).cumsum(None)
