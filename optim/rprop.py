"""Rprop: each weight's step grows while its gradient keeps its sign, shrinks when it
flips; only the sign of the gradient is used."""

from __future__ import annotations

import autograd_core as ag

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_no_capturable,
    _increment_step,
    _new_step,
    _value,
)


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun, 1993).

    With step-size factors (η⁻, η⁺) = ``etas`` and bounds (Δmin, Δmax) = ``step_sizes``,
    each weight i keeps its own step Δ_i (Δ_i = η, the learning rate, at first)::

        s = g_t,i · g_{t-1,i}
        Δ_i ← min(Δ_i η⁺, Δmax)   if s > 0     (same direction again: speed up)
        Δ_i ← max(Δ_i η⁻, Δmin)   if s < 0     (overshot a minimum: slow down,
                                                 and skip this step: g_t,i ← 0)
        θ_i ← θ_i - sign(g_t,i) Δ_i

    The size of the gradient never enters, so Rprop is immune to badly scaled
    gradients; it needs full-batch gradients (mini-batch noise flips signs at random).

    State per parameter: ``step``, ``prev`` (last gradient used), ``step_size`` (Δ).
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_no_capturable("Rprop", capturable, differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                eta_minus, eta_plus = group["etas"]
                size_min, size_max = group["step_sizes"]
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["prev"] = ag.zeros_like(p)
                        state["step_size"] = ag.full_like(p, _value(group["lr"]))
                    _increment_step(state)
                    grad = -p.grad if group["maximize"] else p.grad.clone()
                    agreement = grad * state["prev"]
                    factor = ag.ones_like(grad)
                    factor.masked_fill_(agreement > 0, eta_plus)
                    flipped = agreement < 0
                    factor.masked_fill_(flipped, eta_minus)
                    state["step_size"].mul_(factor).clamp_(size_min, size_max)
                    grad.masked_fill_(flipped, 0.0)
                    p.addcmul_(grad.sign(), state["step_size"], value=-1)
                    state["prev"].copy_(grad)
        return loss
