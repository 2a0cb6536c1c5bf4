"""EmbeddingBag and F.embedding_bag: bag sums, means and maxima (offsets, 2-D input,
include_last_offset, padding_idx, per_sample_weights, max_norm, empty bags) against
PyTorch from identical float64 weights, gradients of the table and the sample weights,
gradcheck, reprs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
W = RNG.standard_normal((10, 3))
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
OFFSETS = np.array([0, 2, 2, 6])  # the second bag is empty
GRID = np.array([[1, 2, 4], [5, 4, 3], [2, 9, 0]])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_matches_torch(mode, padding_idx):
    kwargs = {"mode": mode, "padding_idx": padding_idx}
    compare_function("embedding_bag", [FLAT, W, OFFSETS], kwargs, grad=[False, True, False])
    compare_function("embedding_bag", [GRID, W], kwargs, grad=[False, True])
    trailing_empty = np.array([0, 3, 10])
    compare_function("embedding_bag", [FLAT, W, trailing_empty], kwargs,
                     grad=[False, True, False])
    # include_last_offset: the last offset is the end of the indices
    last = np.array([0, 2, 3, 10])
    compare_function("embedding_bag", [FLAT, W, last], {**kwargs, "include_last_offset": True},
                     grad=[False, True, False])


def test_per_sample_weights_match_torch():
    psw = RNG.standard_normal(FLAT.shape)
    compare_function("embedding_bag", [FLAT, W, OFFSETS],
                     ours=lambda i, w, o: F.embedding_bag(i, w, o, mode="sum",
                                                          per_sample_weights=ag.tensor(psw)),
                     theirs=lambda i, w, o: __import__("torch").nn.functional.embedding_bag(
                         i, w, o, mode="sum", per_sample_weights=__import__("torch").tensor(
                             psw)), grad=[False, True, False])
    grad_ok(lambda s: F.embedding_bag(ag.tensor(FLAT), ag.tensor(W), ag.tensor(OFFSETS),
                                      mode="sum", per_sample_weights=s), psw)


@pytest.mark.parametrize("kwargs", [{}, {"mode": "max", "padding_idx": 0},
                                    {"mode": "sum", "max_norm": 1.0, "norm_type": 1.0},
                                    {"mode": "mean", "include_last_offset": True}])
def test_embedding_bag_module_matches_torch(kwargs):
    offsets = OFFSETS if not kwargs.get("include_last_offset") else np.array([0, 3, 10])
    compare_module("EmbeddingBag", (10, 3), kwargs, inputs=[FLAT, offsets],
                   grad=[False, False])


def test_gradcheck_and_from_pretrained():
    for mode in ("sum", "mean", "max"):
        grad_ok(lambda w: F.embedding_bag(ag.tensor(FLAT), w, ag.tensor(OFFSETS),  # noqa: B023
                                          mode=mode), W)  # noqa: B023
    bag = nn.EmbeddingBag.from_pretrained(ag.tensor(W), mode="sum")
    assert not bag.weight.requires_grad
    out = bag(ag.tensor(GRID))
    np.testing.assert_allclose(out.numpy(), W[GRID].sum(1))
    torch = pytest.importorskip("torch")
    assert repr(nn.EmbeddingBag(5, 3, mode="max", padding_idx=1, max_norm=2.0)) == repr(
        torch.nn.EmbeddingBag(5, 3, mode="max", padding_idx=1, max_norm=2.0))


def test_embedding_bag_errors_like_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    i, w, o = ag.tensor(FLAT), ag.tensor(W), ag.tensor(OFFSETS)
    ti, tw, to = torch.tensor(FLAT), torch.tensor(W), torch.tensor(OFFSETS)
    raises_like_torch(lambda: F.embedding_bag(i, w), lambda: tF.embedding_bag(ti, tw),
                      "offsets")
    raises_like_torch(lambda: F.embedding_bag(ag.tensor(GRID), w, o),
                      lambda: tF.embedding_bag(torch.tensor(GRID), tw, to), "2D")
    raises_like_torch(lambda: F.embedding_bag(i, w, o, mode="median"),
                      lambda: tF.embedding_bag(ti, tw, to, mode="median"), "mode")
    raises_like_torch(lambda: F.embedding_bag(i, w, o, mode="mean",
                                              per_sample_weights=ag.ones(10)),
                      lambda: tF.embedding_bag(ti, tw, to, mode="mean",
                                               per_sample_weights=torch.ones(10)),
                      "per_sample_weights")
    raises_like_torch(lambda: F.embedding_bag(i, w, o, per_sample_weights=ag.ones(3)),
                      lambda: tF.embedding_bag(ti, tw, to, per_sample_weights=torch.ones(3)),
                      "same shape")
    raises_like_torch(lambda: F.embedding_bag(i, w, o + 1),
                      lambda: tF.embedding_bag(ti, tw, to + 1), "offsets")
