"""Plain SGD through `fused_optim.sgd_foreach_` (what `optim.SGD` runs without momentum,
weight decay or maximize): θ -= η g exactly, for small arrays (a fresh temporary), large
ones (a cached work array) and huge ones (cache-sized blocks), float32 staying float32."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.ops import fused_optim
from autograd_core.ops.fused_optim import _kernels


@pytest.mark.parametrize("size", [1, 100, 20_000, 70_000])
@pytest.mark.parametrize("huge", [False, True])
def test_plain_sgd_is_theta_minus_lr_g(size, huge, monkeypatch):
    if huge:  # everything above 1000 elements takes the blocked path
        monkeypatch.setattr(_kernels, "_SCRATCH_MAX", 1000)
    rng = np.random.default_rng(size)
    theta = rng.standard_normal(size).astype(np.float32)
    grad = rng.standard_normal(size).astype(np.float32)
    p = ag.tensor(theta.copy(), requires_grad=True)
    p.grad = ag.tensor(grad)
    version = p._version
    optim.SGD([p], lr=0.05).step()
    expected = theta - (grad * np.float32(0.05)).astype(np.float32)
    np.testing.assert_array_equal(p.detach().numpy(), expected)
    assert p.dtype == ag.float32 and p._version == version + 1


def test_foreach_skips_nothing_and_checks_shapes():
    a = ag.zeros(3, requires_grad=True)
    b = ag.ones(2, 2, requires_grad=True)
    fused_optim.sgd_foreach_([a, b], [ag.ones(3), ag.ones(2, 2)], 0.5)
    np.testing.assert_array_equal(a.detach().numpy(), [-0.5] * 3)
    np.testing.assert_array_equal(b.detach().numpy(), [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(RuntimeError, match="does not match the parameter's shape"):
        fused_optim.sgd_foreach_([a], [ag.ones(4)], 0.1)


def test_parameters_without_gradient_are_left_alone():
    a = ag.ones(3, requires_grad=True)
    b = ag.ones(3, requires_grad=True)
    a.grad = ag.ones(3)
    optim.SGD([a, b], lr=1.0).step()
    np.testing.assert_array_equal(a.detach().numpy(), [0.0] * 3)
    np.testing.assert_array_equal(b.detach().numpy(), [1.0] * 3)
