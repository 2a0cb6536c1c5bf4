"""Muon: momentum SGD whose step for a weight matrix is orthogonalised (all singular
values pushed towards 1) by a few Newton-Schulz iterations."""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor

from ._checks import _is_number
from .optimizer import Optimizer, _check_lr, _value

_DEFAULT_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def zeropower_via_newton_schulz(matrix: Tensor, coefficients: tuple[float, float, float],
                                steps: int, eps: float) -> Tensor:
    r"""Approximately ``U Vᵀ`` for ``matrix = U S Vᵀ``: the quintic Newton-Schulz map

        X ← a X + (b A + c A²) X,   A = X Xᵀ,    X_0 = M / max(‖M‖_F, ε)

    applied ``steps`` times. Each iteration maps every singular value σ of X to
    a σ + b σ³ + c σ⁵, which (for Muon's coefficients) drives all of them into roughly
    [0.7, 1.2] from anywhere in (0, 1]. A tall matrix is handled through its transpose
    so that A is the smaller Gram matrix.
    """
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if matrix.dim() != 2:
        raise ValueError(f"Input tensor gradient must be a 2D matrix, got shape "
                         f"{tuple(matrix.shape)}")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


def _adjusted_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """``original``: η sqrt(max(1, A/B)); ``match_rms_adamw``: 0.2 η sqrt(max(A, B))."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1.0, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024): MomentUm Orthogonalized by Newton-Schulz, for 2-D
    weights (use another optimiser for biases, norms and embeddings).

    With learning rate η, momentum μ, weight decay λ, at step t::

        B_t = μ B_{t-1} + (1 - μ) G_t                     (B_0 = 0)
        D_t = (1 - μ) G_t + μ B_t  (nesterov)   or   B_t
        O_t = NS(D_t) ≈ U Vᵀ   where D_t = U S Vᵀ       (`zeropower_via_newton_schulz`)
        θ_t = θ_{t-1}(1 - ηλ) - η' O_t,    η' = η sqrt(max(1, rows/cols))

    Orthogonalising makes the update use every direction of the weight matrix equally,
    instead of the few dominant singular directions a momentum step is made of.
    PyTorch runs the Newton-Schulz iterations in bfloat16; here they run in the
    parameter's dtype (more accurate, so results differ from PyTorch's by bfloat16's
    rounding, about 1e-2 relative on O_t).

    State per parameter: ``momentum_buffer`` (B).
    """

    _nonnegative = {"momentum": "momentum", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = _DEFAULT_COEFFICIENTS,
                 eps: float = 1e-7, ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        if _is_number(lr) and _value(lr) < 0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        _check_lr(lr)
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported "
                             "(use None, 'original' or 'match_rms_adamw')")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {tuple(p.shape)}")

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr = _value(group["lr"])
                momentum = group["momentum"]
                for p, state in self._params_with_grad(group):
                    if p.is_complex():
                        raise RuntimeError("Muon does not support complex parameters")
                    grad = p.grad
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = ag.zeros_like(grad)
                    buf = state["momentum_buffer"]
                    buf.lerp_(grad, 1.0 - momentum)
                    direction = grad.lerp(buf, momentum) if group["nesterov"] else buf
                    update = zeropower_via_newton_schulz(
                        direction, group["ns_coefficients"], group["ns_steps"], group["eps"])
                    p.mul_(1.0 - lr * _value(group["weight_decay"]))
                    p.add_(update, alpha=-_adjusted_lr(lr, group["adjust_lr_fn"], p.shape))
        return loss
