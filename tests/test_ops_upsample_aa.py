"""_upsample_bilinear2d_aa (ops/upsample_aa.py) against PyTorch's antialiased bilinear
resize: shrinking, growing, align_corners, scale factors; gradients and a float64 gradcheck."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(41)
X = R.normal(size=(2, 3, 7, 9))


@pytest.mark.parametrize("size, align", [((3, 4), False), ((5, 5), True), ((11, 4), False),
                                         ((14, 18), False), ((1, 2), True)])
def test_resize_to_a_size_matches_torch(size, align):
    compare(lambda t: ag.ops.aten._upsample_bilinear2d_aa(t, size, align),
            lambda t: torch.ops.aten._upsample_bilinear2d_aa(t, size, align), [X])
    compare(lambda t: ag.ops.aten._upsample_bilinear2d_aa(t, size, align),
            lambda t: torch.nn.functional.interpolate(t, size, mode="bilinear",
                                                      align_corners=align, antialias=True),
            [X[:1, :1]], check=False)


@pytest.mark.parametrize("factors, align", [((1.7, 0.9), False), ((0.8, 1.0), True),
                                            ((0.45, 0.3), False)])
def test_resize_by_scale_factors_matches_torch(factors, align):
    compare(lambda t: ag.ops.aten._upsample_bilinear2d_aa(t, None, align, factors),
            lambda t: torch.ops.aten._upsample_bilinear2d_aa(t, None, align, factors), [X])


def test_given_scales_with_a_size_and_errors():
    compare(lambda t: ag.ops.aten._upsample_bilinear2d_aa(t, (3, 3), False, scales_h=1.7, scales_w=0.9),
            lambda t: torch.ops.aten._upsample_bilinear2d_aa(t, (3, 3), False, 1.7, 0.9), [X],
            check=False)
    with pytest.raises(RuntimeError):
        ag.ops.aten._upsample_bilinear2d_aa(ag.tensor(X[0]), (3, 3), False)
    with pytest.raises(RuntimeError):
        ag.ops.aten._upsample_bilinear2d_aa(ag.tensor(X), (0, 3), False)
