"""Padding modules (constant, zero, reflection, replication, circular; 1-3-D), PixelShuffle,
PixelUnshuffle, ChannelShuffle, Fold/Unfold and the distance modules: values and gradients
against PyTorch from identical inputs (float64), gradchecks, reprs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)

PADS = [
    ("ConstantPad1d", (2, 1.5), (2, 3, 4)), ("ConstantPad1d", ((1, 0), -2.0), (3, 4)),
    ("ConstantPad2d", ((1, 0, 2, 1), 3.0), (2, 3, 4, 3)), ("ConstantPad3d", (1, 0.5), (1, 2, 3, 2, 2)),
    ("ZeroPad1d", ((2, 1),), (2, 3, 4)), ("ZeroPad2d", (1,), (3, 4, 3)),
    ("ZeroPad3d", ((1, 0, 0, 1, 2, 0),), (1, 2, 2, 3, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 2, 0, 2),), (2, 2, 4, 3)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 3, 2)), ("ReflectionPad2d", (1,), (2, 4, 3)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)), ("ReplicationPad2d", (2,), (1, 2, 3, 3)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (2, 2, 3, 2)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 2, 0),), (2, 2, 3, 4)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,shape", PADS, ids=[f"{p[0]}-{i}" for i, p in enumerate(PADS)])
def test_padding_modules_match_torch(name, args, shape):
    x = RNG.standard_normal(shape)
    compare_module(name, args, inputs=[x])


@pytest.mark.parametrize("name", ["ReflectionPad2d", "ReplicationPad3d", "CircularPad2d",
                                  "ConstantPad1d"])
def test_padding_gradcheck(name):
    dims = int(name[-2])
    m = getattr(nn, name)(1, *((0.5,) if "Constant" in name else ()))
    grad_ok(m, RNG.standard_normal((1, 2) + (3,) * dims))


def test_padding_errors_like_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(5)
    raises_like_torch(lambda: nn.CircularPad2d(1)(ag.tensor(x)),
                      lambda: torch.nn.CircularPad2d(1)(torch.tensor(x)), "3D or 4D")
    y = RNG.standard_normal((1, 2, 3))
    raises_like_torch(lambda: nn.ReflectionPad1d(3)(ag.tensor(y)),
                      lambda: torch.nn.ReflectionPad1d(3)(torch.tensor(y)))
    with pytest.raises(ValueError, match="tuple of 4"):
        nn.ZeroPad2d((1, 2, 3))


# ----------------------------------------------------------------------------- shuffles
def test_pixel_shuffle_and_unshuffle_match_torch():
    compare_module("PixelShuffle", (2,), inputs=[RNG.standard_normal((2, 8, 3, 2))])
    compare_module("PixelShuffle", (3,), inputs=[RNG.standard_normal((9, 2, 2))])
    compare_module("PixelUnshuffle", (2,), inputs=[RNG.standard_normal((2, 3, 4, 6))])
    compare_module("PixelUnshuffle", (3,), inputs=[RNG.standard_normal((1, 2, 1, 3, 6))])
    x = ag.tensor(RNG.standard_normal((2, 8, 3, 2)))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(),
                                  x.numpy())
    grad_ok(lambda t: F.pixel_shuffle(t, 2), RNG.standard_normal((1, 4, 2, 3)))


def test_channel_shuffle_matches_torch():
    compare_module("ChannelShuffle", (3,), inputs=[RNG.standard_normal((2, 6, 2, 2))])
    compare_module("ChannelShuffle", (2,), inputs=[RNG.standard_normal((2, 4, 5))])
    grad_ok(lambda t: F.channel_shuffle(t, 2), RNG.standard_normal((1, 4, 3)))


@pytest.mark.parametrize("call", [
    lambda F, x: F.pixel_shuffle(x(2, 3), 2), lambda F, x: F.pixel_shuffle(x(1, 5, 2, 2), 2),
    lambda F, x: F.pixel_shuffle(x(1, 4, 2, 2), 0),
    lambda F, x: F.pixel_unshuffle(x(1, 4, 5, 2), 2),
    lambda F, x: F.pixel_unshuffle(x(1, 4, 4, 5), 2),
    lambda F, x: F.channel_shuffle(x(1, 5, 2, 2), 2), lambda F, x: F.channel_shuffle(x(1, 4), 2),
    lambda F, x: F.channel_shuffle(x(1, 4, 3), 0)])
def test_shuffle_errors_like_torch(call):
    torch = pytest.importorskip("torch")
    raises_like_torch(lambda: call(F, lambda *s: ag.zeros(s)),
                      lambda: call(torch.nn.functional, lambda *s: torch.zeros(s)))


# ----------------------------------------------------------------------------- fold
def test_fold_and_unfold_modules_match_torch():
    compare_module("Unfold", ((2, 3),), {"stride": 2, "padding": 1},
                   inputs=[RNG.standard_normal((2, 3, 5, 6))])
    compare_module("Fold", (4, 2), {"dilation": 1, "stride": 1},
                   inputs=[RNG.standard_normal((2, 12, 9))])
    compare_module("Fold", ((5, 4), (2, 2)), {"padding": 1, "stride": 2},
                   inputs=[RNG.standard_normal((1, 8, 9))])


# ----------------------------------------------------------------------------- distance
def test_distance_modules_match_torch():
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    compare_module("CosineSimilarity", (), inputs=[a, b])
    compare_module("CosineSimilarity", (0, 1e-6), inputs=[a, b])
    compare_module("PairwiseDistance", (), inputs=[a, b])
    compare_module("PairwiseDistance", (1.0, 1e-3, True), inputs=[a, b])
    compare_module("PairwiseDistance", (3.0,), inputs=[a, b[:1]])
    grad_ok(nn.PairwiseDistance(), a, b)
    grad_ok(nn.CosineSimilarity(), a, b)


def test_pdist_matches_torch():
    x = RNG.standard_normal((5, 3))
    for p in (2.0, 1.0, 3.0):
        compare_function("pdist", [x], {"p": p})
    grad_ok(F.pdist, x)
