"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import autograd_core as ag
from autograd_core.ops import fused_optim

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _value


class SGD(Optimizer):
    r"""Gradient descent: step against the gradient, optionally with momentum.

    With learning rate η, momentum μ, dampening τ and weight decay λ, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}          (-∇J when maximize)
        b_t = g_t                              (t = 1)
        b_t = μ b_{t-1} + (1 - τ) g_t          (t > 1)
        d_t = g_t + μ b_t  (nesterov)   or   b_t  (momentum)   or   g_t  (μ = 0)
        θ_t = θ_{t-1} - η d_t

    Without momentum this is the lecture's ``w(k+1) = w(k) - α ∇J(w(k))``; momentum
    accumulates a velocity ``b`` that keeps moving along directions where successive
    gradients agree and damps those where they oscillate.

    State per parameter: ``momentum_buffer`` (only when μ ≠ 0).
    """

    _nonnegative = {"momentum": "momentum", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise ValueError("SGD: differentiable=True is not supported; updates run in place "
                             "under no_grad")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                momentum = group["momentum"]
                dampening = group["dampening"]
                weight_decay = _value(group["weight_decay"])
                nesterov, maximize = group["nesterov"], group["maximize"]
                if momentum == 0 and weight_decay == 0 and not maximize:
                    # the plain rule keeps no state (as in PyTorch): the whole group at once
                    params, grads = [], []
                    for p in group["params"]:
                        grad = p.grad
                        if grad is not None:
                            params.append(p)
                            grads.append(grad)
                    fused_optim.sgd_foreach_(params, grads, lr)
                    continue
                state = self.state
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    if momentum == 0:  # as in PyTorch, plain SGD keeps no state at all
                        fused_optim.sgd_step_(p, grad, None, lr, 0, dampening, weight_decay,
                                              nesterov, maximize)
                        continue
                    param_state = state[p]
                    param_state["momentum_buffer"] = fused_optim.sgd_step_(
                        p, grad, param_state.get("momentum_buffer"), lr, momentum, dampening,
                        weight_decay, nesterov, maximize)
        return loss
