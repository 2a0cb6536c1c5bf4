"""gather/scatter, take_along_dim, index_select/index_add/index_copy/index_fill/take,
masked_fill/masked_select/nonzero and their in-place forms (ops/scatter_gather.py and
ops/masking.py). Values against NumPy (and PyTorch where installed), gradients by finite
differences (first and second order), PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from gradients import check
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, shapes

import autograd_core as ag


# ---------------------------------------------------------------------------- gather / scatter
@st.composite
def gather_case(draw, min_dims=1):
    shape = draw(shapes(min_dims, 3, 1, 4))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    d = dim % nd
    ishape = tuple(draw(st.integers(0 if e != d else 0, s if e != d else 5))
                   for e, s in enumerate(shape))
    index = draw(arrays(ishape, 0, shape[d] - 1e-9)).astype(np.int64)
    return shape, dim, index


def np_gather(x, d, index):
    out = np.empty(index.shape)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[d] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def np_scatter(x, d, index, src, add):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[d] = index[pos]
        value = src[pos] if isinstance(src, np.ndarray) else src
        out[tuple(dst)] = out[tuple(dst)] + value if add else value
    return out


@given(case=gather_case(), data=st.data())
def test_gather(case, data):
    shape, dim, index = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    idx = ag.tensor(index)
    np.testing.assert_allclose(host(x.gather(dim, idx)), np_gather(values, dim % len(shape), index))
    check(lambda t: ag.gather(t, dim, idx) ** 2, x)


@given(case=gather_case(), data=st.data())
def test_scatter_add_and_scatter(case, data):
    shape, dim, index = case
    d = dim % len(shape)
    src_shape = tuple(n + data.draw(st.integers(0, 1)) for n in index.shape)
    values, src = data.draw(arrays(shape)), data.draw(arrays(src_shape))
    x, s, idx = make_tensor(values, data.draw(layouts())), leaf(src), ag.tensor(index)
    np.testing.assert_allclose(host(x.scatter_add(dim, idx, s)),
                               np_scatter(values, d, index, src, add=True))
    check(lambda a, b: ag.scatter_add(a, dim, idx, b) ** 2, x, s)
    # scatter with unique target positions (with repeats only the last write counts)
    draws = np.random.default_rng(0).random(index.shape[:d] + (shape[d],) + index.shape[d + 1:])
    unique = np.take(np.argsort(draws, axis=d), range(min(index.shape[d], shape[d])), axis=d)
    uidx = ag.tensor(unique)
    np.testing.assert_allclose(host(x.scatter(dim, uidx, s)),
                               np_scatter(values, d, unique, src, add=False))
    np.testing.assert_allclose(host(x.scatter(dim, uidx, 2.5)),
                               np_scatter(values, d, unique, 2.5, add=False))
    check(lambda a, b: ag.scatter(a, dim, uidx, b) ** 2, x, s)
    check(lambda a: a.scatter(dim, uidx, -1.0) ** 2, x)


def test_gather_scatter_match_torch_with_repeats():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    xv, sv = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    index = np.array([[0, 0, 3, 3], [1, 1, 1, 2]])
    x, s = leaf(xv), leaf(sv)
    t, ts = torch.tensor(xv, requires_grad=True), torch.tensor(sv, requires_grad=True)
    ours = x.gather(1, ag.tensor(index)).sum() + x.scatter_add(1, ag.tensor(index), s).pow(2).sum()
    theirs = (t.gather(1, torch.tensor(index)).sum()
              + t.scatter_add(1, torch.tensor(index), ts).pow(2).sum())
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(host(x.grad), t.grad.numpy())
    np.testing.assert_allclose(host(s.grad), ts.grad.numpy())
    np.testing.assert_allclose(
        host(ag.tensor(xv).scatter(0, ag.tensor([[1, 2]]), 7.0, reduce="multiply")),
        torch.tensor(xv).scatter(0, torch.tensor([[1, 2]]), 7.0, reduce="multiply").numpy())
    np.testing.assert_allclose(
        host(ag.tensor(xv).scatter(0, ag.tensor([[1, 1]]), 7.0, reduce="add")),
        torch.tensor(xv).scatter(0, torch.tensor([[1, 1]]), 7.0, reduce="add").numpy())


def test_gather_scatter_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x.gather(0, ag.tensor([[5]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(0, ag.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, ag.tensor([0]))
    with pytest.raises(RuntimeError, match="to be no larger than self"):
        x.gather(0, ag.zeros(1, 4, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(0, ag.zeros(1, 1))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(0, ag.tensor([[1]]), ag.ones(1, 1, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="no larger than src"):
        x.scatter_add(0, ag.tensor([[1]]), ag.ones(0, 1))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.gather(2, ag.tensor([[0]]))


def test_zero_dim_gather_and_scatter():
    x = leaf(5.0)
    assert x.gather(0, ag.tensor(0)).item() == 5.0
    assert x.gather(0, ag.tensor([0, 0])).tolist() == [5.0, 5.0]
    assert x.scatter(0, ag.tensor(0), 2.0).item() == 2.0
    x.gather(0, ag.tensor([0, 0])).sum().backward()
    assert x.grad.item() == 2.0


@given(shape=shapes(1, 3, 1, 4), data=st.data())
def test_take_along_dim_broadcasts(shape, data):
    torch = pytest.importorskip("torch")
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    d = dim % nd
    ishape = tuple(data.draw(st.sampled_from([1, s])) if e != d else data.draw(st.integers(0, 3))
                   for e, s in enumerate(shape))
    values = data.draw(arrays(shape))
    index = data.draw(arrays(ishape, 0, shape[d] - 1e-9)).astype(np.int64)
    x = make_tensor(values, data.draw(layouts()))
    ours = ag.take_along_dim(x, ag.tensor(index), dim)
    theirs = torch.take_along_dim(torch.tensor(values), torch.tensor(index), dim)
    np.testing.assert_allclose(host(ours), theirs.numpy())
    np.testing.assert_allclose(host(x.take_along_dim(ag.tensor(index))),
                               np.take(values, index.ravel()))
    check(lambda t: ag.take_along_dim(t, ag.tensor(index), dim), x)


# ---------------------------------------------------------------------------- index_*
@given(shape=shapes(1, 3, 1, 4), data=st.data())
def test_index_select_and_index_add(shape, data):
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    d = dim % nd
    index = np.asarray(data.draw(st.lists(st.integers(0, shape[d] - 1), max_size=5)),
                       dtype=np.int64)
    values = data.draw(arrays(shape))
    x, idx = make_tensor(values, data.draw(layouts())), ag.tensor(index)
    np.testing.assert_allclose(host(x.index_select(dim, idx)), np.take(values, index, axis=d))
    check(lambda t: ag.index_select(t, dim, idx) ** 2, x)
    src_shape = shape[:d] + (len(index),) + shape[d + 1:]
    src = leaf(data.draw(arrays(src_shape)))
    want = values.copy()
    np.add.at(np.moveaxis(want, d, 0), index, np.moveaxis(host(src), d, 0) * 2)
    np.testing.assert_allclose(host(ag.index_add(x, dim, idx, src, alpha=2)), want)
    check(lambda a, b: ag.index_add(a, dim, idx, b, alpha=2) ** 2, x, src)


def test_index_copy_fill_and_take_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xv, sv = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    x, s, v = leaf(xv), leaf(sv), leaf(1.5)
    t, ts, tv = (torch.tensor(a, requires_grad=True) for a in (xv, sv, np.array(1.5)))
    ours = (x.index_copy(1, ag.tensor([3, 0]), s).pow(2).sum()
            + x.index_fill(1, ag.tensor([1, 1]), v).pow(2).sum()
            + x.take(ag.tensor([[0, 11], [11, 5]])).sum())
    theirs = (t.index_copy(1, torch.tensor([3, 0]), ts).pow(2).sum()
              + t.index_fill(1, torch.tensor([1, 1]), tv).pow(2).sum()
              + t.take(torch.tensor([[0, 11], [11, 5]])).sum())
    np.testing.assert_allclose(ours.item(), theirs.item())
    ours.backward()
    theirs.backward()
    for a, b in ((x, t), (s, ts), (v, tv)):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy())
    check(lambda a, b: a.index_copy(0, ag.tensor([2, 0]), b[:2, :1].expand(2, 4)), x, s)


def test_index_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, ag.tensor([[1]]))
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, ag.tensor([2]))
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, ag.tensor([-1]))
    assert x.index_select(0, ag.tensor(1)).shape == (1, 3)
    with pytest.raises(RuntimeError, match="Number of indices"):
        x.index_add(0, ag.tensor([0, 1, 1]), ag.ones(2, 3))
    with pytest.raises(RuntimeError, match="source tensor shape must match self tensor shape"):
        x.index_add(0, ag.tensor([0, 1]), ag.ones(2, 4))


# ---------------------------------------------------------------------------- masks
@given(pair=st.data(), layout=layouts())
def test_masked_fill_broadcasts_and_differentiates(pair, layout):
    shape = pair.draw(shapes(0, 3, 1, 3))
    mask_shape = shape[pair.draw(st.integers(0, len(shape))):]
    mask_shape = tuple(1 if pair.draw(st.booleans()) else s for s in mask_shape)
    values, mask = pair.draw(arrays(shape)), pair.draw(arrays(mask_shape)) > 0
    x, m, v = make_tensor(values, layout), ag.tensor(mask), leaf([0.25])
    np.testing.assert_allclose(host(x.masked_fill(m, -3.0)), np.where(mask, -3.0, values))
    check(lambda a, b: ag.masked_fill(a, m, b.reshape(())) * a, x, v)


def test_masked_fill_value_tensor_and_dtypes():
    x = ag.zeros(2, 3, dtype=ag.int64)
    assert x.masked_fill(ag.tensor([True, False, True]), 1.7).tolist() == [[1, 0, 1]] * 2
    f = ag.zeros(2, 2)
    out = f.masked_fill(ag.tensor([[True, False]]), ag.tensor(2.0, dtype=ag.float64))
    assert out.dtype == ag.float32
    out = f.masked_fill(ag.ones(3, 1, 1, dtype=ag.bool), 1.0)  # broadcast to a larger shape
    assert out.shape == (3, 2, 2)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        f.masked_fill(ag.ones(2), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        f.masked_fill(ag.ones(2, dtype=ag.bool), ag.ones(1))
    with pytest.raises(RuntimeError, match="must match the size"):
        f.masked_fill(ag.ones(3, dtype=ag.bool), 1.0)


def test_masked_fill_in_place():
    x = ag.zeros(2, 3)
    y = x.masked_fill_(ag.tensor([True, False, True]), 5.0)
    assert y is x and x.tolist() == [[5, 0, 5]] * 2 and x._version == 1
    with pytest.raises(RuntimeError, match=r"doesn't match the broadcast shape \[2, 2, 3\]"):
        x.masked_fill_(ag.ones(2, 1, 3, dtype=ag.bool), 1.0)
    a = leaf([1.0, 2.0, 3.0])
    b = a * 2
    b.masked_fill_(ag.tensor([False, True, False]), 0.0)
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 0.0, 2.0]


@given(shape=shapes(0, 3, 0, 3), data=st.data())
def test_masked_select_and_nonzero(shape, data):
    values = data.draw(arrays(shape))
    mask = values > 0
    x = make_tensor(values, data.draw(layouts()))
    np.testing.assert_allclose(host(x.masked_select(ag.tensor(mask))), values[mask])
    nz = ag.tensor(mask).nonzero()
    assert nz.dtype == ag.int64
    np.testing.assert_array_equal(host(nz), np.argwhere(mask))
    if shape:
        for ours, theirs in zip(ag.nonzero(ag.tensor(mask), as_tuple=True), np.nonzero(mask)):
            np.testing.assert_array_equal(host(ours), theirs)
    check(lambda t: ag.masked_select(t, ag.tensor(mask)) ** 2, x)


def test_masked_select_errors_and_zero_dim_nonzero():
    with pytest.raises(RuntimeError, match="expected BoolTensor for mask"):
        ag.zeros(3).masked_select(ag.ones(3))
    assert ag.tensor(1.0).nonzero().shape == (1, 0)
    assert [t.tolist() for t in ag.tensor(1.0).nonzero(as_tuple=True)] == [[0]]


# ---------------------------------------------------------------------------- in-place forms
def test_in_place_scatter_family():
    x = ag.zeros(2, 3)
    assert x.scatter_(1, ag.tensor([[2], [0]]), 1.0) is x
    x.scatter_add_(0, ag.tensor([[1, 1, 1]]), ag.ones(1, 3))
    x.index_add_(1, ag.tensor([0, 0]), ag.ones(2, 2))
    x.index_fill_(0, ag.tensor([0]), -1.0)
    x.index_copy_(1, ag.tensor([2]), ag.full((2, 1), 9.0))
    assert x.tolist() == [[-1, -1, 9], [4, 1, 9]]
    assert x._version == 5
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    b = a * 1
    b.scatter_(1, ag.tensor([[0], [1]]), 0.0)
    (b * b).sum().backward()
    assert a.grad.tolist() == [[0.0, 4.0], [6.0, 0.0]]


def test_gather_with_an_empty_index_of_other_dimensions_picks_nothing():
    torch = pytest.importorskip("torch")
    x = ag.ones(5, requires_grad=True)
    out = ag.gather(x, 0, ag.zeros((2, 0), dtype=ag.int64))
    assert tuple(out.shape) == tuple(torch.gather(torch.ones(5), 0, torch.zeros((2, 0), dtype=torch.int64)).shape)
    out.sum().backward()
    assert x.grad.tolist() == [0.0] * 5
    with pytest.raises(IndexError):
        ag.gather(x, 3, ag.zeros((2, 0), dtype=ag.int64))
