"""Convolution's blocked NumPy path: large batches run im2col + GEMM (forward) and GEMM +
col2im (the transposed convolution, dL/dx) one block of samples at a time, so each block's
columns stay in the cache. Tests shrink the block size so small inputs take that path, and
compare with the one-block path and with PyTorch (float64), for every column layout."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck
from autograd_core.ops.fused import _im2col

F = nn.functional

CASES = {  # name: (x shape, w shape, conv2d keyword arguments)
    "3x3 pad 1 (wide layout)": ((5, 2, 6, 5), (3, 2, 3, 3), dict(padding=1)),
    "3x3 pad 1, O > C*kh*kw (narrow layout)": ((5, 1, 6, 5), (12, 1, 3, 3), dict(padding=1)),
    "stride 2 (narrow layout)": ((5, 2, 7, 6), (4, 2, 3, 2), dict(stride=2, padding=(1, 0))),
    "groups, dilation": ((4, 4, 7, 7), (6, 2, 3, 3), dict(groups=2, dilation=2, padding=2)),
    "1x1 (pointwise)": ((3, 3, 4, 4), (2, 3, 1, 1), {}),
}


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of one or two samples."""
    monkeypatch.setattr(_im2col, "BLOCK_BYTES", 1)


def _step(x_np, w_np, b_np, kwargs, transpose=False):
    x, w, b = (ag.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    fn = F.conv_transpose2d if transpose else F.conv2d
    y = fn(x, w, b, **kwargs)
    (y * y).sum().backward()
    return [a.detach().numpy() for a in (y, x.grad, w.grad, b.grad)]


def test_stride_one_layout_follows_the_larger_side():
    from autograd_core.ops.fused._conv_args import _conv_geometry

    x = ag.zeros(2, 16, 14, 14)
    wide = _conv_geometry("conv2d", 2, x, ag.zeros(32, 16, 3, 3), None, 1, 1, 1, 1)[2]
    narrow = _conv_geometry("conv2d", 2, x[:, :1], ag.zeros(16, 1, 3, 3), None, 1, 1, 1, 1)[2]
    assert wide.wide and wide.pitch == 16
    assert not narrow.wide and narrow.pitch == 14


def test_blocks_cover_the_batch_once():
    assert _im2col._batch_blocks(np, 10, _im2col.BLOCK_BYTES // 4 + 1) == [(0, 3), (3, 6), (6, 9),
                                                                        (9, 10)]
    assert _im2col._batch_blocks(np, 10, 8) == [(0, 10)]
    assert _im2col._batch_blocks(np, 0, 10 ** 9) == [(0, 0)]
    assert _im2col._batch_blocks(object(), 256, 10 ** 6) == [(0, 256)]  # not the CPU: one block


@pytest.mark.parametrize("name", list(CASES))
def test_blocked_conv_equals_one_block_and_torch(name, monkeypatch):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, kwargs = CASES[name]
    rng = np.random.default_rng(3)
    arrays = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    whole = _step(*arrays, kwargs)
    monkeypatch.setattr(_im2col, "BLOCK_BYTES", 1)
    blocked = _step(*arrays, kwargs)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    yt = torch.nn.functional.conv2d(*ts, **kwargs)
    (yt * yt).sum().backward()
    expected = [yt.detach().numpy()] + [t.grad.numpy() for t in ts]
    for got, one, ref in zip(blocked, whole, expected):
        np.testing.assert_allclose(got, one, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["3x3 pad 1 (wide layout)", "groups, dilation"])
def test_blocked_conv_transpose_matches_torch(name, tiny_blocks):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, kwargs = CASES[name]
    groups = kwargs.get("groups", 1)
    rng = np.random.default_rng(4)
    # the transposed convolution of the same geometry: weight (C_in, C_out/groups, kh, kw)
    y_shape = (x_shape[0], w_shape[0]) + x_shape[2:]
    arrays = (rng.standard_normal(y_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[1] * groups))
    got = _step(*arrays, kwargs, transpose=True)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = torch.nn.functional.conv_transpose2d(*ts, **kwargs)
    (out * out).sum().backward()
    for ours, ref in zip(got, [out.detach().numpy()] + [t.grad.numpy() for t in ts]):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)


def test_blocked_conv_gradcheck(tiny_blocks):
    rng = np.random.default_rng(5)
    x = ag.tensor(rng.standard_normal((3, 2, 4, 4)), dtype=ag.float64, requires_grad=True)
    w = ag.tensor(rng.standard_normal((2, 2, 3, 3)), dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda a, b: F.conv2d(a, b, padding=1), (x, w))


def test_blocked_conv1d_float32_matches_one_block(monkeypatch):
    rng = np.random.default_rng(6)
    x_np, w_np = rng.standard_normal((4, 3, 9)), rng.standard_normal((5, 3, 3))
    results = []
    for block in (_im2col.BLOCK_BYTES, 1):
        monkeypatch.setattr(_im2col, "BLOCK_BYTES", block)
        x = ag.tensor(x_np, dtype=ag.float32, requires_grad=True)
        y = F.conv1d(x, ag.tensor(w_np, dtype=ag.float32), padding=1)
        y.sum().backward()
        assert y.dtype == ag.float32
        results.append((y.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["3x3 pad 1 (wide layout)", "groups, dilation"])
def test_blocked_weight_gradient_alone_matches_torch(name, tiny_blocks):
    """Only W needs a gradient: dL/dW remakes the columns block by block from x, and lays
    the output gradient out for the GEMM block by block."""
    torch = pytest.importorskip("torch")
    x_shape, w_shape, kwargs = CASES[name]
    rng = np.random.default_rng(7)
    x_np, w_np = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    w = ag.tensor(w_np, requires_grad=True)
    y = F.conv2d(ag.tensor(x_np), w, **kwargs)
    (y * y).sum().backward()
    wt = torch.tensor(w_np, requires_grad=True)
    yt = torch.nn.functional.conv2d(torch.tensor(x_np), wt, **kwargs)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-10)
