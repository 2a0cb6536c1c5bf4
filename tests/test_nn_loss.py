"""Losses: the fused cross-entropy / NLL / binary cross-entropies, the composed regression
and embedding losses, and the loss modules.

Every option against PyTorch (values and gradients, reductions 'none'/'mean'/'sum'),
float64 gradcheck and gradgradcheck, stability for logits of +-1000, float32 kept float32,
the modules' buffers and state_dict keys, and PyTorch's errors for bad input.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck, gradgradcheck
from nn import functional as F

REDUCTIONS = ["none", "mean", "sum"]


def _torch():
    return pytest.importorskip("torch")


def _compare(ours, theirs, inputs: dict, grads: tuple = (), rtol: float = 1e-9,
             atol: float = 1e-10):
    """Run ``ours(**tensors)`` and ``theirs(**torch tensors)`` on the same float64 values;
    compare outputs and the gradients of the inputs named in ``grads``."""
    torch = _torch()
    a = {k: (ag.tensor(v, requires_grad=k in grads) if isinstance(v, np.ndarray) else v)
         for k, v in inputs.items()}
    t = {k: (torch.tensor(v, requires_grad=k in grads) if isinstance(v, np.ndarray) else v)
         for k, v in inputs.items()}
    y, ty = ours(**a), theirs(**t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    if grads:
        up = np.random.default_rng(7).uniform(0.5, 1.5, tuple(ty.shape))
        y.backward(ag.tensor(up))
        ty.backward(torch.tensor(up))
        for k in grads:
            np.testing.assert_allclose(a[k].grad.numpy(), t[k].grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=k)
    return y


def _class_problem(shape, n_classes: int, seed: int = 0, ignore: int | None = None):
    """Logits (N, C, d...) / (C,) and integer targets, some equal to ``ignore``."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * 2
    if len(shape) == 1:
        target = np.array(rng.integers(0, n_classes))
    else:
        tshape = (shape[0],) + tuple(shape[2:])
        target = rng.integers(0, n_classes, tshape)
        if ignore is not None:
            target.reshape(-1)[:: 3] = ignore
    return logits, target


# ----------------------------------------------------------------------------- cross-entropy
CE_SHAPES = [(4, 5), (3, 4, 2), (2, 3, 2, 2), (5,)]


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_options_match_pytorch(shape, reduction):
    torch = _torch()
    c = shape[0] if len(shape) == 1 else shape[1]
    weights = [None, np.random.default_rng(3).uniform(0.2, 2.0, c)]
    for weight, ignore, smoothing in itertools.product(weights, [-100, 1], [0.0, 0.2]):
        logits, target = _class_problem(shape, c, ignore=ignore if ignore >= 0 else None)
        inputs = {"input": logits, "target": target, "weight": weight,
                  "ignore_index": ignore, "reduction": reduction,
                  "label_smoothing": smoothing}
        _compare(F.cross_entropy, torch.nn.functional.cross_entropy, inputs, ("input",))


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets_match_pytorch(shape, reduction):
    torch = _torch()
    rng = np.random.default_rng(4)
    c = shape[0] if len(shape) == 1 else shape[1]
    logits = rng.normal(size=shape)
    probs = rng.uniform(size=shape)
    probs /= probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    for weight, smoothing in itertools.product([None, rng.uniform(0.5, 2, c)], [0.0, 0.3]):
        inputs = {"input": logits, "target": probs, "weight": weight, "reduction": reduction,
                  "label_smoothing": smoothing}
        _compare(F.cross_entropy, torch.nn.functional.cross_entropy, inputs,
                 ("input", "target"))


def test_cross_entropy_is_finite_for_logits_of_1000():
    torch = _torch()
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0, 0, 1000.0]])
    target = np.array([1, 2, 0])
    for dtype in (np.float32, np.float64):
        x = ag.tensor(logits.astype(dtype), requires_grad=True)
        loss = F.cross_entropy(x, ag.tensor(target), label_smoothing=0.1)
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
        tx = torch.tensor(logits.astype(dtype), requires_grad=True)
        tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), label_smoothing=0.1)
        tloss.backward()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-6)
        assert loss.dtype == (ag.float32 if dtype == np.float32 else ag.float64)
        assert x.grad.dtype == loss.dtype


