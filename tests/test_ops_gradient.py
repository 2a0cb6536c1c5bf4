"""torch.gradient (ops/finite_differences.py) against PyTorch: values, the vector-Jacobian
product, a float64 gradcheck, and PyTorch's errors."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(23)


@pytest.mark.parametrize("shape, kw", [
    ((5,), {}), ((5,), {"spacing": 2.0}), ((4, 5), {"edge_order": 2}),
    ((4, 5), {"spacing": [2.0, 0.5]}), ((3, 4, 5), {"dim": (0, -1), "spacing": [2.0, 1.5],
                                                     "edge_order": 2}),
    ((3, 4), {"dim": 1})])
def test_gradient_matches_torch(shape, kw):
    x = R.normal(size=shape)
    n = len(torch.gradient(torch.tensor(x), **kw))
    for k in range(n):
        compare(lambda t, k=k: ag.gradient(t, **kw)[k],
                lambda t, k=k: torch.gradient(t, **kw)[k], [x])


@pytest.mark.parametrize("kw, shape", [({"spacing": [0.1], "dim": (1, 0)}, (3, 3)),
                                       ({"edge_order": 3}, (3, 3)), ({"dim": (1, 1)}, (3, 3)),
                                       ({"edge_order": 1}, (3, 1)), ({"edge_order": 2}, (2, 2))])
def test_gradient_errors_match_torch(kw, shape):
    with pytest.raises(RuntimeError):
        torch.gradient(torch.zeros(shape), **kw)
    with pytest.raises(RuntimeError):
        ag.gradient(ag.zeros(shape), **kw)
    with pytest.raises(IndexError):
        ag.gradient(ag.zeros(3, 3), dim=3)
