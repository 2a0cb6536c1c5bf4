"""``import autograd_core as torch``: the namespaces a PyTorch program reaches for are
attributes and importable modules, and ``autograd_core.nn`` is the ``nn`` package itself."""

from __future__ import annotations

import importlib

import pytest

import autograd_core as torch
import nn
import optim


def test_nn_and_optim_are_the_same_module_objects():
    assert torch.nn is nn and torch.optim is optim
    assert torch.nn.functional is nn.functional and torch.nn.init is nn.init
    assert torch.optim.lr_scheduler is optim.lr_scheduler
    assert torch.nn.Linear is nn.Linear


@pytest.mark.parametrize("name", ["autograd_core.nn", "autograd_core.nn.functional",
                                  "autograd_core.nn.init", "autograd_core.nn.utils",
                                  "autograd_core.optim", "autograd_core.optim.lr_scheduler",
                                  "autograd_core.utils.data", "autograd_core.autograd",
                                  "autograd_core.backends", "autograd_core.backends.cudnn",
                                  "autograd_core.accelerator", "autograd_core.cuda",
                                  "autograd_core.serialization"])
def test_namespaces_import(name):
    module = importlib.import_module(name)
    real = name.replace("autograd_core.nn", "nn").replace("autograd_core.optim", "optim")
    assert module is importlib.import_module(real)


def test_a_program_written_for_torch_runs():
    import autograd_core.nn.functional as F

    torch.backends.cudnn.benchmark = True
    device = torch.accelerator.current_accelerator() or "cpu"
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1)
    x, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_unknown_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        torch.nothing
