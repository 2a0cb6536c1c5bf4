"""float16 reductions and normalisations accumulate in float32 and round once (forward and
rule), as PyTorch does: no inf or all-zero answers where the true result fits float16."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck

F = nn.functional

SPREAD = [1e4, -1e4, 0.0, 1.0]


def _both(build):
    """build(lib, F) on our library, and on PyTorch when installed (else None)."""
    ours = build(ag, F)
    try:
        import torch
    except ImportError:
        return ours, None
    return ours, build(torch, torch.nn.functional)


def _close(ours, theirs, rtol=2e-3, atol=1e-6):
    for a, b in zip(ours, theirs if theirs is not None else ours):
        a = np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, dtype=np.float64)
        b = np.asarray(b.detach().numpy() if hasattr(b, "detach") else b, dtype=np.float64)
        assert np.all(np.isfinite(a)), a
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_norm_of_hundreds_is_finite_with_a_gradient():
    def build(t, f):
        x = t.full((2, 4), 100.0, dtype=t.float16, requires_grad=True)
        y = x.norm()
        y.backward()
        return y, x.grad
    ours, theirs = _both(build)
    assert abs(ours[0].item() - 282.8) < 0.5
    assert abs(ours[1][0, 0].item() - 0.3536) < 1e-3
    _close(ours, theirs)


@pytest.mark.parametrize("name", ["layer_norm", "normalize", "group_norm", "std", "var"])
def test_normalisations_of_a_wide_spread_are_not_zero(name):
    def build(t, f):
        x = t.tensor([SPREAD], dtype=t.float16, requires_grad=True)
        weights = t.arange(4, dtype=t.float16)
        y = {"layer_norm": lambda: f.layer_norm(x, (4,)),
             "normalize": lambda: f.normalize(x),
             "group_norm": lambda: f.group_norm(x.reshape(1, 2, 2), 1).reshape(1, 4),
             "std": lambda: x.std(dim=1, keepdim=True) * t.ones(1, 4, dtype=t.float16),
             "var": lambda: x.var(dim=1, keepdim=True) * t.ones(1, 4, dtype=t.float16)}[name]()
        (y * weights).sum().backward()
        return y, x.grad
    ours, theirs = _both(build)
    assert ours[0].abs().max().item() > 0.5
    assert ours[0].dtype == ag.float16 and ours[1].dtype == ag.float16
    if name == "var":  # 1.33e8 is beyond float16: inf, as in PyTorch
        assert ours[0][0, 0].item() == float("inf")
        return
    # normalize is a composition (x / ||x||): its gradient rounds each step to float16,
    # so entries of 1e-4 carry errors of one float16 step of the largest term
    _close(ours, theirs, rtol=5e-3, atol=5e-5 if name == "normalize" else 1e-6)


def test_mse_loss_and_sum_accumulate_in_float32():
    def build(t, f):
        x = t.full((100,), 30.0, dtype=t.float16, requires_grad=True)
        loss = f.mse_loss(x, t.zeros(100, dtype=t.float16))  # sum of squares 90000 > 65504
        loss.backward()
        tenths = t.full((5000,), 0.1, dtype=t.float16).sum()  # float16 alone stalls at 256
        return loss, x.grad, tenths, t.full((3000,), 30.0, dtype=t.float16).mean()
    ours, theirs = _both(build)
    assert ours[0].item() == 900.0 and abs(ours[2].item() - 500.0) < 1.0
    _close(ours, theirs)


def test_batch_norm_statistics_in_float32():
    def build(t, f):
        x = t.tensor(SPREAD + [3.0, 2.0], dtype=t.float16).reshape(3, 2, 1).requires_grad_()
        y = f.batch_norm(x, None, None, training=True)
        (y * t.arange(6, dtype=t.float16).reshape(3, 2, 1)).sum().backward()
        return y, x.grad
    ours, theirs = _both(build)
    assert ours[0].abs().max().item() > 1.0
    _close(ours, theirs, rtol=2e-2)


def test_float64_rules_are_unchanged():
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((3, 4)), dtype=ag.float64, requires_grad=True)
    w = ag.tensor(rng.standard_normal(4), dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda a, b: F.layer_norm(a, (4,), b), (x, w))
    assert gradcheck(lambda a: a.norm(dim=1), (x,))
    assert gradcheck(lambda a: a.std(dim=0), (x,))
    assert gradcheck(lambda a: F.mse_loss(a, ag.zeros(3, 4, dtype=ag.float64)), (x,))
