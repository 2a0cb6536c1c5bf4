"""A tensor's attributes and conversions: shape/size/ndim/numel/dtype/device, T and mT,
grad bookkeeping, item/tolist/numpy, Python protocols (len, iter, bool, float, index,
hash), ``repr`` in PyTorch's format, dtype casts, and no float64 promotion from NumPy
scalars."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag


# ---------------------------------------------------------------------- attributes
def test_shape_size_ndim_numel():
    t = ag.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, ag.Size)
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert repr(t.shape) == "autograd_core.Size([2, 3, 4])"
    assert t.shape.numel() == 24
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24 and t.nelement() == 24
    assert t.element_size() == 4 and ag.zeros(1, dtype=ag.float64).element_size() == 8
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)
    with pytest.raises(IndexError, match="no dimensions"):
        ag.tensor(1.0).size(0)
    s = ag.tensor(5.0)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1


def test_size_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    for shape in [(), (3,), (2, 0, 4)]:
        expected = repr(torch.zeros(shape).shape).replace("torch.", "autograd_core.")
        assert repr(ag.zeros(shape).shape) == expected


def test_dtype_device_and_flags():
    t = ag.tensor([1.0, 2.0])
    assert t.dtype == ag.float32 and t.device == "cpu" and t.device == ag.device("cpu")
    assert not t.is_cuda and t.is_floating_point() and t.is_contiguous()
    assert not ag.tensor([1]).is_floating_point()
    assert not ag.zeros(2, 3).T.is_contiguous()


def test_transposes():
    t = ag.arange(6).reshape(2, 3)
    assert t.T.shape == (3, 2) and t.T.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert t.mT.tolist() == t.T.tolist()
    b = ag.zeros(5, 2, 3)
    assert b.mT.shape == (5, 3, 2)
    assert b.T.shape == (3, 2, 5)  # reverses all dimensions, as in PyTorch
    v = ag.tensor([1.0, 2.0])
    assert v.T.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="mT"):
        v.mT  # noqa: B018


def test_grad_bookkeeping():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.requires_grad and x.grad is None and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.is_leaf and not x.grad.requires_grad
    c = ag.tensor([1.0])
    assert c.is_leaf and not c.requires_grad
    assert not (c * 2).requires_grad and (c * 2).is_leaf


def test_requires_grad_setter():
    t = ag.zeros(2)
    t.requires_grad = True
    assert t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    y = ag.ones(1, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_data_shares_memory_without_history():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    x.data = ag.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad


# ---------------------------------------------------------------------- conversions
def test_item_and_tolist():
    assert ag.tensor(2.5).item() == 2.5 and type(ag.tensor(2.5).item()) is float
    assert ag.tensor([7]).item() == 7 and type(ag.tensor([7]).item()) is int
    assert ag.tensor(True).item() is True
    assert ag.tensor([[1.5]]).item() == 1.5
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        ag.tensor([1.0, 2.0]).item()
    assert ag.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ag.tensor(2.5).tolist() == 2.5
    assert ag.tensor([True, False]).tolist() == [True, False]
    assert ag.tensor([1.0], requires_grad=True).tolist() == [1.0]


def test_numpy_shares_memory_and_refuses_grad():
    t = ag.tensor([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 9.0
    assert t.tolist() == [9.0, 2.0]
    g = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        g.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(g)
    assert g.detach().numpy().tolist() == [1.0]


def test_array_protocol():
    t = ag.tensor([[1, 2], [3, 4]])
    a = np.asarray(t)
    assert a.dtype == np.int64 and a.tolist() == [[1, 2], [3, 4]]
    assert np.shares_memory(a, t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(t), t.numpy())


@pytest.mark.parametrize(
    "method, dtype",
    [("float", ag.float32), ("double", ag.float64), ("long", ag.int64), ("int", ag.int32),
     ("bool", ag.bool), ("half", ag.float16)],
)
def test_cast_methods(method, dtype):
    t = ag.tensor([1.5, -1.5, 0.0])
    out = getattr(t, method)()
    assert out.dtype == dtype
    expected = np.array([1.5, -1.5, 0.0], dtype=np.float32).astype(dtype.numpy).tolist()
    assert out.tolist() == expected


def test_to_dtype_and_type_as():
    t = ag.tensor([1, 2])
    assert t.to(ag.float64).dtype == ag.float64
    assert t.to(dtype=ag.float32).tolist() == [1.0, 2.0]
    assert t.to("cpu", ag.float64).dtype == ag.float64
    assert t.to(t) is t and t.to("cpu") is t and t.to(ag.int64) is t
    assert t.to(ag.int64, copy=True) is not t
    assert t.type_as(ag.zeros(1)).dtype == ag.float32
    assert t.type_as(ag.zeros(1, dtype=ag.float64)).dtype == ag.float64
    assert ag.tensor([1.0]).type() == "autograd_core.FloatTensor"
    assert ag.tensor([1.0]).type(ag.float64).dtype == ag.float64
    assert ag.tensor([1]).type() == "autograd_core.LongTensor"
    assert ag.tensor([1.0]).type("autograd_core.DoubleTensor").dtype == ag.float64


def test_casts_are_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == ag.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == ag.float32 and x.grad.tolist() == [2.0, 4.0]


def test_casts_match_pytorch():
    torch = pytest.importorskip("torch")
    values = [1.5, -1.5, 0.0, 2.7, -0.2]
    for method in ("long", "int", "bool", "double"):
        expected = getattr(torch.tensor(values), method)().tolist()
        assert getattr(ag.tensor(values), method)().tolist() == expected


# ---------------------------------------------------------------------- protocols
def test_len_and_iter():
    t = ag.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and rows[1].tolist() == [3, 4]
    assert [r.item() for r in ag.tensor([1.0, 2.0])] == [1.0, 2.0]
    with pytest.raises(TypeError, match="0-d"):
        len(ag.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(ag.tensor(1.0))


def test_bool_float_int_index():
    assert bool(ag.tensor([1.0])) is True and bool(ag.tensor(0)) is False
    assert float(ag.tensor([2.5])) == 2.5 and int(ag.tensor(-2.7)) == -2
    assert [10, 20, 30][ag.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(ag.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(ag.tensor([]))
    with pytest.raises(ValueError, match="only one element tensors"):
        float(ag.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element tensors"):
        int(ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        [1, 2][ag.tensor(1.0)]


def test_hash_is_identity_while_eq_is_elementwise():
    a = ag.tensor([1.0, 2.0])
    b = ag.tensor([1.0, 2.0])
    assert hash(a) == id(a) and hash(a) != hash(b)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert a in {a} and b not in {a}
    eq = a == b
    assert isinstance(eq, ag.Tensor) and eq.dtype == ag.bool and eq.tolist() == [True, True]


def test_no_float64_promotion_from_numpy_scalars():
    t = ag.tensor([1.0, 2.0])
    for out in (t * np.float64(2), np.float64(2) * t, t + np.float64(1), np.float64(1) - t,
                t / np.float64(2), np.float64(2) / t, t ** np.float64(2), t * np.float32(2),
                t * np.int64(3), np.int64(3) + t):
        assert out.dtype == ag.float32
    assert (ag.tensor([1, 2]) * np.float64(2.5)).dtype == ag.float32
    assert (ag.tensor([1, 2]) * np.int64(2)).dtype == ag.int64
    assert (ag.tensor([1.0], dtype=ag.float64) * np.float32(2)).dtype == ag.float64


# ---------------------------------------------------------------------- repr
REPR_CASES = [
    ("[1.0, 2.0]", {}), ("[1.5, 2.0]", {}), ("3.0", {}), ("[1, 2]", {}), ("3", {}),
    ("[True, False]", {}), ("True", {}), ("[[1.0, 2.0], [3.0, 4.0]]", {}),
    ("[0.1, 0.25, -3.0]", {}), ("[1e-5, 1e5]", {}), ("[123456789.0]", {}), ("[1e8]", {}),
    ("[float('nan'), float('inf'), 1.0]", {}), ("[-0.0, 1.0]", {}), ("[]", {}),
    ("[1.0, 2.0]", {"requires_grad": True}), ("[1.0, 2.0]", {"dtype": "float64"}),
    ("[1.5, 2.0]", {"dtype": "float64", "requires_grad": True}),
    ("[1, 2]", {"dtype": "int32"}), ("[1.0, 2.0]", {"dtype": "float16"}),
    ("[1, 2]", {"dtype": "float32"}), ("list(range(2000))", {"dtype": "float32"}),
    ("[[i * 7.5 for i in range(20)] for _ in range(4)]", {}),
]


@pytest.mark.parametrize("data, kwargs", REPR_CASES)
def test_repr_matches_pytorch(data, kwargs):
    torch = pytest.importorskip("torch")
    values = eval(data)  # noqa: S307  (test literals)
    ours = ag.tensor(values, **{k: getattr(ag, v) if k == "dtype" else v
                                for k, v in kwargs.items()})
    theirs = torch.tensor(values, **{k: getattr(torch, v) if k == "dtype" else v
                                     for k, v in kwargs.items()})
    assert repr(ours) == repr(theirs).replace("torch.", "autograd_core.")


def test_repr_of_results_and_empty_tensors_matches_pytorch():
    torch = pytest.importorskip("torch")
    pairs = [
        (ag.tensor([1.0, 2.0], requires_grad=True) + 1,
         torch.tensor([1.0, 2.0], requires_grad=True) + 1),
        (ag.zeros(0, 3), torch.zeros(0, 3)),
        (ag.zeros(0, dtype=ag.int64), torch.zeros(0, dtype=torch.int64)),
        (ag.zeros(2, 0, dtype=ag.float64), torch.zeros(2, 0, dtype=torch.float64)),
        (ag.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)),
        (ag.arange(1200).reshape(2, 600), torch.arange(1200).reshape(2, 600)),
        (ag.ones(2, 2, 2, dtype=ag.bool), torch.ones(2, 2, 2, dtype=torch.bool)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs).replace("torch.", "autograd_core.")


def test_repr_without_pytorch():
    assert repr(ag.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ag.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(ag.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ag.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ag.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(ag.tensor([1.0], dtype=ag.float64)) == "tensor([1.], dtype=autograd_core.float64)"
    assert (repr(ag.tensor([1.0], requires_grad=True) * 2)
            == "tensor([2.], grad_fn=<MulBackward0>)")
    assert repr(ag.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ag.tensor(3)) == "tensor(3)"
    assert str(ag.tensor([0.5])) == "tensor([0.5000])"
