"""RMSProp: steps scaled by a running root-mean-square of the gradients."""

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


class RMSprop(Optimizer):
    r"""RMSProp (Hinton, 2012): divide the step by a running RMS of recent gradients.

    With learning rate η, smoothing α, ε, weight decay λ and momentum μ, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}              (-∇J when maximize)
        v_t = α v_{t-1} + (1 - α) g_t²
        centered:  ḡ_t = α ḡ_{t-1} + (1 - α) g_t,   d_t = sqrt(v_t - ḡ_t²) + ε
        otherwise: d_t = sqrt(v_t) + ε
        μ > 0:     b_t = μ b_{t-1} + g_t / d_t,      θ_t = θ_{t-1} - η b_t
        μ = 0:     θ_t = θ_{t-1} - η g_t / d_t

    Like AdaGrad, but the average forgets old gradients, so the steps do not vanish; it
    damps oscillating directions and lets the learning rate be larger along flat ones.
    ``centered`` divides by an estimate of the gradient's variance instead.

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (μ > 0),
    ``grad_avg`` (centered).
    """

    _nonnegative = {"eps": "epsilon", "momentum": "momentum", "weight_decay": "weight_decay",
                    "alpha": "alpha"}

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonnegative("epsilon", eps)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        _check_nonnegative("alpha", alpha)
        _check_no_capturable("RMSprop", capturable, differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                momentum = group["momentum"]
                centered = group["centered"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["square_avg"] = fused_optim.zeros_like(p)
                    if momentum > 0 and "momentum_buffer" not in state:
                        state["momentum_buffer"] = fused_optim.zeros_like(p)
                    if centered and "grad_avg" not in state:
                        state["grad_avg"] = fused_optim.zeros_like(p)
                    _increment_step(state)
                    fused_optim.rmsprop_step_(
                        p, p.grad, state["square_avg"],
                        state["grad_avg"] if centered else None,
                        state["momentum_buffer"] if momentum > 0 else None,
                        lr, group["alpha"], group["eps"], _value(group["weight_decay"]),
                        momentum, group["maximize"])
        return loss
