"""Factories and integer arithmetic refuse what PyTorch refuses, with its exception class,
instead of answering with a wrong number (a wrapped int, zeros, an empty range)."""

import warnings

import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag

BIG = 2 ** 63

CASES = [
    # (code, exception class, words the message must hold)
    ("t.tensor([2**63])", ValueError, "9223372036854775808"),
    ("t.tensor(2**63)", ValueError, "int64"),
    ("t.tensor([-2**63 - 1])", ValueError, "int64"),
    ("t.tensor([[1, 2], [3, 2**64]])", ValueError, "int64"),
    ("t.tensor([2**63], dtype=t.int64)", ValueError, "int64"),
    ("t.full((2,), 2**63)", RuntimeError, "overflow"),
    ("t.rand(5, dtype=t.int64)", NotImplementedError, "int64"),
    ("t.rand(5, dtype=t.bool)", NotImplementedError, "floating"),
    ("t.randn(5, dtype=t.int32)", NotImplementedError, "int32"),
    ("t.normal(0., -1., size=(3,))", RuntimeError, "std"),
    ("t.normal(t.zeros(3), -t.ones(3))", RuntimeError, "std"),
    ("t.normal(t.zeros(3), -1.)", RuntimeError, "-1"),
    ("t.normal(0, -1)", TypeError, "size"),
    ("t.normal(t.zeros(2), t.tensor([1., float('nan')]))", RuntimeError, "std"),
    ("t.arange(10, 0, 1)", RuntimeError, "step"),
    ("t.arange(0, 10, -1)", RuntimeError, "end=10"),
    ("t.arange(float('nan'), 3)", RuntimeError, "nan"),
    ("t.arange(0, float('inf'))", RuntimeError, "inf"),
    ("t.randperm(-1)", RuntimeError, "-1"),
    ("t.linspace(0, 1, -1)", RuntimeError, "steps=-1"),
    ("t.logspace(0, 1, -2)", RuntimeError, "steps=-2"),
    ("t.eye(-1)", RuntimeError, "-1"),
    ("t.eye(2, -3)", RuntimeError, "-3"),
    ("t.empty(2**62)", RuntimeError, "4611686018427387904"),
    ("t.zeros(2**31, 2**31, 4)", RuntimeError, "2147483648"),
    ("t.empty(2**40)", RuntimeError, "1099511627776"),
    ("t.zeros(2**70)", TypeError, "1180591620717411303424"),
    ("t.tensor([2**40], dtype=t.int32)", RuntimeError, "int32"),
    ("t.full((2,), 2**40, dtype=t.int32)", RuntimeError, "1099511627776"),
    ("t.zeros(3, dtype=t.int64).fill_(2**63)", RuntimeError, "9223372036854775808"),
    ("t.arange(0, 2**63, 2**62)", RuntimeError, "9223372036854775808"),
    ("t.randint(-5, 2**63, (2,))", ValueError, "9223372036854775808"),
    ("t.linspace(0, 1, 2**40)", RuntimeError, "1099511627776"),
    ("t.tensor([5]) // t.tensor([0])", RuntimeError, "ZeroDivisionError"),
    ("t.tensor([5, 7]) % t.tensor([2, 0])", RuntimeError, "ZeroDivisionError"),
    ("t.tensor([5]) // 0", RuntimeError, "floor_divide"),
    ("t.tensor([5]) % 0", RuntimeError, "remainder"),
    ("5 // t.tensor([0, 1])", RuntimeError, "ZeroDivisionError"),
    ("t.div(t.tensor([5]), t.tensor([0]), rounding_mode='trunc')", RuntimeError, "zero"),
]


@pytest.mark.parametrize("code, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_factory_argument_raises_pytorchs_exception(code, error, words):
    with pytest.raises(error) as info:
        eval(code, {"t": ag})
    assert words in str(info.value), str(info.value)
    torch = pytest.importorskip("torch")
    if "2**40)" in code:
        return  # PyTorch's answer depends on the machine's memory (overcommit)
    with pytest.raises(error):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(code, {"t": torch})


def test_valid_neighbours_still_work():
    assert ag.tensor([BIG - 1]).item() == BIG - 1
    assert ag.tensor([-BIG]).item() == -BIG
    assert ag.tensor([1.5, 2 ** 63]).dtype == ag.float32  # a float among them: float tensor
    assert ag.tensor([2 ** 63], dtype=ag.float64).item() == 2.0 ** 63
    assert ag.arange(5, 5, -1).shape == (0,)
    assert ag.arange(3, 0, -1).tolist() == [3, 2, 1]
    assert ag.randperm(0).shape == (0,)
    assert ag.eye(0).shape == (0, 0)
    assert ag.linspace(0, 1, 0).shape == (0,)
    assert ag.normal(0.0, 0.0, size=(2,)).tolist() == [0.0, 0.0]
    assert ag.rand(3, dtype=ag.float16).dtype == ag.float16
    assert (ag.tensor([7, -7]) // ag.tensor([2, 2])).tolist() == [3, -4]
    assert (ag.tensor([7.0]) // 0).item() == float("inf")  # floats: IEEE, no error


@pytest.mark.usefixtures("fake_cuda")
def test_zero_divisor_is_refused_on_a_device():
    """On a device the check runs without a host synchronisation and reports at the next
    one, as CUDA reports a device-side assert."""
    a = ag.tensor([5, 6], device="cuda")
    b = ag.tensor([0, 1], device="cuda")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        (a // b).cpu()
