"""Indexing: ``x[key]`` (basic keys give views, advanced keys copies whose gradients
accumulate at repeated indices) and ``x[key] = v``. Values against NumPy (and PyTorch where
installed), gradients by finite differences (first and second order), PyTorch's errors.
(gather/scatter, index_* and masked ops: test_scatter_gather.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from gradients import check
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, shapes

import autograd_core as ag

try:  # the CuPy stand-in: runs the device-agnostic code the way a GPU would
    from fake_cupy import fake_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    @pytest.fixture
    def fake_cuda():
        pytest.skip("tests/fake_cupy.py is not available")


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
