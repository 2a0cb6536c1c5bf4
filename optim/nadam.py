"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.ops import fused_optim

from .optimizer import (
    Optimizer,
    _betas_and_lr,
    _check_adam_hyperparameters,
    _check_no_capturable,
    _check_nonnegative,
    _increment_step,
    _new_step,
    _scalar_dtype,
    _value,
)


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam whose momentum looks one step ahead, as Nesterov's does.

    With learning rate η, betas (β1, β2), ε, weight decay λ and momentum decay ψ::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        μ_t = β1 (1 - ½ · 0.96^(t ψ)),   μ_{t+1} = β1 (1 - ½ · 0.96^((t+1) ψ))
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        d_t = sqrt(v_t / (1 - β2^t)) + ε
        θ_t = θ_{t-1} - η (1 - μ_t) / (1 - ∏_{i≤t} μ_i) · g_t / d_t
                      - η μ_{t+1} / (1 - ∏_{i≤t+1} μ_i) · m_t / d_t

    With ``decoupled_weight_decay=True`` the decay is ``θ ← θ(1 - ηλ)`` instead (NAdamW).

    State per parameter: ``step``, ``mu_product`` (∏ μ_i, a one-element tensor like
    ``step``), ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    _nonnegative = {"eps": "epsilon", "weight_decay": "weight_decay",
                    "momentum_decay": "momentum_decay"}

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        _check_nonnegative("momentum_decay", momentum_decay)
        _check_no_capturable("NAdam", capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                beta1, beta2, lr = _betas_and_lr(group)
                psi = group["momentum_decay"]
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["mu_product"] = ag.tensor(1.0, dtype=_scalar_dtype())
                        state["exp_avg"] = fused_optim.zeros_like(p)
                        state["exp_avg_sq"] = fused_optim.zeros_like(p)
                    step = _increment_step(state)
                    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * psi))
                    mu_product = fused_optim.mul_scalar_(state["mu_product"], mu)
                    fused_optim.nadam_step_(
                        p, p.grad, state["exp_avg"], state["exp_avg_sq"], step, mu, mu_next,
                        mu_product, lr, beta1, beta2, group["eps"],
                        _value(group["weight_decay"]), group["decoupled_weight_decay"],
                        group["maximize"])
        return loss
