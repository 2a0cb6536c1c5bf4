"""Recording a forward pass: every primitive (`Function`) applied, with its arguments.

While `record` is active, ``Function.apply`` is wrapped so that each call appends one `Step`:
the Function's class, the arguments it was given (tensors and the non-tensor parameters such
as axes, shapes, epsilons, pooling geometry) and the tensors it returned. This is the forward
as the primitives saw it, in order; `export` translates it step by step. (Not thread-safe:
another thread running operations meanwhile would be recorded too.)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

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


@contextlib.contextmanager
def record():
    """Collect the `Step` of every ``Function.apply`` made inside the block into a list."""
    steps: list[Step] = []
    original = Function.__dict__["apply"]

    def apply(cls, *args, **kwargs):
        out = original.__func__(cls, *args, **kwargs)
        # a user-defined Function's forward runs other primitives (recorded first); the
        # Function itself has no translation and is reported by name
        outputs = out if isinstance(out, tuple) else (out,)
        step = Step(cls, args, kwargs, outputs)
        for t in list(args) + list(outputs):
            if isinstance(t, Tensor):
                step.keys[id(t)] = key_of(t)
                step.keep.append(t.grad_fn)
                if t.grad_fn is None and not t.requires_grad and not any(t is o for o in outputs):
                    step.frozen[id(t)] = t._data.copy()
        steps.append(step)
        return out

    Function.apply = classmethod(apply)
    try:
        yield steps
    finally:
        Function.apply = original
