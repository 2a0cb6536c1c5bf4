"""The Adam family: Adam and AdamW, Adamax, NAdam, RAdam (first and second moment
estimates with bias correction). Each function holds its CUDA kernel body and its NumPy
path.
"""

from __future__ import annotations

from ..._backend import backend_of
from ...tensor import Tensor
from ._kernels import (
    _blocked,
    _bump,
    _check,
    _effective_grad,
    _grad_lines,
    _launch,
    _package_kernel_module,
)


# ------------------------------------------------------------------ Adam and AdamW
def adam_step_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor,
               max_exp_avg_sq: Tensor | None, step: float, lr: float, beta1: float,
               beta2: float, eps: float, weight_decay: float, amsgrad: bool, maximize: bool,
               decoupled_weight_decay: bool = False) -> None:
    """One Adam (or AdamW, with ``decoupled_weight_decay``) step in place.

    ``m = β1 m + (1-β1) g``, ``v = β2 v + (1-β2) g²``, ``v̂max = max(v̂max, v)`` (AMSGrad),
    ``θ -= η/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)``; AdamW first ``θ *= 1 - ηλ``.
    """
    _check(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
    bc1 = 1.0 - beta1 ** step
    bc2_sqrt = (1.0 - beta2 ** step) ** 0.5
    step_size = lr / bc1
    decay = 1.0 - lr * weight_decay
    p, g, m, v = param._data, grad._data, exp_avg._data, exp_avg_sq._data
    vmax = max_exp_avg_sq._data if amsgrad else None
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay, decoupled_weight_decay)
        body += ["exp_avg = beta1 * exp_avg + omb1 * g;",
                 "exp_avg_sq = beta2 * exp_avg_sq + omb2 * g * g;"]
        outputs = {"param": p, "exp_avg": m, "exp_avg_sq": v}
        if amsgrad:
            outputs["max_exp_avg_sq"] = vmax
            body.append("max_exp_avg_sq = max_nan(max_exp_avg_sq, exp_avg_sq);")
            body.append("param -= step_size * exp_avg / (sqrt(max_exp_avg_sq) / bc2_sqrt + eps);")
        else:
            body.append("param -= step_size * exp_avg / (sqrt(exp_avg_sq) / bc2_sqrt + eps);")
        _launch(xp, "adam_step", {"grad": g},
                {"beta1": beta1, "omb1": 1.0 - beta1, "beta2": beta2, "omb2": 1.0 - beta2,
                 "step_size": step_size, "bc2_sqrt": bc2_sqrt, "eps": eps,
                 "weight_decay": weight_decay, "decay": decay}, outputs, body)
    else:
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        # θ -= η/bc1 · m/(sqrt(v)/s + ε)  ==  θ -= (η s/bc1) · m/(sqrt(v) + ε s)
        coef = step_size * bc2_sqrt
        eps_s = eps * bc2_sqrt

        def update(scratch, p, g, m, v, vmax):
            xp = backend_of(p).xp
            t = scratch[0]
            if decoupled_weight_decay and weight_decay != 0:
                p *= decay
            if l2 != 0:
                g = _effective_grad(xp, scratch[1], p, g, l2, maximize)
            elif maximize:  # m = β1 m - (1-β1) g  ==  β1 (m + g) - g
                m += g
                m *= beta1
                m -= g
            if l2 != 0 or not maximize:  # m = β1 m + (1-β1) g  ==  β1 (m - g) + g
                m -= g
                m *= beta1
                m += g
            v *= beta2
            xp.multiply(g, g, out=t)
            t *= 1.0 - beta2
            v += t
            if vmax is not None:
                xp.maximum(vmax, v, out=vmax)
                v = vmax
            xp.sqrt(v, out=t)
            t += eps_s
            xp.divide(m, t, out=t)
            t *= coef
            p -= t

        _blocked(update, [p, g, m, v, vmax], 2 if l2 != 0 else 1)
    _bump(param, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None)


# ---------------------------------------------------------------------------- Adamax
def adamax_step_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_inf: Tensor, step: float,
                 lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                 maximize: bool) -> None:
    """``m = β1 m + (1-β1) g``, ``u = max(β2 u, |g| + ε)``, ``θ -= η/(1-β1^t) · m/u``."""
    _check(param, grad, exp_avg, exp_inf)
    clr = lr / (1.0 - beta1 ** step)
    p, g, m, u = param._data, grad._data, exp_avg._data, exp_inf._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay) + [
            "exp_avg = beta1 * exp_avg + omb1 * g;",
            "exp_inf = max_nan(beta2 * exp_inf, fabs(g) + eps);",
            "param -= clr * exp_avg / exp_inf;",
        ]
        _launch(xp, "adamax_step", {"grad": g},
                {"beta1": beta1, "omb1": 1.0 - beta1, "beta2": beta2, "eps": eps, "clr": clr,
                 "weight_decay": weight_decay}, {"param": p, "exp_avg": m, "exp_inf": u}, body)
    else:
        def update(scratch, p, g, m, u):
            xp = backend_of(p).xp
            t = scratch[0]
            g = _effective_grad(xp, scratch[1], p, g, weight_decay, maximize)
            m -= g
            m *= beta1
            m += g
            u *= beta2
            xp.abs(g, out=t)
            t += eps
            xp.maximum(u, t, out=u)
            xp.divide(m, u, out=t)
            t *= clr
            p -= t

        _blocked(update, [p, g, m, u], 2)
    _bump(param, exp_avg, exp_inf)


