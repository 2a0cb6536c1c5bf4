"""Creation functions: dtype inference like PyTorch's, ``dtype=``/``device=``/
``requires_grad=``, shapes given as ints or a sequence, reproducible random numbers, the
``*_like`` and ``new_*`` forms, and the same on the (fake) CUDA device."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import FakeArray, fake_cuda  # noqa: F401

import autograd_core as ag


# ------------------------------------------------------------------ dtype inference
@pytest.mark.parametrize(
    "data, dtype",
    [(1.5, ag.float32), (2, ag.int64), (True, ag.bool), ([1.0, 2.0], ag.float32),
     ([1, 2], ag.int64), ([True, False], ag.bool), ([1, 2.0], ag.float32),
     ([True, 1], ag.int64), ([[1, 2], [3, 4]], ag.int64), ([], ag.float32),
     ((1.0, 2.0), ag.float32), (np.float64(1.5), ag.float64), (np.float32(1.5), ag.float32),
     (np.int32(3), ag.int32), (np.arange(3, dtype=np.float64), ag.float64),
     (np.arange(3, dtype=np.int32), ag.int32), (np.ones(2, dtype=np.float16), ag.float16),
     (np.array([True]), ag.bool)],
)
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    assert ag.tensor(data).dtype == dtype


def test_dtype_inference_matches_pytorch():
    torch = pytest.importorskip("torch")
    for data in [1.5, 2, True, [1, 2.0], [True, 1], [], np.float64(1.5), np.int32(3),
                 np.arange(3, dtype=np.float64), np.arange(3, dtype=np.int32)]:
        expected = str(torch.tensor(data).dtype).replace("torch.", "")
        assert ag.tensor(data).dtype.name == expected, data


def test_default_dtype_changes_inference():
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.tensor([1.0]).dtype == ag.float64
        assert ag.zeros(2).dtype == ag.float64
        assert ag.arange(0.0, 1.0, 0.5).dtype == ag.float64
        assert ag.tensor([1]).dtype == ag.int64
    finally:
        ag.set_default_dtype(ag.float32)
    assert ag.tensor([1.0]).dtype == ag.float32


def test_tensor_shapes_and_values():
    assert ag.tensor(3.0).shape == () and ag.tensor(3.0).item() == 3.0
    assert ag.tensor([]).shape == (0,)
    assert ag.tensor([[]]).shape == (1, 0)
    assert ag.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ag.tensor([1.5, 2.5], dtype=ag.int64).tolist() == [1, 2]
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == ag.float64
    assert ag.tensor([1, 0], dtype=ag.bool).tolist() == [True, False]
    assert ag.tensor([1, 2], dtype="float32").dtype == ag.float32
    assert ag.tensor([1, 2], dtype=np.float64).dtype == ag.float64
    assert ag.tensor([1, 2], dtype=float).dtype == ag.float64


def test_tensor_copies_its_data():
    a = np.zeros(3, dtype=np.float32)
    t = ag.tensor(a)
    a[0] = 1.0
    assert t.tolist() == [0.0, 0.0, 0.0]
    u = ag.tensor(t)
    assert not np.shares_memory(u.numpy(), t.numpy())
    assert not u.requires_grad and u.is_leaf


def test_tensor_from_a_list_of_tensors():
    a = ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(2.0)
    t = ag.tensor([a, b])
    assert t.tolist() == [1.0, 2.0] and not t.requires_grad
    assert ag.tensor([[a], [b]]).shape == (2, 1)
    assert ag.tensor([a, b], dtype=ag.float64).dtype == ag.float64


def test_bad_data():
    with pytest.raises(ValueError):
        ag.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        ag.tensor("abc")
    with pytest.raises(TypeError):
        ag.tensor([1.0], dtype="complex256")  # (complex64/128 are supported)
    with pytest.raises(TypeError):
        ag.tensor({1: 2})


def test_requires_grad_needs_a_float_dtype():
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.zeros(2, dtype=ag.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.arange(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([True]).requires_grad_()
    t = ag.tensor([1, 2], dtype=ag.float32, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None


# ---------------------------------------------------------------------- as_tensor
def test_as_tensor_shares_when_it_can():
    a = np.arange(3, dtype=np.float64)
    t = ag.as_tensor(a)
    a[0] = 7.0
    assert t.tolist()[0] == 7.0 and t.dtype == ag.float64
    converted = ag.as_tensor(a, dtype=ag.float32)
    a[1] = 8.0
    assert converted.tolist()[1] == 1.0 and converted.dtype == ag.float32
    x = ag.ones(2)
    assert ag.as_tensor(x) is x
    assert ag.as_tensor(x, dtype=ag.float64).dtype == ag.float64
    assert ag.as_tensor([1, 2]).dtype == ag.int64
    assert ag.as_tensor([1, 2], dtype=ag.float32).tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------- filled
@pytest.mark.parametrize("fn, value", [(ag.zeros, 0.0), (ag.ones, 1.0)])
def test_zeros_ones(fn, value):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = fn(*args)
        assert t.shape == (2, 3) and t.dtype == ag.float32
        assert t.tolist() == [[value] * 3] * 2
    assert fn(()).shape == () and fn().shape == ()
    assert fn(0).shape == (0,)
    assert fn(2, dtype=ag.int64).dtype == ag.int64
    assert fn(2, dtype=ag.bool).dtype == ag.bool
    assert fn(2, requires_grad=True).requires_grad
    assert fn(2, device="cpu").device == "cpu"


def test_empty():
    t = ag.empty(2, 3)
    assert t.shape == (2, 3) and t.dtype == ag.float32
    assert ag.empty((4,), dtype=ag.int32).dtype == ag.int32


def test_bad_sizes():
    with pytest.raises(RuntimeError, match="negative"):
        ag.zeros(-1)
    with pytest.raises(TypeError):
        ag.ones(2.5)
    with pytest.raises(TypeError):
        ag.zeros("3")


def test_full_infers_dtype_from_the_fill_value():
    assert ag.full((2,), 1.5).dtype == ag.float32
    assert ag.full((2,), 7).dtype == ag.int64
    assert ag.full((2,), True).dtype == ag.bool
    assert ag.full((2, 2), 7, dtype=ag.float64).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert ag.full((), 3.0).shape == ()
    assert ag.full((2,), ag.tensor(4.0)).tolist() == [4.0, 4.0]


def test_eye():
    assert ag.eye(3).tolist() == np.eye(3).tolist() and ag.eye(3).dtype == ag.float32
    assert ag.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert ag.eye(2, dtype=ag.int64).dtype == ag.int64


# ---------------------------------------------------------------------- ranges
@pytest.mark.parametrize(
    "args, kwargs",
    [((5,), {}), ((1, 4), {}), ((0, 1, 0.25), {}), ((5.0,), {}), ((1, 2.5, 0.5), {}),
     ((5, 0, -2), {}), ((0, 1, 0.1), {}), ((3,), {"dtype": "float64"}), ((0,), {})],
)
def test_arange_matches_pytorch(args, kwargs):
    torch = pytest.importorskip("torch")
    expected = torch.arange(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    got = ag.arange(*args, **{k: getattr(ag, v) for k, v in kwargs.items()})
    assert got.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_arange_dtypes_and_errors():
    assert ag.arange(5).dtype == ag.int64 and ag.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ag.arange(0.0, 1.0, 0.5).dtype == ag.float32
    assert ag.arange(3, dtype=ag.float32).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ag.arange(0, 1, 0)


def test_linspace():
    assert ag.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ag.linspace(0, 1, 5).dtype == ag.float32
    assert ag.linspace(0, 1, 1).tolist() == [0.0]
    assert ag.linspace(0, 1, 0).shape == (0,)
    assert ag.linspace(-1, 1, 3, dtype=ag.float64).dtype == ag.float64


# ---------------------------------------------------------------------- random
def test_random_shapes_and_dtypes():
    assert ag.rand(2, 3).shape == (2, 3) and ag.rand(2, 3).dtype == ag.float32
    assert ag.rand((4,)).shape == (4,)
    assert ag.randn(3, dtype=ag.float64).dtype == ag.float64
    u = ag.rand(1000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.05
    z = ag.randn(2000).numpy()
    assert abs(z.mean()) < 0.1 and abs(z.std() - 1.0) < 0.1
    r = ag.randint(0, 10, (50,))
    assert r.dtype == ag.int64 and r.shape == (50,)
    assert 0 <= r.numpy().min() and r.numpy().max() < 10
    assert ag.randint(3, (4,)).numpy().max() < 3  # randint(high, size)
    assert ag.randint(2, 5, size=(3,), dtype=ag.int32).dtype == ag.int32
    with pytest.raises(RuntimeError, match="from"):
        ag.randint(5, 0, (2,))
    n = ag.normal(2.0, 0.5, size=(1000,))
    assert n.dtype == ag.float32 and abs(n.numpy().mean() - 2.0) < 0.1
    mean = ag.zeros(3, dtype=ag.float64)
    assert ag.normal(mean, 1.0).dtype == ag.float64 and ag.normal(mean, 1.0).shape == (3,)
    assert ag.normal(0.0, ag.ones(2, 2)).shape == (2, 2)
    assert sorted(ag.randperm(6).tolist()) == list(range(6))
    assert ag.randperm(6).dtype == ag.int64
    assert ag.rand(2, requires_grad=True).requires_grad


def test_manual_seed_reproduces_random_numbers():
    def draw():
        return (ag.rand(4).tolist(), ag.randn(4).tolist(), ag.randint(0, 100, (4,)).tolist(),
                ag.randperm(5).tolist(), ag.normal(0.0, 1.0, size=(3,)).tolist())

    ag.manual_seed(42)
    first = draw()
    ag.manual_seed(42)
    assert draw() == first
    ag.manual_seed(43)
    assert draw() != first


def test_generator_gives_an_independent_stream():
    g = ag.Generator().manual_seed(5)
    a = ag.rand(3, generator=g).tolist()
    ag.rand(10)  # the global stream does not disturb g
    g2 = ag.Generator().manual_seed(5)
    assert ag.rand(3, generator=g2).tolist() == a


# ---------------------------------------------------------------------- *_like, new_*
def test_like_functions_keep_shape_dtype_device():
    x = ag.zeros(2, 3, dtype=ag.float64)
    for fn in (ag.zeros_like, ag.ones_like, ag.empty_like, ag.rand_like, ag.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == ag.float64 and y.device == "cpu"
        assert not y.requires_grad
        assert fn(x, dtype=ag.float32).dtype == ag.float32
        assert fn(x, requires_grad=True).requires_grad
    assert ag.ones_like(x).tolist() == [[1.0] * 3] * 2
    assert ag.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert ag.full_like(x, 7).dtype == ag.float64
    i = ag.zeros(4, dtype=ag.int32)
    assert ag.zeros_like(i).dtype == ag.int32
    r = ag.randint_like(i, 5)
    assert r.dtype == ag.int32 and r.numpy().max() < 5
    assert ag.randint_like(i, 2, 4).numpy().min() >= 2


def test_new_methods_take_dtype_and_device_from_self():
    x = ag.zeros(2, dtype=ag.float64)
    assert x.new_zeros(3).dtype == ag.float64 and x.new_zeros(3).shape == (3,)
    assert x.new_ones((2, 3)).shape == (2, 3)
    assert x.new_empty(4).shape == (4,)
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0] and x.new_full((2,), 3).dtype == ag.float64
    assert x.new_tensor([1, 2]).dtype == ag.float64
    assert x.new_tensor([1, 2], dtype=ag.int64).dtype == ag.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    i = ag.zeros(2, dtype=ag.int64)
    assert i.new_zeros(3).dtype == ag.int64


def test_new_and_like_match_pytorch_dtypes():
    torch = pytest.importorskip("torch")
    cases = [("new_tensor", ([1, 2],)), ("new_full", ((2,), 3)), ("new_zeros", (3,))]
    for name, args in cases:
        for dt in ("float32", "int64", "float64"):
            expected = getattr(torch.zeros(1, dtype=getattr(torch, dt)), name)(*args).dtype
            got = getattr(ag.zeros(1, dtype=getattr(ag, dt)), name)(*args).dtype
            assert got.name == str(expected).replace("torch.", "")


# ---------------------------------------------------------------------- on "cuda"
@pytest.mark.usefixtures("fake_cuda")
def test_every_creation_function_on_cuda():
    made = {
        "tensor": ag.tensor([1.0, 2.0], device="cuda"),
        "as_tensor": ag.as_tensor([1, 2], device="cuda"),
        "zeros": ag.zeros(2, 3, device="cuda"),
        "ones": ag.ones(2, device="cuda", dtype=ag.float64),
        "empty": ag.empty(2, device="cuda"),
        "full": ag.full((2,), 3, device="cuda"),
        "eye": ag.eye(2, device="cuda"),
        "arange": ag.arange(4, device="cuda"),
        "linspace": ag.linspace(0, 1, 3, device="cuda"),
        "rand": ag.rand(3, device="cuda"),
        "randn": ag.randn(3, device="cuda"),
        "randint": ag.randint(0, 5, (3,), device="cuda"),
        "randperm": ag.randperm(4, device="cuda"),
        "normal": ag.normal(0.0, 1.0, size=(2,), device="cuda"),
        "generator": ag.rand(2, generator=ag.Generator().manual_seed(0), device="cuda"),
    }
    x = made["zeros"]
    made.update({
        "zeros_like": ag.zeros_like(x), "ones_like": ag.ones_like(x),
        "full_like": ag.full_like(x, 2.0), "rand_like": ag.rand_like(x),
        "randn_like": ag.randn_like(x), "empty_like": ag.empty_like(x),
        "randint_like": ag.randint_like(x, 3), "new_zeros": x.new_zeros(2),
        "new_ones": x.new_ones(2), "new_full": x.new_full((2,), 1.0),
        "new_empty": x.new_empty(2), "new_tensor": x.new_tensor([1.0]),
        "normal_tensors": ag.normal(x, 1.0),
    })
    for name, t in made.items():
        assert type(t._data) is FakeArray, name
        assert t.device == "cuda:0", name
    assert made["full"].dtype == ag.int64 and made["full"].tolist() == [3, 3]
    assert made["arange"].tolist() == [0, 1, 2, 3]
    assert made["linspace"].tolist() == [0.0, 0.5, 1.0]
    assert made["eye"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert sorted(made["randperm"].tolist()) == [0, 1, 2, 3]
    assert made["ones"].dtype == ag.float64
    assert ag.zeros_like(x, device="cpu").device == "cpu"
    assert ag.zeros(2, device="cuda", requires_grad=True).requires_grad


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_out_receives_the_result_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    make, theirs = getattr(ag, name), getattr(torch, name)
    resized, their_resized = ag.ones(3), torch.ones(3)
    assert make(2, out=resized) is resized and tuple(resized.shape) == (2,)
    theirs(2, out=their_resized)
    if name != "empty":
        assert resized.tolist() == their_resized.tolist()
    base, their_base = ag.full((3,), 7.0), torch.full((3,), 7.0)  # a view of the right shape:
    make(2, out=base[:2])  # written in place, so the base sees it
    theirs(2, out=their_base[:2])
    if name != "empty":
        assert base.tolist() == their_base.tolist()
    ints = ag.ones(2, dtype=ag.int64)
    make(2, 2, out=ints)
    assert ints.dtype is ag.int64 and tuple(ints.shape) == (2, 2)
    with pytest.raises(RuntimeError, match="does not match the dtype of out"):
        make(2, dtype=ag.int64, out=ag.ones(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        make(2, out=ag.ones(2, requires_grad=True))
