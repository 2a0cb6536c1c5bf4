"""RAdam: Adam with a rectified (warm-up free) adaptive learning rate."""

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


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020): Adam that switches its adaptive rate on only once the
    variance estimate is reliable.

    With learning rate η, betas (β1, β2), ε and weight decay λ, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        m_t = β1 m_{t-1} + (1 - β1) g_t,   m̂_t = m_t / (1 - β1^t)
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        ρ_∞ = 2 / (1 - β2) - 1,   ρ_t = ρ_∞ - 2 t β2^t / (1 - β2^t)
        if ρ_t > 5:
            r_t = sqrt((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
            θ_t = θ_{t-1} - η m̂_t r_t sqrt(1 - β2^t) / (sqrt(v_t) + ε)
        else:
            θ_t = θ_{t-1} - η m̂_t                    (plain momentum SGD)

    With ``decoupled_weight_decay=True`` the decay is ``θ ← θ(1 - ηλ)`` instead.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    _nonnegative = {"eps": "epsilon", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        _check_no_capturable("RAdam", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
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
                        state["exp_avg_sq"] = fused_optim.zeros_like(p)
                    step = _increment_step(state)
                    fused_optim.radam_step_(
                        p, p.grad, state["exp_avg"], state["exp_avg_sq"], step, lr, beta1,
                        beta2, group["eps"], _value(group["weight_decay"]),
                        group["decoupled_weight_decay"], group["maximize"])
        return loss