@given(data=st.data())
def test_cross_entropy_gradcheck_and_gradgradcheck(data):
    n = data.draw(st.integers(1, 3))
    c = data.draw(st.integers(2, 4))
    extra = data.draw(st.sampled_from([(), (2,)]))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    smoothing = data.draw(st.sampled_from([0.0, 0.25]))
    use_weight = data.draw(st.booleans())
    logits = data.draw(arrays((n, c) + extra, -3, 3))
    target = ag.tensor(np.random.default_rng(n * c).integers(0, c, (n,) + extra))
    weight = ag.tensor(np.linspace(0.5, 1.5, c)) if use_weight else None
    x = ag.tensor(logits, requires_grad=True)

    def f(x):
        return F.cross_entropy(x, target, weight=weight, reduction=reduction,
                               label_smoothing=smoothing)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_cross_entropy_probability_targets_gradcheck():
    rng = np.random.default_rng(5)
    x = ag.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    p = ag.tensor(rng.dirichlet(np.ones(4), 3), requires_grad=True)
    w = ag.tensor(rng.uniform(0.5, 2, 4))
    for reduction in REDUCTIONS:
        def f(x, p, reduction=reduction):
            return F.cross_entropy(x, p, weight=w, reduction=reduction, label_smoothing=0.1)

        assert gradcheck(f, (x, p))
        assert gradgradcheck(f, (x, p))


def test_cross_entropy_all_ignored_mean_is_nan_like_pytorch():
    torch = _torch()
    x = np.zeros((2, 3))
    t = np.array([-100, -100])
    with np.errstate(invalid="ignore"):
        ours = F.cross_entropy(ag.tensor(x), ag.tensor(t)).item()
    assert np.isnan(ours) and np.isnan(torch.nn.functional.cross_entropy(
        torch.tensor(x), torch.tensor(t)).item())


def test_cross_entropy_errors():
    x = ag.randn(3, 4)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(x, ag.tensor([0, 1]))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, ag.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, ag.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, ag.tensor([0, 1, 2]), reduction="foo")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, ag.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.cross_entropy(x, ag.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, ag.tensor([0, 1, 2]), weight=ag.ones(3))
    with pytest.raises(RuntimeError, match="size mismatch"):
        F.cross_entropy(ag.randn(2, 3, 4), ag.tensor([[0, 1, 2], [0, 1, 2]]))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(x, ag.rand(3, 4), ignore_index=1)
    w = ag.ones(4, requires_grad=True)
    loss = F.cross_entropy(ag.randn(3, 4, requires_grad=True), ag.tensor([0, 1, 2]), weight=w)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        loss.backward()


# ----------------------------------------------------------------------------- NLL
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_pytorch(shape, reduction):
    torch = _torch()
    c = shape[0] if len(shape) == 1 else shape[1]
    for weight, ignore in itertools.product([None, np.linspace(0.3, 2, c)], [-100, 0]):
        logits, target = _class_problem(shape, c, seed=1, ignore=ignore if ignore >= 0 else None)
        inputs = {"input": logits, "target": target, "weight": weight, "ignore_index": ignore,
                  "reduction": reduction}
        _compare(F.nll_loss, torch.nn.functional.nll_loss, inputs, ("input",))


def test_nll_loss_gradcheck_and_log_softmax_composition():
    rng = np.random.default_rng(6)
    x = ag.tensor(rng.normal(size=(3, 4, 2)), requires_grad=True)
    t = ag.tensor(rng.integers(0, 4, (3, 2)))
    w = ag.tensor(rng.uniform(0.5, 2, 4))
    for reduction in REDUCTIONS:
        def f(x, reduction=reduction):
            return F.nll_loss(F.log_softmax(x, 1), t, weight=w, reduction=reduction)

        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))
        ce = F.cross_entropy(x, t, weight=w, reduction=reduction)
        np.testing.assert_allclose(f(x).detach().numpy(), ce.detach().numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- binary
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 3)) * 3
    t = rng.uniform(size=(4, 3))
    options = [(None, None), (rng.uniform(0.5, 2, (4, 3)), None), (None, rng.uniform(0.5, 3, 3)),
               (rng.uniform(0.5, 2, 3), rng.uniform(0.5, 3, (4, 3)))]
    for weight, pos_weight in options:
        inputs = {"input": x, "target": t, "weight": weight, "pos_weight": pos_weight,
                  "reduction": reduction}
        # PyTorch gives no gradient for weight and pos_weight (ours does: see the gradcheck)
        grads = ("input", "target")
        _compare(F.binary_cross_entropy_with_logits,
                 torch.nn.functional.binary_cross_entropy_with_logits, inputs, grads)


