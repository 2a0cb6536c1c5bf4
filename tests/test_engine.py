"""The backward engine: reuse, diamonds, accumulation, freed graphs, hooks, retain_grad,
version errors, long chains and higher derivatives."""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import Function, grad


def leaf(values, dtype=ag.float64):
    return ag.tensor(values, dtype=dtype, requires_grad=True)


def test_reuse_sums_contributions():
    x = leaf([1.0, -2.0, 3.0])
    y = ((x + x) * x).sum()  # 2x^2
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, -2.0, 3.0]))


def test_diamond():
    x = leaf(2.0)
    a = x * 3
    b = x * x
    y = a * b  # 3x^3 -> 9x^2 = 36
    y.backward()
    assert x.grad.item() == pytest.approx(36.0)


def test_diamond_node_runs_once():
    calls = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x = leaf([1.0, 2.0])
    s = Spy.apply(x)
    (s * 2 + s * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_accumulation_over_two_backwards():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_freed_graph_raises_with_hint():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(ag.tensor([1.0, 10.0], dtype=ag.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_gradient_shape_mismatch():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ag.ones(3, dtype=ag.float64))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ag.ones(2).sum().backward()


def test_leaf_and_nonleaf_grad():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    z = x * 5
    (h * z).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), z.detach().numpy())
    assert z.grad is None
    assert x.is_leaf and not h.is_leaf


def test_tensor_hook_replaces_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    h = x * 2
    h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_leaf_hook_and_removal():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 3)
    (x * 1).sum().backward()
    assert x.grad.item() == 3.0
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.item() == 1.0


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.ones(2).register_hook(lambda g: g)


def test_inplace_change_of_saved_tensor_raises():
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a  # Mul saves a
    a._version_counter[0] += 1  # what an in-place op does
    expected = r"modified by an inplace operation.*version 1; expected version 0.*MulBackward0"
    with pytest.raises(RuntimeError, match=expected):
        y.sum().backward()


def test_long_chain_runs_iteratively_in_linear_time():
    def chain(n):
        x = leaf([1.0])
        y = x
        for _ in range(n):
            y = y * 1.0
        return x, y

    x, y = chain(100_000)
    start = time.perf_counter()
    y.sum().backward()
    long_time = time.perf_counter() - start
    assert x.grad.item() == 1.0
    x, y = chain(10_000)
    start = time.perf_counter()
    y.sum().backward()
    short_time = time.perf_counter() - start
    # Linear, not quadratic: 10x the nodes costs far less than 100x the time.
    assert long_time < 40 * short_time + 0.5


def test_second_and_third_derivatives():
    x = leaf(1.5)
    y = x**4
    (g1,) = grad(y, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert g1.item() == pytest.approx(4 * 1.5**3)
    assert g2.item() == pytest.approx(12 * 1.5**2)
    assert g3.item() == pytest.approx(24 * 1.5)


def test_backward_create_graph_gives_graph_of_gradient():
    x = leaf([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    x.grad.sum().backward()  # d/dx sum(3x^2) = 6x, accumulated onto 3x^2
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([1.0, 4.0]) + 6 * np.array([1.0, 2.0]))


def test_grad_does_not_touch_dot_grad_and_allow_unused():
    x = leaf([1.0, 2.0])
    w = leaf([3.0])
    y = (x * 2).sum()
    (gx,) = grad(y, x, retain_graph=True)
    assert x.grad is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        grad(y, [x, w], retain_graph=True)
    gx, gw = grad(y, [x, w], allow_unused=True)
    assert gw is None


def test_grad_of_non_leaf_input():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.array([3.0, 6.0]))


def test_backward_inputs_limits_accumulation():
    x = leaf([1.0])
    w = leaf([2.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    assert w.grad.item() == 1.0


def test_no_grad_and_set_grad_enabled():
    x = leaf([1.0])
    with ag.no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    with ag.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    assert ag.is_grad_enabled()

    @ag.no_grad()
    def f(t):
        return t * 2

    assert f(x).grad_fn is None
    with ag.inference_mode():
        assert (x * 2).grad_fn is None


def test_detach_and_detach_():
    x = leaf([1.0])
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_requires_grad_on_non_leaf_cannot_be_cleared():
    x = leaf([1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)


def test_graph_is_freed_after_backward():
    x = leaf(np.ones(1000))
    y = x * 2
    node_ref = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    gc.collect()
    assert node_ref() is None


def test_grad_dtype_follows_input_on_mixed_dtypes():
    a = ag.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = ag.tensor([3.0, 4.0], dtype=ag.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == ag.float32 and b.grad.dtype == ag.float64


def test_leaf_grads_never_alias():
    a = leaf([1.0, 2.0])
    b = leaf([1.0, 2.0])
    (a + b).sum().backward()
    a.grad._data[...] = 0  # e.g. in-place clipping of one gradient
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_sum_backward_gives_writable_contiguous_grad():
    x = leaf(np.ones((3, 4)))
    x.sum().backward()
    assert x.grad._data.flags.writeable and x.grad._data.flags.c_contiguous
    x.grad._data *= 2


def test_custom_function():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = leaf([2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    assert y.grad_fn.needs_input_grad == (True,)
    (g1,) = grad(y.sum(), x, create_graph=True)
    (g2,) = grad(g1.sum(), x)
    assert g1.item() == 12.0 and g2.item() == 12.0  # 6x


def test_custom_function_wrong_gradient_count():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x, y = leaf([1.0]), leaf([1.0])
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x, y).sum().backward()


def test_custom_function_wrong_gradient_shape():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


def test_once_differentiable():
    from autograd_core.autograd import once_differentiable

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = leaf([3.0])
    (g,) = grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_anomaly_mode_names_function_and_line():
    class NaNBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf([1.0])
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        with ag.autograd.detect_anomaly():
            y = NaNBackward.apply(x)  # the line to be named
            with pytest.raises(RuntimeError, match=r"NaNBackwardBackward.*nan.*test_engine.py:\d+"):
                y.sum().backward()


def test_mean_backward_gives_writable_contiguous_grad():
    x = leaf(np.ones((3, 4)))
    x.mean().backward()
    assert x.grad._data.flags.writeable and x.grad._data.flags.c_contiguous
    x.grad.mul_(2)
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 2 / 12))


def test_zero_dim_leaf_accumulates_over_two_backwards():
    """NumPy sums two 0-d arrays to a scalar; .grad must stay a tensor (plain and create_graph paths)."""
    b = ag.tensor(3.0, requires_grad=True)
    (b * b).backward()
    (b * b).backward()
    assert b.grad.shape == () and b.grad.item() == 12.0
    x = ag.tensor(2.0, requires_grad=True)
    ag.autograd.backward(x * x, inputs=[x])
    ag.autograd.backward(x * x, inputs=[x])
    assert x.grad.item() == 8.0


def test_leaves_run_in_the_order_they_become_ready():
    """Leaves share one sequence number; ties go first-ready-first, never by memory address,
    so a backward trace is the same on every run."""
    from autograd_core.viz import trace_backward

    for _ in range(20):
        junk = [ag.ones(3, requires_grad=True) for _ in range(5)]  # shuffle the allocator
        x = ag.tensor(2.0, requires_grad=True)
        y = ag.tensor(3.0, requires_grad=True)
        trace = trace_backward(x * y, params={"x": x, "y": y})
        leaves = [s.label for s in trace.steps if s.kind == "accumulate"]
        assert leaves[0].startswith("x") and leaves[1].startswith("y"), leaves
        del junk
