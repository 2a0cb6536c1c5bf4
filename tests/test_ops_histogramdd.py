"""histogramdd (ops/histogramdd.py) against PyTorch: counts, weights, density, ranges, given
edges (sorted or not), and the errors."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import torch

R = np.random.default_rng(29)
P = (R.normal(size=(40, 3)) * 2).astype(np.float32)
W = R.uniform(0, 2, size=40).astype(np.float32)


def _both(points, bins, **kw):
    def conv(v, lib):
        if isinstance(v, np.ndarray):
            return lib.tensor(v)
        if isinstance(v, list):
            return [conv(u, lib) for u in v]
        return v
    mine = ag.histogramdd(ag.tensor(points), conv(bins, ag),
                          **{k: conv(v, ag) for k, v in kw.items()})
    theirs = torch.histogramdd(torch.tensor(points), conv(bins, torch),
                               **{k: conv(v, torch) for k, v in kw.items()})
    np.testing.assert_allclose(mine.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)
    assert mine.hist.dtype == ag.float32
    for a, b in zip(mine.bin_edges, theirs.bin_edges):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bins, kw", [
    (4, {}), ([2, 3, 4], {}), (3, {"weight": W}), ([2, 3, 4], {"density": True}),
    (2, {"range": [0.0, 1.0, -1.0, 1.0, -2.0, 2.0]}),
    ([np.array([-1.0, 0.0, 2.0], np.float32), np.array([-3.0, 3.0], np.float32),
      np.array([0.5, -0.5], np.float32)], {}),
    ([np.array([1.0, 0.0, 2.0], np.float32), np.array([-1.0, 1.0], np.float32),
      np.array([-9.0, 9.0], np.float32)], {"weight": W})])
def test_histogramdd_matches_torch(bins, kw):
    _both(P, bins, **kw)


def test_histogramdd_of_equal_values_and_batched_points():
    _both(np.ones((4, 2), np.float32), [2, 3])
    _both(P.reshape(4, 10, 3), 2)


def test_histogramdd_errors():
    with pytest.raises(RuntimeError):
        ag.histogramdd(ag.tensor(P), [2, 2])  # 3 dims, 2 bin counts
    with pytest.raises(RuntimeError):
        ag.histogramdd(ag.tensor(P), 2, range=[0.0, 1.0])
    with pytest.raises(RuntimeError):
        ag.histogramdd(ag.tensor(P).long(), 2)
