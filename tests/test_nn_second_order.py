"""Second derivatives (gradgradcheck, float64) of the layers added to complete
``torch.nn``: they are compositions of differentiable ops, so their gradients are graphs
too (Hessian-vector products, gradient penalties)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradgradcheck

F = nn.functional


def _t(rng, *shape, low=None, high=None):
    data = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return ag.tensor(data, requires_grad=True)


CASES = {
    "grid_sample": (lambda x, g: F.grid_sample(x, g, align_corners=False),
                    lambda r: (_t(r, 1, 2, 3, 4), _t(r, 1, 2, 2, 2, low=-0.9, high=0.9))),
    "lp_pool2d": (lambda x: F.lp_pool2d(x.abs() + 0.5, 3.0, 2), lambda r: (_t(r, 1, 2, 4, 4),)),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 2, 1, 1), lambda r: (_t(r, 1, 1, 3, 3, 3),)),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2), lambda r: (_t(r, 1, 1, 4, 4, 4),)),
    "conv_transpose3d": (lambda x, w: F.conv_transpose3d(x, w, stride=2),
                         lambda r: (_t(r, 1, 2, 2, 2, 2), _t(r, 2, 2, 2, 2, 2))),
    "rms_norm": (lambda x: F.rms_norm(x, (3,)), lambda r: (_t(r, 2, 3),)),
    "local_response_norm": (lambda x: F.local_response_norm(x, 3, 0.1),
                            lambda r: (_t(r, 1, 4, 3),)),
    "ctc_loss": (lambda x: F.ctc_loss(x.log_softmax(-1), ag.tensor([[1, 2]]), [4], [2]),
                 lambda r: (_t(r, 4, 1, 3),)),
    "triplet_margin_loss": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0),
                            lambda r: (_t(r, 3, 4), _t(r, 3, 4), _t(r, 3, 4))),
    "multilabel_margin_loss": (lambda x: F.multilabel_margin_loss(x, ag.tensor([[1, 0, -1]])),
                               lambda r: (_t(r, 1, 3),)),
    "gaussian_nll_loss": (lambda x, v: F.gaussian_nll_loss(x, ag.ones(2, 3), v),
                          lambda r: (_t(r, 2, 3), _t(r, 2, 3, low=0.5, high=1.5))),
    "bicubic": (lambda x: F.interpolate(x, size=(3, 5), mode="bicubic"),
                lambda r: (_t(r, 1, 1, 3, 3),)),
    "embedding_bag": (lambda w: F.embedding_bag(ag.tensor([0, 1, 2, 1]), w, ag.tensor([0, 2]),
                                                mode="max"), lambda r: (_t(r, 3, 2),)),
    "pdist": (lambda x: F.pdist(x), lambda r: (_t(r, 3, 2),)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), lambda r: (_t(r, 1, 4, 2, 2),)),
    "soft_margin_loss": (lambda x: F.soft_margin_loss(x, ag.tensor([1.0, -1.0, 1.0])),
                         lambda r: (_t(r, 3),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives(name):
    fn, make = CASES[name]
    assert gradgradcheck(fn, make(np.random.default_rng(0)))
