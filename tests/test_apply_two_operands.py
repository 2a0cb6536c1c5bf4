"""The two-operand path of `Function.apply` (a Tensor with a Tensor or a number) records the
same node as the general path: edges with output numbers, input metadata, saved values and
their versions, multi-output forwards, and the no-grad case."""

import numpy as np
import pytest

import autograd_core as ag


class _Split(ag.autograd.Function):
    """(2x, 3x): two outputs of one node."""

    @staticmethod
    def forward(ctx, x):
        return x * 2.0, x * 3.0

    @staticmethod
    def backward(ctx, g2, g3):
        return g2 * 2.0 + g3 * 3.0


def test_edges_carry_the_output_number_of_a_multi_output_producer():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4))
    a = ag.tensor(x, requires_grad=True)
    two, three = _Split.apply(a)
    y = three * a  # three is output 1 of its node
    assert y.grad_fn.next_functions[0] == (three.grad_fn, 1)
    leaf, nr = y.grad_fn.next_functions[1]
    assert leaf.name() == "AccumulateGrad" and leaf.variable is a and nr == 0
    assert y.grad_fn.input_metadata == (((3, 4), np.dtype("float64")),) * 2
    (y * two).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    (t * 3.0 * t * (t * 2.0)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_a_number_operand_gets_no_edge_and_is_saved_as_a_constant():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3.0
    assert y.grad_fn.next_functions[1] == (None, 0)
    assert y.grad_fn.needs_input_grad == (True, False)
    assert 3.0 in y.grad_fn.saved_values
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_a_saved_operand_changed_in_place_is_detected():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    y = a * b
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_multi_output_forward_with_a_number_operand():
    a = ag.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    values, indices = ag.max(a, 1)
    assert values.grad_fn is not None and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0], [1.0, 0.0]])


def test_nothing_is_recorded_without_grad():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        y = a * a
    assert y.grad_fn is None and not y.requires_grad
    z = ag.tensor([1.0]) * 2.0
    assert z.grad_fn is None


def test_float64_gradcheck_through_two_operand_ops():
    rng = np.random.default_rng(1)
    a = ag.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = ag.tensor(rng.standard_normal((3,)) + 3.0, requires_grad=True)
    assert ag.autograd.gradcheck(lambda p, q: (p * q - p / q + 2.0 * p) * 0.5, (a, b))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_a_tensor_and_a_python_float_match_pytorch(op, dtype):
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, -1.25], [2.0, 3.5]], dtype=dtype)
    a = ag.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ours, theirs = getattr(a, op)(1.5), getattr(t, op)(1.5)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-3)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-3)
    if dtype == "float64":
        assert ag.autograd.gradcheck(lambda p: getattr(p, op)(1.5), (a,))
