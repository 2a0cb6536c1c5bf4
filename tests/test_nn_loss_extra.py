"""The losses added to complete ``torch.nn``'s list: soft margin, hinge embedding, multi
margin, multi-label margin and soft margin, triplet (p-norm and any distance), Poisson and
Gaussian NLL, CTC and NLLLoss2d. Values and gradients against PyTorch (float64, every
reduction), float64 gradchecks, reprs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from nn_torch_compare import compare_function, compare_module, grad_ok, raises_like_torch

import autograd_core as ag
import nn

F = nn.functional
RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 5))
SIGNS = np.where(RNG.standard_normal((4, 5)) > 0, 1.0, -1.0)
CLASSES = np.array([0, 3, 4, 1])
LABELS = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [4, -1, 2, 2, 2], [2, 2, -1, 0, 0]])
REDUCTIONS = ["none", "mean", "sum"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_and_hinge_embedding_match_torch(reduction):
    compare_module("SoftMarginLoss", kwargs={"reduction": reduction}, inputs=[X, SIGNS],
                   grad=[True, False])
    targets = SIGNS.copy()
    targets[0, 0] = 0.5  # neither +1 nor -1: both terms apply, as in PyTorch
    compare_module("HingeEmbeddingLoss", (0.7,), {"reduction": reduction},
                   inputs=[np.abs(X), targets], grad=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_matches_torch(reduction, p):
    torch = pytest.importorskip("torch")
    compare_module("MultiMarginLoss", (p, 0.8), {"reduction": reduction},
                   inputs=[X, CLASSES], grad=[True, False])
    w = RNG.uniform(0.5, 2, 5)
    compare_module("MultiMarginLoss", (p,), {"weight": torch.tensor(w), "reduction": reduction},
                   inputs=[X, CLASSES], grad=[True, False])
    compare_function("multi_margin_loss", [X[0], np.array(2)], {"p": p, "reduction": reduction},
                     grad=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    compare_module("MultiLabelMarginLoss", kwargs={"reduction": reduction},
                   inputs=[X, LABELS], grad=[True, False])
    compare_function("multilabel_margin_loss", [X[0], LABELS[0]], {"reduction": reduction},
                     grad=[True, False])
    multi_hot = (RNG.uniform(size=(4, 5)) > 0.5).astype(float)
    compare_module("MultiLabelSoftMarginLoss", kwargs={"reduction": reduction},
                   inputs=[X, multi_hot], grad=[True, False])
    w = torch.tensor(RNG.uniform(0.5, 2, 5))
    compare_module("MultiLabelSoftMarginLoss", (w,), {"reduction": reduction},
                   inputs=[X, multi_hot], grad=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    a, p, n = (RNG.standard_normal((6, 3)) for _ in range(3))
    for kwargs in ({}, {"margin": 0.5, "p": 1.0, "swap": True}, {"p": 3.0, "eps": 1e-3}):
        compare_module("TripletMarginLoss", kwargs={**kwargs, "reduction": reduction},
                       inputs=[a, p, n])
    compare_module("TripletMarginLoss", kwargs={"reduction": reduction},
                   inputs=[a[0], p[0], n[0]])
    compare_module("TripletMarginWithDistanceLoss", kwargs={"reduction": reduction,
                                                            "swap": True},
                   inputs=[a, p, n])
    compare_function("triplet_margin_with_distance_loss", [a, p, n],
                     ours=lambda *t: F.triplet_margin_with_distance_loss(
                         *t, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y),
                         margin=0.3, reduction=reduction),
                     theirs=lambda *t: torch.nn.functional.triplet_margin_with_distance_loss(
                         *t, distance_function=lambda x, y: 1 - torch.nn.functional
                         .cosine_similarity(x, y), margin=0.3, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_and_gaussian_nll_match_torch(reduction):
    counts = RNG.poisson(2.0, (4, 5)).astype(float)
    for kwargs in ({}, {"full": True}, {"log_input": False, "eps": 1e-4}):
        x = X if kwargs.get("log_input", True) else np.abs(X) + 0.1
        compare_module("PoissonNLLLoss", kwargs={**kwargs, "reduction": reduction},
                       inputs=[x, counts], grad=[True, False])
    var = RNG.uniform(0.1, 2.0, (4, 5))
    var[0, 0] = 1e-9  # below eps: clamped, gradient kept
    t = RNG.standard_normal((4, 5))
    for kwargs, v in (({}, var), ({"full": True}, var[:, :1]), ({"eps": 1e-2}, var[:, 0])):
        compare_module("GaussianNLLLoss", kwargs={**kwargs, "reduction": reduction},
                       inputs=[X, t, v])


def test_gaussian_nll_with_float_variance():
    compare_function("gaussian_nll_loss", [X, X[::-1].copy()],
                     ours=lambda x, t: F.gaussian_nll_loss(x, t, 0.5),
                     theirs=lambda x, t: __import__("torch").nn.functional.gaussian_nll_loss(
                         x, t, 0.5))


def test_margin_losses_gradcheck():
    signs, classes = ag.tensor(SIGNS), ag.tensor(CLASSES)
    grad_ok(lambda x: F.soft_margin_loss(x, signs), X)
    grad_ok(lambda x: F.hinge_embedding_loss(x, signs, 0.3, reduction="none"), X)
    grad_ok(lambda x: F.multi_margin_loss(x, classes, p=2, margin=3.0), X)
    grad_ok(lambda x: F.multilabel_margin_loss(x, ag.tensor(LABELS), reduction="none"), X)
    grad_ok(lambda x: F.multilabel_soft_margin_loss(x, (signs > 0).double()), X)
    grad_ok(lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, swap=True,
                                                  reduction="none"),
            *(RNG.standard_normal((3, 4)) for _ in range(3)))
    grad_ok(lambda x, t, v: F.gaussian_nll_loss(x, t, v, full=True), X, X.T.copy().T,
            RNG.uniform(0.5, 1.0, (4, 5)))
    grad_ok(lambda x: F.poisson_nll_loss(x, ag.tensor(np.abs(X)), full=True), X)


def test_loss_errors_like_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x, tx = ag.tensor(X), torch.tensor(X)
    cases = [
        ("multi_margin_loss", (CLASSES[:2],), {}, "target"),
        ("multi_margin_loss", (np.array([0, 1, 2, 9]),), {}, "out of range"),
        ("multi_margin_loss", (CLASSES,), {"p": 3}, "p == 1"),
        ("multi_margin_loss", (CLASSES,), {"weight": np.ones(3)}, "weight"),
        ("multilabel_margin_loss", (LABELS[:2],), {}, "inconsistent target size"),
        ("multilabel_margin_loss", (LABELS + 5,), {}, "out of range"),
        ("multilabel_soft_margin_loss", (SIGNS,), {"reduction": "x"}, "not valid"),
        ("poisson_nll_loss", (X,), {"reduction": "x"}, "not a valid"),
        ("gaussian_nll_loss", (X, np.ones((4, 3))), {}, "incorrect size"),
        ("gaussian_nll_loss", (X, -np.ones((4, 5))), {}, "negative"),
        ("triplet_margin_loss", (X[0], X), {}, "same number of dimensions"),
        ("triplet_margin_loss", (X, X), {"margin": 0.0}, "greater than 0"),
        ("triplet_margin_with_distance_loss", (X, X), {"margin": -1.0}, "greater than 0"),
    ]
    def conv(a, lib):
        return lib.tensor(a) if isinstance(a, np.ndarray) else a

    def call(lib, fns, first, name, rest, kwargs):
        args = [conv(r, lib) for r in rest]
        kw = {k: conv(v, lib) for k, v in kwargs.items()}
        return lambda: getattr(fns, name)(first, *args, **kw)

    for name, rest, kwargs, match in cases:
        raises_like_torch(call(ag, F, x, name, rest, kwargs),
                          call(torch, tF, tx, name, rest, kwargs), match)
    with pytest.raises(ValueError, match="p == 1"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.TripletMarginLoss(margin=0)


# ----------------------------------------------------------------------------- CTC
def _ctc_pair(reduction, zero_infinity, targets, input_lengths, target_lengths, shape,
              blank=0):
    torch = pytest.importorskip("torch")
    logits = RNG.standard_normal(shape)
    tl = torch.tensor(logits, requires_grad=True)
    ol = ag.tensor(logits, requires_grad=True)
    lengths = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    conv = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in lengths.items()}
    expected = torch.nn.CTCLoss(blank, reduction, zero_infinity)(
        tl.log_softmax(-1), torch.tensor(targets), **conv)
    conv = {k: (ag.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in lengths.items()}
    got = nn.CTCLoss(blank, reduction, zero_infinity)(ol.log_softmax(-1), ag.tensor(targets),
                                                      **conv)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    if np.isfinite(expected.detach().numpy()).all():
        # compared through log_softmax: PyTorch's CTC backward is written for that case
        seed = RNG.standard_normal(tuple(expected.shape))
        expected.backward(torch.tensor(seed))
        got.backward(ag.tensor(seed))
        np.testing.assert_allclose(ol.grad.numpy(), tl.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_matches_torch_padded_and_concatenated(reduction):
    padded = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]])
    _ctc_pair(reduction, False, padded, [7, 6, 7], [3, 2, 3], (7, 3, 5))
    _ctc_pair(reduction, False, np.array([1, 2, 2, 3, 1, 4, 4]), np.array([7, 6, 7]),
              np.array([3, 2, 2]), (7, 3, 5))
    _ctc_pair(reduction, False, np.array([[2, 0], [0, 0]]), [5, 4], [1, 0], (5, 2, 3),
              blank=1)


def test_ctc_loss_impossible_alignments_and_unbatched():
    three_same = np.array([[1, 1, 1], [1, 2, 1]])
    _ctc_pair("none", False, three_same, [5, 2], [3, 3], (5, 2, 4))
    _ctc_pair("none", True, three_same, [5, 2], [3, 3], (5, 2, 4))
    _ctc_pair("mean", True, three_same, [5, 2], [3, 3], (5, 2, 4))
    _ctc_pair("none", False, np.array([1, 3]), np.array(6), np.array(2), (6, 4))


def test_ctc_loss_gradcheck_and_errors():
    targets = ag.tensor(np.array([[1, 2], [2, 2]]))
    # exact through log_softmax, the use it is made for: its gradient w.r.t. log_probs follows
    # PyTorch's convention (an extra exp(log_probs) term that log_softmax's backward cancels)
    grad_ok(lambda x: F.ctc_loss(x.log_softmax(2), targets, [4, 5], [2, 2], reduction="sum"),
            RNG.standard_normal((5, 2, 3)))
    torch = pytest.importorskip("torch")
    lp, tlp = ag.zeros(5, 2, 4), torch.zeros(5, 2, 4)
    t, tt = ag.tensor([[1, 2], [1, 1]]), torch.tensor([[1, 2], [1, 1]])
    raises_like_torch(lambda: F.ctc_loss(lp, t, [6, 5], [2, 2]),
                      lambda: torch.nn.functional.ctc_loss(tlp, tt, [6, 5], [2, 2]), "at most")
    raises_like_torch(lambda: F.ctc_loss(lp, t, [5, 5], [2, 3]),
                      lambda: torch.nn.functional.ctc_loss(tlp, tt, [5, 5], [2, 3]),
                      "at least 3")
    raises_like_torch(lambda: F.ctc_loss(lp, t, [5], [2, 2]),
                      lambda: torch.nn.functional.ctc_loss(tlp, tt, [5], [2, 2]),
                      "batch_size")
    raises_like_torch(lambda: F.ctc_loss(lp, t, [5, 5], [2, 2], reduction="x"),
                      lambda: torch.nn.functional.ctc_loss(tlp, tt, [5, 5], [2, 2],
                                                           reduction="x"), "not a valid")


def test_loss_module_reprs_and_nll_loss2d():
    torch = pytest.importorskip("torch")
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(
        torch.nn.TripletMarginWithDistanceLoss())
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss())
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        m = nn.NLLLoss2d()
    lp = RNG.standard_normal((2, 3, 2, 2))
    t = np.array([[[0, 1], [2, 0]], [[1, 1], [2, 2]]])
    np.testing.assert_allclose(m(ag.tensor(lp), ag.tensor(t)).numpy(),
                               torch.nn.NLLLoss()(torch.tensor(lp), torch.tensor(t)).numpy())
