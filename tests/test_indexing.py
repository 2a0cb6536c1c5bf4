"""Indexing: ``x[key]`` (basic keys give views, advanced keys copies whose gradients
accumulate at repeated indices), ``x[key] = v``, gather/scatter, index_select/index_add,
masked ops and nonzero. Values against NumPy (and PyTorch where installed), gradients by
finite differences (first and second order), PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from gradients import check
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor, shapes

import autograd_core as ag

try:  # the CuPy stand-in: runs the device-agnostic code the way a GPU would
    from fake_cupy import fake_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    @pytest.fixture
    def fake_cuda():
        pytest.skip("tests/fake_cupy.py is not available")


def host(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach()._host())


def leaf(values, dtype=ag.float64) -> ag.Tensor:
    return ag.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------------------- key strategies
@st.composite
def basic_keys(draw, shape):
    """A basic key for ``shape``: ints, slices with positive steps, None, and maybe '...'."""
    nd = len(shape)
    a = draw(st.integers(0, nd))
    b = draw(st.integers(a, nd))
    use_ellipsis = draw(st.booleans())
    if not use_ellipsis:
        b = a

    def items(dims):
        out = []
        for d in dims:
            n = shape[d]
            kind = draw(st.sampled_from(["int", "slice", "full", "none"] if n else ["slice"]))
            if kind == "none":
                out.append(None)
                kind = draw(st.sampled_from(["int", "slice"] if n else ["slice"]))
            if kind == "int":
                out.append(draw(st.integers(-n, n - 1)))
            elif kind == "full":
                out.append(slice(None))
            else:
                bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
                out.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3]))))
        return out

    key = items(range(a)) + ([Ellipsis] if use_ellipsis else []) + items(range(b, nd))
    return tuple(key) if len(key) != 1 or draw(st.booleans()) else key[0]


@st.composite
def advanced_keys(draw, shape):
    """A key with index arrays (repeats included) or one boolean mask, mixed with basic
    items; returned as (key for autograd_core, key for NumPy)."""
    nd = len(shape)
    batch = draw(shapes(1, 2, 1, 3))
    mask_at = draw(st.one_of(st.none(), st.integers(0, nd - 1))) if nd else None
    ours, theirs = [], []
    d = 0
    while d < nd:
        n = shape[d]
        if mask_at == d:
            k = draw(st.integers(1, nd - d))
            m = draw(arrays(shape[d:d + k])) > 0
            ours.append(ag.tensor(m))
            theirs.append(m)
            d += k
            continue
        kind = draw(st.sampled_from(["array", "slice", "none", "int", "stop"] if n else ["slice"]))
        if kind == "stop":
            break
        if kind == "array" and mask_at is None:
            idx = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(batch)),
                                           max_size=int(np.prod(batch))))).reshape(batch)
            as_list = draw(st.booleans())
            ours.append(idx.tolist() if as_list and idx.ndim else ag.tensor(idx))
            theirs.append(idx)
        elif kind == "none":
            ours.append(None)
            theirs.append(None)
            continue
        elif kind == "int":
            i = draw(st.integers(-n, n - 1))
            ours.append(i)
            theirs.append(i)
        else:
            s = slice(draw(st.sampled_from([None, 0, 1])), None, draw(st.sampled_from([None, 2])))
            ours.append(s)
            theirs.append(s)
        d += 1
    if not any(isinstance(k, np.ndarray) for k in theirs):  # make it advanced
        idx = np.array([shape[0] - 1, 0, shape[0] - 1])
        return (ag.tensor(idx), Ellipsis), (idx, Ellipsis)
    return tuple(ours), tuple(theirs)


def two_steps(key):
    """PyTorch's reading of a key, for NumPy: ints select first (NumPy would treat them as
    index arrays next to other index arrays), then the index arrays and masks apply."""
    step1, step2 = [], []
    for k in key:
        if isinstance(k, int):
            step1.append(k)
        elif k is None or k is Ellipsis:
            step1.append(k)
            step2.append(slice(None) if k is None else k)
        elif isinstance(k, np.ndarray) and k.dtype == bool:
            step1.extend([slice(None)] * k.ndim)
            step2.append(k)
        else:
            step1.append(slice(None))
            step2.append(k)
    return tuple(step1), tuple(step2)


# ---------------------------------------------------------------------------- basic reads
@given(data=st.data(), shape=shapes(0, 3, 0, 4), layout=layouts())
def test_basic_indexing_matches_numpy_and_is_a_view(data, shape, layout):
    values = data.draw(arrays(shape))
    key = data.draw(basic_keys(shape))
    x = make_tensor(values, layout)
    y = x[key]
    expected = values[key]
    np.testing.assert_array_equal(host(y), expected)
    assert y._version_counter is x._version_counter
    g = np.random.default_rng(0).standard_normal(expected.shape)
    y.backward(ag.tensor(g))
    want = np.zeros(shape)
    want[key] = g
    np.testing.assert_allclose(host(x.grad), want)


@given(data=st.data(), shape=shapes(1, 3, 1, 3))
def test_basic_indexing_gradcheck(data, shape):
    x = make_tensor(data.draw(arrays(shape)), data.draw(layouts()))
    key = data.draw(basic_keys(shape))
    check(lambda t: t[key] * 1.5, x)


def test_view_shares_memory_and_version():
    x = ag.arange(6.0).reshape(2, 3)
    y = x[0]
    y._data[...] += 1  # what an in-place op does to the array...
    y._bump_version()  # ... and to the shared version counter
    assert x.tolist() == [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]
    assert x._version == 1
    z = ag.arange(3.0)[1]  # a 0-d view, not a copy
    assert z.ndim == 0 and z._data.base is not None
    w = ag.zeros(2, 3)
    assert w[:, 1:]._base is w and w[None]._base is w


def test_in_place_ops_through_views_change_the_base():
    if not hasattr(ag.Tensor, "add_"):
        pytest.skip("in-place ops are not available")
    x = ag.zeros(2, 3)
    y = x[0]
    y.add_(1)
    x[:, 2:].mul_(0).add_(5)
    assert x.tolist() == [[1, 1, 5], [0, 0, 5]]
    assert x._version == y._version == 3


def test_basic_special_keys():
    x = ag.arange(6.0).reshape(2, 3)
    assert x[True].shape == (1, 2, 3)
    assert x[False].shape == (0, 2, 3)
    assert x[...].shape == (2, 3)
    assert x[()].shape == (2, 3)
    assert x[..., None].shape == (2, 3, 1)
    assert x[ag.tensor(1)].tolist() == [3.0, 4.0, 5.0]
    assert x[np.int64(1), np.int32(2)].item() == 5.0
    assert x[ag.tensor(1), 1:].tolist() == [4.0, 5.0]
    assert x[[]].shape == (0, 3)
    s = ag.tensor(0)
    assert x[s:s + 1].shape == (1, 3)


# ---------------------------------------------------------------------------- advanced reads
@given(data=st.data(), shape=shapes(1, 3, 1, 4), layout=layouts())
def test_advanced_indexing_values_and_accumulated_gradients(data, shape, layout):
    values = data.draw(arrays(shape))
    ours, theirs = data.draw(advanced_keys(shape))
    step1, step2 = two_steps(theirs)
    x = make_tensor(values, layout)
    y = x[ours]
    expected = values[step1][step2]
    np.testing.assert_array_equal(host(y), expected)
    assert y._version_counter is not x._version_counter
    g = np.random.default_rng(1).standard_normal(expected.shape)
    y.backward(ag.tensor(g))
    want = np.zeros(shape)
    np.add.at(want[step1], step2, g)  # repeated indices accumulate
    np.testing.assert_allclose(host(x.grad), want, atol=1e-12)
    # writing through the same key
    z = make_tensor(values, layout, requires_grad=False)
    z[ours] = ag.tensor(g)
    written = values.copy()
    written[step1][step2] = g
    np.testing.assert_array_equal(host(z), written)


@given(data=st.data(), shape=shapes(1, 3, 1, 3))
def test_advanced_indexing_gradcheck(data, shape):
    x = make_tensor(data.draw(arrays(shape)), data.draw(layouts()))
    ours, _ = data.draw(advanced_keys(shape))
    check(lambda t: t[ours] ** 2, x)


def test_repeated_indices_match_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal((4, 3, 5))
    keys = [
        ([0, 0, 3, 0],),
        (slice(None), [2, 2, 0]),
        ([[0, 0], [1, 3]], slice(1, None), [[4, 4], [0, 4]]),
        ([1, 1], None, [0, 0]),  # separated advanced indices: their dims go first
        (Ellipsis, [4, 4, 4]),
        (np.array([True, False, True, True]), 1),
        (2, slice(None), [3, 3]),
    ]
    for key in keys:
        ours = tuple(ag.tensor(k) if isinstance(k, (list, np.ndarray)) else k for k in key)
        theirs = tuple(torch.tensor(k) if isinstance(k, (list, np.ndarray)) else k for k in key)
        x = leaf(values)
        t = torch.tensor(values, requires_grad=True)
        y, yt = x[ours], t[theirs]
        np.testing.assert_allclose(host(y), yt.detach().numpy())
        g = np.random.default_rng(2).standard_normal(tuple(yt.shape))
        y.backward(ag.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(host(x.grad), t.grad.numpy(), atol=1e-12)


def test_embedding_style_lookup_gradient_is_fast_and_exact():
    weight = leaf(np.random.default_rng(0).standard_normal((1000, 16)))
    ids = ag.tensor(np.random.default_rng(1).integers(0, 50, size=(64, 20)))  # many repeats
    out = weight[ids]
    assert out.shape == (64, 20, 16)
    out.sum().backward()
    counts = np.bincount(host(ids).ravel(), minlength=1000)
    np.testing.assert_allclose(host(weight.grad), np.repeat(counts[:, None], 16, axis=1))


def test_index_tensor_not_on_the_same_kind_of_list():
    x = ag.arange(6.0).reshape(2, 3)
    assert x[[ag.tensor(1), ag.tensor(0)]].tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert x[np.array([1])].shape == (1, 3)
    assert x[(1, 0), ].shape == (2, 3)


# ---------------------------------------------------------------------------- read errors
@pytest.mark.parametrize("key, error, message", [
    (5, IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    (-3, IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
    ((slice(None), 5), IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    ([0, 5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ((slice(None), [0, -4]), IndexError, "index -4 is out of bounds for dimension 1 with size 3"),
    ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    ((Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (1.5, IndexError, "only integers, slices"),
    ([0.5], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
])
def test_bad_index(key, error, message):
    x = ag.zeros(2, 3)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        x[key]


def test_bad_index_tensors():
    x = ag.zeros(2, 3)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[ag.tensor([0.0])]
    with pytest.raises(IndexError, match=r"The shape of the mask \[3\] at index 0 does not match "
                                         r"the shape of the indexed tensor \[2, 3\] at index 0"):
        x[ag.ones(3, dtype=ag.bool)]
    with pytest.raises(IndexError, match="shape of the mask"):
        x[ag.ones(2, 2, dtype=ag.bool)]


def test_errors_match_torch_classes():
    torch = pytest.importorskip("torch")
    x, t = ag.zeros(2, 3), torch.zeros(2, 3)
    for key in [5, (0, 0, 0), slice(None, None, -1), (slice(None), [0, 3]), [2.0]]:
        with pytest.raises(Exception) as theirs:
            t[key]
        with pytest.raises(Exception) as ours:
            x[key]
        assert type(ours.value) is type(theirs.value)
        if not isinstance(key, (tuple, list)) or key == (0, 0, 0):
            assert str(theirs.value) in str(ours.value)


# ---------------------------------------------------------------------------- writes
def test_setitem_scalar_tensor_and_broadcast():
    x = ag.zeros(3, 4)
    x[0] = 5
    x[:, 1] = ag.tensor([1.0, 2.0, 3.0])
    x[1:, 2:] = ag.tensor([7.0, 8.0])  # broadcast over rows
    x[[2, 2], [0, 0]] = -1.0
    x[ag.tensor([True, False, False])] = ag.ones(1, 1, 4) * 9  # extra leading 1s are fine
    assert x.tolist() == [[9, 9, 9, 9], [0, 2, 7, 8], [-1, 3, 7, 8]]
    assert x._version == 5
    i = ag.zeros(3, dtype=ag.int64)
    i[1] = 2.7  # cast to the tensor's dtype
    assert i.tolist() == [0, 2, 0]
    d = ag.zeros(2)
    d[0] = ag.tensor(3.0, dtype=ag.float64)  # value cast, tensor keeps float32
    assert d.dtype == ag.float32 and d.tolist() == [3.0, 0.0]


def test_setitem_shape_mismatch():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2\] cannot "
                                           r"be broadcast to indexing result of shape \[3\]"):
        x[0] = ag.ones(2)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[[0, 1]] = ag.ones(3, 3)
    assert x._version == 0 and x.tolist() == [[0.0] * 3] * 2


def test_setitem_through_a_view_changes_the_base():
    x = ag.zeros(2, 3)
    row = x[1]
    row[1:] = 4.0
    assert x.tolist() == [[0, 0, 0], [0, 4, 4]]
    assert x._version == 1 and row._version == 1


@given(data=st.data(), shape=shapes(1, 3, 1, 4))
def test_setitem_gradients(data, shape):
    values = data.draw(arrays(shape))
    key = data.draw(basic_keys(shape))
    target_shape = values[key].shape
    v_shape = target_shape[data.draw(st.integers(0, len(target_shape))):]
    v0 = data.draw(arrays(v_shape))

    def fn(x, v):
        y = x * 2
        y[key] = v.reshape(v_shape) * 3
        return y

    x, v = make_tensor(values, data.draw(layouts())), leaf(v0.reshape(-1))
    out = fn(x, v)
    want = values * 2
    want[key] = v0 * 3
    np.testing.assert_allclose(host(out), want)
    check(fn, x, v)


def test_setitem_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    xv, vv = rng.standard_normal((3, 4)), rng.standard_normal((2,))
    for key in [(slice(None), [1, 3]), ([0, 2], 1), (np.array([True, False, True]), 0)]:
        x, v = leaf(xv), leaf(vv)
        t, tv = torch.tensor(xv, requires_grad=True), torch.tensor(vv, requires_grad=True)
        ours = tuple(ag.tensor(k) if isinstance(k, (list, np.ndarray)) else k for k in key)
        theirs = tuple(torch.tensor(k) if isinstance(k, (list, np.ndarray)) else k for k in key)
        y = x * 1
        y[ours] = v.exp()
        yt = t * 1
        yt[theirs] = tv.exp()
        np.testing.assert_allclose(host(y), yt.detach().numpy())
        g = rng.standard_normal((3, 4))
        y.backward(ag.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(host(x.grad), t.grad.numpy())
        np.testing.assert_allclose(host(v.grad), tv.grad.numpy())


def test_setitem_on_a_leaf_that_requires_grad_is_refused():
    x = ag.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with ag.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_records_in_place_version_errors():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    z = y * y  # saves y
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


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


# ---------------------------------------------------------------------------- devices
@pytest.mark.usefixtures("fake_cuda")
def test_indexing_on_a_device_array_module():
    x = ag.arange(12.0, device="cuda").reshape(3, 4).requires_grad_()
    mask = ag.tensor([True, False, True], device="cuda")
    out = (x[[0, 0, 2], 1:].sum() + x[mask].sum() + x[1, ::2].sum()
           + x[ag.tensor([1, 1])].sum()  # a CPU index for a device tensor is moved
           + x.gather(1, ag.tensor([[0, 0], [1, 1], [3, 3]], device="cuda")).sum()
           + x.index_select(1, ag.tensor([3, 3], device="cuda")).sum()
           + x.masked_fill(mask[:, None], 0.0).sum())
    out.backward()
    assert x.grad.device.type == "cuda"
    want = np.zeros((3, 4))
    np.add.at(want, ([0, 0, 2], slice(1, None)), 1)
    want[[0, 2]] += 1
    want[1, ::2] += 1
    want[1] += 2
    np.add.at(want, (np.arange(3)[:, None], np.array([[0, 0], [1, 1], [3, 3]])), 1)
    want[:, 3] += 2
    want[1] += 1
    np.testing.assert_allclose(x.grad._data.get(), want)
    y = ag.zeros(2, 3, device="cuda")
    y[0] = 1.0
    y[[1, 1], [0, 2]] = ag.tensor([5.0, 6.0], device="cuda")
    y.masked_fill_(ag.tensor([[False, False, True]], device="cuda"), -1.0)
    assert y.tolist() == [[1.0, 1.0, -1.0], [5.0, 0.0, -1.0]]
    assert y.nonzero().shape == (5, 2)
    assert y[0]._version_counter is y._version_counter
