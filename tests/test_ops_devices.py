"""The new ops on every device (the CPU, and the GPU or its test stand-in): same values and
gradients as on the CPU, so no NumPy-only call hides in their device code."""

import warnings

import numpy as np
import pytest

import autograd_core as ag

R = np.random.default_rng(6)
A = R.normal(size=(3, 4)).astype(np.float32)
B = R.normal(size=(3, 4)).astype(np.float32)
IDX = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])

DIFFERENTIABLE = {
    "sort": lambda a, b: ag.sort(a, 1, descending=True).values,
    "topk_kth_mode": lambda a, b: ag.topk(a, 2).values.sum(1) + ag.kthvalue(a, 2).values
    + ag.mode(a.round(), 1).values,
    "cummax_cummin": lambda a, b: ag.cummax(a, 1).values + ag.cummin(a, 0).values,
    "diagonals": lambda a, b: ag.diag_embed(a.diagonal(1), 0)[:2, :2].sum(0) + a.tril().sum(1)[:2]
    + a.triu(1).sum(1)[:2] + ag.trace(a),
    "block_diag": lambda a, b: ag.block_diag(a, b[0]),
    "regions": lambda a, b: ag.diagonal_scatter(a, b[0, :3], 1)
    + ag.index_put(a, (ag.tensor([0, 2, 0], device=a.device),), b[1], accumulate=True)
    + ag.select_scatter(a, b[:, 0], 1, 2) + a.unfold(1, 2, 2).sum(-1).repeat(1, 2),
    "combine": lambda a, b: ag.kron(a[:2, :2], b[:2, :2]).sum(0)
    + ag.cdist(a, b).sum(0)[:1] + ag.cross(a[:, :3], b[:, :3], dim=1).sum(),
    "rearrange": lambda a, b: ag.rot90(a).sum(0) + ag.diff(a, dim=0).sum()
    + ag.repeat_interleave(a, 2, 0).sum(0)[:3],
    "pointwise": lambda a, b: ag.hypot(a, b) + ag.logaddexp(a, b) + ag.copysign(a, b)
    + ag.addcdiv(a, a, b.abs() + 1, value=0.5),
    "nan_reductions": lambda a, b: ag.nansum(a, 1) + ag.nanmean(a, 1) + ag.quantile(a, 0.3, 1)
    + ag.nanmedian(a, 1).values + ag.logcumsumexp(a, 1)[:, -1],
    "statistics": lambda a, b: ag.cov(a) + ag.corrcoef(b),
    "scatter_reduce": lambda a, b: a[:2].scatter_reduce(1, ag.tensor(IDX, device=a.device),
                                                        b[:2], "amax")
    + a[:2].scatter_reduce(1, ag.tensor(IDX, device=a.device), b[:2], "mean", include_self=False),
}


def _run(fn, device, grad: bool = True):
    a = ag.tensor(A, device=device, requires_grad=grad)
    b = ag.tensor(B, device=device, requires_grad=grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(a, b)
    if not grad:
        return [out.cpu().numpy()]
    ga, gb = ag.autograd.grad(out.sum(), [a, b], allow_unused=True)
    return [out.detach().cpu().numpy()] + [None if g is None else g.cpu().numpy()
                                           for g in (ga, gb)]


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_values_and_gradients_match_the_cpu(name, device):
    ours, cpu = _run(DIFFERENTIABLE[name], device), _run(DIFFERENTIABLE[name], "cpu")
    for x, y in zip(ours, cpu):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


COUNTING = {
    "unique": lambda a, b: ag.unique(a.round(), return_counts=True)[1].float().sum()
    + ag.unique_consecutive(a.round().reshape(-1))[0],
    "search": lambda a, b: ag.searchsorted(ag.sort(a, 1).values, b).float()
    + ag.bucketize(b, ag.tensor([-1.0, 0.0, 1.0], device=b.device)).float()
    + ag.isin(a.round(), b.round()).float(),
    "counts": lambda a, b: ag.bincount((a.abs() * 3).long().reshape(-1)).float().sum()
    + ag.histc(a, 4).sum() + ag.heaviside(a, b).sum(),
}


@pytest.mark.parametrize("name", sorted(COUNTING))
def test_counting_ops_match_the_cpu(name, device):
    np.testing.assert_allclose(_run(COUNTING[name], device, grad=False)[0],
                               _run(COUNTING[name], "cpu", grad=False)[0], rtol=1e-6)


def test_sampling_runs_on_the_device(device):
    p = ag.tensor([[0.2, 0.0, 0.8]], device=device)
    assert ag.multinomial(p, 2).device == p.device
    assert ag.multinomial(p, 4, replacement=True).shape == (1, 4)
    assert ag.bernoulli(p).device == p.device
