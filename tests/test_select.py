"""The branch-free selection (`autograd_core._select`) is `where`, bit for bit.

Every rule's `where` and the activations' forwards take it on NumPy from `MIN_SIZE`
elements; below, or where it does not apply, `where` itself runs.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import _select as Z

SPECIALS = [-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45]


def _bits(a):
    return a.view(np.uint8)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 1e300 as float16/32: inf, as where
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [Z.MIN_SIZE - 1, Z.MIN_SIZE, 3 * Z.MIN_SIZE + 5])
def test_select_is_where_bit_for_bit(dtype, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    x[:len(SPECIALS)] = SPECIALS
    g[len(SPECIALS):2 * len(SPECIALS)] = SPECIALS
    for cond, a, b in [(x < 0, 0, x), (x <= 0, 0.0, g), (x > 0, g, 0), (x > 0, g, 0.0),
                       (x != x, 0.0, g[::-1]), (x > 0, x, x * 0.2), (x > 0, g, x),
                       (x < -1, -1.0, x), (x > 1, 1, g), (x <= 0, -0.0, x), (x > 0, np.inf, g),
                       (x > 0, 1e300, x)]:
        out = Z.select(cond, a, b)
        expected = np.where(cond, a, b)
        if n < Z.MIN_SIZE:
            assert out is None
            continue
        assert out.dtype == expected.dtype and out.shape == expected.shape
        assert np.array_equal(_bits(out), _bits(expected))


def test_select_declines_what_it_does_not_cover():
    x = np.linspace(-1, 1, 2 * Z.MIN_SIZE, dtype=np.float32)
    assert Z.select(x < 0, 1.0, 2.0) is None  # no array branch
    assert Z.select(x < 0, x, x.astype(np.float64)) is None  # two dtypes: where promotes
    assert Z.select(x < 0, np.float64(1.0), x) is None  # a NumPy scalar is not weak
    assert Z.select(x < 0, x[:1], x) is None  # a broadcast branch
    assert Z.select(x < 0, 0, x.astype(np.int32)) is None  # integers: where is branch-free enough
    assert Z.select(x[:1] < 0, 0, x) is None  # a broadcast mask
    assert Z.select((x < 0).astype(np.int8), 0, x) is None


# (hardtanh/relu6 and the ELU family are left out: PyTorch's own gradient at NaN depends on
# the array's length there, its vectorised loop and its tail disagreeing)
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "threshold"])
def test_activations_keep_pytorchs_bits_on_a_large_array(name):
    torch = pytest.importorskip("torch")
    args = {"threshold": (0.1, 20.0)}.get(name, ())
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4 * Z.MIN_SIZE).astype(np.float32)
    x[:len(SPECIALS)] = SPECIALS
    g = rng.standard_normal(x.shape).astype(np.float32)
    g[len(SPECIALS):2 * len(SPECIALS)] = SPECIALS  # infinities where the mask drops them
    ours = ag.tensor(x, requires_grad=True)
    y = getattr(ag.nn.functional, name)(ours, *args)
    y.backward(ag.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(theirs, *args)
    expected.backward(torch.tensor(g))
    assert np.array_equal(_bits(y.detach().numpy()), _bits(expected.detach().numpy()))
    assert np.array_equal(_bits(ours.grad.numpy()), _bits(theirs.grad.numpy()))
