"""Pooling and resizing: max/avg pooling (1-D, 2-D), adaptive pooling, interpolate, and the
MaxPool/AvgPool/AdaptiveAvgPool/Upsample layers.

Values, indices and gradients against PyTorch (float64, when installed), first and second
derivative checks, ties (the gradient goes to the first maximum), shapes and errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck

F = nn.functional


def _leaf(a):
    return ag.tensor(a, dtype=ag.float64, requires_grad=True)


def _compare_with_torch(name, kwargs, x, tol=1e-10, ours_name=None):
    """``F.<name>(x, **kwargs)``: values (and indices) and the input gradient vs PyTorch."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    xo = _leaf(x)
    expected = getattr(torch.nn.functional, name)(xt, **kwargs)
    got = getattr(F, ours_name or name)(xo, **kwargs)
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(got[1].numpy(), expected[1].numpy())
        assert got[1].dtype == ag.int64
        expected, got = expected[0], got[0]
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=tol,
                               atol=tol)
    seed = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(seed))
    got.backward(ag.tensor(seed))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)


X2 = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
X1 = np.random.default_rng(0).standard_normal((2, 3, 9))

MAX2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "ceil_mode": True, "return_indices": True},
    {"kernel_size": 3, "stride": 1, "padding": 1, "return_indices": True},
    {"kernel_size": 1},
]


@pytest.mark.parametrize("kwargs", MAX2D, ids=[str(i) for i in range(len(MAX2D))])
def test_max_pool2d_matches_torch(kwargs):
    _compare_with_torch("max_pool2d", kwargs, X2)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True},
    {"kernel_size": 2, "dilation": 3, "ceil_mode": True},
])
def test_max_pool1d_matches_torch(kwargs):
    _compare_with_torch("max_pool1d", kwargs, X1)


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 1.0], [0.5, 1.0]]
    _compare_with_torch("max_pool2d", {"kernel_size": 2, "return_indices": True}, x)
    _compare_with_torch("max_pool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, x)
    xo = _leaf(x)
    F.max_pool2d(xo, 2).sum().backward()
    assert xo.grad.numpy().sum() == 4 and xo.grad.numpy()[0, 0, 0, 0] == 1


def test_max_pool_keeps_nan_and_ints():
    x = ag.tensor([[[[1.0, float("nan")], [0.0, 2.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())
    ints = ag.tensor([[[[1, 5], [3, -2]]]])
    out = F.max_pool2d(ints, 2, padding=1, stride=1)
    assert out.dtype == ag.int64 and out[0, 0, 1, 1].item() == 5


AVG2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "divisor_override": 3},
]


@pytest.mark.parametrize("kwargs", AVG2D, ids=[str(i) for i in range(len(AVG2D))])
def test_avg_pool2d_matches_torch(kwargs):
    _compare_with_torch("avg_pool2d", kwargs, X2)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                         "count_include_pad": False},
])
def test_avg_pool1d_matches_torch(kwargs):
    _compare_with_torch("avg_pool1d", kwargs, X1)


@pytest.mark.parametrize("size", [(3, 2), (None, 4), 1, (7, 6), (2, 3), (4, 5)])
def test_adaptive_pool2d_matches_torch(size):
    _compare_with_torch("adaptive_avg_pool2d", {"output_size": size}, X2)
    _compare_with_torch("adaptive_max_pool2d", {"output_size": size, "return_indices": True},
                        X2)


def test_adaptive_pool1d_matches_torch():
    _compare_with_torch("adaptive_avg_pool1d", {"output_size": 4}, X1)
    _compare_with_torch("adaptive_max_pool1d", {"output_size": 4, "return_indices": True}, X1)
    _compare_with_torch("adaptive_max_pool1d", {"output_size": 3}, X1)


