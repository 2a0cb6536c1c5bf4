"""Shape ops: views (reshape, permute, expand, split, unbind, narrow, ...) share memory and
the version counter; copies (cat, stack, repeat, flip, roll) do not. Values against NumPy
(and PyTorch where installed), gradients by finite differences (first and second order),
PyTorch's errors."""

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


def shares(view: ag.Tensor, base: ag.Tensor) -> bool:
    return view._version_counter is base._version_counter


@st.composite
def tensor_and_dim(draw, min_dims=1, max_dims=3, min_side=1, max_side=4):
    shape = draw(shapes(min_dims, max_dims, min_side, max_side))
    values = draw(arrays(shape))
    layout = draw(layouts())
    dim = draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
    return make_tensor(values, layout), values, dim


# ---------------------------------------------------------------------------- views
@given(case=tensor_and_dim(min_dims=0))
def test_reshape_permute_transpose_squeeze(case):
    x, values, dim = case
    nd = values.ndim
    np.testing.assert_array_equal(host(x.reshape(-1)), values.reshape(-1))
    perm = tuple(np.random.default_rng(0).permutation(nd))
    np.testing.assert_array_equal(host(x.permute(perm)), values.transpose(perm))
    np.testing.assert_array_equal(host(x.unsqueeze(dim)), np.expand_dims(values, dim % (nd + 1)))
    np.testing.assert_array_equal(host(x.unsqueeze(0).squeeze(0)), values)
    if nd >= 2:
        np.testing.assert_array_equal(host(x.transpose(0, -1)), np.swapaxes(values, 0, -1))
        np.testing.assert_array_equal(host(x.mT), np.swapaxes(values, -1, -2))
    check(lambda t: t.permute(perm).reshape(-1) * t.reshape(-1), x)


@given(case=tensor_and_dim(min_dims=0, min_side=0), data=st.data())
def test_flatten_unflatten_ravel(case, data):
    x, values, _ = case
    nd = values.ndim
    start = data.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    end = data.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    if nd == 0:
        assert x.flatten().shape == (1,)
        return
    s, e = start % nd, end % nd
    if s > e:
        with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
            x.flatten(start, end)
        return
    want = values.reshape(values.shape[:s] + (-1,) + values.shape[e + 1:]) if values.size else \
        np.zeros(values.shape[:s] + (int(np.prod(values.shape[s:e + 1])),) + values.shape[e + 1:])
    y = ag.flatten(x, start, end)
    np.testing.assert_array_equal(host(y), want)
    back = y.unflatten(s, values.shape[s:e + 1])
    assert back.shape == values.shape
    np.testing.assert_array_equal(host(x.ravel()), values.ravel())
    if values.size:
        check(lambda t: t.flatten(start, end).unflatten(s, (-1,) + values.shape[s + 1:e + 1]), x)


def test_flatten_views_and_unflatten_errors():
    x = ag.zeros(2, 3, 4)
    assert shares(x.flatten(1), x) and x.flatten(1)._data.base is not None
    t = x.transpose(0, 2)
    assert not shares(t.flatten(), t)  # a copy: its own version counter
    assert x.unflatten(1, (3, 1)).shape == (2, 3, 1, 4)
    assert x.unflatten(-1, (-1, 2)).shape == (2, 3, 2, 2)
    with pytest.raises(RuntimeError, match=r"Provided sizes \[2, 2\] don't multiply up to the "
                                           r"size of dim 1 \(3\)"):
        x.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.unflatten(1, (-1, -1))
    with pytest.raises(RuntimeError, match="sizes must be non-empty"):
        x.unflatten(1, ())


@given(case=tensor_and_dim(min_dims=0, max_side=3), data=st.data())
def test_expand(case, data):
    x, values, _ = case
    lead = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    target = tuple(data.draw(st.sampled_from([-1, s] if s != 1 else [-1, 1, 3]))
                   for s in values.shape)
    y = x.expand(*(lead + target))
    final = lead + tuple(s if t == -1 else t for s, t in zip(values.shape, target))
    np.testing.assert_array_equal(host(y), np.broadcast_to(values, final))
    assert y is x or shares(y, x)
    other = ag.zeros(final)
    assert x.expand_as(other).shape == final
    check(lambda t: t.expand(lead + target) * 1.5, x)


