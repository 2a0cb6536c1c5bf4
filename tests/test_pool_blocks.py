"""Pooling's blocked NumPy path: the passes over the window offsets run one cache-sized
block of (N*C) planes at a time. Tests shrink the block size to one plane and compare
values, gradients (ties included: the first maximum of a window gets it) and indices with
the one-block path and with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from autograd_core.ops.fused import _im2col

F = nn.functional

CASES = {  # name: (function name, keyword arguments)
    "max 2x2 tiles": ("max_pool2d", dict(kernel_size=2)),
    "max 3x3 stride 2 padded, overlapping": ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "max ceil mode, dilation": ("max_pool2d", dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True)),
    "avg 2x2 tiles": ("avg_pool2d", dict(kernel_size=2)),
    "avg 3x3 stride 1 padded": ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1,
                                                   count_include_pad=False)),
}


def _input(rng):
    # small integers: many ties inside windows, as after a ReLU
    return rng.integers(-2, 3, (3, 2, 7, 6)).astype(np.float64)


def _ours(name, x_np, g_np):
    fn, kwargs = CASES[name]
    x = ag.tensor(x_np, requires_grad=True)
    y = getattr(F, fn)(x, **kwargs)
    y.backward(ag.tensor(g_np))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name", list(CASES))
def test_blocked_pooling_equals_one_block_and_torch(name, monkeypatch):
    torch = pytest.importorskip("torch")
    fn, kwargs = CASES[name]
    rng = np.random.default_rng(1)
    x_np = _input(rng)
    y_ref = getattr(torch.nn.functional, fn)(torch.tensor(x_np), **kwargs)
    g_np = rng.standard_normal(tuple(y_ref.shape))
    whole = _ours(name, x_np, g_np)
    monkeypatch.setattr(_im2col, "BLOCK_BYTES", 1)
    blocked = _ours(name, x_np, g_np)
    xt = torch.tensor(x_np, requires_grad=True)
    yt = getattr(torch.nn.functional, fn)(xt, **kwargs)
    yt.backward(torch.tensor(g_np))
    for got, one, ref in zip(blocked, whole, (yt.detach().numpy(), xt.grad.numpy())):
        np.testing.assert_array_equal(got, one)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_blocked_max_pool_indices_match_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(_im2col, "BLOCK_BYTES", 1)
    x_np = _input(np.random.default_rng(2))
    _, ours = F.max_pool2d(ag.tensor(x_np), 3, 2, 1, return_indices=True)
    _, ref = torch.nn.functional.max_pool2d(torch.tensor(x_np), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_blocked_pooling_gradchecks(monkeypatch):
    monkeypatch.setattr(_im2col, "BLOCK_BYTES", 1)
    x = ag.tensor(np.random.default_rng(3).standard_normal((2, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.max_pool2d(a, 2, 1), (x,))
    assert gradgradcheck(lambda a: F.max_pool2d(a, 2, 1), (x,))
    assert gradcheck(lambda a: F.avg_pool2d(a, 3, 1, 1), (x,))