def test_bce_with_logits_is_finite_for_logits_of_1000():
    torch = _torch()
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    for dtype in (np.float32, np.float64):
        for pos_weight in (None, np.array([2.0])):
            xt = ag.tensor(x.astype(dtype), requires_grad=True)
            pw = None if pos_weight is None else ag.tensor(pos_weight.astype(dtype))
            loss = F.binary_cross_entropy_with_logits(xt, ag.tensor(t.astype(dtype)),
                                                      pos_weight=pw, reduction="sum")
            loss.backward()
            tx = torch.tensor(x.astype(dtype), requires_grad=True)
            tpw = None if pos_weight is None else torch.tensor(pos_weight.astype(dtype))
            tloss = torch.nn.functional.binary_cross_entropy_with_logits(
                tx, torch.tensor(t.astype(dtype)), pos_weight=tpw, reduction="sum")
            tloss.backward()
            assert np.isfinite(loss.item()) and np.isfinite(xt.grad.numpy()).all()
            assert loss.item() == pytest.approx(tloss.item(), rel=1e-6)
            np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=1e-6)
            assert loss.dtype == xt.dtype


def test_bce_with_logits_gradcheck():
    rng = np.random.default_rng(9)
    x = ag.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    t = ag.tensor(rng.uniform(size=(3, 2)), requires_grad=True)
    w = ag.tensor(rng.uniform(0.5, 2, (3, 2)), requires_grad=True)
    pw = ag.tensor(rng.uniform(0.5, 2, 2), requires_grad=True)
    for reduction in REDUCTIONS:
        def f(x, t, w, pw, reduction=reduction):
            return F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw,
                                                      reduction=reduction)

        assert gradcheck(f, (x, t, w, pw))
        assert gradgradcheck(f, (x, t, w, pw))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(10)
    x = np.concatenate([rng.uniform(0.05, 0.95, 6), [0.0, 1.0, 1e-50, 1 - 1e-16]])
    t = np.concatenate([rng.uniform(size=6), [0.3, 0.6, 1.0, 0.0]])
    for weight in (None, rng.uniform(0.5, 2, 10)):
        inputs = {"input": x, "target": t, "weight": weight, "reduction": reduction}
        _compare(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, inputs,
                 ("input",), rtol=1e-7)
        # the target's gradient: ours is the derivative of the clamped loss we compute,
        # PyTorch's uses unclamped logs (inf at 0 and 1); they agree inside (0, 1)
        inside = {"input": x[:6], "target": t[:6], "reduction": reduction,
                  "weight": None if weight is None else weight[:6]}
        _compare(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, inside,
                 ("input", "target"))


def test_bce_gradcheck_and_errors():
    rng = np.random.default_rng(11)
    x = ag.tensor(rng.uniform(0.1, 0.9, (3, 2)), requires_grad=True)
    t = ag.tensor(rng.uniform(size=(3, 2)), requires_grad=True)
    w = ag.tensor(rng.uniform(0.5, 2, (3, 2)), requires_grad=True)
    assert gradcheck(lambda x, t, w: F.binary_cross_entropy(x, t, w), (x, t, w))
    assert gradgradcheck(lambda x, t, w: F.binary_cross_entropy(x, t, w, reduction="sum"),
                         (x, t, w))
    with pytest.raises(ValueError, match="Using a target size"):
        F.binary_cross_entropy(ag.rand(3), ag.rand(3, 1))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([0.5, 1.5]), ag.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ag.rand(3), ag.rand(3, 1))