def test_expand_errors_match_torch():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"isn't allowed in a leading, non-existing dimension 0"):
        x.expand(-1, 2, 3)
    with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be greater or "
                                           r"equal to the number of dimensions in the tensor "
                                           r"\(2\)"):
        x.expand(3)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the "
                                           r"existing size \(2\) at non-singleton dimension 0"):
        x.expand(4, 3)


def test_view_as_reshape_as():
    x = ag.arange(6.0)
    assert x.view_as(ag.zeros(2, 3)).shape == (2, 3)
    assert shares(x.view_as(ag.zeros(3, 2)), x)
    assert x.reshape_as(ag.zeros(3, 2)).shape == (3, 2)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.reshape(2, 3).t().view_as(x)


# ---------------------------------------------------------------------------- copies
@given(case=tensor_and_dim(min_dims=0, max_side=3), data=st.data())
def test_repeat_and_tile(case, data):
    x, values, _ = case
    nd = values.ndim
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=nd, max_size=nd + 2)))
    y = x.repeat(*reps)
    np.testing.assert_array_equal(host(y), np.tile(values, reps) if reps else values)
    assert not shares(y, x)
    short = reps[len(reps) - nd + 1:] if nd else reps
    np.testing.assert_array_equal(host(x.tile(short)), np.tile(values, short) if short else values)
    check(lambda t: t.repeat(reps) ** 2, x)


def test_repeat_errors():
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be"):
        ag.zeros(2, 3).repeat(2)
    assert ag.tensor(3.0).repeat(2, 2).shape == (2, 2)
    assert ag.tensor(3.0).repeat(()).shape == ()


@given(case=tensor_and_dim(min_dims=0), data=st.data())
def test_flip_and_roll(case, data):
    x, values, dim = case
    nd = values.ndim
    dims = tuple(data.draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))) if nd \
        else ()
    y = x.flip(dims)
    np.testing.assert_array_equal(host(y), np.flip(values, dims) if nd else values)
    assert not shares(y, x) and not np.shares_memory(y._data, x._data)
    shifts = data.draw(st.integers(-5, 5))
    np.testing.assert_array_equal(host(x.roll(shifts)), np.roll(values, shifts))
    if nd:
        shift_dims = tuple(dims) or (dim,)
        shift = tuple(data.draw(st.integers(-4, 4)) for _ in shift_dims)
        np.testing.assert_array_equal(host(ag.roll(x, shift, shift_dims)),
                                      np.roll(values, shift, shift_dims))
        check(lambda t: ag.roll(t, shift, shift_dims) * t, x)
    check(lambda t: t.flip(dims) * t, x)


def test_flip_roll_details():
    x = ag.arange(6.0).reshape(2, 3)
    assert x.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert x.fliplr().tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.flipud().tolist() == [[3, 4, 5], [0, 1, 2]]
    assert ag.tensor(2.0).flip(0).item() == 2.0
    assert x.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.flip(0, 0)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        x.roll((1, 2), (0,))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.roll(1, 5)
    with pytest.raises(RuntimeError, match="Input must be >= 2-d"):
        ag.zeros(3).fliplr()


@given(case=tensor_and_dim(min_dims=1), data=st.data())
def test_movedim(case, data):
    x, values, _ = case
    nd = values.ndim
    k = data.draw(st.integers(1, nd))
    src = data.draw(st.permutations(range(nd)))[:k]
    dst = data.draw(st.permutations(range(nd)))[:k]
    src = [s - nd if i % 2 else s for i, s in enumerate(src)]
    y = x.movedim(src, dst)
    np.testing.assert_array_equal(host(y), np.moveaxis(values, src, dst))
    assert y is x or shares(y, x)
    np.testing.assert_array_equal(host(ag.moveaxis(x, src[0], dst[0])),
                                  np.moveaxis(values, src[0], dst[0]))
    check(lambda t: t.movedim(src, dst) * 2, x)


