"""Samples of PyTorch's OpInfo database that used to disagree, compared with torch directly
(values and gradients) and checked with float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _pair(values, dtype=np.float64):
    array = np.asarray(values, dtype)
    return (ag.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))


def _compare(ours, theirs, inputs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert tuple(ours.shape) == tuple(theirs.shape)
    cot = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    ours.backward(ag.tensor(cot))
    theirs.backward(torch.tensor(cot))
    for o, t in inputs:
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op", ["index_add", "index_copy"])
@pytest.mark.parametrize(("xs", "ss"), [((), ()), ((), (1,)), ((1,), ())])
def test_index_add_and_copy_take_0d_input_or_source(op, xs, ss):
    x, tx = _pair(np.full(xs, 1.5))
    s, ts = _pair(np.full(ss, -2.0))
    index = [0]
    kwargs = {"alpha": 2} if op == "index_add" else {}
    if op == "index_add" and xs != ss:  # PyTorch adds a 0-d source to a 0-d input only
        for lib, a, b in ((ag, x, s), (torch, tx, ts)):
            with pytest.raises(RuntimeError):
                lib.index_add(a, 0, lib.tensor(index), b, **kwargs)
        return
    ours = getattr(ag, op)(x, 0, ag.tensor(index), s, **kwargs)
    theirs = getattr(torch, op)(tx, 0, torch.tensor(index), ts, **kwargs)
    _compare(ours, theirs, [(x, tx), (s, ts)])
    x64 = ag.tensor(np.full(xs, 1.5), requires_grad=True)
    s64 = ag.tensor(np.full(ss, -2.0), requires_grad=True)
    assert gradcheck(lambda a, b: getattr(ag, op)(a, 0, ag.tensor(index), b, **kwargs),
                     (x64, s64))


@pytest.mark.parametrize("value", [3.5, "tensor"])
def test_index_fill_of_a_0d_input(value):
    x, tx = _pair(1.5)
    v = (ag.tensor(3.5), torch.tensor(3.5)) if value == "tensor" else (value, value)
    ours = ag.index_fill(x, 0, ag.tensor([0]), v[0])
    theirs = torch.index_fill(tx, 0, torch.tensor([0]), v[1])
    _compare(ours, theirs, [(x, tx)])
    assert gradcheck(lambda a: ag.index_fill(a * 2, -1, ag.tensor([0]), 3.5) + a,
                     (ag.tensor(1.5, dtype=ag.float64, requires_grad=True),))


@pytest.mark.parametrize(("kernel", "padding", "stride"), [(2, 0, 1), (2, 1, 2), (3, 1, (1, 2))])
def test_unfold_of_an_empty_batch_keeps_the_number_of_blocks(kernel, padding, stride):
    x, tx = _pair(np.zeros((0, 2, 5, 5)))
    ours = F.unfold(x, kernel, 1, padding, stride)
    theirs = torch.nn.functional.unfold(tx, kernel, 1, padding, stride)
    assert tuple(ours.shape) == tuple(theirs.shape)
    ours.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 5, 5)
    y = ag.tensor(np.random.default_rng(1).standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(lambda a: F.unfold(a, kernel, 1, padding, stride), (y,))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_empty_vector_is_empty_and_in_the_graph(training):
    x, tx = _pair(np.zeros(0))
    w, tw = _pair(np.zeros(0))
    ours = F.batch_norm(x, w, w, None, None, training=training)
    theirs = torch.nn.functional.batch_norm(tx, tw, tw, None, None, training=training)
    assert tuple(ours.shape) == tuple(theirs.shape) == (0,)
    assert ours.requires_grad and theirs.requires_grad


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (4, 3)])
def test_pdist_requires_grad_like_pytorch_even_without_pairs(shape):
    data = np.random.default_rng(2).standard_normal(shape)
    x, tx = _pair(data)
    ours, theirs = F.pdist(x), torch.nn.functional.pdist(tx)
    assert ours.requires_grad == theirs.requires_grad
    if theirs.numel():
        _compare(ours, theirs, [(x, tx)])
        assert gradcheck(F.pdist, (ag.tensor(data, requires_grad=True),))


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
def test_margin_losses_of_a_0d_score(name):
    x, tx = _pair(0.7)
    ours = getattr(F, name)(x, ag.tensor(0))
    theirs = getattr(torch.nn.functional, name)(tx, torch.tensor(0))
    _compare(ours, theirs, [(x, tx)])


@pytest.mark.parametrize("pad", [(8, -1, -1, -3), (-2, -1, -1, -3), (-5, 2, 0, 0),
                                 (3, -6, 1, 1), (-1, -1, 2, -4)])
def test_replicate_padding_with_negative_sides(pad):
    data = np.random.default_rng(4).standard_normal((2, 3, 5, 5))
    x, tx = _pair(data)
    ours = F.pad(x, pad, mode="replicate")
    theirs = torch.nn.functional.pad(tx, pad, mode="replicate")
    _compare(ours, theirs, [(x, tx)])
    y = ag.tensor(data[:1, :1], requires_grad=True)
    assert gradcheck(lambda a: F.pad(a, pad, mode="replicate"), (y,))


def test_take_along_dim_wraps_negative_indices():
    data = np.random.default_rng(5).standard_normal((4, 5))
    idx = np.array([[-1, 0, -5], [2, -2, 4], [0, 0, -3], [-4, 1, 1]])
    x, tx = _pair(data)
    ours = ag.take_along_dim(x, ag.tensor(idx), 1)
    theirs = torch.take_along_dim(tx, torch.tensor(idx), 1)
    _compare(ours, theirs, [(x, tx)])
    for lib in (ag, torch):  # the flattened form refuses them
        with pytest.raises(RuntimeError):
            lib.take_along_dim(lib.tensor(data), lib.tensor(idx), None)
    assert gradcheck(lambda a: ag.take_along_dim(a, ag.tensor(idx), 1),
                     (ag.tensor(data, requires_grad=True),))


def test_tensordot_broadcasts_a_size_1_contracted_dim():
    rng = np.random.default_rng(6)
    a_data, b_data = rng.standard_normal((1, 1, 1)), rng.standard_normal((2, 1, 2))
    a, ta = _pair(a_data)
    b, tb = _pair(b_data)
    dims = ([0, 1], [2, 0])
    _compare(ag.tensordot(a, b, dims=dims), torch.tensordot(ta, tb, dims=dims),
             [(a, ta), (b, tb)])
    assert gradcheck(lambda u, v: ag.tensordot(u, v, dims=dims),
                     (ag.tensor(a_data, requires_grad=True), ag.tensor(b_data, requires_grad=True)))


def test_norm_nuc_is_the_sum_of_singular_values():
    data = np.random.default_rng(7).standard_normal((3, 4, 5))
    x, tx = _pair(data)
    _compare(ag.norm(x, "nuc", dim=(1, 2)), torch.norm(tx, "nuc", dim=(1, 2)), [(x, tx)])
    y, ty = _pair(data[0])
    _compare(ag.norm(y, "nuc"), torch.norm(ty, "nuc"), [(y, ty)])
    with pytest.raises(RuntimeError, match="dim"):
        ag.norm(ag.tensor(data), "nuc")
    assert gradcheck(lambda a: ag.norm(a, "nuc"), (ag.tensor(data[0], requires_grad=True),))


def test_logcumsumexp_keeps_entries_far_below_the_row_maximum():
    data = np.array([[0.0, 1000.0, 3.0, -2000.0], [-1e4, 5.0, 1e4, 7.0]], dtype=np.float32)
    x, tx = _pair(data, np.float32)
    ours, theirs = ag.logcumsumexp(x, 1), torch.logcumsumexp(tx, 1)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_logcumsumexp_gradient_is_close_to_float64():
    rng = np.random.default_rng(8)
    data = rng.standard_normal((3, 6)) * 30
    cot = rng.standard_normal((3, 6))
    x = ag.tensor(data.astype(np.float32), requires_grad=True)
    ag.logcumsumexp(x, 1).backward(ag.tensor(cot.astype(np.float32)))
    t = torch.tensor(data, requires_grad=True)
    torch.logcumsumexp(t, 1).backward(torch.tensor(cot))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)
    x64 = ag.tensor(data / 10, requires_grad=True)
    assert gradcheck(lambda a: ag.logcumsumexp(a, 1), (x64,))
    assert gradgradcheck(lambda a: ag.logcumsumexp(a, 0), (x64,))