# ----------------------------------------------------------------------------- regression
REGRESSION = {
    "mse_loss": {}, "l1_loss": {}, "smooth_l1_loss": {"beta": 0.7},
    "smooth_l1_loss_beta0": {"beta": 0.0}, "huber_loss": {"delta": 0.6},
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_pytorch(name, reduction):
    torch = _torch()
    fn = name.replace("_beta0", "")
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3, 4))
    t = x + rng.choice([-2.0, -0.3, 0.2, 1.5], size=(3, 4))  # both sides of beta / delta
    inputs = {"input": x, "target": t, "reduction": reduction, **REGRESSION[name]}
    _compare(getattr(F, fn), getattr(torch.nn.functional, fn), inputs, ("input", "target"))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses_match_pytorch(name, reduction):
    torch = _torch()
    rng = np.random.default_rng(13)
    x, t, w = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.uniform(0.5, 2, (3, 2))
    inputs = {"input": x, "target": t, "weight": w, "reduction": reduction}
    _compare(getattr(F, name), getattr(torch.nn.functional, name), inputs,
             ("input", "target", "weight"))
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        getattr(F, name)(ag.tensor(x), ag.tensor(t), weight=ag.ones(2))


@given(data=st.data())
def test_regression_gradcheck(data):
    name = data.draw(st.sampled_from(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    x = rng.normal(size=(2, 3))
    d = rng.choice([-1.7, -0.4, 0.3, 1.2], size=(2, 3))  # away from the kinks
    xt, tt = ag.tensor(x, requires_grad=True), ag.tensor(x + d, requires_grad=True)
    fn = getattr(F, name)
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction), (xt, tt))
    assert gradgradcheck(lambda a, b: fn(a, b, reduction=reduction), (xt, tt))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_is_one_node_and_broadcasts_like_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(21)
    x, t = rng.normal(size=(3, 1)), rng.normal(size=(3,))
    inputs = {"input": x, "target": t, "reduction": reduction}
    with pytest.warns(UserWarning, match="different to the input size"):
        _compare(F.mse_loss, torch.nn.functional.mse_loss, inputs, ("input", "target"))
    xt, tt = ag.tensor(x, requires_grad=True), ag.tensor(t, requires_grad=True)
    assert ag.fused.mse_loss(xt, tt, reduction).grad_fn.name() == "MSELossBackward0"
    assert gradcheck(lambda a, b: ag.fused.mse_loss(a, b, reduction), (xt, tt))
    assert gradgradcheck(lambda a, b: ag.fused.mse_loss(a, b, reduction), (xt, tt))


def test_regression_warnings_and_errors():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ag.zeros(3, 1), ag.zeros(3))
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(ag.zeros(2), ag.zeros(2), beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(ag.zeros(2), ag.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.l1_loss(ag.zeros(2), ag.zeros(2), reduction="bad")
    # the legacy flags map onto reduction as in PyTorch
    x, t = ag.tensor([1.0, 3.0]), ag.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.mse_loss(x, t, size_average=False).item() == 10.0
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.mse_loss(x, t, reduce=False).tolist() == [1.0, 9.0]


# ----------------------------------------------------------------------------- KL divergence
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_pytorch(reduction, log_target):
    torch = _torch()
    rng = np.random.default_rng(14)
    x = np.log(rng.dirichlet(np.ones(4), 3))
    t = rng.dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0  # a zero probability contributes 0
    if log_target:
        t = np.log(t + 1e-3)
    inputs = {"input": x, "target": t, "reduction": reduction, "log_target": log_target}
    grads = ("input", "target") if log_target else ("input",)
    if reduction == "mean":
        with pytest.warns(UserWarning, match="batchmean"):
            _compare(F.kl_div, torch.nn.functional.kl_div, inputs, grads)
    else:
        _compare(F.kl_div, torch.nn.functional.kl_div, inputs, grads)


def test_kl_div_gradcheck():
    rng = np.random.default_rng(15)
    x = ag.tensor(np.log(rng.dirichlet(np.ones(3), 2)), requires_grad=True)
    t = ag.tensor(rng.dirichlet(np.ones(3), 2), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, t))
    assert gradgradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True),
                         (x, t))


