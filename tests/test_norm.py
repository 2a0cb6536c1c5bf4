"""Vector norms (ops/norm.py): values against NumPy for every order p, gradients by finite
differences, PyTorch's gradients at zero, and the argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradients import check_grads
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, np_axes, reduce_case

import autograd_core as ag

INF = math.inf


# ----------------------------------------------------------------------------- norm
NORM_ORDERS = [1, 2, INF, -INF, "fro", 0.5, 1.5, 3, 0]


@given(reduce_case(), st.sampled_from(NORM_ORDERS), st.data())
def test_norm(case, p, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape, away_from_zero=0.1))
    if p in (INF, -INF):  # a tie for the max/min |x| is a kink: finite differences jump there
        assume(np.unique(np.abs(values)).size == values.size)
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    a = np.abs(values)
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
            x.norm(p, dim, keepdim)
        p = 2
    q = 2 if p == "fro" else p
    if q == INF:
        expect = a.max(axis=axes, keepdims=keepdim)
    elif q == -INF:
        expect = a.min(axis=axes, keepdims=keepdim)
    elif q == 0:
        expect = (a != 0).sum(axis=axes, keepdims=keepdim).astype(float)
    else:
        expect = (a**q).sum(axis=axes, keepdims=keepdim) ** (1 / q)
    out = x.norm(p, dim, keepdim)
    np.testing.assert_allclose(host(out), expect)
    check_grads(lambda t: ag.norm(t, p, dim, keepdim), x)


def test_norm_gradients_at_zero_match_torch():
    torch = pytest.importorskip("torch")
    for values in ([0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [[0.0, 0.0], [3.0, -4.0]]):
        for p in (2, 1, 0.5, 1.5, 3, INF, "fro"):
            for dim in (None, 0):
                x = leaf(values)
                tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
                gx, = ag.autograd.grad(x.norm(p, dim).sum(), x)
                tgx, = torch.autograd.grad(tx.norm(p, dim).sum(), tx)
                np.testing.assert_allclose(host(gx), tgx.numpy(), err_msg=f"{values} {p} {dim}")
    x = leaf([[0.0, 0.0], [3.0, -4.0]])  # (not twice differentiable at 0)
    check_grads(lambda t: t.norm(dim=1), x, second=False)


def test_norm_arguments():
    x = ag.tensor([[3.0, -4.0], [0.0, 0.0]], dtype=ag.float32)
    assert x.norm().item() == 5.0 and x.norm().dtype == ag.float32
    assert host(x.norm(dim=1, keepdim=True)).tolist() == [[5.0], [0.0]]
    assert x.norm(p=1).item() == 7.0 and x.norm(0).item() == 2.0
    assert x.norm(dtype=ag.float64).dtype == ag.float64
    with pytest.raises(RuntimeError, match="without narrowing"):
        x.double().norm(dtype=ag.float32)
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        ag.tensor([1, 2]).norm()
    assert x.norm("nuc").item() == pytest.approx(5.0)  # one singular value, 5 (PyTorch's)
    with pytest.raises(RuntimeError, match="not supported"):
        x.norm("spectral")
    with pytest.raises(RuntimeError, match="inf norm on an empty tensor"):
        ag.empty(0, 3).norm(INF)
    with pytest.raises(RuntimeError, match="dimension 0"):
        ag.empty(0, 3).norm(INF, dim=0)
    assert ag.empty(0, 3).norm(INF, dim=1).shape == (0,)
    assert ag.empty(0, 3).norm().item() == 0.0
