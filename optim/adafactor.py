"""Adafactor: Adam-like steps with a factored second moment (a row and a column vector
per matrix instead of a full matrix)."""

from __future__ import annotations

import math

import autograd_core as ag

from ._checks import _is_number
from .optimizer import Optimizer, _check_lr, _increment_step, _new_step, _value

_MACHINE_EPS = {ag.float16: 2.0 ** -10, ag.float32: 2.0 ** -23, ag.float64: 2.0 ** -52}


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), in PyTorch's variant (no first moment).

    With learning rate η, decay exponent c (``beta2_decay``), (ε1, ε2) = ``eps``, clipping
    threshold d and weight decay λ, at step t, for a matrix gradient G (m × n)::

        β̂_t = 1 - t^c                                     (1 - β̂_t = t^c, c <= 0)
        R_t = β̂_t R_{t-1} + (1 - β̂_t) mean_j(G²)          row means,    m × 1
        C_t = β̂_t C_{t-1} + (1 - β̂_t) mean_i(G²)          column means, 1 × n
        V̂_t = R_t C_t / max(mean(R_t), ε1)                 rank-1 estimate of E[G²]
        U_t = G / sqrt(max(V̂_t, ε1²))
        ρ_t = min(η, 1/sqrt(t)),   α_t = max(ε2, RMS(θ_{t-1})) ρ_t
        θ_t = θ_{t-1}(1 - ηλ) - α_t U_t / max(1, RMS(U_t)/d)

    A vector (or scalar) keeps the full V_t = β̂_t V_{t-1} + (1 - β̂_t) g² instead.
    Memory for the second moment drops from m·n to m + n; the step is relative to the
    weights' own size (RMS(θ)), and clipped so its RMS never exceeds d. Leading
    dimensions of a tensor are batch dimensions (one factorisation per trailing matrix).
    ``ε1 = None`` means the dtype's machine epsilon.

    State per parameter: ``step``, and ``row_var`` and ``col_var`` (matrices) or
    ``variance`` (vectors).
    """

    _nonnegative = {"weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if _is_number(lr) and _value(lr) < 0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        _check_lr(lr)
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                eps1, eps2 = group["eps"]
                for p, state in self._params_with_grad(group):
                    if p.is_complex():
                        raise RuntimeError("Adafactor does not support complex parameters")
                    grad = -p.grad if group["maximize"] else p.grad
                    if len(state) == 0:
                        state["step"] = _new_step()
                        if grad.dim() > 1:
                            state["row_var"] = ag.zeros_like(grad.sum(-1, keepdim=True))
                            state["col_var"] = ag.zeros_like(grad.sum(-2, keepdim=True))
                        else:
                            state["variance"] = ag.zeros_like(grad)
                    step = _increment_step(state)
                    self._update(p, grad, state, step, lr, group,
                                 _MACHINE_EPS[p.dtype] if eps1 is None else eps1, eps2)
        return loss

    @staticmethod
    def _update(p, grad, state, step, lr, group, eps1, eps2) -> None:
        weight = step ** group["beta2_decay"]  # 1 - β̂_t
        rho = min(lr, 1.0 / math.sqrt(step))
        size = max(p.numel(), 1)
        alpha = max(eps2, p.norm().item() / math.sqrt(size)) * rho
        weight_decay = _value(group["weight_decay"])
        if weight_decay != 0:
            p.mul_(1.0 - lr * weight_decay)
        square = grad * grad
        if grad.dim() > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_var.lerp_(square.mean(-1, keepdim=True), weight)
            col_var.lerp_(square.mean(-2, keepdim=True), weight)
            estimate = (row_var @ col_var) / row_var.mean(-2, keepdim=True).clamp(min=eps1)
        else:
            state["variance"].lerp_(square, weight)
            estimate = state["variance"]
        update = estimate.clamp(min=eps1 * eps1).rsqrt().mul_(grad)
        clip = max(1.0, update.norm().item() / (math.sqrt(size) * group["d"]))
        p.add_(update, alpha=-alpha / clip)
