"""``Tensor.view(dtype)``: the same bytes read as another dtype, a real view (writes show in
both), PyTorch's shape rule and errors when the item sizes differ, and not differentiable."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag

torch = pytest.importorskip("torch")


def _both(make):
    """``make(lib)`` with PyTorch and with us: equal results, or the same exception class."""
    try:
        ref = make(torch)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="to view"):
            make(ag)
        return None
    ours = make(ag)
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    if ref.dtype == torch.bfloat16:
        ours, ref = ours.float(), ref.float()
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    return ours


CASES = [("float32", "uint8", (2, 3)), ("uint8", "float32", (2, 8)), ("uint8", "float32", (2, 6)),
         ("uint8", "float32", ()), ("float32", "int32", ()), ("float64", "int16", (0,)),
         ("float32", "bfloat16", (3,)), ("int16", "bfloat16", (2, 2)), ("bool", "uint8", (3,)),
         ("uint8", "bool", (3,)), ("float64", "uint8", (2, 1)), ("int8", "int16", (3, 4)),
         ("float16", "int16", (5,)), ("int64", "float64", (2,))]


@pytest.mark.parametrize("source,target,shape", CASES)
def test_view_dtype_matches_torch(source, target, shape):
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 1.7 - 3
    if source in ("bool", "uint8"):
        values = np.abs(values) % 2 if source == "bool" else np.abs(values)
    _both(lambda lib: lib.tensor(values.tolist() if shape else float(values),
                                 dtype=getattr(lib, source)).view(getattr(lib, target)))


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(4, 4).t().view(lib.int32),
    lambda lib: lib.zeros(4, 4).t().view(lib.uint8),
    lambda lib: lib.zeros(4, 8, dtype=lib.uint8)[:, 1:5].view(lib.int32),
    lambda lib: lib.zeros(4, 8, dtype=lib.uint8)[1:, 4:8].view(lib.int32),
    lambda lib: lib.zeros(4, 6, dtype=lib.uint8)[:, ::2].view(lib.int32),
    lambda lib: lib.zeros(4, 8, dtype=lib.uint8)[:, ::2].view(lib.int16),
    lambda lib: lib.zeros(4, 8, dtype=lib.uint8)[:, 1:3].view(lib.int16),
    lambda lib: lib.zeros(2, 3).view(dtype=lib.int32),
])
def test_non_contiguous_and_offset_views_follow_torch_s_rules(make):
    _both(make)


def test_a_dtype_view_shares_memory_and_version_with_its_base():
    x = ag.tensor([1.0, -2.0])
    bits = x.view(ag.int32)
    assert bits.tolist() == torch.tensor([1.0, -2.0]).view(torch.int32).tolist()
    before = x._version
    bits[0] = 0
    assert x.tolist() == [0.0, -2.0] and x._version > before
    x.mul_(2)
    assert bits[1].item() == torch.tensor([-4.0]).view(torch.int32).item()
    raw = ag.zeros(2, 4, dtype=ag.uint8)
    raw.view(ag.float32).add_(1.0)
    assert raw[0].tolist() == [0, 0, 128, 63]


def test_a_dtype_view_is_not_differentiable_and_view_shape_still_works():
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    assert not x.view(ag.int32).requires_grad and x.view(ag.int32).grad_fn is None
    assert not x.view(ag.float32).requires_grad  # as torch: view(dtype) never records
    y = x.view(2, 2)
    assert y.requires_grad and y.shape == (2, 2)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert x.view(-1).shape == (4,) and x.view((4, 1)).shape == (4, 1)


@pytest.mark.usefixtures("fake_cuda")
def test_dtype_views_on_a_cuda_device():
    x = ag.ones(2, 4, device="cuda")
    assert x.view(ag.uint8).shape == (2, 16) and x.view(ag.uint8).is_cuda
    assert x.view(ag.int32).cpu().tolist()[0] == [1065353216] * 4
    raw = ag.zeros(2, 8, dtype=ag.uint8, device="cuda")
    assert raw.view(ag.int32).shape == (2, 2)
    with pytest.raises(RuntimeError, match="storage_offset"):
        raw[:, 1:5].view(ag.int32)
    with pytest.raises(TypeError, match="float16 or float32"):
        x.view(ag.bfloat16)
