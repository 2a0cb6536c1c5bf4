"""ASGD: stochastic gradient descent with a running (Polyak-Ruppert) average of the
iterates."""

from __future__ import annotations

import autograd_core as ag

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_no_capturable,
    _check_nonnegative,
    _increment_step,
    _new_step,
    _scalar_dtype,
    _value,
)


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992): plain SGD with a decaying step, plus the
    average of the iterates, which converges faster than the iterates themselves.

    With learning rate η, decay λ (``lambd``), power α, averaging start t0 and weight
    decay w, at step t (η_1 = η, μ_1 = 1)::

        g_t = ∇J(θ_{t-1}) + w θ_{t-1}               (-∇J when maximize)
        θ_t = θ_{t-1} (1 - λ η_t) - η_t g_t
        θ̄_t = θ̄_{t-1} + μ_t (θ_t - θ̄_{t-1})        (θ̄_t = θ_t while μ_t = 1)
        η_{t+1} = η / (1 + λ η t)^α,   μ_{t+1} = 1 / max(1, t - t0)

    Up to step t0 + 2 the "average" just follows θ; from then on it is the mean of the
    iterates θ_{t0+2}, ..., θ_t. The optimiser leaves θ̄ in ``state['ax']``; copy it into the model to use it.

    State per parameter: ``step``, ``eta`` (η_t), ``mu`` (μ_t), ``ax`` (θ̄).
    """

    _nonnegative = {"weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonnegative("weight_decay", weight_decay)
        _check_no_capturable("ASGD", capturable, differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
                weight_decay = _value(group["weight_decay"])
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["eta"] = ag.tensor(lr, dtype=_scalar_dtype())
                        state["mu"] = ag.tensor(1.0, dtype=_scalar_dtype())
                        state["ax"] = ag.zeros_like(p)
                    step = _increment_step(state)
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad + weight_decay * p
                    eta, mu = state["eta"].item(), state["mu"].item()
                    p.mul_(1.0 - lambd * eta).add_(grad, alpha=-eta)
                    ax = state["ax"]
                    if mu != 1:
                        ax.add_((p - ax).mul_(mu))
                    else:
                        ax.copy_(p)
                    state["eta"].fill_(lr / (1.0 + lambd * lr * step) ** alpha)
                    state["mu"].fill_(1.0 / max(1.0, step - t0))
        return loss
