"""The backward trace: it records exactly the engine's steps, its contributions add up to
every ``.grad``, it changes no gradient, and it shows the lectures' sensitivities."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import engine
from autograd_core.function import AccumulateGrad
from autograd_core.viz._rules import rule_for
from autograd_core.viz.trace import BackwardTrace, trace_backward


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy())


def _mixed_graph(device="cpu", dtype=ag.float64):
    """Reuse (a used three times), broadcasting, matmul, a transpose and a reduction."""
    g = ag.Generator().manual_seed(3)
    a = ag.randn(3, dtype=dtype, generator=g).to(device).requires_grad_()
    b = ag.randn(2, 3, dtype=dtype, generator=g).to(device).requires_grad_()
    w = ag.randn(3, 4, dtype=dtype, generator=g).to(device).requires_grad_()
    h = (a * a + b).tanh() @ w  # a * a: two edges into a; (a * a) + b is broadcast
    y = (h.sigmoid() * a.sum() - b.T.mean()).exp().mean()
    return y, {"a": a, "b": b, "w": w}


def _function_nodes(root) -> set:
    seen, stack = set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(child for child, _ in node.next_functions)
    return {n for n in seen if type(n) is not AccumulateGrad}


class _Observer:
    def __init__(self):
        self.nodes = []
        self.leaves = []

    def before_node(self, node, grads):
        self.nodes.append(node)

    def after_node(self, node, grads_in, grads_out):
        pass

    def accumulate(self, node, g):
        self.leaves.append(node.variable)


# ---------------------------------------------------------------------------- steps
def test_steps_are_the_engines_steps():
    y, params = _mixed_graph()
    expected_nodes = _function_nodes(y)
    observer = _Observer()
    engine.add_observer(observer)
    try:
        with BackwardTrace(params) as trace:
            y.backward()
    finally:
        engine.remove_observer(observer)
    assert [s.node for s in trace.node_steps] == observer.nodes
    assert len(trace.node_steps) == len(expected_nodes)
    assert {s.node for s in trace.node_steps} == expected_nodes
    assert [s.leaf for s in trace if s.kind == "accumulate"] == observer.leaves
    assert [s.index for s in trace] == list(range(len(trace)))
    assert trace[0].node is y.grad_fn and not trace[0].received  # the root gets the seed
    assert float(trace[0].grads_in[0].numpy()) == 1.0


def test_contributions_sum_to_every_grad_float64():
    y, params = _mixed_graph()
    trace = trace_backward(y, params=params)
    for name, leaf in params.items():
        sent = trace.contributions_to(leaf)
        assert sent, name
        total = sum(c.grad.numpy() for c in sent)
        np.testing.assert_allclose(total, _np(leaf.grad), rtol=1e-12, atol=1e-14)
        (acc,) = [s for s in trace if s.kind == "accumulate" and s.leaf is leaf]
        assert acc.label == name
        assert acc.grad_before is None
        np.testing.assert_allclose(acc.grad_after.numpy(), _np(leaf.grad), rtol=1e-12)
        np.testing.assert_allclose(sent[-1].total.numpy(), _np(leaf.grad), rtol=1e-12)
        assert [c.count for c in sent] == list(range(1, len(sent) + 1))
    # a is used by a * a (two edges) and a.sum(): three contributions
    assert len(trace.contributions_to(params["a"])) == 3


def test_intermediate_receives_the_sum_of_its_consumers():
    x = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    u = x * 3.0
    y = (u.sin() + u ** 2).sum()
    trace = trace_backward(y, params={"x": x, "u": u})
    sent = trace.contributions_to(u)
    assert len(sent) == 2
    expected = np.cos(3 * np.array([0.5, -1.0, 2.0])) + 2 * 3 * np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(_np(trace.grad_of(u)), expected, rtol=1e-12)
    np.testing.assert_allclose(sum(c.grad.numpy() for c in sent), expected, rtol=1e-12)
    (step,) = trace.steps_of(u)
    assert step.label == "MulBackward0 (u)"
    assert {c.step for c in step.received} == {c.step for c in sent}


def test_a_times_a_shows_two_contributions():
    a = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    trace = trace_backward((a * a).sum(), params={"a": a})
    mul = [s for s in trace if s.name == "MulBackward0"]
    assert len(mul) == 1
    sent = mul[0].contributions
    assert [(c.input_index, c.target_label) for c in sent] == [(0, "a"), (1, "a")]
    for c in sent:
        np.testing.assert_array_equal(c.grad.numpy(), [1.0, -2.0, 3.0])  # g * a with g = 1
    assert sent[1].count == 2
    np.testing.assert_array_equal(sent[1].total.numpy(), [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(_np(a.grad), [2.0, -4.0, 6.0])
    assert mul[0].rule.inputs[0].derivative == "d(ab)/da = b"
    assert mul[0].rule.inputs[1].derivative == "d(ab)/db = a"


# ---------------------------------------------------------------------------- the lectures
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_sensitivities_of_a_2_2_1_mlp(activation):
    """delta^2 = -2 F'(u^2)(d - y) and delta^1 = F'(u^1) (W^2)^T delta^2 (lecture notation:
    u^m = W^m y^{m-1} + b^m with W^m of shape (N_m, N_{m-1}), as nn.Linear's weight)."""
    ag.manual_seed(7)
    f = getattr(ag, activation)
    fprime = {"sigmoid": lambda u: f(u) * (1 - f(u)), "tanh": lambda u: 1 - f(u) ** 2}[activation]
    layer1, layer2 = nn.Linear(2, 2).double(), nn.Linear(2, 1).double()
    x = ag.tensor([[0.3, -0.8]], dtype=ag.float64)
    d = ag.tensor([[1.0]], dtype=ag.float64)
    u1 = layer1(x)
    u2 = layer2(f(u1))
    y = f(u2)
    loss = F.mse_loss(y, d)  # one sample, one output: J = (d - y)^2
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias,
              "u1": u1, "u2": u2}
    trace = trace_backward(loss, params=params)

    e = _np(d - y)[0]
    delta2 = -2 * _np(fprime(u2))[0] * e                     # shape (1,)
    W2 = _np(layer2.weight)                                   # (1, 2)
    delta1 = np.diag(_np(fprime(u1))[0]) @ W2.T @ delta2      # (2,)
    np.testing.assert_allclose(_np(trace.grad_of(u2))[0], delta2, rtol=1e-12)
    np.testing.assert_allclose(_np(trace.grad_of(u1))[0], delta1, rtol=1e-12)
    # dJ/dw_ij^m = delta_i^m y_j^{m-1}, dJ/db_i^m = delta_i^m
    np.testing.assert_allclose(_np(layer1.weight.grad), np.outer(delta1, _np(x)[0]), rtol=1e-12)
    np.testing.assert_allclose(_np(layer1.bias.grad), delta1, rtol=1e-12)
    np.testing.assert_allclose(_np(layer2.weight.grad), np.outer(delta2, _np(f(u1))[0]), rtol=1e-12)
    names = [s.label for s in trace]
    assert "LinearBackward0 (u2)" in names and "LinearBackward0 (u1)" in names
    assert {"W1", "b1", "W2", "b2"} <= set(names)
    assert trace[0].rule.inputs[0].derivative == "dL/da = 2(a - b)"


