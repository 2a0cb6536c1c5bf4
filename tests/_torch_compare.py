"""Shared check for the ops tests: our op against PyTorch's from identical inputs (values
and a vector-Jacobian product with the same cotangent), and a float64 gradient check."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck

torch = pytest.importorskip("torch")


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def compare(ours, theirs, arrays, *, grad: bool = True, rtol: float = 1e-6, check=True):
    """Run ``ours`` on tensors of ``arrays`` (float64, requiring grad) and ``theirs`` on
    torch tensors of the same values; compare outputs, then gradients for one random
    cotangent, then (``check``) a finite-difference gradient check of ``ours``."""
    mine = [ag.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ref = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    y, yt = _first(ours(*mine)), _first(theirs(*ref))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=1e-9)
    assert y.dtype.name == str(yt.dtype).replace("torch.", "")
    if not grad or not yt.requires_grad:
        return
    g = np.random.default_rng(0).normal(size=tuple(yt.shape))
    diff = [i for i, t in enumerate(ref) if t.requires_grad]
    gm = ag.autograd.grad(y, [mine[i] for i in diff], ag.tensor(g), allow_unused=True)
    gt = torch.autograd.grad(yt, [ref[i] for i in diff], torch.tensor(g), allow_unused=True)
    for a, b in zip(gm, gt):
        if a is None or b is None:  # an unused input: the other side's gradient is zero
            other = b if a is None else a
            assert other is None or not np.any(other.numpy())
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=1e-9)
    if check:
        assert gradcheck(lambda *xs: _first(ours(*xs)), tuple(mine), eps=1e-6, atol=1e-5)
