"""Conformance of the layers added to complete ``torch.nn`` with PyTorch's own ModuleInfo
database (``torch.testing._internal.common_modules.module_db``): for each class, the
sample constructor arguments and inputs PyTorch tests itself with build the module in both
libraries (our copy loaded with PyTorch's state_dict), and the forward outputs must agree
in float64, and so must the gradients of the inputs and parameters of a random weighting
of the outputs. The harness is ours; the samples are PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn

CLASSES = [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "MaxPool3d", "Conv3d",
    "ConvTranspose3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d",
    "LPPool3d", "MultiLabelMarginLoss", "MultiMarginLoss", "SoftMarginLoss",
    "MultiLabelSoftMarginLoss", "GaussianNLLLoss", "PoissonNLLLoss", "HingeEmbeddingLoss",
    "LinearCrossEntropyLoss", "CTCLoss", "Hardshrink", "Softshrink", "Softmax2d",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "RMSNorm",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d",
]
MAX_SAMPLES = 4  # per class and mode; LinearCrossEntropyLoss alone has ~1700
RANDOM_IN_TRAINING = {"FractionalMaxPool2d", "FractionalMaxPool3d"}


def _ours(value, torch):
    if isinstance(value, torch.Tensor):
        return ag.tensor(value.detach().numpy())
    if isinstance(value, torch.dtype):
        return getattr(ag, str(value).rsplit(".", 1)[-1])
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_ours(v, torch) for v in value)
    if isinstance(value, dict):
        return {k: _ours(v, torch) for k, v in value.items()}
    return value


def _leaves(args, kwargs, torch) -> list:
    """The leaf tensors among the forward arguments that require a gradient (an input
    computed inside the sample, e.g. CTC's log_softmax output, is compared by value)."""
    found = []
    for value in list(args) + list(kwargs.values()):
        items = value if isinstance(value, (list, tuple)) else [value]
        found += [v for v in items if isinstance(v, torch.Tensor) and v.requires_grad
                  and v.is_leaf]
    return found


def _backward(outputs, seed_rng, lib) -> bool:
    """Backpropagate sum(w * out) over the float outputs that need a gradient."""
    outs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    total = None
    for out in outs:
        if not getattr(out, "requires_grad", False):
            continue
        w = lib.tensor(seed_rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
        term = (out * w).sum()
        total = term if total is None else total + term
    if total is None:
        return False
    total.backward()
    return True


def _assert_close(got, expected, torch) -> None:
    if isinstance(expected, torch.Tensor):
        assert tuple(got.shape) == tuple(expected.shape)
        np.testing.assert_allclose(np.asarray(got.detach().numpy(), dtype=float),
                                   expected.detach().numpy().astype(float), rtol=1e-7,
                                   atol=1e-7, equal_nan=True)
    elif isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_close(g, e, torch)


@pytest.mark.parametrize("name", CLASSES)
def test_module_db_samples_agree(name):
    torch = pytest.importorskip("torch")
    common = pytest.importorskip("torch.testing._internal.common_modules")
    infos = [i for i in common.module_db if i.module_cls.__name__ == name]
    assert infos, f"{name} is not in PyTorch's module_db"
    checked = 0
    for info in infos:
        for training in (True, False):
            if training and name in RANDOM_IN_TRAINING:
                continue
            samples = info.module_inputs_func(info, device="cpu", dtype=torch.float64,
                                              requires_grad=True, training=training)
            for sample in [s for s in samples if s.forward_input is not None][:MAX_SAMPLES]:
                args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
                torch.manual_seed(0)
                theirs = info.module_cls(*args, **kwargs).double().train(training)
                ours = getattr(nn, name)(*_ours(args, torch), **_ours(kwargs, torch))
                ours = ours.double().train(training)
                ours.load_state_dict({k: _ours(v, torch)
                                      for k, v in theirs.state_dict().items()})
                f_args, f_kwargs = sample.forward_input.args, sample.forward_input.kwargs
                leaves = _leaves(f_args, f_kwargs, torch)
                mine = [ag.tensor(t.detach().numpy(), requires_grad=True) for t in leaves]
                swap = {id(t): m for t, m in zip(leaves, mine)}

                def convert(value, swap=swap):
                    if isinstance(value, torch.Tensor) and id(value) in swap:
                        return swap[id(value)]
                    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
                        return type(value)(convert(v) for v in value)
                    return _ours(value, torch)

                expected = theirs(*f_args, **f_kwargs)
                got = ours(*[convert(a) for a in f_args],
                           **{k: convert(v) for k, v in f_kwargs.items()})
                _assert_close(got, expected, torch)
                needs_grad = bool(mine) or any(p.requires_grad for p in ours.parameters())
                if _backward(expected, np.random.default_rng(checked), torch) and needs_grad:
                    assert _backward(got, np.random.default_rng(checked), ag)
                    for t, m in zip(leaves, mine):
                        assert m.grad is not None
                        _assert_close(m.grad, t.grad, torch)
                    params = dict(theirs.named_parameters())
                    for key, p in ours.named_parameters():
                        if params[key].grad is not None:
                            _assert_close(p.grad, params[key].grad, torch)
                checked += 1
    assert checked > 0
