"""The local derivative rule of each backward node, as text and as LaTeX.

A node ``y = f(a, b, ...)`` receives ``g = dJ/dy`` and sends, along the edge of each
input ``a``, the contribution given by the chain rule:

.. math::  \\bar a = \\Big(\\frac{\\partial y}{\\partial a}\\Big)^{\\!\\top} g

Each built-in `Function` declares its rule next to its code (``rule``, or ``rule_for(node,
info)`` where the words depend on the node; see `autograd_core._teaching`). `rule_for` reads
it from the node's class, names it after the node, and notes where an elementwise input was
broadcast; a node without a rule (a user-defined Function) gets the generic "chain rule
through <op>".
"""

from __future__ import annotations

from dataclasses import dataclass

from .._teaching import Input, NodeInfo, Rule

__all__ = ["InputRule", "LocalRule", "rule_for"]


@dataclass(frozen=True)
class InputRule:
    """What one input of a node receives: ``dy/da`` and the contribution sent to it."""

    symbol: str
    derivative: str
    derivative_latex: str
    sends: str
    sends_latex: str
    note: str = ""

    @property
    def text(self) -> str:
        note = f"  ({self.note})" if self.note else ""
        return f"{self.derivative};  sends {self.sends}{note}"


@dataclass(frozen=True)
class LocalRule:
    """The local rule of one node: its forward formula and one `InputRule` per input."""

    op: str
    forward: str
    forward_latex: str
    inputs: tuple
    generic: bool = False

    def for_input(self, index: int) -> InputRule | None:
        """The rule for forward input ``index`` (None for inputs without a rule)."""
        return self.inputs[index] if 0 <= index < len(self.inputs) else None

    @property
    def text(self) -> str:
        lines = [self.forward] + [r.text for r in self.inputs if r is not None]
        return "\n".join(lines)

    @property
    def latex(self) -> str:
        rows = [self.forward_latex]
        for r in self.inputs:
            if r is not None:
                rows.append(f"{r.derivative_latex} \\quad\\Rightarrow\\quad {_bar(r.symbol)} = {r.sends_latex}")
        return " \\\\ ".join(rows)


def _bar(symbol: str) -> str:
    return f"\\bar{{{symbol}}}"


def _op_key(name: str) -> str:
    """'MulBackward0' -> 'Mul'; a user Function 'MyOpBackward' -> 'MyOp'."""
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _generic(name: str, in_shapes: tuple) -> LocalRule:
    """The chain rule through an op without a teaching rule: each input ``x_i`` receives
    ``(dy/dx_i)^T g``, computed by the op's backward."""
    op = _op_key(name)
    inputs = tuple(
        None if shape is None else
        InputRule(f"x_{i}", f"dJ/dx_{i} = (dy/dx_{i})^T g",
                  f"\\frac{{\\partial J}}{{\\partial x_{{{i}}}}} = "
                  f"\\Big(\\frac{{\\partial y}}{{\\partial x_{{{i}}}}}\\Big)^{{\\!\\top}} g",
                  f"{op}'s backward applied to g",
                  f"\\Big(\\frac{{\\partial y}}{{\\partial x_{{{i}}}}}\\Big)^{{\\!\\top}} g")
        for i, shape in enumerate(in_shapes or ((),), start=1))
    return LocalRule(name, f"chain rule through {op}: y = {op}(...)",
                     f"y = \\operatorname{{{_latex_escape(op)}}}(\\dots)", inputs, generic=True)


def _latex_escape(text: str) -> str:
    return text.replace("_", "\\_")


def _declared_rule(node, info: NodeInfo) -> Rule | None:
    """The rule the node's Function declares (``rule_for(node, info)`` or ``rule``), if any."""
    cls = type(node)
    build = getattr(cls, "rule_for", None)
    rule = build(node, info) if callable(build) else getattr(cls, "rule", None)
    return rule if isinstance(rule, Rule) else None


def _broadcast_shapes(shapes) -> tuple | None:
    ndim = max(len(s) for s in shapes)
    out = []
    for k in range(ndim):
        sizes = {s[len(s) - ndim + k] for s in shapes if len(s) - ndim + k >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _input_rule(r: Input | None, in_shape, out_shape) -> InputRule | None:
    """``r`` as shown for one input, noting a broadcast from ``out_shape`` to ``in_shape``."""
    if r is None:
        return None
    broadcast = out_shape is not None and in_shape is not None and tuple(in_shape) != out_shape
    note = f"summed over broadcast axes from {out_shape} to {tuple(in_shape)}" if broadcast else ""
    return InputRule(r.symbol, r.derivative, r.derivative_latex, r.sends, r.sends_latex, note)


def rule_for(node, grad_shapes: tuple = ()) -> LocalRule:
    """The local rule of a backward ``node`` (``grad_shapes``: shapes of its incoming gradients).

    Elementwise rules note where an input was broadcast: its contribution is summed back
    to its own shape (the output's shape before any reduction is the broadcast of the
    inputs' shapes and the incoming gradient's).
    """
    name = node.name()
    in_shapes = tuple(None if m is None else tuple(m[0]) for m in node.input_metadata)
    info = NodeInfo(in_shapes, tuple(grad_shapes))
    rule = _declared_rule(node, info)
    if rule is None:
        return _generic(name, in_shapes)
    out_shape = None
    if rule.elementwise:
        known = [shape for shape in in_shapes if shape is not None]
        if grad_shapes and grad_shapes[0] is not None:
            known.append(tuple(grad_shapes[0]))
        out_shape = _broadcast_shapes(known) if known else None
    inputs = tuple(_input_rule(r, in_shapes[i] if i < len(in_shapes) else None, out_shape)
                   for i, r in enumerate(rule.inputs))
    return LocalRule(name, rule.forward, rule.forward_latex, inputs)
