"""Composed ops (combine, rearrange, pointwise_extra, products, nan_reductions, statistics,
scatter_reduce) against PyTorch: values, a vector-Jacobian product, a float64 gradcheck."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(5)
A, B = R.normal(size=(3, 4)), R.normal(size=(3, 4))
V = R.normal(size=4)
N = A.copy()
N[0, 1] = N[2, 2] = np.nan
IDX = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])


def _both(name, *args, **kw):
    return (lambda *x: getattr(ag, name)(*x, *args, **kw),
            lambda *x: getattr(torch, name)(*x, *args, **kw))


CASES = {
    "meshgrid_xy": ((lambda a, b: ag.meshgrid(a, b, indexing="xy")[1] * 2,
                     lambda a, b: torch.meshgrid(a, b, indexing="xy")[1] * 2), [V, V[:3]]),
    "cartesian_prod": (_both("cartesian_prod"), [V, V[:2]]),
    "combinations": (_both("combinations", 3), [V]),
    "combinations_repl": (_both("combinations", 2, True), [V]),
    "broadcast_tensors": ((lambda a, b: ag.broadcast_tensors(a, b)[1],
                           lambda a, b: torch.broadcast_tensors(a, b)[1]), [A, V]),
    "kron": (_both("kron"), [A, B[:2, :3]]),
    "cross": (_both("cross", dim=0), [A[:3, :2], B[:3, :2]]),
    "cdist": (_both("cdist"), [A, B[:2]]),
    "cdist_p1": (_both("cdist", p=1.0), [A, B[:2]]),
    "rot90": (_both("rot90", 3, (1, 0)), [A]),
    "diff": ((lambda a: ag.diff(a, 2, 0, prepend=a[:1]),
              lambda a: torch.diff(a, 2, 0, prepend=a[:1])), [A]),
    "repeat_interleave": ((lambda a: ag.repeat_interleave(a, ag.tensor([1, 0, 3]), 0),
                           lambda a: torch.repeat_interleave(a, torch.tensor([1, 0, 3]), 0)), [A]),
    "copysign": (_both("copysign"), [A, B]),
    "hypot": (_both("hypot"), [A, B]),
    "logaddexp": (_both("logaddexp"), [A, B]),
    "logaddexp2": (_both("logaddexp2"), [A, B]),
    "addcmul": (_both("addcmul", value=0.5), [A, B, V]),
    "addcdiv": (_both("addcdiv", value=0.5), [A, B, V + 3]),
    "addmv": (_both("addmv", beta=0.5, alpha=2), [A[:, 0], A, V]),
    "baddbmm": (_both("baddbmm", beta=0.5, alpha=2), [A[:, :3], np.stack([A, B]),
                                                      np.stack([B.T, A.T])]),
    "addbmm": (_both("addbmm"), [A[:, :3], np.stack([A, B]), np.stack([B.T, A.T])]),
    "nansum": (_both("nansum", 1), [N]),
    "nanmean": (_both("nanmean", 0, True), [N]),
    "nanmedian": ((lambda a: ag.nanmedian(a, 1)[0], lambda a: torch.nanmedian(a, 1)[0]), [N]),
    "quantile": (_both("quantile", 0.3, 1), [A]),
    "quantile_many": ((lambda a: ag.quantile(a, ag.tensor([0.1, 0.9], dtype=ag.float64), 0, True),
                       lambda a: torch.quantile(a, torch.tensor([0.1, 0.9], dtype=torch.float64),
                                                0, True)), [A]),
    "quantile_midpoint": (_both("quantile", 0.5, interpolation="midpoint"), [A]),
    "nanquantile": (_both("nanquantile", 0.4, 1, interpolation="nearest"), [N]),
    "logcumsumexp": (_both("logcumsumexp", 1), [A]),
    "cov": (_both("cov"), [A]),
    "cov_aweights": ((lambda a, w: ag.cov(a, aweights=w), lambda a, w: torch.cov(a, aweights=w)),
                     [A, np.abs(V)]),
    "corrcoef": (_both("corrcoef"), [A]),
}
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        CASES[f"scatter_reduce_{_red}_{_inc}"] = (
            (lambda a, s, r=_red, i=_inc: a.scatter_reduce(1, ag.tensor(IDX), s, r, include_self=i),
             lambda a, s, r=_red, i=_inc: a.scatter_reduce(1, torch.tensor(IDX), s, r,
                                                           include_self=i)),
            [A[:2], B[:2]])
for _red in ("prod", "mean", "amax", "amin"):
    CASES[f"index_reduce_{_red}"] = (
        (lambda a, s, r=_red: a.index_reduce(0, ag.tensor([0, 2, 0]), s, r),
         lambda a, s, r=_red: a.index_reduce(0, torch.tensor([0, 2, 0]), s, r)), [A, B])


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    (ours, theirs), arrays = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(ours, theirs, arrays)


def test_amax_ties_share_the_gradient_like_torch():
    x, s = np.array([1.0, 5.0, 3.0]), np.array([5.0, 5.0, 2.0])
    compare(lambda a, b: a.scatter_reduce(0, ag.tensor([1, 1, 2]), b, "amax"),
            lambda a, b: a.scatter_reduce(0, torch.tensor([1, 1, 2]), b, "amax"), [x, s],
            check=False)


NONDIFF = {
    "heaviside": (_both("heaviside"), [A.round(), B]),
    "bincount": (_both("bincount", minlength=5), [np.array([0, 2, 2, 1])]),
    "bincount_weights": (_both("bincount"), [np.array([0, 2, 2, 1]), V]),
    "histc": (_both("histc", 5), [A]),
    "histc_range": (_both("histc", 4, -1, 1), [A]),
    "unique": ((lambda a: ag.unique(a, return_inverse=True, return_counts=True)[1],
                lambda a: torch.unique(a, return_inverse=True, return_counts=True)[1]), [A.round()]),
    "unique_dim": ((lambda a: ag.unique(a, dim=1, return_counts=True)[0],
                    lambda a: torch.unique(a, dim=1, return_counts=True)[0]),
                   [np.array([[1, 2, 1], [3, 4, 3]])]),
    "unique_consecutive": ((lambda a: ag.unique_consecutive(a, return_counts=True)[1],
                            lambda a: torch.unique_consecutive(a, return_counts=True)[1]),
                           [np.array([1, 1, 2, 2, 3, 1, 1])]),
    "searchsorted": (_both("searchsorted", right=True), [np.array([1.0, 2, 3, 4]), A]),
    "searchsorted_rows": (_both("searchsorted"), [np.sort(A, 1), B]),
    "bucketize": (_both("bucketize"), [A, np.array([-1.0, 0, 1])]),
    "isin": (_both("isin", invert=True), [np.array([1, 2, 3, 4]), np.array([2, 4])]),
    "shifts": ((lambda a, b: (a << 2) + (a >> b), lambda a, b: (a << 2) + (a >> b)),
               [np.array([1, 8, 64]), np.array([1, 2, 3])]),
}


@pytest.mark.parametrize("name", sorted(NONDIFF))
def test_non_differentiable_values_match_torch(name):
    (ours, theirs), arrays = NONDIFF[name]
    compare(ours, theirs, arrays, grad=False)


def test_sampling_frequencies_and_shapes():
    ag.manual_seed(0)
    p = ag.tensor([0.1, 0.0, 0.9])
    draws = ag.multinomial(p.expand(2000, 3), 1, replacement=True).reshape(-1)
    counts = ag.bincount(draws, minlength=3).numpy()
    assert counts[1] == 0 and 0.85 < counts[2] / 2000 < 0.95
    rows = ag.multinomial(ag.tensor([[1.0, 2.0, 3.0, 0.0]]).expand(50, 4), 3)
    assert rows.shape == (50, 3)
    assert all(sorted(r) == [0, 1, 2] for r in rows.tolist())
    b = ag.bernoulli(ag.full((4000,), 0.25))
    assert b.dtype == ag.float32 and 0.2 < float(b.mean()) < 0.3
    with pytest.raises(RuntimeError, match="without replacement"):
        ag.multinomial(p, 4)
    with pytest.raises(RuntimeError, match="enough non-negative category"):
        ag.multinomial(p, 3)


def test_second_derivatives_of_compositions():
    x = ag.tensor(A, requires_grad=True)
    y = (ag.logaddexp(x, x * 2).sum() + ag.cdist(x, x[:2] + 1).sum() + ag.kron(x, x).sum())
    assert ag.autograd.gradgradcheck(
        lambda t: ag.logaddexp(t, t * 2) + ag.quantile(t, 0.5, 1, True), (x,))
    (g,) = ag.autograd.grad(y, x, create_graph=True)
    assert g.grad_fn is not None


def test_errors_match_torch_classes():
    pairs = [(lambda m, x: m.cross(x, x, dim=1), A),
             (lambda m, x: m.quantile(x, 1.5), A),
             (lambda m, x: m.rot90(x, 1, (0, 0)), A),
             (lambda m, x: m.cov(x[None]), A),
             (lambda m, x: x.scatter_reduce(0, m.tensor([0]), x[:1], "median"), A[0])]
    for fn, array in pairs:
        with pytest.raises(Exception) as theirs:
            fn(torch, torch.tensor(array))
        with pytest.raises(theirs.type):
            fn(ag, ag.tensor(array))
