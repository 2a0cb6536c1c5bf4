"""3-D pooling (max, average, adaptive), LPPool1d/2d/3d, MaxUnpool1d/2d/3d and
FractionalMaxPool2d/3d: values, indices and gradients against PyTorch (float64, the same
random samples for fractional pooling), gradchecks, reprs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 3, 7, 6, 5))

MAX3D = [
    {"kernel_size": 2},
    {"kernel_size": (3, 2, 2), "stride": (2, 1, 2), "padding": (1, 1, 0), "dilation": (1, 2, 1),
     "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1},
]


@pytest.mark.parametrize("kwargs", MAX3D, ids=[str(i) for i in range(len(MAX3D))])
def test_max_pool3d_matches_torch(kwargs):
    compare_module("MaxPool3d", kwargs=kwargs, inputs=[X3])
    compare_module("MaxPool3d", kwargs={**kwargs, "return_indices": True}, inputs=[X3[0]])


AVG3D = [
    {"kernel_size": 2},
    {"kernel_size": (3, 2, 2), "stride": (2, 1, 2), "padding": (1, 1, 0), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
     "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5},
]


@pytest.mark.parametrize("kwargs", AVG3D, ids=[str(i) for i in range(len(AVG3D))])
def test_avg_pool3d_matches_torch(kwargs):
    compare_module("AvgPool3d", kwargs=kwargs, inputs=[X3])


@pytest.mark.parametrize("size", [2, (3, 4, 2), (None, 3, 1), 1])
def test_adaptive_pool3d_matches_torch(size):
    compare_module("AdaptiveAvgPool3d", (size,), inputs=[X3])
    compare_module("AdaptiveMaxPool3d", (size, True), inputs=[X3])
    compare_module("AdaptiveMaxPool3d", (size,), inputs=[X3[1]])


def test_pooling3d_gradcheck_and_errors():
    x = RNG.standard_normal((1, 2, 4, 3, 4))
    grad_ok(lambda t: F.max_pool3d(t, 2, 1, 1), x)
    grad_ok(lambda t: F.avg_pool3d(t, (2, 3, 2), 2, 1, True, False), x)
    grad_ok(lambda t: F.adaptive_avg_pool3d(t, (3, 2, 3)), x)
    grad_ok(lambda t: F.adaptive_max_pool3d(t, (3, 2, 3)), x)
    torch = pytest.importorskip("torch")
    for name in ("max_pool3d", "avg_pool3d"):
        raises_like_torch(lambda: getattr(F, name)(ag.zeros(2, 3, 4), 2),  # noqa: B023
                          lambda: getattr(torch.nn.functional, name)(  # noqa: B023
                              torch.zeros(2, 3, 4), 2))
    raises_like_torch(lambda: F.max_pool3d(ag.zeros(1, 1, 4, 4, 4), 2, padding=2),
                      lambda: torch.nn.functional.max_pool3d(torch.zeros(1, 1, 4, 4, 4), 2,
                                                             padding=2), "half")


def test_with_indices_aliases_match_torch():
    x = RNG.standard_normal((2, 3, 8))
    compare_function("max_pool1d_with_indices", [x], {"kernel_size": 3, "stride": 2})
    compare_function("adaptive_max_pool1d_with_indices", [x], {"output_size": 3})
    x2 = RNG.standard_normal((2, 3, 6, 5))
    compare_function("max_pool2d_with_indices", [x2], {"kernel_size": 2})
    compare_function("adaptive_max_pool2d_with_indices", [x2], {"output_size": (3, 2)})
    compare_function("max_pool3d_with_indices", [X3], {"kernel_size": 2})
    compare_function("adaptive_max_pool3d_with_indices", [X3], {"output_size": 2})


# ----------------------------------------------------------------------------- LPPool
@pytest.mark.parametrize("name,args,shape", [
    ("LPPool1d", (2, 3), (2, 3, 8)), ("LPPool1d", (1.5, 2, 1, True), (2, 3, 8)),
    ("LPPool2d", (2, 3), (2, 3, 7, 6)), ("LPPool2d", (3.0, (3, 2), 2, True), (2, 3, 7, 6)),
    ("LPPool2d", (float("inf"), 2), (1, 2, 4, 4)), ("LPPool3d", (2, 2), (1, 2, 4, 5, 4)),
    ("LPPool3d", (4, (2, 3, 2), (1, 2, 2)), (1, 2, 4, 5, 4))])
def test_lp_pool_matches_torch(name, args, shape):
    x = np.abs(RNG.standard_normal(shape)) + 0.1  # odd powers of negatives give NaN in both
    compare_module(name, args, inputs=[x])


def test_lp_pool_gradcheck():
    x = np.abs(RNG.standard_normal((1, 2, 5, 4))) + 0.2
    grad_ok(lambda t: F.lp_pool2d(t, 3.0, 2, 1), x)
    grad_ok(lambda t: F.lp_pool1d(t, 2.0, 3), x[0])


# ----------------------------------------------------------------------------- unpool
@pytest.mark.parametrize("dims,kwargs,shape", [
    (1, {"kernel_size": 2}, (2, 3, 8)), (1, {"kernel_size": 3, "stride": 2, "padding": 1}, (3, 9)),
    (2, {"kernel_size": 2}, (2, 3, 6, 4)), (2, {"kernel_size": 3, "stride": 2, "padding": 1},
                                            (1, 2, 7, 5)),
    (3, {"kernel_size": 2}, (1, 2, 4, 4, 6)), (3, {"kernel_size": (2, 3, 2), "stride": 2},
                                               (2, 1, 6, 7, 4))])
def test_max_unpool_matches_torch(dims, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = torch.tensor(RNG.standard_normal(shape))
    pooled, idx = getattr(torch.nn.functional, f"max_pool{dims}d")(x, return_indices=True,
                                                                   **kwargs)
    unpool_kw = {k: v for k, v in kwargs.items() if k != "ceil_mode"}
    compare_module(f"MaxUnpool{dims}d", kwargs=unpool_kw,
                   inputs=[pooled.numpy(), idx.numpy()], grad=[True, False])
    out = tuple(shape[-dims:])
    ours = getattr(F, f"max_unpool{dims}d")(ag.tensor(pooled.numpy()), ag.tensor(idx.numpy()),
                                            output_size=out, **unpool_kw)
    theirs = getattr(torch.nn.functional, f"max_unpool{dims}d")(pooled, idx, output_size=out,
                                                               **unpool_kw)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_max_unpool_round_trip_gradcheck_and_errors():
    x = ag.tensor(RNG.standard_normal((1, 2, 4, 6)))
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)
    grad_ok(lambda t: F.max_unpool2d(t, idx, 2), pooled.numpy())
    torch = pytest.importorskip("torch")
    tp, ti = torch.tensor(pooled.numpy()), torch.tensor(idx.numpy())
    raises_like_torch(lambda: F.max_unpool2d(pooled, idx + 30, 2),
                      lambda: torch.nn.functional.max_unpool2d(tp, ti + 30, 2), "invalid max")
    raises_like_torch(lambda: F.max_unpool2d(pooled, idx, 2, output_size=(9, 9)),
                      lambda: torch.nn.functional.max_unpool2d(tp, ti, 2, output_size=(9, 9)),
                      "invalid output_size")


# ----------------------------------------------------------------------------- fractional
@pytest.mark.parametrize("dims,kwargs,shape", [
    (2, {"kernel_size": 2, "output_size": (5, 4)}, (2, 3, 9, 8)),
    (2, {"kernel_size": (3, 2), "output_ratio": (0.5, 0.7)}, (2, 3, 9, 8)),
    (2, {"kernel_size": 3, "output_size": 1}, (3, 5, 5)),
    (3, {"kernel_size": 2, "output_size": (5, 4, 3)}, (2, 3, 7, 8, 6)),
    (3, {"kernel_size": (3, 2, 2), "output_ratio": 0.6}, (1, 2, 7, 8, 6))])
def test_fractional_max_pool_matches_torch(dims, kwargs, shape):
    torch = pytest.importorskip("torch")
    batch = shape[0] if len(shape) == dims + 2 else 1
    channels = shape[-dims - 1]
    samples = torch.tensor(RNG.uniform(size=(batch, channels, dims)))
    compare_module(f"FractionalMaxPool{dims}d",
                   kwargs={**kwargs, "return_indices": True, "_random_samples": samples},
                   inputs=[RNG.standard_normal(shape)])


def test_fractional_max_pool_random_draw_gradcheck_and_errors():
    x = RNG.standard_normal((2, 3, 9, 8))
    ag.manual_seed(3)
    a = F.fractional_max_pool2d(ag.tensor(x), 2, output_size=4)
    ag.manual_seed(3)
    b = F.fractional_max_pool2d(ag.tensor(x), 2, output_size=4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    samples = ag.tensor(RNG.uniform(size=(1, 2, 2)))
    grad_ok(lambda t: F.fractional_max_pool2d(t, 2, (3, 3), _random_samples=samples),
            RNG.standard_normal((1, 2, 6, 5)))
    torch = pytest.importorskip("torch")
    raises_like_torch(lambda: F.fractional_max_pool2d(ag.tensor(x), 2),
                      lambda: torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 2),
                      "output_size or an output_ratio")
    raises_like_torch(lambda: F.fractional_max_pool2d(ag.tensor(x), 3, output_size=8),
                      lambda: torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 3,
                                                                        output_size=8),
                      "too large")
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="only one"):
        nn.FractionalMaxPool3d(2, output_size=2, output_ratio=0.5)
