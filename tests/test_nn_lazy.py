"""Lazy modules: shapes from the first input, then the eager class.

``LazyLinear``, ``LazyConv*``, ``LazyConvTranspose*`` and ``LazyBatchNorm*`` get their
missing size from the first forward (or from a loaded state dict) and become the eager
layer; reprs, state dict keys and shapes are PyTorch's, and the results match PyTorch's
from the same weights (the module_db harness runs PyTorch's own lazy samples too).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck

torch = pytest.importorskip("torch")


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


CASES = [
    ("LazyLinear", (4,), {}, (3, 5), "Linear"),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7), "Conv1d"),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 7, 7), "Conv2d"),
    ("LazyConvTranspose1d", (4, 3), {"output_padding": 1, "stride": 2}, (2, 3, 5),
     "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2}, (2, 6, 5, 5), "ConvTranspose2d"),
    ("LazyBatchNorm1d", (), {}, (4, 3, 5), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), {"momentum": 0.5}, (4, 3, 2, 2), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2), "BatchNorm3d"),
]


@pytest.mark.parametrize("name,args,kwargs,shape,becomes", CASES)
def test_lazy_module_matches_torch(name, args, kwargs, shape, becomes):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape)
    with torch.no_grad():
        theirs(torch.tensor(x))
    with ag.no_grad():
        ours(ag.tensor(x))
    assert type(ours) is getattr(nn, becomes)
    assert repr(ours) == repr(theirs)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    for key, value in state.items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in state.items()})
    xt = torch.tensor(x, requires_grad=True)
    xa = ag.tensor(x, requires_grad=True)
    out_t, out = theirs(xt), ours(xa)
    np.testing.assert_allclose(_np(out), _np(out_t), rtol=1e-10, atol=1e-12)
    out_t.pow(2).sum().backward()
    out.pow(2).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_lazy_linear_gradcheck_after_initialisation():
    lin = nn.LazyLinear(2).double()
    x = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)
    lin(x)
    assert gradcheck(lin, (x,))


def test_loading_a_state_dict_gives_the_shapes():
    lin = nn.LazyLinear(3)
    lin.load_state_dict({"weight": ag.ones((3, 2)), "bias": ag.zeros(3)})
    assert tuple(lin.weight.shape) == (3, 2)
    np.testing.assert_array_equal(_np(lin(ag.ones((1, 2)))), [[2.0, 2.0, 2.0]])
    assert type(lin) is nn.Linear
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict({"weight": ag.ones(4), "bias": ag.zeros(4), "running_mean": ag.zeros(4),
                        "running_var": ag.ones(4), "num_batches_tracked": ag.tensor(3)})
    assert tuple(bn.running_var.shape) == (4,)


def test_lazy_errors_and_uninitialized_parameter():
    conv = nn.LazyConv2d(4, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\)"):
        conv(ag.zeros((2, 3)))
    grouped = nn.LazyConv1d(4, 3, groups=2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        grouped(ag.zeros((1, 3, 5)))
    param = nn.UninitializedParameter()
    assert isinstance(param, nn.Parameter)
    param.materialize((2, 3))
    assert type(param) is nn.Parameter and tuple(param.shape) == (2, 3)


def test_lazy_model_trains_after_the_first_forward():
    import optim

    model = nn.Sequential(nn.LazyLinear(8), nn.Tanh(), nn.LazyLinear(1))
    x = ag.randn(16, 3)
    y = x.sum(1, keepdim=True).tanh()
    model(x)  # shapes first, then the optimiser
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_deepcopy_of_a_lazy_module_stays_lazy():
    import copy

    for lazy, x in ((nn.LazyLinear(3), ag.ones((1, 4))), (nn.LazyBatchNorm1d(), ag.ones((2, 4)))):
        twin = copy.deepcopy(lazy)
        assert twin.has_uninitialized_params()
        twin(x)
        assert lazy.has_uninitialized_params()
        assert type(twin) is type(lazy).cls_to_become


def test_lazy_variants_appear_for_3d_convolutions_defined_anywhere():
    from nn.modules import conv, lazy

    class Conv3d(conv.Conv2d):  # a stand-in with the 3-D arguments (no 3-D forward needed)
        _dims = 3

    made = lazy.lazy_variants({"Conv3d": Conv3d})
    assert list(made) == ["LazyConv3d"]
    layer = made["LazyConv3d"](4, 2, groups=2)
    layer.initialize_parameters(ag.zeros((1, 6, 3, 3, 3)))
    assert tuple(layer.weight.shape) == (4, 3, 2, 2, 2)
    assert lazy.lazy_variants({"Conv3d": Conv3d, "LazyConv3d": object}) == {}
