"""The teaching rule of each primitive lives on its Function: `viz` reads it from the node's
class (``rule``, or ``rule_for(node, info)`` where the words depend on the node), and a
Function without one gets the generic chain rule."""

from __future__ import annotations

import ast
import pathlib

import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core._teaching import Input, Rule
from autograd_core.ops.extrema import Amax, Max
from autograd_core.ops.indexing import Index, Slice
from autograd_core.ops.linalg import MatMul, Mm
from autograd_core.viz._rules import rule_for

PACKAGE = pathlib.Path(ag.__file__).parent


def _rule(t, grad_shape=None):
    return rule_for(t.grad_fn, (tuple(t.shape) if grad_shape is None else grad_shape,))


def _x(*shape):
    return ag.randn(*shape, requires_grad=True)


def _imports(path: pathlib.Path) -> list:
    """(level, module) of every import in a source file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            out.extend((0, alias.name) for alias in node.names)
    return out


def test_teaching_module_imports_nothing_from_the_package():
    imports = _imports(PACKAGE / "_teaching.py")
    assert imports and all(level == 0 and not mod.startswith("autograd_core") for level, mod in imports)


def test_ops_do_not_import_viz():
    for path in (PACKAGE / "ops").rglob("*.py"):
        for _, mod in _imports(path):
            assert "viz" not in mod.split("."), path


def test_viz_keeps_no_table_of_rules_and_reads_no_private_state():
    source = (PACKAGE / "viz" / "_rules.py").read_text()
    assert "__dict__" not in source
    class_keyed = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Dict)
                   and any(isinstance(k, ast.Constant) and str(k.value)[:1].isupper() for k in node.keys)]
    assert not class_keyed


@pytest.mark.parametrize("reduction, forward, derivative", [
    ("mean", "L = (1/6) sum_i (a_i - b_i)^2", "dL/da_i = 2/6 (a_i - b_i)"),
    ("sum", "L = sum_i (a_i - b_i)^2", "dL/da_i = 2 (a_i - b_i)"),
    ("none", "y = (a - b)^2", "dy/da = 2(a - b)"),
])
def test_mse_rule_follows_the_reduction(reduction, forward, derivative):
    rule = _rule(F.mse_loss(_x(2, 3), _x(2, 3), reduction=reduction))
    assert rule.op == "MSELossBackward0" and not rule.generic
    assert (rule.forward, rule.inputs[0].derivative) == (forward, derivative)
    assert rule.inputs[1].derivative == derivative.replace("da", "db").replace("= 2", "= -2")


def test_mse_of_one_element_and_its_latex():
    rule = _rule(F.mse_loss(_x(1), ag.zeros(1)))
    assert rule.forward == "L = (a - b)^2"
    assert rule.latex.startswith("L = (a - b)^2 \\\\ \\frac{\\partial L}{\\partial a} = 2(a - b) "
                                 "\\quad\\Rightarrow\\quad \\bar{a} = 2\\,g\\,(a - b) \\\\ ")


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_mse_notes_a_broadcast_input_before_the_reduction():
    rule = _rule(F.mse_loss(_x(3), _x(2, 3)), ())
    assert rule.inputs[0].note == "summed over broadcast axes from (2, 3) to (3,)"
    assert rule.inputs[1].note == ""


@pytest.mark.parametrize("loss, reduction, forward", [
    (lambda z, reduction: F.cross_entropy(z, ag.tensor([0, 2]), reduction=reduction), "sum",
     "L = -sum_n log softmax(z_n)[t_n]"),
    (lambda z, reduction: F.cross_entropy(z, ag.tensor([0, 2]), reduction=reduction), "none",
     "L = - log softmax(z_n)[t_n]"),
    (lambda z, reduction: F.nll_loss(z, ag.tensor([0, 2]), reduction=reduction), "mean",
     "L = -(1/N) sum_n a_n[t_n]"),
    (lambda z, reduction: F.binary_cross_entropy(z.sigmoid(), ag.zeros(2, 3), reduction=reduction), "mean",
     "L = -(1/n) sum_i [t ln p + (1 - t) ln(1 - p)]"),
    (lambda z, reduction: F.binary_cross_entropy_with_logits(z, ag.zeros(2, 3), reduction=reduction), "sum",
     "L = sum_i [softplus(z) - t z]"),
])
def test_loss_rules_follow_the_reduction(loss, reduction, forward):
    rule = _rule(loss(_x(2, 3), reduction))
    assert rule.forward == forward and not rule.generic


@pytest.mark.parametrize("exponent, forward, derivative", [
    (2, "y = a^2", "dy/da = 2a"), (3, "y = a^3", "dy/da = 3 a^2"), (1, "y = a^1", "dy/da = 1"),
    (0.5, "y = a^0.5", "dy/da = 0.5 a^-0.5"),
])
def test_pow_rule_shows_the_number_exponent(exponent, forward, derivative):
    rule = _rule(_x(2, 3).abs() ** exponent)
    assert (rule.forward, rule.inputs[0].derivative) == (forward, derivative)
    assert len(rule.inputs) == 1


def test_pow_with_a_tensor_exponent_and_a_broadcast_base():
    rule = _rule(_x(3).abs() ** _x(2, 3))
    assert rule.forward == "y = a^b" and [r.symbol for r in rule.inputs] == ["a", "b"]
    assert rule.inputs[0].note == "summed over broadcast axes from (2, 3) to (3,)"


def test_mean_rule_counts_the_averaged_elements():
    assert _rule(_x(2, 3).mean(0)).forward == "y = (1/2) sum_i a_i"
    assert _rule(_x(4, 5).mean()).inputs[0].derivative == "dy/da_i = 1/20"


def test_cat_and_stack_give_each_input_its_piece():
    rule = _rule(ag.cat([_x(2), _x(3), _x(1)]))
    assert [r.sends for r in rule.inputs if r is not None][:3] == ["block 1 of g", "block 2 of g", "block 3 of g"]
    assert _rule(ag.stack([_x(2), _x(2)])).inputs[1].sends == "slice 2 of g"


def test_related_functions_share_one_declaration():
    assert Mm.rule is MatMul.rule and Max.rule is Amax.rule and Index.rule is Slice.rule
    assert _rule(ag.mm(_x(2, 3), _x(3, 4))).op == "MmBackward0"
    assert _rule(_x(2, 3).max(1)[0]).forward == "y = max_i a_i"  # MaxBackward0, a node of its own


def test_a_user_function_may_declare_a_rule():
    class Twice(ag.autograd.Function):
        rule = Rule("y = 2 a b", "y = 2ab",
                    Input("a", "dy/da = 2b", "2b", "2 g b", "2 g b"),
                    Input("b", "dy/db = 2a", "2a", "2 g a", "2 g a"), elementwise=True)

        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return 2 * a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return 2 * grad * b, 2 * grad * a

    rule = _rule(Twice.apply(_x(3), _x(2, 3)))
    assert rule.op == "TwiceBackward" and not rule.generic and rule.forward == "y = 2 a b"
    assert rule.inputs[0].note == "summed over broadcast axes from (2, 3) to (3,)"
    assert "\\bar{b} = 2 g a" in rule.latex


def test_rules_are_frozen_data():
    rule = MatMul.rule
    with pytest.raises(AttributeError):
        rule.forward = "y = ?"
    assert isinstance(rule.inputs, tuple) and all(isinstance(r, Input) for r in rule.inputs)
    same = Input("a", "1", "1", "g", "g")
    assert Rule("y = a", "y = a", same) == Rule("y = a", "y = a", Input("a", "1", "1", "g", "g"))