INTERPOLATE_2D = [
    {"scale_factor": 2},
    {"size": (5, 9)},
    {"scale_factor": 1.7},
    {"scale_factor": (0.5, 2.5)},
    {"size": (3, 4), "mode": "nearest-exact"},
    {"scale_factor": 2, "mode": "bilinear"},
    {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    {"size": (5, 9), "mode": "bilinear"},
    {"scale_factor": (0.6, 1.3), "mode": "bilinear"},
    {"size": (1, 1), "mode": "bilinear", "align_corners": True},
    {"size": (3, 2), "mode": "area"},
    {"scale_factor": 1.5, "mode": "bilinear", "recompute_scale_factor": True},
    {"scale_factor": (3.1, 2.05)},
]


@pytest.mark.parametrize("kwargs", INTERPOLATE_2D, ids=[str(i) for i in range(len(INTERPOLATE_2D))])
def test_interpolate_2d_matches_torch(kwargs):
    _compare_with_torch("interpolate", kwargs, X2)


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2}, {"size": 5, "mode": "linear"},
    {"scale_factor": 1.5, "mode": "linear", "align_corners": True}, {"size": 4, "mode": "area"},
])
def test_interpolate_1d_matches_torch(kwargs):
    _compare_with_torch("interpolate", kwargs, X1)


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 1.7, "mode": "bilinear"}, {"size": (11, 13), "mode": "bilinear"},
    {"scale_factor": 3.3}, {"size": (13, 11)}, {"scale_factor": 2, "mode": "bilinear",
                                                "align_corners": True},
])
def test_interpolate_float32_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    x = X2.astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).numpy()
    got = F.interpolate(ag.tensor(x), **kwargs)
    assert got.dtype == ag.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_nearest_upsampling_repeats_pixels():
    x = ag.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.kron(np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 3)))
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=(2, 3))[0, 0].numpy(),
                                  expected)


# ----------------------------------------------------------------------------- derivatives
GRAD_CASES = [
    ("max_pool2d", lambda x: F.max_pool2d(x, 2)),
    ("max_pool2d_overlap", lambda x: F.max_pool2d(x, 3, 1, 1)),
    ("max_pool2d_dilated_ceil", lambda x: F.max_pool2d(x, 2, 2, 1, 2, ceil_mode=True)),
    ("max_pool1d", lambda x: F.max_pool1d(x.flatten(2), 3, 2, 1)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2)),
    ("avg_pool2d_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, True, False)),
    ("avg_pool1d", lambda x: F.avg_pool1d(x.flatten(2), 3, 2, 1)),
    ("adaptive_avg", lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    ("adaptive_max_uneven", lambda x: F.adaptive_max_pool2d(x, (3, 2))),
    ("adaptive_max", lambda x: F.adaptive_max_pool2d(x, 2)),
    ("nearest", lambda x: F.interpolate(x, scale_factor=2)),
    ("nearest_fraction", lambda x: F.interpolate(x, size=(5, 3))),
    ("bilinear", lambda x: F.interpolate(x, size=(5, 7), mode="bilinear")),
    ("bilinear_corners", lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear",
                                                 align_corners=True)),
]


@pytest.mark.parametrize("name, fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_pool_gradcheck_and_gradgradcheck(name, fn):
    # distinct values (no ties), so max pooling is differentiable at the point
    values = np.random.default_rng(3).permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 7.0
    x = _leaf(values)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ----------------------------------------------------------------------------- shapes, graph
def test_pooling_is_one_node_and_keeps_float32():
    x = ag.randn(2, 3, 8, 8, requires_grad=True)
    for y in (F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, 3),
              F.interpolate(x, scale_factor=2), F.interpolate(x, size=5, mode="bilinear")):
        assert y.dtype == ag.float32 and y.is_contiguous()
        assert y.grad_fn.next_functions[0][0].variable is x
        y.sum().backward()
        assert x.grad.dtype == ag.float32


