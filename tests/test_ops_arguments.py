"""Arguments real programs pass: out=, axis=/keepdims=, flip(dims=), memory_format=, a range
as an index, format specs on 0-d tensors, the legacy typed constructors."""

import warnings

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

X = np.arange(6.0, dtype=np.float32).reshape(2, 3)


def test_numpy_names_on_reductions_match_torch():
    x, t = ag.tensor(X), torch.tensor(X)
    for name in ("sum", "mean", "amax", "prod", "std", "logsumexp"):
        ours = getattr(ag, name)(x, axis=1, keepdims=True)
        theirs = getattr(torch, name)(t, axis=1, keepdims=True)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        np.testing.assert_allclose(getattr(x, name)(axis=0).numpy(),
                                   getattr(t, name)(axis=0).numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        x.sum(dim=0, axis=0)


def test_out_writes_resizes_and_refuses_grad_like_torch():
    x = ag.tensor(X)
    out = ag.empty(2, 3)
    assert ag.add(x, 1, out=out) is out
    np.testing.assert_array_equal(out.numpy(), X + 1)
    small = ag.empty(1)
    with pytest.warns(UserWarning, match="resized"):
        ag.mul(x, 2, out=small)
    assert small.shape == (2, 3)
    values, indices = ag.empty(2, 3), ag.empty(2, 3, dtype=ag.int64)
    result = ag.sort(x, 1, descending=True, out=(values, indices))
    assert result.values is values and result.indices is indices
    assert indices[:, 0].tolist() == [2, 2] and values[:, 0].tolist() == [2.0, 5.0]
    w = ag.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="out="):
        ag.exp(w, out=ag.empty(2, 3))
    with pytest.raises(RuntimeError):
        torch.exp(torch.tensor(X, requires_grad=True), out=torch.empty(2, 3))


def test_flip_dims_keyword_and_memory_format():
    x = ag.tensor(X)
    np.testing.assert_array_equal(ag.flip(x, dims=(0, 1)).numpy(), X[::-1, ::-1])
    np.testing.assert_array_equal(x.flip(dims=[1]).numpy(), X[:, ::-1])
    assert x.to(memory_format=ag.channels_last).shape == (2, 3)
    assert x.contiguous(memory_format=ag.contiguous_format) is x
    assert ag.zeros_like(x, memory_format=ag.preserve_format).shape == (2, 3)


def test_range_index_gets_and_sets():
    x = ag.arange(10.0)
    np.testing.assert_array_equal(x[range(2, 5)].numpy(), [2, 3, 4])
    x[range(0, 10, 3)] = 0.0
    assert x.tolist()[:4] == [0, 1, 2, 0]
    w = ag.tensor(X, requires_grad=True)
    w[range(1)].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1, 1], [0, 0, 0]])


def test_format_spec_on_zero_dim_tensors():
    assert "{:.2f}".format(ag.tensor(3.14159)) == "3.14"  # noqa: UP032  (the form programs use)
    assert f"{ag.tensor(7):>3d}" == "  7"
    assert f"{ag.tensor([1.0])}" == str(ag.tensor([1.0]))
    with pytest.raises(TypeError):
        format(ag.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")


def test_legacy_constructors_and_type():
    t = ag.FloatTensor([1, 2])
    assert t.dtype == ag.float32 and isinstance(t, ag.FloatTensor)
    assert not isinstance(t, ag.LongTensor) and isinstance(ag.LongTensor([1]), ag.LongTensor)
    assert ag.DoubleTensor(2, 3).shape == (2, 3) and ag.DoubleTensor(2, 3).dtype == ag.float64
    assert t.type("torch.LongTensor").dtype == ag.int64
    assert t.type(ag.float64).dtype == ag.float64
    assert torch.FloatTensor(2, 3).shape == (2, 3)  # (the same call in PyTorch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ag.IntTensor(np.array([1, 2])).dtype == ag.int32
