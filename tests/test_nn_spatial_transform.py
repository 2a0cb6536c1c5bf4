"""affine_grid and grid_sample (bilinear, nearest, bicubic; zeros, border, reflection;
2-D and 3-D), conv_tbc and gumbel_softmax: values and gradients (of the input and of the
grid) against PyTorch in float64, gradchecks, the sampling statistics of gumbel_softmax,
and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from nn_torch_compare import compare_function, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
X2 = RNG.standard_normal((2, 3, 5, 6))
G2 = RNG.uniform(-1.3, 1.3, (2, 4, 7, 2))
X3 = RNG.standard_normal((2, 2, 4, 5, 3))
G3 = RNG.uniform(-1.2, 1.2, (2, 3, 2, 4, 3))


@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_matches_torch(align_corners):
    theta = RNG.standard_normal((2, 2, 3))
    compare_function("affine_grid", [theta], {"size": [2, 3, 4, 5],
                                              "align_corners": align_corners})
    theta3 = RNG.standard_normal((2, 3, 4))
    compare_function("affine_grid", [theta3], {"size": [2, 1, 3, 4, 2],
                                               "align_corners": align_corners})


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners):
    compare_function("grid_sample", [X2, G2], {"mode": mode, "padding_mode": padding_mode,
                                               "align_corners": align_corners},
                     tol=1e-12, grad=[True, mode != "nearest"])


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d_matches_torch(mode, padding_mode):
    compare_function("grid_sample", [X3, G3], {"mode": mode, "padding_mode": padding_mode,
                                               "align_corners": False},
                     tol=1e-12, grad=[True, mode != "nearest"])


def test_spatial_transformer_gradcheck():
    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]])
    x = RNG.standard_normal((1, 2, 4, 5))

    def transform(img, th):
        grid = F.affine_grid(th, [1, 2, 3, 4], align_corners=False)
        return F.grid_sample(img, grid, padding_mode="border", align_corners=False)

    grad_ok(transform, x, theta)
    grad_ok(lambda img, g: F.grid_sample(img, g, mode="bicubic", align_corners=True),
            x, RNG.uniform(-0.9, 0.9, (1, 2, 3, 2)))


def test_grid_sample_errors_like_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x, tx = ag.tensor(X2), torch.tensor(X2)
    cases = [(G2[..., :1], {}), (G3, {}), (G2[:1], {}), (G2, {"mode": "area"}),
             (G2, {"padding_mode": "wrap"})]
    for g, kwargs in cases:
        raises_like_torch(lambda: F.grid_sample(x, ag.tensor(g), align_corners=False,  # noqa: B023
                                                **kwargs),  # noqa: B023
                          lambda: tF.grid_sample(tx, torch.tensor(g), align_corners=False,  # noqa: B023
                                                 **kwargs))  # noqa: B023
    raises_like_torch(lambda: F.grid_sample(ag.tensor(X3), ag.tensor(G3), mode="bicubic",
                                            align_corners=False),
                      lambda: tF.grid_sample(torch.tensor(X3), torch.tensor(G3), mode="bicubic",
                                             align_corners=False), "bicubic")
    raises_like_torch(lambda: F.affine_grid(ag.zeros(2, 3, 3), [2, 3, 4, 5], False),
                      lambda: tF.affine_grid(torch.zeros(2, 3, 3), [2, 3, 4, 5], False), "2x3")
    with pytest.warns(UserWarning, match="align_corners"):
        F.affine_grid(ag.zeros(1, 2, 3), [1, 1, 2, 2])


# ----------------------------------------------------------------------------- others
def test_conv_tbc_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((6, 2, 3)), RNG.standard_normal((3, 3, 4)), RNG.standard_normal(4)
    for pad in (0, 1, 2):
        compare_function("conv_tbc", [x, w, b], {"pad": pad}, ours=F.conv_tbc,
                         theirs=torch.conv_tbc)
    raises_like_torch(lambda: F.conv_tbc(ag.tensor(x), ag.tensor(w[:, :2]), ag.tensor(b)),
                      lambda: torch.conv_tbc(torch.tensor(x), torch.tensor(w[:, :2]),
                                             torch.tensor(b)), "channels")


def test_gumbel_softmax_samples_the_softmax_and_passes_gradients_straight_through():
    logits = ag.tensor(np.log(np.array([[0.1, 0.2, 0.7]]).repeat(4000, 0)))
    ag.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    counts = hard.numpy().sum(0) / 4000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.03)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    soft = F.gumbel_softmax(logits, tau=2.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, rtol=1e-12)
    # the hard sample's gradient is the soft sample's (same noise)
    x = ag.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    seed = ag.tensor(RNG.standard_normal((3, 5)))
    ag.manual_seed(7)
    (F.gumbel_softmax(x, hard=True) * seed).sum().backward()
    g_hard = x.grad.numpy().copy()
    x.grad = None
    ag.manual_seed(7)
    (F.gumbel_softmax(x) * seed).sum().backward()
    np.testing.assert_allclose(g_hard, x.grad.numpy(), rtol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.gumbel_softmax(x, eps=1e-3)
    assert any("eps" in str(w.message) for w in caught)
