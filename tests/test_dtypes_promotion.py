"""The small dtypes (uint8, int8, int16, bfloat16) in PyTorch's type promotion: every pair of
dtypes, tensors with Python numbers and with 0-d tensors, and the integer arithmetic that
wraps (uint8 200 + 100 is 44) or keeps its dtype, compared with PyTorch."""

from __future__ import annotations

import itertools

import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))


def _name(d) -> str:
    return str(d).rsplit(".", 1)[-1]


def _values(t):
    return (t.float() if t.dtype in (ag.bfloat16, torch.bfloat16) else t).tolist()


def _pair(lib, a: str, b: str, shape_b=(3,)):
    x = lib.tensor([1, 0, 1] if a == "bool" else [3, 1, 5], dtype=getattr(lib, a))
    y = lib.tensor([1, 1, 0] if b == "bool" else [2, 2, 1], dtype=getattr(lib, b))
    return x, (y[0] if shape_b == () else y)


def test_dtype_names_and_aliases_are_torch_s():
    for name in NAMES:
        assert _name(getattr(ag, name)) == name
        assert getattr(ag, name).itemsize == getattr(torch, name).itemsize
        assert getattr(ag, name).is_signed == getattr(torch, name).is_signed
        assert getattr(ag, name).is_floating_point == getattr(torch, name).is_floating_point
    assert ag.short is ag.int16
    assert ag.bfloat16.is_floating_point and not ag.uint8.is_signed


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_matches_torch_for_every_pair(a, b):
    assert _name(ag.promote_types(getattr(ag, a), getattr(ag, b))) == \
        _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


def test_the_two_pairs_that_need_a_third_dtype():
    assert ag.promote_types(ag.uint8, ag.int8) is ag.int16
    assert ag.promote_types(ag.float16, ag.bfloat16) is ag.float32
    x, y = _pair(ag, "uint8", "int8")
    assert (x * y).dtype is ag.int16


@pytest.mark.parametrize("op", ["add", "mul", "lt", "maximum"])
def test_binary_ops_of_two_tensors_give_torch_s_dtype_and_values(op):
    for a, b in PAIRS:
        if op == "maximum" and "bool" in (a, b):
            continue
        for shape_b in ((3,), ()):
            ours = getattr(ag, op)(*_pair(ag, a, b, shape_b))
            ref = getattr(torch, op)(*_pair(torch, a, b, shape_b))
            assert (_name(ours.dtype), _values(ours)) == (_name(ref.dtype), _values(ref)), (a, b)


@pytest.mark.parametrize("scalar", [2, 2.5, True, 300, -1])
def test_a_tensor_with_a_python_number(scalar):
    for a in NAMES:
        x, xt = _pair(ag, a, a)[0], _pair(torch, a, a)[0]
        for f in (lambda t: t + scalar, lambda t: scalar * t, lambda t: t / scalar):
            ours, ref = f(x), f(xt)
            assert _name(ours.dtype) == _name(ref.dtype), (a, scalar)
            assert _values(ours) == pytest.approx(_values(ref), rel=1e-2), (a, scalar)


def test_uint8_arithmetic_wraps_as_torch_does():
    x = ag.tensor([200, 10], dtype=ag.uint8)
    assert (x + 100).tolist() == [44, 110]
    assert (x + x).tolist() == [144, 20]
    assert (x + 300).tolist() == [244, 54]
    assert (x - 201).tolist() == [255, 65]
    assert (x * 2).tolist() == [144, 20]
    assert (-x).tolist() == [56, 246]
    assert (x + 100).dtype is ag.uint8


def test_true_division_of_integers_gives_the_default_float():
    x = ag.tensor([255, 51], dtype=ag.uint8)
    scaled = x / 255.
    assert scaled.dtype is ag.float32
    assert scaled.tolist() == pytest.approx([1.0, 0.2])
    assert (x / x).dtype is ag.float32
    assert x.div(255).dtype is ag.float32
    assert (ag.tensor([1, 2], dtype=ag.int16) / ag.tensor([2, 2], dtype=ag.int8)).tolist() == [0.5, 1.0]
    try:
        ag.set_default_dtype(ag.float64)
        assert (x / 255).dtype is ag.float64
    finally:
        ag.set_default_dtype(ag.float32)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("op", ["fmod", "remainder", "floor_divide"])
