"""Complex parameters in the optimisers: updated as their (Re, Im) pairs, as PyTorch, so a
few steps of each optimiser on an fft loss match torch from identical weights."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import optim

torch = pytest.importorskip("torch")

START = np.array([[1 + 2j, 0.5 - 1j], [0.3j, -2.0]])
CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1)),
         ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1, amsgrad=True)),
         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)), ("Adagrad", dict(lr=0.1)),
         ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {})]


def _train(lib, opt_module, name, kw):
    z = lib.tensor(START, requires_grad=True)
    opt = getattr(opt_module, name)([z], **kw)
    for _ in range(4):
        opt.zero_grad()
        (lib.fft.fft2(z).abs() ** 1.5).sum().backward()
        opt.step()
    return z.detach().numpy()


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{sorted(k)}" for n, k in CASES])
def test_steps_match_torch(name, kw):
    np.testing.assert_allclose(_train(ag, optim, name, kw), _train(torch, torch.optim, name, kw),
                               rtol=1e-10, atol=1e-12)