def test_movedim_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"movedim: repeated dim in `source` \(\[0, 0\]\)"):
        x.movedim((0, 0), (1, 0))
    with pytest.raises(RuntimeError, match="should contain the same number of dims"):
        x.movedim((0, 1), (1,))


# ---------------------------------------------------------------------------- cat / stack
@st.composite
def cat_case(draw):
    shape = draw(shapes(1, 3, 0, 3))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[dim % nd] = draw(st.integers(0, 3))
        parts.append((draw(arrays(tuple(s))), draw(layouts())))
    return parts, dim


@given(case=cat_case())
def test_cat(case):
    parts, dim = case
    tensors = [make_tensor(v, layout) for v, layout in parts]
    values = [v for v, _ in parts]
    want = np.concatenate(values, axis=dim)
    np.testing.assert_array_equal(host(ag.cat(tensors, dim)), want)
    np.testing.assert_array_equal(host(ag.concat(tensors, dim=dim)), want)
    np.testing.assert_array_equal(host(ag.concatenate(tuple(tensors), dim)), want)
    check(lambda *ts: ag.cat(ts, dim) ** 2, *tensors)


def test_cat_legacy_empty_and_promotion():
    x = leaf(np.ones((2, 3)))
    e = ag.zeros(0, dtype=ag.float64, requires_grad=True)
    y = ag.cat([x, e, x], 1)
    assert y.shape == (2, 6)
    y.sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2 and e.grad.shape == (0,)
    assert ag.cat([ag.zeros(0), ag.zeros(0)]).shape == (0,)
    assert ag.cat([ag.zeros(2, 3), ag.zeros(0)], dim=-1).shape == (2, 3)
    mixed = ag.cat([ag.ones(2), ag.ones(2, dtype=ag.int64)])
    assert mixed.dtype == ag.float32
    assert ag.cat([ag.ones(1, dtype=ag.int32), ag.ones(1, dtype=ag.int64)]).dtype == ag.int64
    s = ag.stack([ag.ones(2, dtype=ag.int64), ag.ones(2, dtype=ag.float64)])
    assert s.dtype == ag.float64


def test_cat_errors_name_the_shapes():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 0. "
                                           r"Expected size 3 but got size 4 for tensor number 1 in "
                                           r"the list") as info:
        ag.cat([x, ag.zeros(2, 4)])
    assert "[2, 3]" in str(info.value) and "[2, 4]" in str(info.value)
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 "
                                           "and 3"):
        ag.cat([x, ag.zeros(2, 3, 1)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be "
                                           "concatenated"):
        ag.cat([ag.tensor(1.0), ag.tensor(2.0)])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        ag.cat([])
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.cat([x, x], 2)
    with pytest.raises(TypeError, match="expected a sequence of Tensors"):
        ag.cat([x, [1.0]])


def test_cat_stack_errors_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m, a, b: m.cat([a, b]), (2, 3), (2, 4)),
        (lambda m, a, b: m.cat([a, b], 1), (2, 3), (3, 3)),
        (lambda m, a, b: m.stack([a, b]), (2, 3), (3, 2)),
        (lambda m, a, b: m.cat([a, b]), (2, 3), (2, 3, 1)),
    ]
    for op, sa, sb in cases:
        with pytest.raises(Exception) as theirs:
            op(torch, torch.zeros(sa), torch.zeros(sb))
        with pytest.raises(Exception) as ours:
            op(ag, ag.zeros(sa), ag.zeros(sb))
        assert type(ours.value) is type(theirs.value)
        assert str(theirs.value).rstrip(".") in str(ours.value)


@given(case=tensor_and_dim(min_dims=0, min_side=0, max_side=3), data=st.data())
def test_stack(case, data):
    x, values, _ = case
    n = data.draw(st.integers(1, 3))
    others = [make_tensor(data.draw(arrays(values.shape)), data.draw(layouts())) for _ in range(n)]
    dim = data.draw(st.integers(-values.ndim - 1, values.ndim))
    tensors = [x] + others
    want = np.stack([values] + [host(t) for t in others], axis=dim)
    np.testing.assert_array_equal(host(ag.stack(tensors, dim)), want)
    check(lambda *ts: ag.stack(ts, dim) ** 2, *tensors)


