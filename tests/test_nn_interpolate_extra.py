"""interpolate 'bicubic' (4-D) and 'trilinear' (5-D), and nearest / nearest-exact / area on
5-D volumes (nn.functional.interpolate and nn.Upsample): values and gradients against
PyTorch (float64; float32 values to float32 rounding), gradchecks and errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 3, 5, 6))
X5 = RNG.standard_normal((2, 2, 4, 5, 3))

BICUBIC = [
    {"size": (9, 4)}, {"scale_factor": 2.3}, {"scale_factor": (1.7, 0.6), "align_corners": True},
    {"size": (2, 11), "align_corners": True}, {"scale_factor": 1.5,
                                               "recompute_scale_factor": True},
    {"size": (5, 6)},
]


@pytest.mark.parametrize("kwargs", BICUBIC, ids=[str(i) for i in range(len(BICUBIC))])
def test_bicubic_matches_torch(kwargs):
    compare_function("interpolate", [X4], {**kwargs, "mode": "bicubic"}, tol=1e-12)


VOLUME = [
    ("trilinear", {"size": (7, 3, 8)}), ("trilinear", {"scale_factor": 1.7, "align_corners": True}),
    ("trilinear", {"scale_factor": (2, 0.5, 1.5)}), ("nearest", {"size": (7, 3, 8)}),
    ("nearest", {"scale_factor": 2}), ("nearest-exact", {"scale_factor": 1.7}),
    ("area", {"size": (3, 2, 4)}),
]


@pytest.mark.parametrize("mode,kwargs", VOLUME, ids=[str(i) for i in range(len(VOLUME))])
def test_volume_modes_match_torch(mode, kwargs):
    compare_function("interpolate", [X5], {**kwargs, "mode": mode}, tol=1e-12)


@pytest.mark.parametrize("mode,x", [("bicubic", X4), ("trilinear", X5)])
def test_float32_values_match_torch(mode, x):
    torch = pytest.importorskip("torch")
    x = x.astype(np.float32)
    got = F.interpolate(ag.tensor(x), scale_factor=1.6, mode=mode)
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.6, mode=mode)
    assert got.dtype == ag.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=2e-5)


def test_upsample_module_with_new_modes():
    compare_module("Upsample", kwargs={"scale_factor": 2, "mode": "trilinear"}, inputs=[X5])
    compare_module("Upsample", kwargs={"size": (7, 8), "mode": "bicubic",
                                       "align_corners": True}, inputs=[X4])


def test_gradcheck_of_new_modes():
    grad_ok(lambda t: F.interpolate(t, size=(4, 5), mode="bicubic"), X4[:1, :1, :3, :4])
    grad_ok(lambda t: F.interpolate(t, scale_factor=1.5, mode="trilinear",
                                    align_corners=True), X5[:1, :1, :3, :2, :3])
    grad_ok(lambda t: F.interpolate(t, size=(2, 3, 2), mode="area"), X5[:1, :1])


def test_interpolate_errors_like_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    cases = [(X5, {"size": 4, "mode": "bicubic"}), (X4, {"size": 4, "mode": "trilinear"}),
             (X5, {"size": 4, "mode": "nearest", "align_corners": True}),
             (X5, {"size": (4, 4), "mode": "trilinear"}),
             (X4, {"size": 4, "scale_factor": 2, "mode": "bicubic"})]
    for x, kwargs in cases:
        raises_like_torch(lambda: F.interpolate(ag.tensor(x), **kwargs),  # noqa: B023
                          lambda: tF.interpolate(torch.tensor(x), **kwargs))  # noqa: B023
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(ag.tensor(X4), size=3, mode="bicubic", antialias=True)