def test_unbatched_and_stride_default():
    x = ag.randn(3, 8, 8)
    assert F.max_pool2d(x, 2).shape == (3, 4, 4)
    assert F.avg_pool2d(x, 3, stride=1).shape == (3, 6, 6)
    assert F.max_pool1d(ag.randn(3, 9), 2).shape == (3, 4)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (3, 8, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.max_pool2d(ag.zeros(4, 4), 2), RuntimeError, "3D or 4D"),
    (lambda: F.max_pool1d(ag.zeros(4), 2), RuntimeError,
     r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor"),
    (lambda: F.avg_pool1d(ag.zeros(1, 1, 4, 4), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor"),
    (lambda: F.max_pool2d(ag.zeros(1, 1, 4, 4), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
     "dilation=1"),
    (lambda: F.avg_pool2d(ag.zeros(1, 1, 1, 1), 3), RuntimeError,
     r"Given input size: \(1x1x1\). Calculated output size: \(1x0x0\). Output size is too "
     "small"),
    (lambda: F.max_pool2d(ag.zeros(1, 1, 4, 4), 2, stride=0), RuntimeError,
     "stride should not be zero"),
    (lambda: F.max_pool2d(ag.zeros(1, 1, 4, 4), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero"),
    (lambda: F.adaptive_avg_pool2d(ag.zeros(4), 2), RuntimeError,
     r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor"),
    (lambda: F.adaptive_avg_pool2d(ag.zeros(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     "output_size must be 2"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), size=3, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True),
     ValueError, "align_corners option can only be set with the interpolating modes"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4), scale_factor=2, mode="bilinear"),
     NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), scale_factor=2, mode="linear"),
     NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    (lambda: F.interpolate(ag.zeros(4, 4), scale_factor=2), NotImplementedError,
     r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), scale_factor=2, mode="cubic"),
     NotImplementedError, "got cubic"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), size=(3,)), ValueError,
     "Input and output must have the same number of spatial dimensions"),
    (lambda: F.avg_pool2d(ag.zeros(1, 1, 4, 4, dtype=ag.int64), 2), RuntimeError,
     "\"avg_pool2d\" not implemented for 'Long'"),
    (lambda: F.interpolate(ag.zeros(1, 1, 4, 4), size=0), RuntimeError,
     r"Input and output sizes should be greater than 0, but got input \(H: 4, W: 4\) output "
     r"\(H: 0, W: 0\)"),
])
def test_pooling_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- modules
MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3), (1, 2)), {"padding": 1, "ceil_mode": True}),
    ("MaxPool1d", (3,), {"stride": 2, "return_indices": True}),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}),
    ("AvgPool1d", (3, 2, 1), {"ceil_mode": True}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", (3,), {}),
    ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (5, 4), "mode": "bilinear", "align_corners": True}),
    ("Upsample", (), {"scale_factor": (2, 3)}),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}),
    ("UpsamplingBilinear2d", (), {"size": 9}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == [] and list(ours.parameters()) == []
    x = X1 if name.endswith("1d") else X2
    expected = theirs(torch.tensor(x))
    got = ours(ag.tensor(x))
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(got[1].numpy(), expected[1].numpy())
        expected, got = expected[0], got[0]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_cnn_block_trains_on_fake_cuda_like_cpu(fake_cuda):  # noqa: F811
    """Conv -> ReLU -> MaxPool -> Upsample -> AvgPool: same loss and gradients on both."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        conv = nn.Conv2d(2, 3, 3, padding=1).to(device)
        xt = ag.tensor(x, device=device, requires_grad=True)
        h = F.max_pool2d(conv(xt).relu(), 2)
        h = F.interpolate(h, scale_factor=2) + F.interpolate(h, size=(6, 6), mode="bilinear")
        h = F.avg_pool2d(h, 3, 1, 1) + F.max_pool2d(h, 3, 2, 1, ceil_mode=True).mean()
        loss = h.square().mean() + F.adaptive_avg_pool2d(h, (4, 5)).sum() \
            + F.adaptive_max_pool2d(h, (4, 5)).sum()
        loss.backward()
        results[device] = (loss.item(), xt.grad.tolist(), conv.weight.grad.tolist())
    assert np.isclose(results["cpu"][0], results["cuda"][0], rtol=1e-5)
    for c, g in zip(results["cpu"][1:], results["cuda"][1:]):
        np.testing.assert_allclose(np.array(g), np.array(c), rtol=1e-4, atol=1e-5)


def test_pooling_on_each_device(device):
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6)).astype(np.float32)

    def run(dev):
        xt = ag.tensor(x, device=dev, requires_grad=True)
        y = F.max_pool2d(xt, 2) + F.avg_pool2d(xt, 3, 2, 1, count_include_pad=False) \
            + F.adaptive_avg_pool2d(xt, 3)
        z = F.interpolate(y, scale_factor=2, mode="bilinear").square().sum()
        z.backward()
        return z.item(), np.array(xt.grad.tolist())

    cpu, dev = run("cpu"), run(device)
    assert np.isclose(cpu[0], dev[0], rtol=1e-5)
    np.testing.assert_allclose(dev[1], cpu[1], rtol=1e-4, atol=1e-5)