def test_stack_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2, 3\] at entry 0 and \[3, 2\] at entry 1"):
        ag.stack([ag.zeros(2, 3), ag.zeros(3, 2)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        ag.stack([])
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.stack([ag.zeros(2), ag.zeros(2)], 2)


def test_hstack_vstack_dstack_column_stack_atleast():
    a, b = np.arange(3.0), np.arange(3.0, 6.0)
    m = np.arange(6.0).reshape(3, 2)
    ta, tb, tm = ag.tensor(a), ag.tensor(b), ag.tensor(m)
    np.testing.assert_array_equal(host(ag.hstack([ta, tb])), np.hstack([a, b]))
    np.testing.assert_array_equal(host(ag.hstack([tm, tm])), np.hstack([m, m]))
    np.testing.assert_array_equal(host(ag.vstack([ta, tb])), np.vstack([a, b]))
    np.testing.assert_array_equal(host(ag.row_stack([tm, tm])), np.vstack([m, m]))
    np.testing.assert_array_equal(host(ag.dstack([ta, tb])), np.dstack([a, b]))
    np.testing.assert_array_equal(host(ag.column_stack([ta, tm])), np.column_stack([a, m]))
    np.testing.assert_array_equal(host(ag.hstack([ag.tensor(1.0), ta])), np.hstack([1.0, a]))
    assert ag.atleast_1d(ag.tensor(1.0)).shape == (1,)
    assert ag.atleast_2d(ta).shape == (1, 3)
    assert ag.atleast_3d(tm).shape == (3, 2, 1)
    assert ag.atleast_3d(ta).shape == (1, 3, 1)
    assert [t.shape for t in ag.atleast_2d(ta, ag.tensor(1.0))] == [(1, 3), (1, 1)]
    x = leaf(a)
    check(lambda t: ag.vstack([t, t * 2]) ** 2, x)


# ---------------------------------------------------------------------------- split & co.
@given(case=tensor_and_dim(min_side=0, max_side=3), data=st.data())
def test_split_and_chunk_match_numpy(case, data):
    x, values, dim = case
    d = dim % values.ndim
    n = values.shape[d]
    size = data.draw(st.integers(1, 4))
    parts = x.split(size, dim)
    bounds = list(range(size, n, size))
    want = np.split(values, bounds, axis=d)
    assert len(parts) == len(want)
    for p, w in zip(parts, want):
        np.testing.assert_array_equal(host(p), w)
        assert shares(p, x)
    sizes = []
    left = n
    while left:
        s = data.draw(st.integers(1, left))
        sizes.append(s)
        left -= s
    sizes.insert(data.draw(st.integers(0, len(sizes))), 0)
    pieces = ag.split(x, sizes, dim)
    assert [p.shape[d] for p in pieces] == sizes
    chunks = data.draw(st.integers(1, 5))
    got = x.chunk(chunks, dim)
    step = -(-n // chunks) if n else 0
    assert len(got) <= chunks
    assert sum(g.shape[d] for g in got) == n
    assert all(g.shape[d] == step for g in got[:-1])
    if values.size:
        check(lambda t: [p * p for p in t.split(size, dim)], x, second=False)
        check(lambda t: t.split(sizes, dim)[0] ** 2, x)  # unused pieces: zero gradients


def test_split_chunk_match_torch():
    torch = pytest.importorskip("torch")
    for shape, args in [((5,), (2,)), ((0,), (0,)), ((0,), (2,)), ((6, 2), ([1, 0, 5],)),
                        ((4, 3), (2, 1))]:
        ours = ag.zeros(shape).split(*args)
        theirs = torch.zeros(shape).split(*args)
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]
    for shape, chunks in [((5,), 4), ((6,), 4), ((0,), 3), ((0, 2), 3), ((7, 2), 3)]:
        ours = ag.zeros(shape).chunk(chunks)
        theirs = torch.zeros(shape).chunk(chunks)
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]


def test_split_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0"):
        x.split(0)
    with pytest.raises(RuntimeError, match="split expects split_size be non-negative"):
        x.split(-1)
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly "
                                           r"to 3 \(input tensor's size at dimension 1\), but got "
                                           r"split_sizes=\[1, 1, 2\]"):
        x.split([1, 1, 2], 1)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        x.chunk(0)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ag.tensor(1.0).unbind(0)


