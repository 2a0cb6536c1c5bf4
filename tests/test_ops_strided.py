"""Memory layout ops (ops/strided.py, ops/constant_pad.py, ops/masking_more.py) against
PyTorch: stride()/storage_offset(), as_strided and its copy/scatter forms (values, gradients,
float64 gradcheck), the strided factories, resize_, constant_pad_nd, isreal, nonzero_static."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import gradcheck
from tests._torch_compare import compare, torch

R = np.random.default_rng(11)
A = R.normal(size=(3, 4))
F16 = R.normal(size=16)


@pytest.mark.parametrize("size, stride, offset", [
    ((2, 2), (1, 2), 0), ((2, 2), (1, 2), 1), ((3, 2), (4, 1), 2), ((2, 3), (0, 1), 0),
    ((2, 2, 2), (1, 1, 1), 3), ((), (), 5)])
def test_as_strided_matches_torch(size, stride, offset):
    compare(lambda x: ag.as_strided(x, size, stride, offset),
            lambda x: torch.as_strided(x, size, stride, offset), [A])
    compare(lambda x: ag.as_strided_copy(x, size, stride, offset),
            lambda x: torch.as_strided_copy(x, size, stride, offset), [A])


def test_as_strided_of_a_view_reads_the_base_storage():
    base = ag.tensor(F16, requires_grad=True)
    tbase = torch.tensor(F16, requires_grad=True)
    view, tview = base[4:12], tbase[4:12]
    assert view.storage_offset() == tview.storage_offset() == 4
    y = view.as_strided((2, 3), (1, 2))  # offset defaults to the view's own
    ty = tview.as_strided((2, 3), (1, 2))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    wide = view.as_strided((2, 2), (8, 1), 0)  # reaches storage outside the view
    twide = tview.as_strided((2, 2), (8, 1), 0)
    np.testing.assert_allclose(wide.detach().numpy(), twide.detach().numpy())
    g = R.normal(size=(2, 2))
    (ga,) = ag.autograd.grad(wide, [base], ag.tensor(g))
    (gt,) = torch.autograd.grad(twide, [tbase], torch.tensor(g))
    np.testing.assert_allclose(ga.numpy(), gt.numpy())


def test_as_strided_is_a_view_and_twice_differentiable():
    x = ag.tensor(A.copy())
    v = x.as_strided((2, 2), (1, 4), 1)
    v.mul_(0)
    assert x[0, 1].item() == 0 and x[1, 1].item() == 0 and v._version == x._version
    xs = (ag.tensor(A, requires_grad=True),)
    assert ag.autograd.gradgradcheck(lambda t: (ag.as_strided(t, (2, 2), (1, 2), 1) ** 2),
                                     xs)


def test_stride_and_storage_offset_match_torch():
    x, tx = ag.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for f in (lambda t: t, lambda t: t.transpose(0, 2), lambda t: t[1, :, 1::2],
              lambda t: t.permute(1, 2, 0)[1:]):
        assert f(x).stride() == f(tx).stride()
        assert f(x).storage_offset() == f(tx).storage_offset()
    assert x.stride(-1) == tx.stride(-1)


def test_as_strided_refuses_out_of_bounds_and_negative_strides():
    x = ag.zeros(6)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.as_strided((3, 3), (3, 1))
    with pytest.raises(RuntimeError, match="Negative strides"):
        x.as_strided((2,), (-1,))
    with pytest.raises(RuntimeError):
        torch.zeros(6).as_strided((3, 3), (3, 1))


@pytest.mark.parametrize("size, stride, offset", [((2, 2), (1, 2), 1), ((2, 2), (2, 1), 0),
                                                  ((2, 1, 2), (1, 5, 6), 0)])
def test_as_strided_scatter_values_and_src_gradient_match_torch(size, stride, offset):
    src = R.normal(size=size)
    mine = ag.as_strided_scatter(ag.tensor(A), ag.tensor(src), size, stride, offset)
    theirs = torch.as_strided_scatter(torch.tensor(A), torch.tensor(src), size, stride, offset)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy())
    compare(lambda s: ag.as_strided_scatter(ag.tensor(A), s, size, stride, offset),
            lambda s: torch.as_strided_scatter(torch.tensor(A), s, size, stride, offset), [src])


def test_as_strided_scatter_input_gradient_is_g_outside_the_region():
    # (PyTorch returns g inside the region here: its own OpInfo marks that gradient wrong)
    x = ag.tensor(A, requires_grad=True)
    s = ag.tensor(R.normal(size=(2, 2)), requires_grad=True)
    out = ag.as_strided_scatter(x, s, (2, 2), (1, 2), 1)
    (gx,) = ag.autograd.grad(out.sum(), [x])
    expected = np.ones(12)
    expected[[1, 2, 3, 4]] = 0
    np.testing.assert_array_equal(gx.numpy(), expected.reshape(3, 4))
    assert gradcheck(lambda a, b: ag.as_strided_scatter(a, b, (2, 2), (1, 2), 1), (x, s))


def test_strided_factories_have_torch_shapes_and_strides():
    for size, stride in [((2, 3), (1, 2)), ((1, 3, 5), (0, 1, 3)), ((0, 2), (1, 1))]:
        t = ag.empty_strided(size, stride)
        assert tuple(t.shape) == size and t.dtype == ag.float32
        if 0 not in size:
            assert t.stride() == torch.empty_strided(size, stride).stride()
    n = ag.ones(2).new_empty_strided((2, 2), (1, 2), dtype=ag.float64)
    assert n.dtype == ag.float64 and n.stride() == (1, 2)
    for order in [(0, 1, 2), (2, 0, 1), (1, 2, 0)]:
        assert ag.empty_permuted((2, 3, 4), order).stride() == \
            torch.empty_permuted((2, 3, 4), order).stride()
    with pytest.raises(RuntimeError):
        ag.empty_permuted((2, 3), (0, 0))


def test_resize_keeps_the_leading_elements():
    x = ag.arange(6.0)
    x.resize_(2, 2)
    np.testing.assert_array_equal(x.numpy(), [[0, 1], [2, 3]])
    y = ag.tensor(7.0)
    y.resize_as_(ag.zeros(1, 1, 1))
    assert tuple(y.shape) == (1, 1, 1) and y.item() == 7.0
    with pytest.raises(RuntimeError, match="require grad"):
        ag.zeros(2, requires_grad=True).resize_(3)


@pytest.mark.parametrize("pad, value", [((1, 2), 0.0), ((1, -1, 0, 2), 2.5), ((-1, -2), 1.0),
                                        ((0, 0, 1, 1, 2, 0), -3.0)])
def test_constant_pad_nd_matches_torch(pad, value):
    x = R.normal(size=(2, 3, 4))
    compare(lambda t: ag.constant_pad_nd(t, pad, value),
            lambda t: torch.constant_pad_nd(t, pad, value), [x])


def test_constant_pad_nd_errors():
    with pytest.raises(RuntimeError):
        ag.constant_pad_nd(ag.zeros(2), (1,))
    with pytest.raises(RuntimeError):
        ag.constant_pad_nd(ag.zeros(2), (1, 1, 1, 1))


def test_isreal_and_nonzero_static_match_torch():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    assert ag.isreal(ag.tensor(x)).numpy().all() and ag.isreal(ag.tensor(x)).dtype == ag.bool
    for size, fill in [(3, -1), (1, 0), (0, -1), (5, 7)]:
        mine = ag.nonzero_static(ag.tensor(x), size=size, fill_value=fill)
        theirs = torch.nonzero_static(torch.tensor(x), size=size, fill_value=fill)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
        assert mine.dtype == ag.int64
