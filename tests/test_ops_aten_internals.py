"""Ops PyTorch exposes by ATen name (ops/aten_internals.py, ops/segment_reduce.py, the
``ops.aten`` namespace) and the extra random fills (ops/random_fill_more.py), against PyTorch:
values, a vector-Jacobian product and a float64 gradcheck for the differentiable ones."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck
from tests._torch_compare import compare, torch

R = np.random.default_rng(13)
A = R.normal(size=(3, 4))


def test_softmax_backward_data_is_softmax_vjp():
    y = torch.softmax(torch.tensor(A), 1).numpy()
    compare(lambda g, o: ag._softmax_backward_data(g, o, 1, ag.float64),
            lambda g, o: torch._softmax_backward_data(g, o, 1, torch.float64), [A, y])


def test_safe_softmax_zeroes_rows_that_are_all_minus_inf():
    x = A.copy()
    x[1] = -np.inf
    x[2, :2] = -np.inf
    compare(lambda t: ag.ops.aten._safe_softmax.default(t, 1),
            lambda t: torch.ops.aten._safe_softmax.default(t, 1), [x], check=False)
    compare(lambda t: ag._safe_softmax(t, 0), lambda t: torch.ops.aten._safe_softmax(t, 0), [A])


@pytest.mark.parametrize("shapes, dim, chunks", [([(1, 2, 3), (1, 2, 5)], -1, 5),
                                                 ([(2, 3), (2, 4)], 1, 2),
                                                 ([(4, 3), (2, 3)], 0, 3)])
def test_chunk_cat_matches_torch(shapes, dim, chunks):
    arrays = [R.normal(size=s) for s in shapes]
    compare(lambda *t: ag._chunk_cat(list(t), dim, chunks),
            lambda *t: torch._chunk_cat(list(t), dim, chunks), arrays, grad=False)
    # (PyTorch has no derivative for it; ours is cat's and reshape's)
    xs = tuple(ag.tensor(a, requires_grad=True) for a in arrays)
    assert gradcheck(lambda *t: ag._chunk_cat(list(t), dim, chunks), xs)


def test_chunk_cat_refuses_mismatched_leading_dims():
    with pytest.raises(RuntimeError):
        ag._chunk_cat([ag.zeros(2, 3), ag.zeros(3, 3)], 1, 2)


def test_unsafe_masked_index_and_put_accumulate_match_torch():
    mask = R.random((4, 6)) > 0.4
    rows = R.integers(0, 5, size=(4, 1))  # 4 is out of range: masked off below
    cols = R.integers(0, 4, size=(1, 6))
    mask[(rows >= 3).repeat(6, 1)] = False
    idx, tidx = [ag.tensor(rows), ag.tensor(cols)], [torch.tensor(rows), torch.tensor(cols)]
    compare(lambda x: ag._unsafe_masked_index(x, ag.tensor(mask), idx, -2.0),
            lambda x: torch._unsafe_masked_index(x, torch.tensor(mask), tidx, -2.0), [A])
    v = R.normal(size=(4, 6))
    compare(lambda x, w: ag._unsafe_masked_index_put_accumulate(x, ag.tensor(mask), idx, w),
            lambda x, w: torch._unsafe_masked_index_put_accumulate(x, torch.tensor(mask), tidx, w),
            [A, v])


def test_native_dropout_backward_matches_torch():
    mask = R.random((3, 4)) > 0.5
    compare(lambda g: ag.ops.aten.native_dropout_backward(g, ag.tensor(mask), 2.0),
            lambda g: torch.ops.aten.native_dropout_backward(g, torch.tensor(mask), 2.0), [A])


def test_aten_slice_is_a_view_like_torch():
    x = ag.arange(10.0)
    v = ag.ops.aten.slice.Tensor(x, 0, 2, None, 3)
    np.testing.assert_array_equal(v.numpy(), torch.ops.aten.slice.Tensor(
        torch.arange(10.0), 0, 2, None, 3).numpy())
    v.mul_(0)
    assert x[5].item() == 0
    compare(lambda t: ag.ops.aten.slice(t, 1, 1, -1), lambda t: torch.ops.aten.slice(t, 1, 1, -1),
            [A])
    with pytest.raises(AttributeError):
        ag.ops.aten.no_such_operation  # noqa: B018


@pytest.mark.parametrize("reduce", ["sum", "prod", "max", "min", "mean"])
@pytest.mark.parametrize("initial", [None, 0.5])
def test_segment_reduce_matches_torch(reduce, initial):
    data = R.normal(size=(6, 2))
    lengths = np.array([3, 0, 1, 2])
    check = not (reduce == "mean" and initial is None)  # (the empty segment's NaN)
    if reduce in ("max", "min"):  # a tie in the first segment shares the gradient evenly
        data = R.normal(size=6)  # (1-d: PyTorch splits it there too)
        data[1] = data[0]
        check = False  # (a tie is a kink: finite differences straddle it)
    compare(lambda x: ag.segment_reduce(x, reduce, lengths=ag.tensor(lengths), initial=initial),
            lambda x: torch.segment_reduce(x, reduce, lengths=torch.tensor(lengths),
                                           initial=initial), [data], check=check)
    offsets = np.array([0, 2, 2, 6])
    compare(lambda x: ag._segment_reduce(x, reduce, offsets=ag.tensor(offsets), initial=initial),
            lambda x: torch.segment_reduce(x, reduce, offsets=torch.tensor(offsets),
                                           initial=initial), [data], check=check)


def test_segment_reduce_along_a_later_axis_and_bad_lengths():
    data = R.normal(size=(2, 5))
    lengths = np.array([[2, 3], [5, 0]])
    compare(lambda x: ag.segment_reduce(x, "sum", lengths=ag.tensor(lengths), axis=1),
            lambda x: torch.segment_reduce(x, "sum", lengths=torch.tensor(lengths), axis=1),
            [data])
    with pytest.raises(RuntimeError):
        ag.segment_reduce(ag.zeros(4), "sum", lengths=ag.tensor([1, 1]))


@pytest.mark.parametrize("fill, args, low, high", [("cauchy_", (0.0, 1.0), -np.inf, np.inf),
                                                   ("exponential_", (2.0,), 0, np.inf),
                                                   ("geometric_", (0.3,), 1, np.inf),
                                                   ("log_normal_", (0.0, 0.5), 0, np.inf)])
def test_random_fills_draw_from_their_distribution(fill, args, low, high):
    ag.manual_seed(0)
    x = getattr(ag.zeros(20000), fill)(*args)
    v = x.numpy()
    assert x.dtype == ag.float32 and np.all((v >= low) & (v < high) | ~np.isfinite(high))
    if fill == "exponential_":
        assert abs(v.mean() - 0.5) < 0.02
    if fill == "geometric_":
        assert abs(v.mean() - 1 / 0.3) < 0.1 and np.all(v == np.round(v))
    if fill == "log_normal_":
        assert abs(np.log(v).std() - 0.5) < 0.02
    if fill == "cauchy_":
        assert abs(np.median(v)) < 0.05


def test_random_fills_refuse_bad_parameters_like_torch():
    for fill, args in [("cauchy_", (0.0, -1.0)), ("exponential_", (-1.0,)),
                       ("geometric_", (1.5,)), ("log_normal_", (0.0, -1.0))]:
        with pytest.raises(RuntimeError):
            getattr(torch.zeros(3), fill)(*args)
        with pytest.raises(RuntimeError):
            getattr(ag.zeros(3), fill)(*args)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.zeros(3, dtype=ag.int64).cauchy_()
