"""PyTorch's autograd guarantees, one test per way they used to break: hooks run once on
every path and their results are checked; every saved value is version-checked; in-place
ops through views of graph tensors are differentiated; custom Functions see Tensors;
``.grad`` accumulates in place; Python numbers work as both operands; index bounds are
checked on every device."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401  (fixture)

import autograd_core as ag
import nn.functional as F
from autograd_core.autograd import Function, gradcheck


# ----------------------------------------------------------------------------- hooks
def test_hook_on_a_grad_input_runs_once_and_applies_everywhere():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    calls = []

    def double(g):
        calls.append(1)
        return g * 2

    y.register_hook(double)
    gy, gx = ag.autograd.grad((y * 3).sum(), [y, x])
    assert len(calls) == 1
    np.testing.assert_allclose(gy.numpy(), [6.0, 6.0])  # PyTorch: the hook's result
    np.testing.assert_allclose(gx.numpy(), [12.0, 12.0])

    x2 = ag.tensor([1.0, 2.0], requires_grad=True)
    y2 = x2 * 2
    y2.register_hook(double)
    (y2 * 3).sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x2.grad.numpy(), [12.0, 12.0])


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_changing_the_size_is_refused(leaf):
    a = ag.ones(3, 4, requires_grad=True)
    target = a if leaf else a * 2
    target.register_hook(lambda g: ag.ones(5) if leaf else ag.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        target.sum().backward() if not leaf else (a * 2).sum().backward()
    assert a.grad is None


def test_hook_changing_the_dtype_is_refused():
    a = ag.ones(3, 4, requires_grad=True)
    a.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        (a * 2).sum().backward()
    assert a.grad is None


def test_hook_returning_a_non_tensor_is_a_type_error():
    a = ag.ones(3, requires_grad=True)
    a.register_hook(lambda g: 3.0)
    with pytest.raises(TypeError, match="hook"):
        (a * 2).sum().backward()


# ----------------------------------------------------------------------------- versions
def test_cross_entropy_target_changed_in_place_is_caught():
    logits = ag.randn(4, 3, requires_grad=True)
    target = ag.tensor([0, 1, 2, 0])
    loss = F.cross_entropy(logits, target)
    target.add_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_mask_changed_in_place_is_caught():
    x = ag.randn(3, requires_grad=True)
    mask = ag.tensor([True, False, True])
    y = x.masked_fill(mask, 0.0)
    mask.logical_not_() if hasattr(mask, "logical_not_") else mask.fill_(False)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_index_changed_in_place_is_caught():
    x = ag.randn(3, 2, requires_grad=True)
    index = ag.tensor([[0, 1], [1, 0]])
    y = x.gather(0, index)
    index.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_view_shares_its_base_version():
    b = ag.ones(4)
    v = b[1:3]
    b.add_(1)
    assert v._version == b._version == 1
    v.mul_(2)
    assert b._version == 2


# ----------------------------------------------------------------------------- views
def _through_views(x):
    b = x * 1
    b[0:2].mul_(3)
    b.t()[1].add_(b[3, 0])  # a column, through a transposed view, with a value from b
    b.narrow(0, 2, 1).exp_()
    return b


def test_inplace_through_views_is_differentiated_like_pytorch():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).standard_normal((4, 3))
    x = ag.tensor(x0, requires_grad=True)
    b = _through_views(x)
    (b * b).sum().backward()
    xt = torch.tensor(x0, requires_grad=True)
    bt = _through_views(xt)
    (bt * bt).sum().backward()
    np.testing.assert_allclose(b.detach().numpy(), bt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert b.grad_fn.name() == "CopySlices"


def test_inplace_through_views_passes_gradcheck():
    x = ag.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(_through_views, (x,))


def test_the_view_itself_follows_its_rebased_base():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1
    v = b[1:]
    v.mul_(2)
    (v * v).sum().backward()  # v = 2 x[1:], d/dx = 8 x[1:]
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 16.0, 24.0])


def test_inplace_on_a_view_of_a_leaf_is_refused():
    x = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0:2].mul_(2)


# ----------------------------------------------------------------------------- custom Functions
class _Clamp(Function):
    @staticmethod
    def forward(ctx, x, low):
        assert isinstance(x, ag.Tensor)  # PyTorch: forward sees Tensors
        ctx.save_for_backward(x)
        ctx.low = low
        return x.clone().clamp(min=low)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert isinstance(grad, ag.Tensor) and isinstance(x, ag.Tensor)
        return grad * (x > ctx.low), None


def test_custom_function_forward_sees_tensors_and_its_output_saves():
    x = ag.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = _Clamp.apply(x, 0.0)
    assert y.grad_fn is not None and not y.grad_fn.needs_input_grad[1]
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 1.0])
    with ag.no_grad():
        assert _Clamp.apply(x, 0.0).grad_fn is None


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        y = x * x * x
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_custom_function_is_differentiable_twice():
    x = ag.tensor([2.0], requires_grad=True)
    (g,) = ag.autograd.grad(_Cube.apply(x).sum(), x, create_graph=True)
    (h,) = ag.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [12.0])
    np.testing.assert_allclose(h.numpy(), [12.0])


# ----------------------------------------------------------------------------- .grad
def test_grad_accumulates_in_place():
    x = ag.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first
    np.testing.assert_allclose(first.numpy(), [5.0, 5.0, 5.0])


def test_grad_with_a_graph_accumulates_out_of_place():
    x = ag.ones(2, requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    first = x.grad
    (x * x).sum().backward(create_graph=True)
    assert x.grad is not first and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.detach().numpy(), [4.0, 4.0])


def test_a_broadcast_gradient_is_summed_back_once_by_the_engine():
    class Spread(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad.expand(5, 3)  # the broadcast shape: summed back to (1, 3)

    x = ag.ones(1, 3, requires_grad=True)
    Spread.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[5.0, 5.0, 5.0]])

    class Wrong(Spread):
        @staticmethod
        def backward(ctx, grad):
            return ag.ones(4)

    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        Wrong.apply(ag.ones(1, 3, requires_grad=True)).sum().backward()


# ----------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("fn, a, b, expected", [
    (ag.add, 2.0, 3.0, 5.0), (ag.mul, 2, 3.5, 7.0), (ag.sub, 2.0, 1.0, 1.0),
    (ag.div, 1, 4, 0.25),
])
def test_python_numbers_as_both_operands(fn, a, b, expected):
    out = fn(a, b)
    assert isinstance(out, ag.Tensor) and out.dtype == ag.float32
    assert out.item() == expected


@pytest.mark.parametrize("fn", [ag.pow, ag.remainder, ag.maximum, ag.atan2])
def test_two_numbers_refused_where_pytorch_refuses_them(fn):
    with pytest.raises(TypeError):  # (torch.pow(2.0, 3) is a TypeError too)
        fn(2.0, 3)


def test_two_integers_give_an_integer_tensor():
    assert ag.add(2, 3).dtype == ag.int64


# ----------------------------------------------------------------------------- index bounds
def test_a_saved_result_changed_through_another_view_is_caught():
    x = ag.ones(3, 2, requires_grad=True)
    b = x * 1
    b.narrow(0, 1, 1).exp_()  # exp saves its result: the view's memory
    b.t()[0].add_(1.0)  # changes that memory through another view
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


@pytest.mark.usefixtures("fake_cuda")
def test_index_bounds_are_checked_on_the_device_at_the_next_sync():
    x = ag.ones(3, 2, device="cuda")
    index = ag.tensor([0, 5], device="cuda")
    y = x[index]  # no host synchronisation here
    with pytest.raises(IndexError, match="out of bounds"):
        y.cpu()
    ag.ones(2, device="cuda").cpu()  # the error is reported once


def test_index_bounds_on_the_cpu_raise_at_once():
    with pytest.raises(RuntimeError, match="index 5 is out of bounds"):
        ag.ones(3, 2).gather(0, ag.tensor([[0, 5]]))


def test_grad_of_several_outputs_of_one_node():
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = (x * 2).split(2)
    (g,) = ag.autograd.grad([a, b], x, [ag.ones(2), ag.full((2,), 3.0)])
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0, 6.0, 6.0])
    a, b = x.split(2)
    (a.sum() * 2 + b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 1.0, 1.0])


def test_zero_dim_leaves_get_zero_dim_grads():
    """A 0-d leaf's .grad is 0-d, also when its gradient is an array another leaf shares."""
    a = ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(2.0, requires_grad=True)
    (a + b).backward()
    assert a.grad.shape == () and b.grad.shape == ()
    assert float(a.grad) == 1.0 and float(b.grad) == 1.0
