"""The CuPy backend's fused kernels beyond the activations (`autograd_core._cuda_kernels_*`):
each run on the fake CUDA device by the kernel interpreter, through the op that calls it,
and checked against the op's composed array code (its one rule) and against PyTorch. They
compile in ``test_gpu_kernels_compile``."""

from __future__ import annotations

import _fake_cupy_kernels
import numpy as np
import pytest
from fake_cupy import fake_cuda, requires_fake  # noqa: F401  (the fixture)

import autograd_core as ag
import nn
from autograd_core import _backend

F = nn.functional
pytestmark = pytest.mark.usefixtures("fake_cuda")
DTYPES = pytest.mark.parametrize("dtype", [ag.float64, ag.float32], ids=["float64", "float32"])


def _tol(dtype):
    return dict(rtol=1e-12, atol=1e-13) if dtype is ag.float64 else dict(rtol=2e-5, atol=2e-6)


def _np(dtype) -> np.dtype:
    return np.dtype("float64" if dtype is ag.float64 else "float32")


def _launches() -> int:
    return _fake_cupy_kernels.ElementwiseKernel.launches


def _cuda_backend():
    return _backend.backend_for(ag.device("cuda"))


# ----------------------------------------------------------------------------- dropout
@DTYPES
def test_dropout_kernel_matches_the_composed_code(dtype):
    backend = _cuda_backend()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6))
    u = rng.random((5, 6), dtype=np.float32)
    p = 0.3
    y, keep = backend.fused_kernel("dropout_forward", _np(dtype))(
        ag.tensor(x, dtype=dtype, device="cuda")._data, backend.xp.asarray(u), p, 1 / (1 - p))
    expect_keep = u >= np.float32(p)
    np.testing.assert_array_equal(keep.get(), expect_keep)
    np.testing.assert_allclose(y.get(), x.astype(_np(dtype)) * expect_keep / (1 - p), **_tol(dtype))


@requires_fake
@DTYPES
def test_dropout_runs_one_kernel_each_way(dtype):
    ag.manual_seed(3)
    x = ag.tensor(np.random.default_rng(1).standard_normal((40, 30)) + 3.0, dtype=dtype,
                  device="cuda", requires_grad=True)
    before = _launches()
    y = F.dropout(x, 0.25)
    assert _launches() == before + 1
    g = ag.tensor(np.random.default_rng(2).standard_normal((40, 30)), dtype=dtype, device="cuda")
    y.backward(g)
    assert _launches() == before + 2
    keep = y.detach().cpu().numpy() != 0
    assert 0.6 < keep.mean() < 0.9
    np.testing.assert_allclose(y.detach().cpu().numpy(), x.detach().cpu().numpy() * keep / 0.75, **_tol(dtype))
    np.testing.assert_allclose(x.grad.cpu().numpy(), g.cpu().numpy() * keep / 0.75, **_tol(dtype))


@requires_fake
def test_channel_dropout_and_float16_take_the_composed_code():
    x = ag.randn(2, 3, 4, 4, device="cuda", requires_grad=True)
    before = _launches()
    F.dropout2d(x, 0.5).sum().backward()  # the mask is (N, C, 1, 1): forward composed
    assert _launches() == before + 1  # the backward kernel broadcasts the mask
    F.dropout(x.detach().half(), 0.5)
    assert _launches() == before + 1


def test_dropout_gradcheck_and_create_graph_on_cuda():
    x = ag.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=ag.float64, device="cuda",
                  requires_grad=True)

    def fn(t):
        ag.manual_seed(7)
        return F.dropout(t, 0.4) * t

    assert ag.autograd.gradcheck(fn, (x,))
    assert ag.autograd.gradgradcheck(fn, (x,))
