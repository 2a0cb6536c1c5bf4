"""`autograd_core.masked`: values and gradients against PyTorch from identical inputs and
masks (broadcast masks, fully masked slices, ``dim`` as int, tuple, negative and None,
``keepdim``), float64 gradient checks, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

# fully masked slices compute 0/0 and -inf - -inf on purpose (NaN, as in PyTorch)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4, 5))
# row 1 of the last axis fully masked; the mask broadcasts over the middle axis
MASK = RNG.random(size=(3, 1, 5)) < 0.6
MASK[1] = False
MASK[0, 0, :] = True

REDUCTIONS = {  # name -> keyword sets
    "sum": [{}, {"dim": -1}, {"dim": (0, 2), "keepdim": True}],
    "prod": [{}, {"dim": 2}, {"dim": (0, -1), "keepdim": True}],
    "amax": [{}, {"dim": -1}, {"dim": (0, 2), "keepdim": True}],
    "amin": [{}, {"dim": 0}, {"dim": (1, 2)}],
    "mean": [{}, {"dim": -1}, {"dim": (0, 2), "keepdim": True}],
    "logsumexp": [{"dim": -1}, {"dim": (0, 2), "keepdim": True}],
    "median": [{"dim": -1}, {"dim": 0, "keepdim": True}],
    "var": [{}, {"dim": -1}, {"dim": 2, "unbiased": False}, {"dim": 0, "correction": 2}],
    "std": [{"dim": -1}, {"dim": (0, 2), "keepdim": True, "correction": 0}],
}
NORMS = [2.0, 1.0, 3.5, float("inf"), float("-inf"), 0.0]
NORMALIZATIONS = ["softmax", "log_softmax", "softmin", "cumsum", "cumprod"]


def _pair(values, requires_grad=True):
    ours = ag.tensor(values.copy(), requires_grad=requires_grad)
    theirs = torch.tensor(values.copy(), requires_grad=requires_grad)
    return ours, theirs


def _compare(ours_out, theirs_out, ours_in, theirs_in, rtol=1e-7):
    a, b = ours_out.detach().numpy(), theirs_out.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, equal_nan=True)
    if not theirs_out.requires_grad:
        return
    cot = RNG.normal(size=b.shape)
    finite = np.isfinite(b)  # a cotangent times an infinite output is left out by both
    cot = np.where(finite, cot, 0.0)
    theirs_g, = torch.autograd.grad((theirs_out * torch.tensor(cot)).nansum(), theirs_in,
                                    allow_unused=True)
    ours_g = None
    if ours_out.requires_grad:  # (the 0-"norm" is piecewise constant: no graph, no gradient)
        ours_g, = ag.autograd.grad((ours_out * ag.tensor(cot)).nansum(), ours_in,
                                   allow_unused=True)
    ours_g = np.zeros(tuple(ours_in.shape)) if ours_g is None else ours_g.numpy()
    theirs_g = np.zeros(tuple(ours_in.shape)) if theirs_g is None else theirs_g.numpy()
    np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-7, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_match_torch(name):
    for kwargs in REDUCTIONS[name]:
        for mask in (None, MASK):
            ours_x, theirs_x = _pair(X)
            extra_o = {} if mask is None else {"mask": ag.tensor(mask)}
            extra_t = {} if mask is None else {"mask": torch.tensor(mask)}
            out_o = getattr(ag.masked, name)(ours_x, **kwargs, **extra_o)
            out_t = getattr(torch.masked, name)(theirs_x, **kwargs, **extra_t)
            _compare(out_o, out_t, ours_x, theirs_x)


def test_fully_masked_slices_hold_torchs_values():
    x = ag.tensor(X)
    m = ag.tensor(MASK)
    row = (1, 0)  # a fully masked slice of the last axis
    assert ag.masked.sum(x, -1, mask=m)[row].item() == 0.0
    assert ag.masked.prod(x, -1, mask=m)[row].item() == 1.0
    assert ag.masked.amax(x, -1, mask=m)[row].item() == float("-inf")
    assert ag.masked.amin(x, -1, mask=m)[row].item() == float("inf")
    assert ag.masked.logsumexp(x, -1, mask=m)[row].item() == float("-inf")
    for name in ("mean", "median", "var", "std"):
        assert np.isnan(getattr(ag.masked, name)(x, -1, mask=m)[row].item()), name
    assert np.isnan(ag.masked.softmax(x, -1, mask=m)[row].numpy()).all()


@pytest.mark.parametrize("ord", NORMS)
def test_norm_and_normalize_match_torch(ord):
    for dim, keepdim in ((None, False), (-1, False), ((0, 2), True)):
        for mask in (None, MASK):
            ours_x, theirs_x = _pair(X)
            mo = None if mask is None else ag.tensor(mask)
            mt = None if mask is None else torch.tensor(mask)
            _compare(ag.masked.norm(ours_x, ord, dim, keepdim=keepdim, mask=mo),
                     torch.masked.norm(theirs_x, ord, dim, keepdim=keepdim, mask=mt),
                     ours_x, theirs_x)
    if ord == 0.0:
        return  # torch's normalize with the 0-"norm" divides by a count: same, but no gradient
    for mask in (None, MASK):
        ours_x, theirs_x = _pair(X)
        mo = None if mask is None else ag.tensor(mask)
        mt = None if mask is None else torch.tensor(mask)
        _compare(ag.masked.normalize(ours_x, ord, -1, mask=mo),
                 torch.masked.normalize(theirs_x, ord, -1, mask=mt), ours_x, theirs_x)


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_normalizations_match_torch(name):
    for dim in (0, -1, 1):
        for mask in (None, MASK):
            ours_x, theirs_x = _pair(X)
            mo = {} if mask is None else {"mask": ag.tensor(mask)}
            mt = {} if mask is None else {"mask": torch.tensor(mask)}
            _compare(getattr(ag.masked, name)(ours_x, dim, **mo),
                     getattr(torch.masked, name)(theirs_x, dim, **mt), ours_x, theirs_x)


def test_argmax_argmin_and_logaddexp_match_torch():
    for name in ("argmax", "argmin"):
        for kwargs in ({}, {"dim": -1}, {"dim": 0, "keepdim": True}):
            out_o = getattr(ag.masked, name)(ag.tensor(X), **kwargs, mask=ag.tensor(MASK))
            out_t = getattr(torch.masked, name)(torch.tensor(X), **kwargs,
                                                mask=torch.tensor(MASK))
            assert out_o.dtype == ag.float64  # the input's dtype, as in PyTorch
            np.testing.assert_array_equal(out_o.numpy(), out_t.numpy())
    other = RNG.normal(size=X.shape)
    other_mask = RNG.random(size=(5,)) < 0.5
    ours_x, theirs_x = _pair(X)
    ours_y, theirs_y = _pair(other)
    out_o = ag.masked.logaddexp(ours_x, ours_y, input_mask=ag.tensor(MASK),
                                other_mask=ag.tensor(other_mask))
    out_t = torch.masked.logaddexp(theirs_x, theirs_y, input_mask=torch.tensor(MASK),
                                   other_mask=torch.tensor(other_mask))
    _compare(out_o, out_t, ours_x, theirs_x)


def test_integer_inputs_follow_torchs_dtypes():
    ints = RNG.integers(-5, 5, size=(3, 4)).astype(np.int32)
    mask = RNG.random(size=(3, 4)) < 0.7
    mask[:, 0] = True
    for name in ("sum", "prod", "amax", "amin"):
        out_o = getattr(ag.masked, name)(ag.tensor(ints), 1, mask=ag.tensor(mask))
        out_t = getattr(torch.masked, name)(torch.tensor(ints), 1, mask=torch.tensor(mask))
        assert out_o.dtype.name == str(out_t.dtype).split(".")[1], name
        np.testing.assert_array_equal(out_o.numpy(), out_t.numpy())
    med = ag.masked.median(ag.tensor(ints), 1, mask=ag.tensor(mask))
    np.testing.assert_array_equal(
        med.numpy(), torch.masked.median(torch.tensor(ints), 1, mask=torch.tensor(mask)).numpy())


# --------------------------------------------------------------------- gradient checks
def _gc(fn, x):
    return gradcheck(fn, (ag.tensor(x, requires_grad=True),), eps=1e-6, atol=1e-6)


# masks with a kept element in every slice (a fully masked slice has an infinite or NaN
# result there, which finite differences cannot check; its zero gradient is compared with
# torch's above)
SAFE = np.ones((3, 1, 5), dtype=bool)
SAFE[:, :, 1::2] = False
SAFE[2, 0, 1] = True
SAFE[1, 0, 3] = True


@pytest.mark.parametrize("name, kwargs", [
    ("sum", {"dim": -1}), ("prod", {"dim": (0, 2)}), ("amax", {"dim": -1}),
    ("amin", {"dim": 0}), ("mean", {"dim": (0, 2)}), ("median", {"dim": -1}),
    ("norm", {"dim": -1}), ("var", {"dim": -1}), ("std", {"dim": (0, 2)}),
    ("logsumexp", {"dim": -1}), ("softmax", {"dim": -1}), ("log_softmax", {"dim": 2}),
    ("softmin", {"dim": -1}), ("cumsum", {"dim": -1}), ("cumprod", {"dim": 2}),
    ("normalize", {"ord": 2.0, "dim": -1}),
])
def test_gradcheck_float64(name, kwargs):
    m = ag.tensor(SAFE)
    fn = getattr(ag.masked, name)
    if name == "log_softmax":  # -inf at the masked-out elements: check the kept ones
        assert _gc(lambda x: ag.where(m, fn(x, **kwargs, mask=m), 0.0), X)
        return
    assert _gc(lambda x: fn(x, **kwargs, mask=m), X)


def test_gradcheck_logaddexp():
    other = ag.tensor(RNG.normal(size=X.shape), requires_grad=True)
    m = ag.tensor(SAFE)
    assert gradcheck(lambda a, b: ag.masked.logaddexp(a, b, input_mask=m),
                     (ag.tensor(X, requires_grad=True), other), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", [
    ("softmax", {"dim": -1}), ("var", {"dim": (0, 2)}), ("logsumexp", {"dim": -1}),
    ("normalize", {"ord": 3.0, "dim": -1}), ("prod", {"dim": -1}),
])
def test_gradgradcheck_float64(name, kwargs):
    m = ag.tensor(SAFE[:2, :, :4])
    x = ag.tensor(X[:2, :2, :4], requires_grad=True)
    fn = getattr(ag.masked, name)
    assert gradgradcheck(lambda t: fn(t, **kwargs, mask=m), (x,), eps=1e-6, atol=1e-5)


# ------------------------------------------------------------------------------ errors
def test_errors_use_torchs_classes():
    x = ag.tensor(X)
    with pytest.raises(IndexError, match="more dimensions"):
        ag.masked.sum(x, mask=ag.ones(2, 3, 4, 5, dtype=ag.bool))
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.masked.sum(x, 3)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        ag.masked.amax(x, (0, -3))
    with pytest.raises(ValueError, match="floating point"):
        ag.masked.mean(ag.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="fully masked out rows"):
        ag.masked.median(ag.tensor([[1, 2], [3, 4]]), 1,
                         mask=ag.tensor([[True, True], [False, False]]))
    with pytest.raises(RuntimeError):
        torch.masked.amax(torch.tensor(X), (0, -3))  # torch agrees on the class


# ----------------------------------------------------------------------------- devices
@pytest.mark.parametrize("name", ["sum", "amax", "mean", "median", "norm", "var", "logsumexp",
                                  "softmax", "cumprod", "normalize"])
def test_runs_on_every_device(name, device):
    kwargs = {"normalize": {"ord": 2.0, "dim": -1}}.get(name, {"dim": -1})

    def run(dev):
        x = ag.tensor(X, device=dev, requires_grad=True)
        out = getattr(ag.masked, name)(x, **kwargs, mask=ag.tensor(SAFE, device=dev))
        grad, = ag.autograd.grad(out.sum(), x)
        return out.detach().cpu().numpy(), grad.cpu().numpy()

    for ours, cpu in zip(run(device), run("cpu")):
        np.testing.assert_allclose(ours, cpu, rtol=1e-12, atol=1e-12)
