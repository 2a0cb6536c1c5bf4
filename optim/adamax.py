"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.ops import fused_optim

from .optimizer import (
    Optimizer,
    _betas_and_lr,
    _check_adam_hyperparameters,
    _check_no_capturable,
    _increment_step,
    _new_step,
    _value,
)


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7): Adam with an L∞ second moment.

    With learning rate η, betas (β1, β2), ε and weight decay λ, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        u_t = max(β2 u_{t-1}, |g_t| + ε)
        θ_t = θ_{t-1} - η / (1 - β1^t) · m_t / u_t

    ``u`` is an exponentially weighted infinity norm of past gradients: it needs no bias
    correction and is robust to rare huge gradients.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    _nonnegative = {"eps": "epsilon", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        _check_no_capturable("Adamax", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                beta1, beta2, lr = _betas_and_lr(group)
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["exp_avg"] = fused_optim.zeros_like(p)
                        state["exp_inf"] = fused_optim.zeros_like(p)
                    step = _increment_step(state)
                    fused_optim.adamax_step_(
                        p, p.grad, state["exp_avg"], state["exp_inf"], step, lr, beta1, beta2,
                        group["eps"], _value(group["weight_decay"]), group["maximize"])
        return loss
