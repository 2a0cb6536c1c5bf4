"""Module backward hooks: ``register_full_backward_pre_hook`` and
``register_full_backward_hook``, with PyTorch's meaning of the gradients.

For a module computing y = f(x_1, ..., x_n) the hooks see

    grad_output = (dL/dy_1, ...)     (None for an output no gradient reached)
    grad_input  = (dL/dx_1, ...)     (one entry per positional argument; None for a
                                      non-tensor argument)

and may replace them. They are caught the way PyTorch catches them, with the public
autograd API only: the tensor arguments pass through one identity `Function` before
``forward`` and the tensor outputs through another after it. In backward, the output
identity sees every grad_output at once (it runs the pre-hooks), and the input identity,
reached once all of the module's gradients are summed, sees every grad_input at once (it
runs the hooks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.autograd import Function

__all__ = ["BackwardHook"]


class _BackwardHookIdentity(Function):
    """y_i = x_i for every tensor given; backward hands the gradients to ``on_backward``."""

    @staticmethod
    def forward(ctx, *values, on_backward: Callable, materialize: bool):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(materialize)
        outputs = tuple(v[...] for v in values)
        ctx.mark_non_differentiable(
            *[o for o, needed in zip(outputs, ctx.needs_input_grad) if not needed])
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        return ctx.on_backward(grads)


def _tensor_positions(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor)]


class BackwardHook:
    """The hooks of one call of a module: wraps its inputs (`setup_input_hook`) and
    outputs (`setup_output_hook`) and runs the hooks when the gradients arrive."""

    def __init__(self, module: Any, hooks: list[Callable], pre_hooks: list[Callable]) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_positions: list[int] | None = None
        self.grad_outputs: tuple | None = None

    @staticmethod
    def _wrap(values: tuple, on_backward: Callable, materialize: bool) -> tuple | None:
        """``values`` with its tensors passed through the identity (None when no tensor
        requires grad, or grad mode is off: nothing to hook then)."""
        positions = _tensor_positions(values)
        tensors = [values[i] for i in positions]
        if not ag.is_grad_enabled() or not any(t.requires_grad for t in tensors):
            return None
        wrapped = _BackwardHookIdentity.apply(*tensors, on_backward=on_backward,
                                              materialize=materialize)
        out = list(values)
        for i, t in zip(positions, wrapped):
            out[i] = t
        return tuple(out)

    @staticmethod
    def _pack(positions: list[int], grads: tuple, n: int) -> tuple:
        packed: list = [None] * n
        for i, g in zip(positions, grads):
            packed[i] = g
        return tuple(packed)

    # ------------------------------------------------------------------ inputs
    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        wrapped = self._wrap(args, self._on_grad_input, materialize=True)
        if wrapped is None:
            return args
        self.input_positions = _tensor_positions(args)
        return wrapped

    def _on_grad_input(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:  # no gradient reached the outputs
            return grads
        grad_input = self._pack(self.input_positions, grads, self.n_inputs)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is None:
                continue
            if not isinstance(result, (tuple, list)) or len(result) != len(grad_input):
                got = len(result) if isinstance(result, (tuple, list)) else type(result).__name__
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {got}, but expected {len(grad_input)}")
            grad_input = tuple(result)
        self.grad_outputs = None
        return tuple(grad_input[i] for i in self.input_positions)

    # ------------------------------------------------------------------ outputs
    def setup_output_hook(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        self.output_positions = _tensor_positions(values)
        self.n_outputs = len(values)
        wrapped = self._wrap(values, self._on_grad_output, materialize=False)
        if wrapped is None:
            return result
        return wrapped[0] if single else wrapped

    def _on_grad_output(self, grads: tuple) -> tuple:
        grad_outputs = self._pack(self.output_positions, grads, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, grad_outputs)
            if result is None:
                continue
            if not isinstance(result, (tuple, list)) or len(result) != len(grad_outputs):
                got = len(result) if isinstance(result, (tuple, list)) else type(result).__name__
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {got}, but expected {len(grad_outputs)}")
            grad_outputs = tuple(result)
        self.grad_outputs = grad_outputs
        if self.input_positions is None:  # no input requires grad: the hooks run here
            grad_input = (None,) * self.n_inputs
            for hook in self.hooks:
                out = hook(self.module, grad_input, grad_outputs)
                if out is not None and not (isinstance(out, tuple)
                                            and all(g is None for g in out)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(grad_outputs[i] for i in self.output_positions)
