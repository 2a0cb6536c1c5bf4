"""AdaGrad: per-weight learning rates from the sum of squared past gradients."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.ops import fused_optim

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_nonnegative,
    _increment_step,
    _new_step,
    _value,
)


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan & Singer, 2011): each weight's step shrinks with the sum of
    its squared gradients.

    With learning rate η, learning-rate decay δ, weight decay λ, ε and initial
    accumulator G_0, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        η_t = η / (1 + (t - 1) δ)
        G_t = G_{t-1} + g_t²
        θ_t = θ_{t-1} - η_t g_t / (sqrt(G_t) + ε)

    Rarely updated weights keep large steps; frequently updated ones slow down. Since G
    only grows, the steps eventually vanish (RMSProp and Adam forget old gradients).

    State per parameter (made at construction, as in PyTorch): ``step``, ``sum`` (G).
    """

    _nonnegative = {"lr_decay": "lr_decay", "weight_decay": "weight_decay",
                    "initial_accumulator_value": "initial_accumulator_value", "eps": "epsilon"}

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_nonnegative("lr_decay", lr_decay)
        _check_nonnegative("weight_decay", weight_decay)
        _check_nonnegative("initial_accumulator_value", initial_accumulator_value)
        _check_nonnegative("epsilon", eps)
        if differentiable:
            raise ValueError("Adagrad: differentiable=True is not supported")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        state = self.state[p]
        if "sum" not in state:
            state["step"] = _new_step()
            with ag.no_grad():
                state["sum"] = ag.full_like(p, _value(group["initial_accumulator_value"]))
        return state

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self._init_state(p, group)
                    step = _increment_step(state)
                    fused_optim.adagrad_step_(
                        p, p.grad, state["sum"], step, lr, group["lr_decay"],
                        _value(group["weight_decay"]), group["eps"], group["maximize"])
        return loss