# ----------------------------------------------------------------------------- embedding losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss_matches_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(16)
    x1, x2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0])
    for margin in (0.0, 0.3):
        inputs = {"input1": x1, "input2": x2, "target": y, "margin": margin,
                  "reduction": reduction}
        _compare(F.cosine_embedding_loss, torch.nn.functional.cosine_embedding_loss, inputs,
                 ("input1", "input2"))
    inputs = {"input1": x1[0], "input2": x2[0], "target": np.array(-1.0),
              "reduction": reduction}
    _compare(F.cosine_embedding_loss, torch.nn.functional.cosine_embedding_loss, inputs,
             ("input1", "input2"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_matches_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(17)
    x1, x2 = rng.normal(size=6), rng.normal(size=6)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    for margin in (0.0, 0.5):
        inputs = {"input1": x1, "input2": x2, "target": y, "margin": margin,
                  "reduction": reduction}
        _compare(F.margin_ranking_loss, torch.nn.functional.margin_ranking_loss, inputs,
                 ("input1", "input2"))


def test_embedding_losses_gradcheck_and_errors():
    rng = np.random.default_rng(18)
    x1 = ag.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    x2 = ag.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    y = ag.tensor(np.array([1.0, -1.0, -1.0]))
    assert gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, y, margin=-0.5), (x1, x2))
    assert gradgradcheck(lambda a, b: F.cosine_embedding_loss(a, b, y, margin=-0.5), (x1, x2))
    a = ag.tensor(np.array([0.3, -1.0]), requires_grad=True)
    b = ag.tensor(np.array([0.1, 0.5]), requires_grad=True)
    y2 = ag.tensor(np.array([1.0, -1.0]))
    assert gradcheck(lambda a, b: F.margin_ranking_loss(a, b, y2, 1.0), (a, b))
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(ag.zeros(3), ag.zeros(3), ag.zeros(3, 1))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        F.cosine_embedding_loss(ag.zeros(3), ag.zeros(3), ag.ones(3))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        F.cosine_embedding_loss(ag.zeros(3, 2), ag.zeros(3, 2), ag.ones(3, 1))


# ----------------------------------------------------------------------------- modules
LOSS_MODULES = [
    ("L1Loss", {}), ("MSELoss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 2.0}), ("BCELoss", {}), ("BCEWithLogitsLoss", {}),
    ("CrossEntropyLoss", {"ignore_index": 1, "label_smoothing": 0.1}), ("NLLLoss", {}),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    ("CosineEmbeddingLoss", {"margin": 0.2}), ("MarginRankingLoss", {"margin": 0.1}),
]


@pytest.mark.parametrize("name,kwargs", LOSS_MODULES)
def test_loss_module_keys_repr_and_values_match_pytorch(name, kwargs):
    torch = _torch()
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    assert ours.reduction == theirs.reduction
    rng = np.random.default_rng(19)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        args = [rng.normal(size=(4, 3)), rng.integers(0, 3, 4)]
    elif name == "BCELoss":
        args = [rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(size=(4, 3))]
    elif name in ("CosineEmbeddingLoss", "MarginRankingLoss"):
        shape = (4, 3) if name == "CosineEmbeddingLoss" else (4,)
        args = [rng.normal(size=shape), rng.normal(size=shape), np.array([1.0, -1, 1, -1])]
    else:
        args = [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]
    y = ours(*[ag.tensor(a) for a in args])
    ty = theirs(*[torch.tensor(a) for a in args])
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10)


def test_weighted_loss_modules_register_buffers_like_pytorch():
    torch = _torch()
    w = np.array([0.5, 2.0, 1.0])
    pairs = [
        (nn.CrossEntropyLoss(weight=ag.tensor(w)), torch.nn.CrossEntropyLoss(torch.tensor(w))),
        (nn.NLLLoss(weight=ag.tensor(w)), torch.nn.NLLLoss(torch.tensor(w))),
        (nn.BCELoss(weight=ag.tensor(w)), torch.nn.BCELoss(torch.tensor(w))),
        (nn.BCEWithLogitsLoss(pos_weight=ag.tensor(w)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(weight=ag.tensor(w), pos_weight=ag.tensor(w)),
         torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(w))),
    ]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        assert list(ours.parameters()) == []
    m = nn.CrossEntropyLoss(weight=ag.tensor(w)).double()
    x = np.random.default_rng(0).normal(size=(4, 3))
    t = np.array([0, 1, 2, 1])
    expected = torch.nn.CrossEntropyLoss(torch.tensor(w))(torch.tensor(x), torch.tensor(t))
    assert m(ag.tensor(x), ag.tensor(t)).item() == pytest.approx(expected.item(), rel=1e-12)
    with pytest.warns(UserWarning):
        legacy, theirs = nn.MSELoss(size_average=False), torch.nn.MSELoss(size_average=False)
    assert legacy.reduction == theirs.reduction == "sum"


