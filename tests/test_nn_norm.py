"""Normalisation: batch, instance, layer and group norm (fused nodes, functions, modules).

float64 gradcheck and gradgradcheck (training and evaluation mode, with and without the
affine parameters, non-contiguous inputs); values and gradients of the input and every
parameter against PyTorch; running statistics against PyTorch over several training steps
(momentum 0.1 and the cumulative average of momentum=None); evaluation mode; state_dict
keys and reprs for every option; PyTorch's errors; the fake CUDA device.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from nn import functional as F


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _leaf(rng, shape) -> ag.Tensor:
    return ag.tensor(rng.standard_normal(shape), dtype=ag.float64, requires_grad=True)


# ----------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_gradcheck_and_gradgradcheck(shape, affine):
    rng = np.random.default_rng(0)
    x = _leaf(rng, shape)
    c = shape[1]
    params = (_leaf(rng, (c,)), _leaf(rng, (c,))) if affine else ()

    def train(x, *wb):
        return F.batch_norm(x, None, None, *wb, training=True)

    assert gradcheck(train, (x, *params))
    assert gradgradcheck(train, (x, *params))
    running_mean = ag.tensor(rng.standard_normal(c))
    running_var = ag.tensor(rng.uniform(0.5, 2.0, c))

    def evaluate(x, *wb):
        return F.batch_norm(x, running_mean, running_var, *wb, training=False)

    assert gradcheck(evaluate, (x, *params))
    assert gradgradcheck(evaluate, (x, *params))


@given(data=st.data())
def test_norms_gradcheck_on_any_layout(data):
    n, c, s = data.draw(st.integers(2, 3)), data.draw(st.sampled_from([2, 4])), data.draw(
        st.integers(1, 3))
    x = make_tensor(data.draw(arrays((n, c, s))), data.draw(layouts()))
    w = make_tensor(data.draw(arrays((c,))))
    b = make_tensor(data.draw(arrays((c,))))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    lw = make_tensor(data.draw(arrays((c, s))), data.draw(layouts()))
    assert gradcheck(lambda x, w: F.layer_norm(x, (c, s), w), (x, lw))


@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (3, 4)),
                                              ((2, 2, 3), (3,)), ((5,), (5,))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_gradcheck_and_gradgradcheck(shape, normalized, affine):
    rng = np.random.default_rng(1)
    x = _leaf(rng, shape)
    params = {"both": (_leaf(rng, normalized), _leaf(rng, normalized)),
              "weight": (_leaf(rng, normalized),), "none": ()}[affine]

    def run(x, *wb):
        return F.layer_norm(x, normalized, *wb)

    assert gradcheck(run, (x, *params))
    assert gradgradcheck(run, (x, *params))


@pytest.mark.parametrize("shape,groups", [((2, 4), 2), ((2, 4, 3), 2), ((2, 6, 2, 2), 3),
                                          ((1, 3, 2), 1), ((2, 3, 2), 3)])
def test_group_norm_gradcheck_and_gradgradcheck(shape, groups):
    rng = np.random.default_rng(2)
    x, w, b = _leaf(rng, shape), _leaf(rng, shape[1:2]), _leaf(rng, shape[1:2])
    assert gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), (x, w, b))
    assert gradcheck(lambda x: F.group_norm(x, groups), (x,))


def test_instance_norm_gradcheck():
    rng = np.random.default_rng(3)
    x, w, b = _leaf(rng, (2, 3, 4)), _leaf(rng, (3,)), _leaf(rng, (3,))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))


# ----------------------------------------------------------------------------- vs PyTorch
def _compare(torch, ours_fn, theirs_fn, arrays_in, atol=1e-10):
    """Same function on our tensors and PyTorch's: values and every input's gradient."""
    ours = [ag.tensor(a, requires_grad=True) for a in arrays_in]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays_in]
    y, ty = ours_fn(*ours), theirs_fn(*theirs)
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=atol)
    up = np.random.default_rng(9).standard_normal(tuple(ty.shape))
    y.backward(ag.tensor(up))
    ty.backward(torch.tensor(up))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_pytorch(shape, training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    c = shape[1]
    x, w, b = rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)
    ours_stats = [ag.tensor(rm), ag.tensor(rv)]
    theirs_stats = [torch.tensor(rm), torch.tensor(rv)]
    _compare(torch,
             lambda x, w, b: F.batch_norm(x, *ours_stats, w, b, training, 0.3, 1e-3),
             lambda x, w, b: torch.nn.functional.batch_norm(x, *theirs_stats, w, b, training,
                                                            0.3, 1e-3),
             (x, w, b))
    for a, t in zip(ours_stats, theirs_stats):
        np.testing.assert_allclose(a.numpy(), t.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (3, 4)),
                                              ((2, 3, 4), (2, 3, 4))])
def test_layer_norm_matches_pytorch(shape, normalized):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    arrays_in = (rng.standard_normal(shape), rng.standard_normal(normalized),
                 rng.standard_normal(normalized))
    _compare(torch, lambda x, w, b: F.layer_norm(x, normalized, w, b, 1e-4),
             lambda x, w, b: torch.nn.functional.layer_norm(x, normalized, w, b, 1e-4),
             arrays_in)


@pytest.mark.parametrize("shape,groups", [((2, 4), 2), ((3, 6, 5), 3), ((2, 4, 3, 3), 1),
                                          ((2, 4, 3, 3), 4)])
def test_group_and_instance_norm_match_pytorch(shape, groups):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    c = shape[1]
    arrays_in = (rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c))
    _compare(torch, lambda x, w, b: F.group_norm(x, groups, w, b),
             lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b), arrays_in)
    if len(shape) > 2:
        stats = [ag.zeros(c, dtype=ag.float64), ag.ones(c, dtype=ag.float64)]
        tstats = [torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)]
        _compare(torch, lambda x, w, b: F.instance_norm(x, *stats, w, b),
                 lambda x, w, b: torch.nn.functional.instance_norm(x, *tstats, w, b),
                 arrays_in)
        for a, t in zip(stats, tstats):
            np.testing.assert_allclose(a.numpy(), t.numpy(), atol=1e-12)
        _compare(torch, lambda x, w, b: F.instance_norm(x, *stats, w, b, False),
                 lambda x, w, b: torch.nn.functional.instance_norm(x, *tstats, w, b, False),
                 arrays_in)


def test_float32_matches_pytorch_and_stays_float32():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 4, 5, 5)).astype(np.float32) * 3 + 1
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    y, ty = ours(ag.tensor(x)), theirs(torch.tensor(x))
    assert y.dtype == ag.float32 and ours.running_var.dtype == ag.float32
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)
    for module, tmodule in ((nn.LayerNorm([5, 5]), torch.nn.LayerNorm([5, 5])),
                            (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4))):
        y = module(ag.tensor(x))
        assert y.dtype == ag.float32
        np.testing.assert_allclose(_np(y), tmodule(torch.tensor(x)).detach().numpy(), atol=1e-5)


# ----------------------------------------------------------------------------- modules
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 2, 3))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_modules_track_running_stats_like_pytorch(name, shape, momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    ours = getattr(nn, name)(3, momentum=momentum, eps=1e-3).double()
    theirs = getattr(torch.nn, name)(3, momentum=momentum, eps=1e-3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.standard_normal(3)))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(3)))
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    for _ in range(4):  # several training steps
        x = rng.standard_normal(shape) * 2 + 0.5
        ox, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(ox), theirs(tx)
        np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=1e-10)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, key).numpy(), getattr(theirs, key).numpy(),
                                   atol=1e-12)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 4
    assert ours.num_batches_tracked.dtype == ag.int64
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=1e-10)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(_np(ours(ag.tensor(x))), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-10)
    assert ours.num_batches_tracked.item() == 4  # evaluation leaves the statistics alone


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(3, track_running_stats=False), torch.nn.BatchNorm1d(
        3, track_running_stats=False)
    assert ours.running_mean is None and ours.num_batches_tracked is None
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(9).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(ours(ag.tensor(x))), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-6)
    np.testing.assert_allclose(_np(ours(ag.tensor(x)).mean(0)), 0.0, atol=1e-6)


def test_eval_mode_batch_of_one_works():
    bn = nn.BatchNorm1d(3)
    bn.eval()
    assert tuple(bn(ag.randn(1, 3)).shape) == (1, 3)


@pytest.mark.parametrize("make", [
    lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm2d(3, affine=False),
    lambda m: m.BatchNorm1d(3, track_running_stats=False),
    lambda m: m.BatchNorm2d(3, affine=False, track_running_stats=False, momentum=None),
    lambda m: m.BatchNorm1d(3, bias=False), lambda m: m.BatchNorm3d(2),
    lambda m: m.LayerNorm(4), lambda m: m.LayerNorm((3, 4), elementwise_affine=False),
    lambda m: m.LayerNorm(3, bias=False), lambda m: m.GroupNorm(2, 4),
    lambda m: m.GroupNorm(1, 3, affine=False), lambda m: m.GroupNorm(3, 3, bias=False),
])
def test_state_dict_keys_and_repr_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())


def test_old_checkpoint_without_num_batches_tracked_loads():
    bn = nn.BatchNorm1d(3)
    state = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    bn.num_batches_tracked.fill_(7)
    bn.load_state_dict(state)  # strict: the version-1 layout is converted, not refused
    assert bn.num_batches_tracked.item() == 0


def test_errors_match_pytorch():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ag.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ag.zeros(2, 3, 4))
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(ag.zeros(1, 3))
    assert bn.num_batches_tracked.item() == 0  # a refused batch changes nothing
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(ag.zeros(2, 4))
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(ag.zeros(4, 3), None, None, training=False)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with "
                                           r"shape \[\*, 4\], but got input of size\[2, 3\]"):
        nn.LayerNorm(4)(ag.zeros(2, 3))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as "
                                           "normalized_shape"):
        F.layer_norm(ag.zeros(2, 3), (3,), ag.ones(4))
    with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups "
                                         r"\(2\)"):
        nn.GroupNorm(2, 3)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible "
                                           "by num_groups"):
        F.group_norm(ag.zeros(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal to the "
                                           "number of channels"):
        nn.GroupNorm(2, 4)(ag.zeros(2, 6, 3))


def test_each_norm_is_one_graph_node():
    x = ag.randn(4, 3, 5, requires_grad=True)
    assert nn.BatchNorm1d(3)(x).grad_fn.name() == "BatchNormTrainBackward0"
    assert nn.LayerNorm(5)(x).grad_fn.name() == "LayerNormBackward0"
    assert nn.GroupNorm(3, 3)(x).grad_fn.name() == "GroupNormBackward0"
    bn = nn.BatchNorm1d(3)
    bn.eval()
    assert bn(x).grad_fn.name() == "BatchNormEvalBackward0"


@pytest.mark.usefixtures("fake_cuda")
def test_training_step_on_the_fake_gpu_equals_the_cpu():
    import optim

    results = []
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.LayerNorm(6))
        gn = nn.GroupNorm(2, 6)
        model.to(device)
        gn.to(device)
        params = list(model.parameters()) + list(gn.parameters())
        opt = optim.SGD(params, lr=0.1)
        x = ag.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32),
                      device=device)
        losses = []
        for _ in range(2):
            loss = (gn(model(x).unsqueeze(2)) ** 3).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with ag.no_grad():
            losses.append(model(x).sum().item())
        stats = [model[1].running_mean.cpu().numpy(), model[1].running_var.cpu().numpy()]
        results.append((losses, [p.detach().cpu().numpy() for p in params] + stats))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
