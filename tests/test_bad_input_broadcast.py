"""Shapes that do not broadcast raise PyTorch's RuntimeError naming both shapes, never
NumPy's ValueError: one shared check (`ops._broadcast.broadcast_shapes`) for every op that
broadcasts its operands."""

import pytest

import autograd_core as ag
import nn

F = nn.functional

A, B = (2, 3), (4, 3)

CASES = {
    "add": lambda t, a, b: a + b,
    "sub": lambda t, a, b: a - b,
    "mul": lambda t, a, b: a * b,
    "div": lambda t, a, b: a / b,
    "pow": lambda t, a, b: a ** b,
    "floor_divide": lambda t, a, b: a // b,
    "remainder": lambda t, a, b: a % b,
    "maximum": lambda t, a, b: t.maximum(a, b),
    "minimum": lambda t, a, b: t.minimum(a, b),
    "fmax": lambda t, a, b: t.fmax(a, b),
    "atan2": lambda t, a, b: t.atan2(a, b),
    "clamp": lambda t, a, b: t.clamp(a, b, None),
    "isclose": lambda t, a, b: t.isclose(a, b),
    "lerp": lambda t, a, b: t.lerp(a, b, 0.5),
    "lt": lambda t, a, b: a < b,
    "where": lambda t, a, b: t.where(a > 0, a, b),
    "add_": lambda t, a, b: a.add_(b),
    "mse_loss": lambda t, a, b: t.nn.functional.mse_loss(a, b),
    "l1_loss": lambda t, a, b: t.nn.functional.l1_loss(a, b),
    "huber_loss": lambda t, a, b: t.nn.functional.huber_loss(a, b),
    "kl_div": lambda t, a, b: t.nn.functional.kl_div(a, b, reduction="sum"),
    "cosine_similarity": lambda t, a, b: t.nn.functional.cosine_similarity(a, b),
    "cat": lambda t, a, b: t.cat([a, t.ones(2, 4)]),
    "stack": lambda t, a, b: t.stack([a, b]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_that_do_not_broadcast_raise_runtime_error_naming_them(name):
    op = CASES[name]
    with pytest.raises(RuntimeError) as info:
        op(ag, ag.ones(*A), ag.ones(*B))
    message = str(info.value)
    assert "[2, 3]" in message and ("[4, 3]" in message or "[2, 4]" in message), message
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        op(torch, torch.ones(*A), torch.ones(*B))


def test_the_message_says_which_axis_and_how_to_fix_it():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 0"):
        _ = ag.ones(2, 3) + ag.ones(4, 3)
    with pytest.raises(RuntimeError, match="unsqueeze"):
        _ = ag.ones(5, 1, 3) * ag.ones(2, 4)


def test_lists_and_arrays_are_checked_like_tensors():
    with pytest.raises(RuntimeError, match=r"\[2\]"):
        _ = ag.ones(3) + [1.0, 2.0]


def test_shapes_that_broadcast_still_work():
    assert (ag.ones(2, 1, 3) + ag.ones(4, 1)).shape == (2, 4, 3)
    assert (ag.ones(0, 3) * ag.ones(1, 3)).shape == (0, 3)
    assert ag.lerp(ag.ones(2, 3), ag.zeros(3), ag.ones(2, 1)).shape == (2, 3)
