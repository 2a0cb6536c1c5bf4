"""Adadelta: AdaGrad's per-weight rates, with units fixed by a running average of steps."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.ops import fused_optim

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_no_capturable,
    _check_nonnegative,
    _increment_step,
    _new_step,
    _value,
)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): RMSProp whose numerator is the RMS of past updates.

    With learning rate η (a plain multiplier, default 1), decay ρ, ε and weight decay λ::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        v_t = ρ v_{t-1} + (1 - ρ) g_t²
        Δ_t = sqrt(u_{t-1} + ε) / sqrt(v_t + ε) · g_t
        u_t = ρ u_{t-1} + (1 - ρ) Δ_t²
        θ_t = θ_{t-1} - η Δ_t

    The ratio of the two RMS values gives the step the units of θ, so no learning rate
    needs tuning.

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    _nonnegative = {"eps": "epsilon", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative("epsilon", eps)
        _check_nonnegative("weight_decay", weight_decay)
        _check_no_capturable("Adadelta", capturable, differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["square_avg"] = fused_optim.zeros_like(p)
                        state["acc_delta"] = fused_optim.zeros_like(p)
                    _increment_step(state)
                    fused_optim.adadelta_step_(
                        p, p.grad, state["square_avg"], state["acc_delta"], lr, group["rho"],
                        group["eps"], _value(group["weight_decay"]), group["maximize"])
        return loss
