"""Conv3d and ConvTranspose3d (and F.conv3d / F.conv_transpose3d): outputs and the
gradients of input, weight and bias against PyTorch from identical weights (float64),
first and second order gradchecks, reprs, state_dict keys and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn
from autograd_core.autograd import gradgradcheck

F = nn.functional
RNG = np.random.default_rng(0)

CONV = [
    ((2, 3, 2), {}, (2, 2, 4, 5, 4)),
    ((4, 6, (3, 2, 2)), {"stride": (2, 1, 2), "padding": (1, 0, 2), "dilation": (1, 2, 1),
                         "groups": 2}, (2, 4, 5, 6, 5)),
    ((2, 3, 3), {"padding": "same", "bias": False}, (1, 2, 4, 3, 4)),
    ((2, 2, (2, 3, 2)), {"padding": "same", "dilation": (1, 1, 2)}, (1, 2, 4, 4, 5)),
    ((2, 3, 2), {"padding": "valid"}, (2, 3, 3, 4)),
    ((2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, (1, 2, 4, 3, 4)),
    ((2, 3, 2), {"padding": (1, 0, 1), "padding_mode": "circular"}, (1, 2, 3, 3, 4)),
    ((2, 3, 3), {"padding": 2, "padding_mode": "replicate", "stride": 2}, (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("args,kwargs,shape", CONV, ids=[str(i) for i in range(len(CONV))])
def test_conv3d_matches_torch(args, kwargs, shape):
    compare_module("Conv3d", args, kwargs, inputs=[RNG.standard_normal(shape)], tol=1e-9)


TRANSPOSED = [
    ((2, 3, 2), {}, (2, 2, 3, 4, 3)),
    ((4, 6, (3, 2, 3)), {"stride": (2, 1, 2), "padding": (1, 0, 2), "output_padding": (1, 0, 1),
                         "dilation": (1, 2, 1), "groups": 2}, (2, 4, 3, 4, 3)),
    ((2, 3, 2), {"stride": 3, "output_padding": 2, "bias": False}, (1, 2, 2, 3, 2)),
    ((2, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}, (2, 3, 2, 3)),
]


@pytest.mark.parametrize("args,kwargs,shape", TRANSPOSED,
                         ids=[str(i) for i in range(len(TRANSPOSED))])
def test_conv_transpose3d_matches_torch(args, kwargs, shape):
    compare_module("ConvTranspose3d", args, kwargs, inputs=[RNG.standard_normal(shape)],
                   tol=1e-9)


def test_conv_transpose3d_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    from nn_torch_compare import make_pair
    ours, theirs = make_pair("ConvTranspose3d", 2, 3, 3, stride=2, padding=1)
    x = RNG.standard_normal((1, 2, 3, 2, 3))
    got = ours(ag.tensor(x), output_size=(6, 4, 5))
    expected = theirs(torch.tensor(x), output_size=(6, 4, 5))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="output size"):
        ours(ag.tensor(x), output_size=(9, 4, 5))


def test_conv3d_first_and_second_order_gradients():
    x = RNG.standard_normal((1, 4, 3, 4, 3))
    w = RNG.standard_normal((4, 2, 2, 2, 2))
    b = RNG.standard_normal(4)

    def conv(x, w, b):
        return F.conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1), groups=2)

    def conv_t(x, w, b):
        return F.conv_transpose3d(x, w, b, stride=2, padding=(1, 0, 0), output_padding=1,
                                  groups=2)

    grad_ok(conv, x, w, b)
    grad_ok(conv_t, x, w, b)
    inputs = tuple(ag.tensor(a, requires_grad=True) for a in (x[:, :, :2], w, b))
    assert gradgradcheck(conv, inputs)


def test_conv3d_errors_like_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    w = RNG.standard_normal((4, 3, 2, 2, 2))
    cases = [
        (np.zeros((1, 2, 5, 5, 5)), {}, "3 channels"),
        (np.zeros((1, 3, 1, 5, 5)), {}, "Kernel size"),
        (np.zeros((1, 3, 5, 5, 5)), {"stride": 2, "padding": "same"}, "strided"),
        (np.zeros((1, 3, 5, 5, 5)), {"padding": "foo"}, "padding string"),
        (np.zeros((1, 3, 5, 5, 5)), {"bias": np.ones(3)}, "bias"),
    ]
    for x, kwargs, match in cases:
        ours_kw = {k: ag.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in kwargs.items()}
        raises_like_torch(lambda: F.conv3d(ag.tensor(x), ag.tensor(w), **ours_kw),  # noqa: B023
                          lambda: tF.conv3d(torch.tensor(x), torch.tensor(w),  # noqa: B023
                                            **theirs_kw), match)  # noqa: B023
    raises_like_torch(
        lambda: F.conv_transpose3d(ag.zeros(1, 4, 3, 3, 3), ag.tensor(w), output_padding=1),
        lambda: tF.conv_transpose3d(torch.zeros(1, 4, 3, 3, 3), torch.tensor(w),
                                    output_padding=1), "output padding")
    raises_like_torch(
        lambda: F.conv_transpose3d(ag.zeros(1, 2, 3, 3, 3), ag.tensor(w)),
        lambda: tF.conv_transpose3d(torch.zeros(1, 2, 3, 3, 3), torch.tensor(w)), "4 channels")
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv3d(3, 4, 2, groups=2)
