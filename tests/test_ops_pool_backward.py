"""max_pool2d_with_indices_backward (ops/pool_backward.py) against PyTorch's ATen op: values,
the gradient in grad_output (max pooling's double backward), a float64 gradcheck."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from tests._torch_compare import compare, torch

R = np.random.default_rng(31)


@pytest.mark.parametrize("shape, k, s, p, d, ceil", [((1, 2, 5, 6), 3, 2, 1, 1, True),
                                                     ((2, 1, 6, 6), 2, 2, 0, 1, False),
                                                     ((2, 4, 7), 3, 1, 1, (1, 2), False)])
def test_max_pool2d_with_indices_backward_matches_torch(shape, k, s, p, d, ceil):
    x = R.normal(size=shape)
    _, idx = F.max_pool2d(ag.tensor(x), k, s, p, d, ceil, True)
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil, True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    g = R.normal(size=tuple(idx.shape))
    compare(lambda go: ag.ops.aten.max_pool2d_with_indices_backward(go, ag.tensor(x), k, s, p, d, ceil,
                                                           idx),
            lambda go: torch.ops.aten.max_pool2d_with_indices_backward(
                go, torch.tensor(x), k, s, p, d, ceil, tidx), [g])


def test_max_pool2d_with_indices_backward_is_zero_in_input_and_checks_shapes():
    x = ag.tensor(R.normal(size=(1, 1, 4, 4)), requires_grad=True)
    out, idx = F.max_pool2d(x.detach(), 2, return_indices=True)
    y = ag.ops.aten.max_pool2d_with_indices_backward(ag.ones_like(out), x, 2, 2, 0, 1, False, idx)
    assert y.requires_grad
    (gx,) = ag.autograd.grad(y.sum(), [x])
    assert not np.any(gx.numpy())
    with pytest.raises(RuntimeError):
        ag.ops.aten.max_pool2d_with_indices_backward(ag.ones(1, 1, 3, 2), x, 2, 2, 0, 1, False, idx)
