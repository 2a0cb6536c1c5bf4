"""Values and gradients at kinks, infinities and NaN, compared with PyTorch.

Piecewise functions are defined by comparisons, and a comparison with NaN is False: which
branch NaN takes (and what ``0 * inf`` gives) decides the result there. PyTorch's choices are
matched bit for bit where its formula is a selection or plain arithmetic; where it evaluates
a transcendental function (exp, atan2) the values agree to a few float32 ulps.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INF, NAN = float("inf"), float("nan")
POINTS = [-INF, -7.0, -6.0, -3.0, -1.5, -1.0, -0.0, 0.0, 1.0, 1.5, 3.0, 6.0, 7.0, INF, NAN]


def _same(ours: np.ndarray, theirs: np.ndarray, exact: bool, zero_sign: bool = True) -> None:
    """Equal values with NaN at the same places and the same signs (of zeros too), or, for
    transcendental formulas (``exact=False``), values within a few ulps."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    number = ~np.isnan(ours) & (zero_sign | (theirs != 0))
    np.testing.assert_array_equal(np.signbit(ours[number]), np.signbit(theirs[number]))
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=4e-7, atol=0)


def _run(fn, lib, values, dtype):
    x = lib.tensor(np.array(values, dtype), requires_grad=True)
    with np.errstate(all="ignore"):
        y = fn(x)
        y.backward(lib.ones_like(y))
    return y.detach().numpy(), x.grad.numpy()


# name -> (our call, PyTorch's, bit-exact)
ACTIVATIONS = {
    "relu": (F.relu, TF.relu, True),
    "relu6": (F.relu6, TF.relu6, True),
    "hardtanh": (F.hardtanh, TF.hardtanh, True),
    "hardtanh(-2, 1.5)": (lambda x: F.hardtanh(x, -2.0, 1.5), lambda x: TF.hardtanh(x, -2.0, 1.5),
                          True),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1), True),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, False),
    "hardswish": (F.hardswish, TF.hardswish, True),
    "softsign": (F.softsign, TF.softsign, True),
    "threshold": (lambda x: F.threshold(x, 1.0, -5.0), lambda x: TF.threshold(x, 1.0, -5.0),
                  True),
    "hardshrink": (lambda x: F.hardshrink(x, 1.0), lambda x: TF.hardshrink(x, 1.0), True),
    "softshrink": (lambda x: F.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0), True),
    "elu": (F.elu, TF.elu, False),
    "elu(alpha=2)": (lambda x: F.elu(x, 2.0), lambda x: TF.elu(x, 2.0), False),
    "celu(alpha=0.5)": (lambda x: F.celu(x, 0.5), lambda x: TF.celu(x, 0.5), False),
    "selu": (F.selu, TF.selu, False),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, False),
    "abs": (ag.abs, torch.abs, True),
    "clamp_min(0)": (lambda x: x.clamp_min(0.0), lambda x: x.clamp_min(0.0), True),
    "clamp(-1, 1)": (lambda x: x.clamp(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0), True),
    "clamp_max(0)": (lambda x: x.clamp_max(0.0), lambda x: x.clamp_max(0.0), True),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_values_and_gradients_at_kinks_inf_and_nan(name, dtype):
    ours_fn, theirs_fn, exact = ACTIVATIONS[name]
    ours = _run(ours_fn, ag, POINTS, dtype)
    theirs = _run(theirs_fn, torch, POINTS, dtype)
    # PyTorch's softshrink gives -0.0 or 0.0 in its dead zone depending on the dtype
    _same(ours[0], theirs[0], exact, zero_sign=name != "softshrink")
    _same(ours[1], theirs[1], exact)


def test_threshold_keeps_nan():
    out = F.threshold(ag.tensor([NAN, 0.5, 2.0]), 1.0, -5.0)
    assert np.isnan(out[0].item()) and out[1:].tolist() == [-5.0, 2.0]


@pytest.mark.parametrize("name", ["softsign", "hardtanh", "threshold", "elu", "relu"])
def test_activation_gradcheck_away_from_kinks(name):
    fn = ACTIVATIONS[name][0]
    x = ag.tensor([-2.3, -0.7, 0.4, 1.7, 2.6], dtype=ag.float64, requires_grad=True)
    assert gradcheck(fn, (x,))