# ---------------------------------------------------------------------------- no side effects
def _model_grads(trace: bool):
    ag.manual_seed(11)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = ag.randn(5, 3)
    target = ag.tensor([0, 1, 1, 0, 1])
    loss = F.cross_entropy(model(x), target) + model[0].weight.pow(2).sum() * 0.01
    if trace:
        recorded = trace_backward(loss, params=dict(model.named_parameters()))
        assert len(recorded) > 0
    else:
        loss.backward()
    return [_np(p.grad) for p in model.parameters()]


def test_gradients_identical_with_and_without_trace():
    plain = _model_grads(trace=False)
    traced = _model_grads(trace=True)
    assert len(plain) == len(traced) == 4
    for p, t in zip(plain, traced):
        assert p.dtype == t.dtype
        np.testing.assert_array_equal(p, t)


class _Boom(ag.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        raise ValueError("boom in backward")


def test_observer_removed_after_an_exception():
    before = engine.observers()
    x = ag.ones(3, requires_grad=True)
    y = (_Boom.apply(x) * 3).sum()
    with pytest.raises(ValueError, match="boom"):
        with BackwardTrace() as trace:
            y.backward()
    assert engine.observers() == before
    assert trace.steps[-1].name == "_BoomBackward" and not trace.steps[-1].finished
    assert "raised" in trace.table()
    with pytest.raises(ValueError, match="boom"):
        trace_backward((_Boom.apply(x) * 3).sum())
    assert engine.observers() == before
    # a later backward is not recorded
    n = len(trace)
    (x * 2).sum().backward()
    assert len(trace) == n


def test_trace_is_not_reentrant():
    trace = BackwardTrace()
    with trace:
        with pytest.raises(RuntimeError, match="already recording"):
            trace.__enter__()
    assert trace._recorder not in engine.observers()


def test_two_backwards_in_one_trace_show_the_running_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    u = w * w
    y = u.sum()
    with BackwardTrace({"w": w}) as trace:
        y.backward(retain_graph=True)
        y.backward(ag.tensor(0.5))
    acc = [s for s in trace if s.kind == "accumulate"]
    assert len(acc) == 2
    assert acc[0].grad_before is None
    np.testing.assert_array_equal(acc[1].grad_before.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(acc[1].grad_after.numpy(), [3.0, 6.0])
    np.testing.assert_array_equal(_np(w.grad), [3.0, 6.0])
    np.testing.assert_array_equal(_np(trace.grad_of(u)), [0.5, 0.5])  # the last backward's
    assert float(trace.grad_of(y)) == 0.5
    # each backward starts its own running totals
    assert [c.count for s in trace for c in s.contributions] == [1, 1, 2, 1, 1, 2]


def test_autograd_grad_is_traced_without_accumulation():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = (x ** 3).sum()
    with BackwardTrace({"x": x}) as trace:
        (gx,) = ag.autograd.grad(y, x)
    assert x.grad is None
    assert not [s for s in trace if s.kind == "accumulate"]
    np.testing.assert_allclose(_np(trace.grad_of(x)), _np(gx), rtol=1e-12)
    assert trace.steps[1].rule.forward == "y = a^3"


def test_max_elements_keeps_only_a_preview():
    w = ag.ones(50, 40, requires_grad=True)
    trace = trace_backward((w * 2).sum(), max_elements=100)
    acc = [s for s in trace if s.kind == "accumulate"][0]
    record = acc.grads_in[0]
    assert not record.complete and record.shape == (50, 40)
    assert record.head().size < 100
    assert record.preview(3) == "[2, 2, 2, ...] (50x40)"
    with pytest.raises(RuntimeError, match="max_elements"):
        trace.grad_of(w)
    with pytest.raises(ValueError, match="max_elements"):
        BackwardTrace(max_elements=0)


def test_grad_of_errors_say_what_to_do():
    a = ag.ones(2, requires_grad=True)
    other = ag.ones(3, requires_grad=True) * 2
    trace = trace_backward((a * 3).sum())
    with pytest.raises(RuntimeError, match=r"never reached this tensor \(shape \(3,\)"):
        trace.grad_of(other)
    with pytest.raises(TypeError, match="expects a Tensor"):
        trace.grad_of(np.ones(2))
    with pytest.raises(TypeError, match="named_parameters"):
        BackwardTrace(params=[a])


def test_params_as_named_parameters_pairs_and_leaf_names():
    model = nn.Linear(2, 1)
    x = ag.ones(1, 2, requires_grad=True)
    x.name = "x"
    trace = trace_backward(model(x).sum(), params=model.named_parameters())
    labels = {s.label for s in trace if s.kind == "accumulate"}
    assert labels == {"weight", "bias", "x"}


def test_works_on_a_fake_cuda_device(device):
    y, params = _mixed_graph(device=device)
    trace = trace_backward(y, params=params)
    assert trace[0].grads_in[0].device == y.device
    for leaf in params.values():
        total = sum(c.grad.numpy() for c in trace.contributions_to(leaf))
        np.testing.assert_allclose(total, _np(leaf.grad), rtol=1e-12)
        got = trace.grad_of(leaf)
        assert got.device == leaf.device
    assert "MatMulBackward0" in trace.table()


# ---------------------------------------------------------------------------- the rules
def _rule_name(make):
    a = ag.randn(2, 3, requires_grad=True)
    return rule_for(make(a).grad_fn, ((2, 3),))


@pytest.mark.parametrize("make, forward", [
    (lambda a: a + 1, "y = a + b"), (lambda a: a - 1, "y = a - b"), (lambda a: a * 2, "y = a * b"),
    (lambda a: a / 2, "y = a / b"), (lambda a: -a, "y = -a"), (lambda a: a ** 2, "y = a^2"),
    (lambda a: a.exp(), "y = exp(a)"), (lambda a: a.abs().log(), "y = ln a"),
    (lambda a: a.abs().sqrt(), "y = sqrt(a)"), (lambda a: a.tanh(), "y = tanh(a)"),
    (lambda a: a.sigmoid(), "y = sigmoid(a) = 1/(1 + exp(-a))"), (lambda a: a.relu(), "y = relu(a) = max(a, 0)"),
    (lambda a: a @ ag.ones(3, 2), "Y = A @ B"), (lambda a: ag.mm(a, ag.ones(3, 2)), "Y = A @ B"),
    (lambda a: a.sum(), "y = sum_i a_i"), (lambda a: a.mean(), "y = (1/6) sum_i a_i"),
    (lambda a: a[0].expand(2, 3), "y = broadcast(a) (each a_i copied along new axes)"),
    (lambda a: a.reshape(3, 2), "y = reshape(a) (same values, new shape)"),
    (lambda a: a.view(6), "y = reshape(a) (same values, new shape)"),
    (lambda a: a.T, "y = permute(a) (transpose: y = a^T)"),
    (lambda a: F.softmax(a, dim=1), "y = softmax(a), y_i = exp(a_i) / sum_j exp(a_j)"),
    (lambda a: F.log_softmax(a, dim=1), "y = log_softmax(a) = a - log sum_j exp(a_j)"),
    (lambda a: F.cross_entropy(a, ag.tensor([0, 2])), "L = -(1/N) sum_n log softmax(z_n)[t_n]"),
    (lambda a: F.mse_loss(a, ag.zeros(2, 3)), "L = (1/6) sum_i (a_i - b_i)^2"),
    (lambda a: F.linear(a, ag.ones(4, 3)), "Y = X @ W^T + b"),
])
def test_rules_of_the_common_ops(make, forward):
    rule = _rule_name(make)
    assert not rule.generic
    assert rule.forward == forward
    assert rule.inputs[0] is not None and rule.inputs[0].sends
    assert "\\" in rule.latex or "=" in rule.latex


def test_rule_latex_and_broadcast_note():
    a = ag.randn(3, requires_grad=True)
    b = ag.randn(2, 3, requires_grad=True)
    node = (a * b).grad_fn
    rule = rule_for(node, ((2, 3),))
    assert "\\frac{\\partial (ab)}{\\partial a} = b" in rule.latex
    assert rule.inputs[0].note == "summed over broadcast axes from (2, 3) to (3,)"
    assert rule.inputs[1].note == ""
    trace = trace_backward((a * b).sum())
    assert trace[1].rule.inputs[0].note == rule.inputs[0].note
    assert "broadcast" in trace.table()


def test_generic_rule_for_an_unknown_op():
    class Cube(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = ag.ones(2, requires_grad=True)
    rule = rule_for(Cube.apply(x).grad_fn, ((2,),))
    assert rule.generic
    assert rule.forward.startswith("chain rule through Cube")
    assert rule.inputs[0].derivative == "dJ/dx_1 = (dy/dx_1)^T g"
    assert rule.op == "CubeBackward"


def _balanced_braces(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and i > 0 and text[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _builtin_functions() -> list:
    from autograd_core.function import Function

    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("autograd_core."):
                found.add(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def test_every_rules_latex_has_balanced_braces():
    """Each built-in Function that declares a rule renders it (on a node that has not run:
    no saved values, no shapes), and a user Function gets the generic one."""
    declared = [c for c in _builtin_functions() if hasattr(c, "rule") or hasattr(c, "rule_for")]
    assert len(declared) >= 60
    for cls in declared:
        node = cls()
        rule = rule_for(node, ((2, 3),))
        assert _balanced_braces(rule.latex), cls
        assert rule.text.startswith(("y", "Y", "L")), cls
        assert not rule.generic and rule.op == node.name(), cls

    class Foo(ag.autograd.Function):
        pass

    rule = rule_for(Foo(), ((2, 3),))
    assert rule.generic and rule.op == "FooBackward" and _balanced_braces(rule.latex)
    assert rule.text.startswith("chain rule")


def test_exported_from_viz():
    from autograd_core import viz

    assert viz.trace_backward is trace_backward and viz.BackwardTrace is BackwardTrace


def test_zero_dim_value_used_twice():
    """NumPy sums two 0-d arrays to a scalar; the trace keeps arrays (a * a on a 0-d leaf)."""
    a = ag.tensor(3.0, requires_grad=True)
    trace = trace_backward(a * a, params={"a": a})
    assert float(a.grad) == 6.0
    assert trace.grad_of(a).item() == 6.0
    assert len(trace.contributions_to(a)) == 2
