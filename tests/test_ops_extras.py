"""elementwise_more, copies, integrals and addr against PyTorch (values, a VJP, gradcheck)."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(8)
A, B = R.normal(size=(3, 4)), R.normal(size=(3, 4))
P = R.uniform(0.05, 0.95, size=(3, 4))


def _both(name, *args, **kw):
    return (lambda *x: getattr(ag, name)(*x, *args, **kw),
            lambda *x: getattr(torch, name)(*x, *args, **kw))


CASES = {
    "deg2rad": (_both("deg2rad"), [A]),
    "rad2deg": (_both("rad2deg"), [A]),
    "sinc": (_both("sinc"), [A]),
    "xlogy": (_both("xlogy"), [A, P]),
    "float_power": (_both("float_power"), [P, B]),
    "logit": (_both("logit", eps=0.1), [P]),
    "ldexp": ((lambda a: ag.ldexp(a, ag.tensor([1, 2, 0, 3])),
               lambda a: torch.ldexp(a, torch.tensor([1, 2, 0, 3]))), [A]),
    "frexp": ((lambda a: ag.frexp(a).mantissa, lambda a: torch.frexp(a).mantissa), [A]),
    "nextafter": (_both("nextafter"), [A, B]),
    "angle": (_both("angle"), [A]),
    "expand_copy": (_both("expand_copy", (2, 3, 4)), [A]),
    "diagonal_copy": (_both("diagonal_copy", 1), [A]),
    "sum_to_size": ((lambda a: a.sum_to_size(1, 4), lambda a: a.sum_to_size(1, 4)), [A]),
    "fill": (_both("fill", 2.5), [A]),
    "rsub": (_both("rsub", alpha=2), [A, B]),
    "conj_physical": (_both("conj_physical"), [A]),
    "H": ((lambda a: a.H, lambda a: a.H), [A]),
    "aminmax": ((lambda a: ag.aminmax(a, dim=1).max, lambda a: torch.aminmax(a, dim=1).max), [A]),
    "dist": (_both("dist", p=3), [A, B]),
    "renorm": (_both("renorm", 2, 0, 1.0), [A]),
    "trapezoid": (_both("trapezoid", dx=0.5), [A]),
    "trapezoid_x": ((lambda y, x: ag.trapezoid(y, x), lambda y, x: torch.trapezoid(y, x)),
                    [A, np.cumsum(np.abs(B), 1)]),
    "cumulative_trapezoid": (_both("cumulative_trapezoid", dim=0), [A]),
    "addr": (_both("addr", beta=0.5, alpha=2), [A, A[:, 0], B[0]]),
    "masked_scatter": ((lambda a, s: a.masked_scatter(ag.tensor(A > 0), s),
                        lambda a, s: a.masked_scatter(torch.tensor(A > 0), s)), [A, B]),
    "masked_scatter_broadcast": ((lambda a, s: a.masked_scatter(ag.tensor(A > 0), s),
                                  lambda a, s: a.masked_scatter(torch.tensor(A > 0), s)),
                                 [A[0], B]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    (ours, theirs), arrays = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(ours, theirs, arrays)


def test_histogram_matches_torch():
    for bins in (4, np.array([-2.0, 0.0, 0.5, 3.0])):
        ours = ag.histogram(ag.tensor(A), ag.tensor(bins) if isinstance(bins, np.ndarray) else bins,
                            weight=ag.tensor(np.abs(B)))
        theirs = torch.histogram(torch.tensor(A), torch.tensor(bins) if isinstance(
            bins, np.ndarray) else bins, weight=torch.tensor(np.abs(B)))
        np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy(), rtol=1e-6)
    assert 2 / ag.tensor([4.0]) == ag.tensor([0.5]) and ag.tensor([4.0]).__rdiv__(2).item() == 0.5


def test_bit_level_ops_match_torch():
    x = np.array([-0.0, 0.0, -2.5, 3.0])
    np.testing.assert_array_equal(ag.signbit(ag.tensor(x)).numpy(),
                                  torch.signbit(torch.tensor(x)).numpy())
    m, e = ag.frexp(ag.tensor(x))
    tm, te = torch.frexp(torch.tensor(x))
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    assert e.dtype == ag.int32
    assert ag.scalar_tensor(3).dtype == ag.float32 and (+ag.tensor([1.0])).tolist() == [1.0]
