"""InstanceNorm1d/2d/3d, LocalResponseNorm, CrossMapLRN2d, RMSNorm, SyncBatchNorm (and their functional
forms): values, input and parameter gradients and running statistics against PyTorch from
identical weights (float64), gradchecks, reprs, state_dict keys and errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)

INSTANCE = [
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 6)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 4, 3)),
    ("InstanceNorm2d", (2,), {"eps": 1e-3, "momentum": 0.3}, (2, 3, 3)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 3, 2, 3)),
    ("InstanceNorm3d", (2,), {"track_running_stats": True, "momentum": None}, (2, 3, 2, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", INSTANCE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(INSTANCE)])
def test_instance_norm_matches_torch(name, args, kwargs, shape):
    x = RNG.standard_normal(shape) * 2 + 1
    ours, theirs = compare_module(name, args, kwargs, inputs=[x])
    if kwargs.get("track_running_stats"):
        # a second batch, then evaluation mode with the running statistics
        compare_module(name, args, kwargs, inputs=[x], train=False)


def test_instance_norm_eval_uses_running_stats():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 6))
    ours = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    theirs = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    for _ in range(2):
        ours(ag.tensor(x))
        theirs(torch.tensor(x))
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_instance_norm_gradcheck_and_errors():
    grad_ok(nn.InstanceNorm2d(2, affine=True).double(), RNG.standard_normal((2, 2, 3, 3)))
    torch = pytest.importorskip("torch")
    raises_like_torch(lambda: nn.InstanceNorm1d(3, affine=True)(ag.zeros(2, 4, 5)),
                      lambda: torch.nn.InstanceNorm1d(3, affine=True)(torch.zeros(2, 4, 5)),
                      "num_features")
    raises_like_torch(lambda: nn.InstanceNorm1d(3)(ag.zeros(2, 3, 4, 5)),
                      lambda: torch.nn.InstanceNorm1d(3)(torch.zeros(2, 3, 4, 5)), "2D or 3D")
    raises_like_torch(lambda: nn.InstanceNorm3d(3)(ag.zeros(3, 4, 5)),
                      lambda: torch.nn.InstanceNorm3d(3)(torch.zeros(3, 4, 5)), "4D or 5D")
    with pytest.warns(UserWarning, match="num_features"):
        nn.InstanceNorm1d(3)(ag.zeros(2, 4, 5))


# ----------------------------------------------------------------------------- LRN
@pytest.mark.parametrize("args,shape", [((3,), (2, 5, 4)), ((2, 1e-2, 0.5, 2.0), (2, 4, 3, 3)),
                                        ((4, 0.1), (1, 6, 2, 2, 2)), ((1,), (2, 3, 4))])
def test_local_response_norm_matches_torch(args, shape):
    compare_module("LocalResponseNorm", args, inputs=[RNG.standard_normal(shape)])


@pytest.mark.parametrize("args", [(3,), (2, 1e-2, 0.5, 2.0), (5, 0.5)])
def test_cross_map_lrn2d_matches_torch(args):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 6, 3, 2))
    ours, theirs = nn.CrossMapLRN2d(*args), torch.nn.CrossMapLRN2d(*args)
    assert repr(ours) == repr(theirs)
    # values only: PyTorch's hand-written backward is not the derivative of its forward
    # (which keeps channel 0 in every window); ours is checked by gradcheck below
    np.testing.assert_allclose(ours(ag.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                               rtol=1e-12)


def test_lrn_gradcheck_and_errors():
    grad_ok(nn.LocalResponseNorm(3, 0.1), RNG.standard_normal((2, 4, 3)))
    grad_ok(nn.CrossMapLRN2d(3, 0.1), RNG.standard_normal((1, 5, 2, 2)))
    torch = pytest.importorskip("torch")
    raises_like_torch(lambda: F.local_response_norm(ag.zeros(3), 2),
                      lambda: torch.nn.functional.local_response_norm(torch.zeros(3), 2),
                      "3D or higher")


# ----------------------------------------------------------------------------- RMSNorm
@pytest.mark.parametrize("args,kwargs,shape", [((4,), {}, (3, 4)),
                                               (((2, 3),), {"eps": 1e-3}, (2, 2, 3)),
                                               ((3,), {"elementwise_affine": False}, (2, 3)),
                                               ])
def test_rms_norm_matches_torch(args, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = compare_module("RMSNorm", args, kwargs, inputs=[RNG.standard_normal(shape)])
    if ours.weight is not None:
        with torch.no_grad():
            theirs.weight.uniform_()
        w = theirs.weight.detach().numpy()
        shape_arg, eps = args[0], kwargs.get("eps")
        compare_function("rms_norm", [RNG.standard_normal(shape), w],
                         ours=lambda x, w: F.rms_norm(x, shape_arg, w, eps),
                         theirs=lambda x, w: torch.nn.functional.rms_norm(
                             x, (shape_arg,) if isinstance(shape_arg, int) else shape_arg, w,
                             eps))


def test_rms_norm_default_eps_in_float32_and_errors():
    torch = pytest.importorskip("torch")
    x = np.full((2, 3), 1e-5, dtype=np.float32)
    ours = F.rms_norm(ag.tensor(x), (3,)).numpy()
    theirs = torch.nn.functional.rms_norm(torch.tensor(x), (3,)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    grad_ok(lambda t, w: F.rms_norm(t, (3,), w), RNG.standard_normal((2, 3)),
            RNG.standard_normal(3))
    raises_like_torch(lambda: F.rms_norm(ag.zeros(3, 4), (3,)),
                      lambda: torch.nn.functional.rms_norm(torch.zeros(3, 4), (3,)),
                      "normalized_shape")


# ----------------------------------------------------------------------------- SyncBatchNorm
@pytest.mark.parametrize("train", [True, False])
def test_sync_batch_norm_is_batch_norm_without_a_process_group(train):
    compare_module("SyncBatchNorm", (3,), {"momentum": 0.3}, train=train,
                   inputs=[RNG.standard_normal((4, 3, 2, 2))])
    compare_module("SyncBatchNorm", (3,), {"affine": False}, train=train,
                   inputs=[RNG.standard_normal((4, 3))])


def test_convert_sync_batchnorm_and_errors():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3),
                          nn.Sequential(nn.BatchNorm1d(3), nn.InstanceNorm1d(3)))
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is nn.SyncBatchNorm
    assert type(converted[2][0]) is nn.SyncBatchNorm
    assert type(converted[2][1]) is nn.InstanceNorm1d
    assert converted[1].weight is model[1].weight
    assert list(converted.state_dict()) == list(model.state_dict())
    raises_like_torch(lambda: nn.SyncBatchNorm(3)(ag.zeros(3)),
                      lambda: torch.nn.SyncBatchNorm(3)(torch.zeros(3)), "2D")


def test_container_is_deprecated_module_of_keyword_children():
    with pytest.warns(FutureWarning, match="deprecated"):
        c = nn.Container(a=nn.Linear(2, 3), b=nn.ReLU())
    assert [name for name, _ in c.named_children()] == ["a", "b"]
    assert list(c.state_dict()) == ["a.weight", "a.bias"]


def test_batch_norm_of_an_empty_batch_matches_torch():
    pytest.importorskip("torch")
    for train in (True, False):
        ours, theirs = compare_module("BatchNorm1d", (5,), train=train,
                                      inputs=[np.zeros((0, 5, 9))])
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked)
    compare_module("SyncBatchNorm", (3,), inputs=[np.zeros((0, 3, 2, 2))])