def test_float32_losses_stay_float32(device):
    rng = np.random.default_rng(20)
    x = ag.tensor(rng.normal(size=(4, 3)).astype(np.float32), device=device, requires_grad=True)
    t_idx = ag.tensor(rng.integers(0, 3, 4), device=device)
    t_f = ag.tensor(rng.uniform(size=(4, 3)).astype(np.float32), device=device)
    w = ag.tensor(np.array([1.0, 2.0, 0.5], dtype=np.float32), device=device)
    losses = [
        F.cross_entropy(x, t_idx, weight=w, label_smoothing=0.1),
        F.cross_entropy(x, t_f), F.nll_loss(x, t_idx, weight=w),
        F.binary_cross_entropy_with_logits(x, t_f, pos_weight=w),
        F.binary_cross_entropy(x.sigmoid(), t_f), F.mse_loss(x, t_f), F.l1_loss(x, t_f),
        F.smooth_l1_loss(x, t_f), F.huber_loss(x, t_f), F.kl_div(x, t_f, reduction="sum"),
    ]
    for loss in losses:
        assert loss.dtype == ag.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == ag.float32


def test_hessians_of_the_fused_losses_match_pytorch():
    """Second derivatives (Newton's method, curvature lectures) through the fused nodes."""
    torch = _torch()
    from autograd_core.autograd.functional import hessian

    rng = np.random.default_rng(22)
    x, y = rng.normal(size=(2, 3)), np.array([0, 2])
    t, pw = (x > 0).astype(np.float64), np.array([2.0, 1.0, 3.0])
    tf = torch.nn.functional
    cases = [
        (lambda a: F.cross_entropy(a, ag.tensor(y), label_smoothing=0.1),
         lambda a: tf.cross_entropy(a, torch.tensor(y), label_smoothing=0.1)),
        (lambda a: F.nll_loss(F.log_softmax(a, 1), ag.tensor(y)),
         lambda a: tf.nll_loss(tf.log_softmax(a, 1), torch.tensor(y))),
        (lambda a: F.binary_cross_entropy_with_logits(a, ag.tensor(t), pos_weight=ag.tensor(pw)),
         lambda a: tf.binary_cross_entropy_with_logits(a, torch.tensor(t),
                                                        pos_weight=torch.tensor(pw))),
        (lambda a: F.mse_loss(a, ag.tensor(t)), lambda a: tf.mse_loss(a, torch.tensor(t))),
    ]
    for ours, theirs in cases:
        h = hessian(ours, ag.tensor(x))
        th = torch.autograd.functional.hessian(theirs, torch.tensor(x))
        np.testing.assert_allclose(h.numpy(), th.numpy(), atol=1e-12)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_targets_changed_in_place_before_backward_raise(fn):
    """The class targets are saved for backward and version-checked, as PyTorch does: a
    target changed in place after the forward makes backward raise instead of silently
    using the new classes."""
    x = ag.tensor(np.random.default_rng(0).normal(size=(4, 5)), requires_grad=True)
    t = ag.tensor(np.array([0, 1, 2, 1]))
    loss = fn(x, t)
    t.add_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_cross_entropy_rules_agree_on_arrays_and_under_create_graph():
    """The one cross-entropy rule gives the same gradient run on arrays (plain backward) and
    on Tensors (create_graph=True), with label smoothing, class weights and ignored rows."""
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.normal(size=(2, 4, 3)), requires_grad=True)
    t = ag.tensor(np.array([[0, -100, 3], [2, 1, 1]]))
    w = ag.tensor(rng.uniform(0.5, 2.0, size=4))
    loss = F.cross_entropy(x, t, weight=w, label_smoothing=0.1)
    (plain,) = ag.autograd.grad(loss, x, retain_graph=True)
    (graph,) = ag.autograd.grad(loss, x, create_graph=True)
    assert graph.requires_grad
    np.testing.assert_allclose(plain.numpy(), graph.detach().numpy(), rtol=1e-12, atol=1e-14)
