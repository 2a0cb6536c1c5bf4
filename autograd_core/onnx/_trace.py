"""Recording a forward pass: every primitive (`Function`) applied, with its arguments.

While `record` is active, ``Function.apply`` (and the comparison and logical operators of
`Tensor`, which are not Functions) is wrapped so that each call appends one `Step`:
the Function's class, the arguments it was given (tensors and the non-tensor parameters such
as axes, shapes, epsilons, pooling geometry) and the tensors it returned. This is the forward
as the primitives saw it, in order; `export` translates it step by step. (Not thread-safe:
another thread running operations meanwhile would be recorded too.)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from .. import function as _function
from ..function import Function
from ..tensor import Tensor


@dataclass
class Step:
    """One primitive applied: ``fn.apply(*args, **kwargs) -> outputs``.

    ``keys`` says, for each tensor (by ``id``) among the arguments and outputs, which value it
    held at that moment (`key_of`): a tensor changed in place later holds another value then.
    ``frozen`` holds copies of the arguments that may become constants (no history, no grad).
    """

    fn: type
    args: tuple
    kwargs: dict
    outputs: tuple
    keys: dict = field(default_factory=dict)
    frozen: dict = field(default_factory=dict)
    keep: list = field(default_factory=list)


def key_of(t: Tensor) -> tuple:
    """Which value ``t`` holds now: the output of its node, or (a leaf) the tensor itself."""
    if t.grad_fn is not None:
        return ("node", id(t.grad_fn), t._output_nr)
    return ("tensor", id(t))


class TensorOperator:
    """The `Step.fn` of a comparison or logical operator (``x > 0``, ``mask & other``, ``~m``):
    these are not Functions (they have no gradient), so `record` wraps the Tensor operators
    themselves; ``kwargs["op"]`` names the operator (``"__gt__"``)."""


# the operators recorded, and the order of their operands (reflected ones swap them)
OPERATORS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__", "__xor__",
             "__invert__", "__rand__", "__ror__", "__rxor__")


def _step(steps: list, fn, args: tuple, kwargs: dict, out) -> None:
    outputs = out if isinstance(out, tuple) else (out,)
    step = Step(fn, args, kwargs, outputs)
    for t in list(args) + list(outputs):
        if isinstance(t, Tensor):
            step.keys[id(t)] = key_of(t)
            step.keep.append(t.grad_fn)
            if t.grad_fn is None and not t.requires_grad and not any(t is o for o in outputs):
                step.frozen[id(t)] = t._data.copy()
    steps.append(step)


def _recording_operator(steps: list, name: str, original):
    def operator(self, *other):
        out = original(self, *other)
        if isinstance(out, Tensor):
            _step(steps, TensorOperator, (self, *other), {"op": name}, out)
        return out

    return operator


@contextlib.contextmanager
def record():
    """Collect the `Step` of every primitive applied inside the block into a list: calls of
    ``Function.apply`` and of its two-operand path ``function._apply_two`` (which the
    arithmetic operators call directly)."""
    steps: list[Step] = []
    original = Function.__dict__["apply"]
    original_two = _function._apply_two
    inside = [0]  # > 0 while an apply runs: its own two-operand call is not a second step

    def apply(cls, *args, **kwargs):
        inside[0] += 1
        try:
            out = original.__func__(cls, *args, **kwargs)
        finally:
            inside[0] -= 1
        # a user-defined Function's forward runs other primitives (recorded first); the
        # Function itself has no translation and is reported by name
        _step(steps, cls, args, kwargs, out)
        return out

    def apply_two(cls, a, b):
        if inside[0]:
            return original_two(cls, a, b)
        inside[0] += 1
        try:
            out = original_two(cls, a, b)
        finally:
            inside[0] -= 1
        _step(steps, cls, (a, b), {}, out)
        return out

    operators = {name: Tensor.__dict__[name] for name in OPERATORS}
    for name, fn in operators.items():
        setattr(Tensor, name, _recording_operator(steps, name, fn))
    Function.apply = classmethod(apply)
    _function._apply_two = apply_two
    try:
        yield steps
    finally:
        Function.apply = original
        _function._apply_two = original_two
        for name, fn in operators.items():
            setattr(Tensor, name, fn)
