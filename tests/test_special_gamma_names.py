"""The gamma family under `autograd_core.special` (PyTorch's names: digamma/psi, gammaln,
polygamma, multigammaln): values and gradients against PyTorch, and a float64 gradient
check of multigammaln (a sum of lgammas)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck

torch = pytest.importorskip("torch")

X = np.linspace(1.6, 9.0, 13)


@pytest.mark.parametrize("call", [
    lambda s, x: s.digamma(x), lambda s, x: s.psi(x), lambda s, x: s.gammaln(x),
    lambda s, x: s.polygamma(0, x), lambda s, x: s.polygamma(3, x),
    lambda s, x: s.multigammaln(x, 1), lambda s, x: s.multigammaln(x, 3),
])
def test_values_and_gradients_match_torch(call):
    ours_x = ag.tensor(X, requires_grad=True)
    theirs_x = torch.tensor(X, requires_grad=True)
    ours, theirs = call(ag.special, ours_x), call(torch.special, theirs_x)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    # (the existing polygamma series is good to about 1e-9, relative)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-8)


def test_multigammaln_gradcheck_and_errors():
    assert gradcheck(lambda a: ag.special.multigammaln(a, 4),
                     (ag.tensor(X + 1.0, requires_grad=True),))
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        ag.special.multigammaln(ag.tensor(X), 0)
