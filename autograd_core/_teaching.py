"""The teaching rule of a primitive, declared on its `Function` next to the code.

A node ``y = f(a, b, ...)`` receives ``g = dJ/dy`` and sends, along the edge of each input
``a``, the chain rule's contribution

    a_bar = (dy/da)^T g

A `Rule` states the forward formula and, for each input, the local derivative ``dy/da`` and
that contribution, as text and as LaTeX. It is plain data: ops declare it as a class
attribute (``rule = Rule(...)``), or, where the words depend on the node (an exponent, a
count, a reduction), as a staticmethod ``rule_for(node, info) -> Rule``. `viz` reads it to
draw and narrate the backward pass. This module imports nothing from the package, so any
layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Input", "NodeInfo", "Rule", "identity_rule", "number_text", "pieces_rule", "reduction_words", "unary_rule"]


@dataclass(frozen=True)
class Input:
    """One input of a rule: its symbol, ``dy/da`` and the contribution ``a_bar`` sent to it
    (each as text and as LaTeX)."""

    symbol: str
    derivative: str
    derivative_latex: str
    sends: str
    sends_latex: str


@dataclass(frozen=True, init=False)
class Rule:
    """The forward formula and one `Input` per forward input (None for an input that never
    gets a gradient, such as a condition or a class target).

    ``elementwise``: the inputs broadcast against each other, so a broadcast input's
    contribution is summed back to its own shape.
    """

    forward: str
    forward_latex: str
    inputs: tuple
    elementwise: bool

    def __init__(self, forward: str, forward_latex: str, *inputs: Input | None, elementwise: bool = False) -> None:
        object.__setattr__(self, "forward", forward)
        object.__setattr__(self, "forward_latex", forward_latex)
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "elementwise", elementwise)


@dataclass(frozen=True)
class NodeInfo:
    """What is known of a node when its rule is asked for: the shape of each input that gets
    a gradient (None for the others) and of each gradient arriving."""

    in_shapes: tuple = ()
    grad_shapes: tuple = ()


def unary_rule(f_text: str, f_latex: str, d_text: str, d_latex: str) -> Rule:
    """``y = f(a)`` acting element by element: ``dy/da = f'(a)``, sends ``g * f'(a)``.

    ``d_text`` may end with a shorter form after ``" = "`` (``"1 - tanh(a)^2 = 1 - y^2"``):
    the contribution is written with it.
    """
    short, short_latex = d_text.rsplit(" = ", 1)[-1], d_latex.rsplit(" = ", 1)[-1]
    return Rule(f"y = {f_text}", f"y = {f_latex}",
                Input("a", f"dy/da = {d_text}", f"\\frac{{\\partial y}}{{\\partial a}} = {d_latex}",
                      f"g * {_paren(short)}", f"g \\odot {_paren(short_latex, latex=True)}"))


def identity_rule(forward: str, forward_latex: str, sends: str, sends_latex: str,
                  derivative: str = "dy_i/da_i = 1") -> Rule:
    """A rule that moves values without changing them (reshape, transpose, copy, broadcast):
    each output element is one input element, so ``dy_i/da_i = 1`` and the gradient is moved
    back the other way."""
    return Rule(forward, forward_latex,
                Input("a", derivative, "\\frac{\\partial y_i}{\\partial a_i} = 1", sends, sends_latex))


def reduction_words(reduction: str, count: str = "N", index: str = "n") -> tuple:
    """How a loss's ``reduction`` reads: ``(per, per_latex, reduce, reduce_latex)``.

    'mean': ``(" / N", "\\frac{1}{N}", "(1/N) sum_n", "\\frac{1}{N}\\sum_n")``; 'sum': only the
    sum; 'none': nothing.
    """
    if reduction == "mean":
        return (f" / {count}", f"\\frac{{1}}{{{count}}}", f"(1/{count}) sum_{index}",
                f"\\frac{{1}}{{{count}}}\\sum_{index}")
    if reduction == "sum":
        return "", "", f"sum_{index}", f"\\sum_{index}"
    return "", "", "", ""


def _paren(expr: str, latex: bool = False) -> str:
    """``expr`` in parentheses unless it is one symbol, a fraction or already bracketed."""
    simple = expr.replace(".", "").replace("_", "").isalnum() or expr.startswith(("(", "\\frac"))
    if simple or (latex and expr.startswith("\\mathbb")):
        return expr
    return f"\\left({expr}\\right)" if latex else f"({expr})"


def pieces_rule(op: str, word: str, k: int) -> Rule:
    """``y = op(a_1, ..., a_k)`` made of its inputs side by side (cat, stack): each input is
    one ``word`` of ``y`` and receives that part of ``g``."""
    inputs = (Input(f"a_{i}", f"y = {op}(a_1, ...): each a_i is one {word} of y",
                    f"\\frac{{\\partial y}}{{\\partial a_{{{i}}}}} = \\text{{{word} }} {i}",
                    f"{word} {i} of g", f"g^{{({i})}}")
              for i in range(1, max(1, k) + 1))
    return Rule(f"y = {op}(a_1, ..., a_k)", f"y = \\operatorname{{{op}}}(a_1, \\dots, a_k)", *inputs)


def number_text(x: float) -> str:
    """``2.0`` -> ``'2'``, ``0.5`` -> ``'0.5'``: a number as a formula shows it."""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"
