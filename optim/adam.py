"""Adam and AdamW: adaptive moments, with L2 or decoupled weight decay."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor
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


def _check_tensor_hyperparameters(lr, betas, foreach) -> None:
    """PyTorch's rules for tensor ``lr``/``betas``: betas both numbers or both tensors, and
    neither a tensor with ``foreach=True`` (which needs capturable=True there)."""
    if isinstance(lr, Tensor) and foreach:
        raise ValueError("lr as a Tensor is not supported for capturable=False and "
                         "foreach=True (pass a float lr, or foreach=False)")
    tensors = [isinstance(b, Tensor) for b in betas]
    if any(tensors) and not all(tensors):
        raise ValueError("betas must be either both floats or both Tensors, got "
                         f"{tuple(type(b).__name__ for b in betas)}")
    for i, is_tensor in enumerate(tensors):
        if is_tensor and foreach:
            raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False "
                             "and foreach=True (pass float betas, or foreach=False)")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): a per-weight step from running moments of the gradient.

    With learning rate η, betas (β1, β2), ε and weight decay λ, at step t::

        g_t = ∇J(θ_{t-1}) + λ θ_{t-1}               (-∇J when maximize)
        m_t = β1 m_{t-1} + (1 - β1) g_t              first moment (a momentum)
        v_t = β2 v_{t-1} + (1 - β2) g_t²             second moment (as RMSProp)
        m̂_t = m_t / (1 - β1^t),  v̂_t = v_t / (1 - β2^t)      bias corrections
        v̂_t = max(v̂max, v̂_t)                        (amsgrad: never let it shrink)
        θ_t = θ_{t-1} - η m̂_t / (sqrt(v̂_t) + ε)

    Each weight gets its own effective rate η / sqrt(v̂): large where gradients are
    large, large steps across plateaus where they are small.
    With ``decoupled_weight_decay=True`` the decay is applied to the weights instead of
    the gradient (``θ ← θ(1 - ηλ)`` before the update): that is AdamW.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with
    amsgrad, ``max_exp_avg_sq``.
    """

    _nonnegative = {"eps": "epsilon", "weight_decay": "weight_decay"}

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        _check_no_capturable(type(self).__name__, capturable, differentiable)
        _check_tensor_hyperparameters(lr, betas, foreach)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Take one step; ``closure`` (re-evaluating the loss) is optional."""
        loss = self._evaluate(closure)
        with ag.no_grad():
            for group in self.param_groups:
                beta1, beta2, lr = _betas_and_lr(group)
                amsgrad = group["amsgrad"]
                for p, state in self._params_with_grad(group):
                    if len(state) == 0:
                        state["step"] = _new_step()
                        state["exp_avg"] = fused_optim.zeros_like(p)
                        state["exp_avg_sq"] = fused_optim.zeros_like(p)
                        if amsgrad:
                            state["max_exp_avg_sq"] = fused_optim.zeros_like(p)
                    if amsgrad and "max_exp_avg_sq" not in state:
                        state["max_exp_avg_sq"] = fused_optim.zeros_like(p)
                    step = _increment_step(state)
                    fused_optim.adam_step_(
                        p, p.grad, state["exp_avg"], state["exp_avg_sq"],
                        state.get("max_exp_avg_sq"), step, lr, beta1, beta2, group["eps"],
                        _value(group["weight_decay"]), amsgrad, group["maximize"],
                        group["decoupled_weight_decay"])
        return loss


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    Same as `Adam`, except that the weights decay directly, not through the gradient::

        θ_{t-1} ← θ_{t-1} (1 - η λ)
        g_t = ∇J(θ_{t-1});  m_t, v_t, m̂_t, v̂_t as in Adam
        θ_t = θ_{t-1} - η m̂_t / (sqrt(v̂_t) + ε)

    so the decay is not rescaled by 1/sqrt(v̂) (with L2 in Adam, weights with large
    gradients would barely decay). Default λ = 1e-2.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
