"""SparseAdam: Adam that updates only the entries a gradient touches (embeddings)."""

from __future__ import annotations

import math

import autograd_core as ag

from .optimizer import Optimizer, _check_betas, _check_lr, _value


class SparseAdam(Optimizer):
    r"""Masked Adam, for gradients that touch few entries (an embedding's looked-up rows).

    With learning rate η, betas (β1, β2) and ε, at step t, on the set S of entries the
    gradient touches (elsewhere nothing changes: not the weight, not the moments)::

        m_S = β1 m_S + (1 - β1) g_S,    v_S = β2 v_S + (1 - β2) g_S²
        θ_S = θ_S - η sqrt(1 - β2^t)/(1 - β1^t) · m_S / (sqrt(v_S) + ε)

    Unlike `Adam`, the moments of untouched entries do not decay, so rarely seen
    embeddings keep their statistics. This library has no sparse tensors: the gradient is
    dense, and S is the set of its non-zero entries (PyTorch's sparse gradient lists S
    explicitly; the two agree unless a touched entry's gradient is exactly zero).

    State per parameter: ``step`` (a Python int, as in PyTorch), ``exp_avg``, ``exp_avg_sq``.
    """

    _nonnegative = {"eps": "epsilon"}
    _tensor_step = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < _value(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             f"support complex parameters; use Adam, which does")

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                beta1, beta2 = (_value(b) for b in group["betas"])
                lr, eps = _value(group["lr"]), group["eps"]
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = ag.zeros_like(p)
                        state["exp_avg_sq"] = ag.zeros_like(p)
                    state["step"] += 1
                    step = state["step"]
                    grad = -p.grad if group.get("maximize", False) else p.grad
                    touched = grad != 0
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    new_avg = exp_avg + (grad - exp_avg) * (1.0 - beta1)
                    new_avg_sq = exp_avg_sq + (grad * grad - exp_avg_sq) * (1.0 - beta2)
                    exp_avg.copy_(ag.where(touched, new_avg, exp_avg))
                    exp_avg_sq.copy_(ag.where(touched, new_avg_sq, exp_avg_sq))
                    step_size = lr * math.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step)
                    delta = new_avg / (new_avg_sq.sqrt() + eps)
                    p.sub_(delta.masked_fill_(touched.logical_not(), 0.0).mul_(step_size))
        return loss