@given(case=tensor_and_dim(min_side=0))
def test_unbind_and_iteration(case):
    x, values, dim = case
    d = dim % values.ndim
    parts = x.unbind(dim)
    assert len(parts) == values.shape[d]
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(host(p), np.take(values, i, axis=d))
        assert shares(p, x)
    rows = list(x)
    assert len(rows) == len(values)
    if rows:
        np.testing.assert_array_equal(host(rows[-1]), values[-1])
    if values.size:
        check(lambda t: [p * p for p in t.unbind(dim)], x, second=False)
        check(lambda t: t.unbind(dim)[-1] ** 2, x)


def test_views_of_splits_see_in_place_changes():
    x = ag.zeros(2, 4)
    a, b = x.split(2, 1)
    b._data[...] = 7.0  # as an in-place op would write
    b._bump_version()
    assert x.tolist() == [[0, 0, 7, 7], [0, 0, 7, 7]]
    assert x._version == 1 and a._version == 1
    row = x.unbind(0)[1]
    assert shares(row, x) and row._base is x


def test_in_place_ops_through_shape_views():
    if not hasattr(ag.Tensor, "add_"):
        pytest.skip("in-place ops are not available")
    x = ag.zeros(2, 3)
    _, bottom = x.split(1)
    bottom.add_(5)
    x.unbind(1)[2].mul_(2)
    x.narrow(1, 0, 1).add_(1)
    x.flatten()[1:2].add_(7)  # reshape of a contiguous tensor is a view
    assert x.tolist() == [[1, 7, 0], [6, 5, 10]]
    assert x._version == 4
    flipped = x.flip(0)  # a copy
    flipped.add_(1)
    assert x._version == 4 and x.tolist() == [[1, 7, 0], [6, 5, 10]]


@given(case=tensor_and_dim(), data=st.data())
def test_narrow(case, data):
    x, values, dim = case
    d = dim % values.ndim
    n = values.shape[d]
    start = data.draw(st.integers(-n, n))
    begin = start % n if start < 0 else start
    length = data.draw(st.integers(0, n - begin))
    y = x.narrow(dim, start, length)
    np.testing.assert_array_equal(host(y), np.take(values, range(begin, begin + length), axis=d))
    assert shares(y, x)
    check(lambda t: t.narrow(dim, start, length) * 2, x)


def test_narrow_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size "
                                           r"\(3\)"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of "
                                         r"\[-3, 3\], but got 4\)"):
        x.narrow(1, 4, 0)
    assert x.narrow(1, ag.tensor(1), 2).shape == (2, 2)
    with pytest.raises(RuntimeError, match="cannot be applied to a 0-dim tensor"):
        ag.tensor(1.0).narrow(0, 0, 1)


# ---------------------------------------------------------------------------- devices
@pytest.mark.usefixtures("fake_cuda")
def test_shape_ops_on_a_device_array_module():
    x = ag.arange(12.0, device="cuda").reshape(3, 4).requires_grad_()
    parts = x.split([1, 3], 1)
    out = (ag.cat([x, x[:1]], 0).sum() + ag.stack([x, x], -1).sum() + parts[1].sum()
           + x.unbind(1)[0].sum() + x.flip(0).roll(1, 1).sum() + x.repeat(2, 1).sum()
           + x.expand(2, 3, 4).sum() + x.movedim(0, 1).flatten().sum() + x.narrow(0, 1, 1).sum())
    out.backward()
    assert x.grad.device.type == "cuda"
    want = np.full((3, 4), 1 + 2 + 1 + 2 + 2 + 1)
    want[0] += 1
    want[:, 1:] += 1
    want[:, 0] += 1
    want[1] += 1
    np.testing.assert_allclose(x.grad._data.get(), want)
    assert shares(parts[0], x) and shares(x.unbind(0)[0], x)