def test_integer_division_ops_keep_the_integer_dtype(dtype, op):
    values = [7, 5, 100] if dtype == "uint8" else [7, -5, 100]
    divisors = [3, 2, 7]
    ours = getattr(ag.tensor(values, dtype=getattr(ag, dtype)), op)(ag.tensor(divisors, dtype=getattr(ag, dtype)))
    ref = getattr(torch.tensor(values, dtype=getattr(torch, dtype)), op)(
        torch.tensor(divisors, dtype=getattr(torch, dtype)))
    assert (_name(ours.dtype), ours.tolist()) == (_name(ref.dtype), ref.tolist())
    ours = getattr(ag.tensor(values, dtype=getattr(ag, dtype)), op)(3)
    ref = getattr(torch.tensor(values, dtype=getattr(torch, dtype)), op)(3)
    assert (_name(ours.dtype), ours.tolist()) == (_name(ref.dtype), ref.tolist())


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16"])
def test_bitwise_ops_and_shifts_on_the_small_ints(dtype):
    a, b = [12, 5, 127], [10, 3, 1]
    x, y = ag.tensor(a, dtype=getattr(ag, dtype)), ag.tensor(b, dtype=getattr(ag, dtype))
    xt, yt = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype))
    for f in (lambda p, q: p & q, lambda p, q: p | q, lambda p, q: p ^ q, lambda p, q: ~p,
              lambda p, q: p << q, lambda p, q: p >> q, lambda p, q: p << 1, lambda p, q: p & 6,
              lambda p, q: p == q, lambda p, q: p >= q, lambda p, q: p != 5):
        ours, ref = f(x, y), f(xt, yt)
        assert (_name(ours.dtype), ours.tolist()) == (_name(ref.dtype), ref.tolist())


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16"])
def test_sum_of_small_ints_is_int64_and_mean_refuses(dtype):
    values = [1, 0, 1] if dtype == "bool" else [100, 100, 100]
    x = ag.tensor(values, dtype=getattr(ag, dtype))
    xt = torch.tensor(values, dtype=getattr(torch, dtype))
    assert (_name(x.sum().dtype), x.sum().item()) == (_name(xt.sum().dtype), xt.sum().item())
    assert _name(x.prod().dtype) == _name(xt.prod().dtype)
    if dtype != "bool":
        assert _name(x.cumsum(0).dtype) == _name(xt.cumsum(0).dtype)
    with pytest.raises(RuntimeError, match="floating point"):
        x.mean()
    with pytest.raises(RuntimeError):
        xt.mean()
    assert x.mean(dtype=ag.float32).item() == pytest.approx(xt.mean(dtype=torch.float32).item())


@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_and_can_cast_match_torch(a, b):
    def make(lib, name, shape):
        return lib.ones(shape, dtype=getattr(lib, name))

    for sa, sb in (((2,), (2,)), ((), (2,)), ((2,), ()), ((), ())):
        assert ag.result_type(make(ag, a, sa), make(ag, b, sb)).name == \
            _name(torch.result_type(make(torch, a, sa), make(torch, b, sb))), (sa, sb)
    for number in (1, 2.5, True):
        assert ag.result_type(make(ag, a, (2,)), number).name == \
            _name(torch.result_type(make(torch, a, (2,)), number))
        assert ag.result_type(number, make(ag, b, ())).name == \
            _name(torch.result_type(number, make(torch, b, ())))
    assert ag.can_cast(getattr(ag, a), getattr(ag, b)) == \
        torch.can_cast(getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("f", [lambda p, q: p ** q, lambda p, q: p // q, lambda p, q: p % q,
                               lambda p, q: p << q, lambda p, q: p >> q, lambda p, q: p // True])
def test_bool_operands_with_no_kernel_are_refused_not_answered_in_int8(f):
    with pytest.raises(NotImplementedError):
        f(torch.tensor([True, False]), torch.tensor([True, True]))
    with pytest.raises(NotImplementedError):
        f(ag.tensor([True, False]), ag.tensor([True, True]))