# ----------------------------------------------------------------------------- binary ops
GRID = [-INF, -3.0, -1.5, -0.0, 0.0, 1.5, 3.0, INF, NAN]
BINARY = {
    "atan2": (lambda lib, a, b: lib.atan2(a, b), False),
    "div_trunc": (lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), True),
    "div_floor": (lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), True),
    "remainder": (lambda lib, a, b: lib.remainder(a, b), True),
    "fmod": (lambda lib, a, b: a.fmod(b), True),
    "fmod function": (lambda lib, a, b: lib.fmod(a, b), True),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_gradients_on_a_grid_of_special_points(name):
    fn, exact = BINARY[name]
    a, b = (v.ravel().astype(np.float32) for v in np.meshgrid(GRID, GRID))
    results = []
    for lib in (ag, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        with np.errstate(all="ignore"):
            out = fn(lib, x, y)
            out.backward(lib.ones_like(out))
        results.append([out.detach().numpy(), x.grad.numpy(), y.grad.numpy()])
    for ours, theirs in zip(*results):
        _same(ours, theirs, exact)


@pytest.mark.parametrize(("a", "b"), [(-1e20, -501.0), (1e20, 3.0), (-7.5, 2.0), (3e38, 7.0),
                                      (1e-30, 3e-31)])
def test_fmod_is_exact_like_c_fmod(a, b):
    for dtype in (np.float32, np.float64):
        ours = ag.tensor(np.array([a], dtype)).fmod(ag.tensor(np.array([b], dtype)))
        theirs = torch.tensor(np.array([a], dtype)).fmod(torch.tensor(np.array([b], dtype)))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ag.tensor([-1e20]).fmod(-501.0).item() == -41.0  # (a number divisor too)


def test_fmod_of_integers_stays_integer_and_refuses_zero():
    x = ag.tensor([-7, 7, 5], dtype=ag.int32)
    out = ag.fmod(x, ag.tensor([2, -2, 5], dtype=ag.int32))
    assert out.dtype == ag.int32 and out.tolist() == [-1, 1, 0]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ag.fmod(x, 0)
    with pytest.raises(TypeError, match="must be Tensor"):
        ag.fmod(2, x)


def test_rounding_division_gradient_is_zero_even_at_zero_divisor():
    a = ag.tensor([1.0, -2.0, 0.0], requires_grad=True)
    b = ag.tensor([0.0, 0.0, 0.0], requires_grad=True)
    (ag.div(a, b, rounding_mode="trunc").sum() + ag.div(a, b, rounding_mode="floor").sum()
     ).backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [0.0, 0.0, 0.0]


def test_binary_gradchecks_in_float64():
    a = ag.tensor([-3.7, -1.2, 0.8, 2.9, 5.3], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([1.3, -0.9, 2.1, -1.7, 1.1], dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda x, y: ag.fmod(x, y), (a, b))
    assert gradgradcheck(lambda x, y: ag.fmod(x, y) * x, (a, b))
    assert gradcheck(lambda x, y: ag.remainder(x, y), (a, b))
    assert gradcheck(lambda x, y: ag.atan2(x, y), (a, b))
    assert gradgradcheck(lambda x, y: ag.atan2(x, y), (a, b))
    assert gradcheck(lambda x, y: ag.div(x, y, rounding_mode="trunc") * x, (a, b))


def test_atan2_gradient_at_the_origin_is_zero_like_pytorch():
    for lib in (ag, torch):
        y = lib.tensor([0.0, -0.0], requires_grad=True)
        x = lib.tensor([0.0, 0.0], requires_grad=True)
        lib.atan2(y, x).sum().backward()
        assert y.grad.tolist() == [0.0, 0.0] and x.grad.tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- cosine similarity
@pytest.mark.parametrize(("s1", "s2", "dim"), [((3, 1), (3, 5), 1), ((4, 1, 5), (1, 3, 5), -1),
                                               ((2, 5), (5,), -1), ((1, 4), (3, 4), 0)])
def test_cosine_similarity_broadcasts_before_taking_norms(s1, s2, dim):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    outs = []
    for lib, fn in ((ag, F.cosine_similarity), (torch, TF.cosine_similarity)):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        out = fn(x, y, dim=dim)
        out.backward(lib.ones_like(out))
        outs.append([out.detach().numpy(), x.grad.numpy(), y.grad.numpy()])
    assert np.all(np.abs(outs[0][0]) <= 1.0 + 1e-12)
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    x = ag.tensor(a, dtype=ag.float64, requires_grad=True)
    y = ag.tensor(b, dtype=ag.float64, requires_grad=True)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=dim), (x, y))