# ----------------------------------------------------------------------------- NAdam
def nadam_step_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: float,
                mu: float, mu_next: float, mu_product: float, lr: float, beta1: float,
                beta2: float, eps: float, weight_decay: float, decoupled_weight_decay: bool,
                maximize: bool) -> None:
    """One NAdam step; ``mu_product`` is ``∏_{k<=t} μ_k`` (including this step's ``mu``).

    ``θ -= η(1-μ_t)/(1-∏μ) · g/d + η μ_{t+1}/(1-∏μ·μ_{t+1}) · m/d``,
    ``d = sqrt(v/(1-β2^t)) + ε``.
    """
    _check(param, grad, exp_avg, exp_avg_sq)
    bc2 = 1.0 - beta2 ** step
    c_grad = lr * (1.0 - mu) / (1.0 - mu_product)
    c_avg = lr * mu_next / (1.0 - mu_product * mu_next)
    decay = 1.0 - lr * weight_decay
    p, g, m, v = param._data, grad._data, exp_avg._data, exp_avg_sq._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay, decoupled_weight_decay) + [
            "exp_avg = beta1 * exp_avg + omb1 * g;",
            "exp_avg_sq = beta2 * exp_avg_sq + omb2 * g * g;",
            "T denom = sqrt(exp_avg_sq / bc2) + eps;",
            "param -= (c_grad * g + c_avg * exp_avg) / denom;",
        ]
        _launch(xp, "nadam_step", {"grad": g},
                {"beta1": beta1, "omb1": 1.0 - beta1, "beta2": beta2, "omb2": 1.0 - beta2,
                 "bc2": bc2, "eps": eps, "c_grad": c_grad, "c_avg": c_avg,
                 "weight_decay": weight_decay, "decay": decay},
                {"param": p, "exp_avg": m, "exp_avg_sq": v}, body)
    else:
        l2 = 0.0 if decoupled_weight_decay else weight_decay

        def update(scratch, p, g, m, v):
            xp = backend_of(p).xp
            t, u = scratch[0], scratch[1]
            if decoupled_weight_decay and weight_decay != 0:
                p *= decay
            g = _effective_grad(xp, scratch[2], p, g, l2, maximize)
            m -= g
            m *= beta1
            m += g
            v *= beta2
            xp.multiply(g, g, out=t)
            t *= 1.0 - beta2
            v += t
            xp.divide(v, bc2, out=t)
            xp.sqrt(t, out=t)
            t += eps
            xp.divide(g, t, out=u)
            u *= c_grad
            p -= u
            xp.divide(m, t, out=u)
            u *= c_avg
            p -= u

        _blocked(update, [p, g, m, v], 3)
    _bump(param, exp_avg, exp_avg_sq)


# ----------------------------------------------------------------------------- RAdam
def radam_step_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: float,
                lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                decoupled_weight_decay: bool, maximize: bool) -> None:
    """One RAdam step: Adam with the variance rectification ``r_t`` once ``ρ_t > 5``.

    ``ρ∞ = 2/(1-β2) - 1``, ``ρ_t = ρ∞ - 2tβ2^t/(1-β2^t)``; if ``ρ_t > 5``:
    ``θ -= η r_t m̂ sqrt(1-β2^t)/(sqrt(v)+ε)`` with
    ``r_t = sqrt((ρ_t-4)(ρ_t-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρ_t))``, else ``θ -= η m̂``.
    """
    _check(param, grad, exp_avg, exp_avg_sq)
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * step * beta2 ** step / bc2
    rectified = rho_t > 5.0
    if rectified:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
        coef = lr * rect * bc2 ** 0.5 / bc1
    else:
        coef = lr / bc1
    decay = 1.0 - lr * weight_decay
    p, g, m, v = param._data, grad._data, exp_avg._data, exp_avg_sq._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay, decoupled_weight_decay) + [
            "exp_avg = beta1 * exp_avg + omb1 * g;",
            "exp_avg_sq = beta2 * exp_avg_sq + omb2 * g * g;",
            "param -= coef * exp_avg / (sqrt(exp_avg_sq) + eps);" if rectified
            else "param -= coef * exp_avg;",
        ]
        _launch(xp, "radam_step", {"grad": g},
                {"beta1": beta1, "omb1": 1.0 - beta1, "beta2": beta2, "omb2": 1.0 - beta2,
                 "eps": eps, "coef": coef, "weight_decay": weight_decay, "decay": decay},
                {"param": p, "exp_avg": m, "exp_avg_sq": v}, body)
    else:
        l2 = 0.0 if decoupled_weight_decay else weight_decay

        def update(scratch, p, g, m, v):
            xp = backend_of(p).xp
            t = scratch[0]
            if decoupled_weight_decay and weight_decay != 0:
                p *= decay
            g = _effective_grad(xp, scratch[1], p, g, l2, maximize)
            m -= g
            m *= beta1
            m += g
            v *= beta2
            xp.multiply(g, g, out=t)
            t *= 1.0 - beta2
            v += t
            if rectified:
                xp.sqrt(v, out=t)
                t += eps
                xp.divide(m, t, out=t)
                t *= coef
            else:
                xp.multiply(m, coef, out=t)
            p -= t

        _blocked(update, [p, g, m, v], 2)
    _bump(param, exp_avg, exp_avg_sq)
