"""SGD and the methods with per-coordinate step sizes from squared gradients: Adagrad,
RMSprop, Adadelta. Each function holds its CUDA kernel body and its NumPy path.
"""

from __future__ import annotations

from ..._backend import backend_of
from ...tensor import Tensor, _wrap
from ._kernels import (
    _blocked,
    _bump,
    _check,
    _effective_grad,
    _grad_lines,
    _launch,
    _package_kernel_module,
    _scratch_like,
)


# ------------------------------------------------------------------------------- SGD
def sgd_step_(param: Tensor, grad: Tensor, momentum_buffer: Tensor | None, lr: float,
              momentum: float, dampening: float, weight_decay: float, nesterov: bool,
              maximize: bool) -> Tensor | None:
    """One SGD step in place; returns the momentum buffer (made on the first step).

    ``g = ±grad + λθ``; ``b = g`` (first step) else ``b = μb + (1-τ)g``;
    ``d = g + μb`` (Nesterov) or ``b``; ``θ -= η d``.
    """
    _check(param, grad, momentum_buffer)
    p, g = param._data, grad._data
    if momentum == 0 and weight_decay == 0 and not maximize and _package_kernel_module(p) is None:
        # plain SGD, θ -= η g: two passes, through a cached work array on NumPy
        backend = backend_of(p)
        _plain_sgd(backend.xp if backend.host_memory else None, p, g, lr)
        param._version_counter[0] += 1
        return None
    first = momentum != 0 and momentum_buffer is None
    if first:
        momentum_buffer = _wrap(backend_of(p).xp.empty_like(p))
    buf = None if momentum_buffer is None else momentum_buffer._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay)
        outputs = {"param": p}
        if buf is not None:
            outputs["buf"] = buf
            body.append("buf = g;" if first else "buf = momentum * buf + damp1 * g;")
            body.append("g += momentum * buf;" if nesterov else "g = buf;")
        body.append("param -= lr * g;")
        _launch(xp, "sgd_step", {"grad": g}, {"lr": lr, "momentum": momentum,
                "damp1": 1.0 - dampening, "weight_decay": weight_decay}, outputs, body)
    else:
        def update(scratch, p, g, buf):
            xp = backend_of(p).xp
            t = scratch[0]
            d = _effective_grad(xp, t, p, g, weight_decay, maximize)
            if buf is not None:
                if first:
                    buf[...] = d
                else:
                    buf *= momentum
                    if dampening == 0:
                        buf += d
                    else:
                        xp.multiply(d, 1.0 - dampening, out=t)
                        buf += t
                if nesterov:
                    u = scratch[1]
                    xp.multiply(buf, momentum, out=u)
                    u += d
                    u *= lr
                    p -= u
                    return
                d = buf
            xp.multiply(d, lr, out=t)
            p -= t

        _blocked(update, [p, g, buf], 2 if nesterov else 1)
    _bump(param, momentum_buffer)
    return momentum_buffer


def sgd_foreach_(params: list, grads: list, lr: float) -> None:
    """Plain SGD, ``θ -= η g``, for every (parameter, gradient) pair of a group in one call
    (no momentum, weight decay or maximize: those go through `sgd_step_`)."""
    last_type = last_dtype = None
    for param, grad in zip(params, grads):
        p, g = param._data, grad._data
        if type(g) is not type(p) or g.shape != p.shape:
            _check(param, grad)
        if type(p) is not last_type or p.dtype is not last_dtype:
            last_type, last_dtype = type(p), p.dtype
            kernels = _package_kernel_module(p) is not None
            backend = backend_of(p)
            xp, host = backend.xp, backend.host_memory
        if kernels:  # one fused kernel per parameter
            sgd_step_(param, grad, None, lr, 0, 0, 0, False, False)
            continue
        _plain_sgd(xp if host else None, p, g, lr)
        param._version_counter[0] += 1


# Below this many elements a fresh temporary costs less than reaching for the cached one.
_SMALL = 16384


def _plain_sgd(xp, p, g, lr: float) -> None:
    """θ -= η g in place. In host memory (``xp`` given) a large contiguous θ goes through a cached
    work array (or cache-sized blocks when huge): no fresh memory at every step."""
    if xp is not None and p.size > _SMALL and p.flags.c_contiguous:
        step = _scratch_like(xp, p)
        if step is None:
            def update(scratch, p, g):
                xp.multiply(g, lr, out=scratch[0])
                p -= scratch[0]

            _blocked(update, [p, g], 1)
            return
        xp.multiply(g, lr, out=step)
    else:
        step = g * lr
        if step.dtype != p.dtype:
            step = step.astype(p.dtype)
    p -= step


# --------------------------------------------------------------------------- Adagrad
def adagrad_step_(param: Tensor, grad: Tensor, state_sum: Tensor, step: float, lr: float,
                  lr_decay: float, weight_decay: float, eps: float, maximize: bool) -> None:
    """``G += g²``, ``θ -= η/(1 + (t-1)·lr_decay) · g / (sqrt(G) + ε)``."""
    _check(param, grad, state_sum)
    clr = lr / (1.0 + (step - 1.0) * lr_decay)
    p, g, s = param._data, grad._data, state_sum._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay) + [
            "state_sum += g * g;",
            "param -= clr * g / (sqrt(state_sum) + eps);",
        ]
        _launch(xp, "adagrad_step", {"grad": g},
                {"clr": clr, "eps": eps, "weight_decay": weight_decay},
                {"param": p, "state_sum": s}, body)
    else:
        def update(scratch, p, g, s):
            xp = backend_of(p).xp
            t = scratch[0]
            g = _effective_grad(xp, scratch[1], p, g, weight_decay, maximize)
            xp.multiply(g, g, out=t)
            s += t
            xp.sqrt(s, out=t)
            t += eps
            xp.divide(g, t, out=t)
            t *= clr
            p -= t

        _blocked(update, [p, g, s], 2)
    _bump(param, state_sum)


# --------------------------------------------------------------------------- RMSprop
def rmsprop_step_(param: Tensor, grad: Tensor, square_avg: Tensor, grad_avg: Tensor | None,
                  momentum_buffer: Tensor | None, lr: float, alpha: float, eps: float,
                  weight_decay: float, momentum: float, maximize: bool) -> None:
    """``v = αv + (1-α)g²``; centered: ``ḡ = αḡ + (1-α)g``, ``d = sqrt(v - ḡ²) + ε``, else
    ``d = sqrt(v) + ε``; momentum: ``b = μb + g/d``, ``θ -= ηb``; else ``θ -= η g/d``."""
    _check(param, grad, square_avg, grad_avg, momentum_buffer)
    p, g, sq = param._data, grad._data, square_avg._data
    ga = None if grad_avg is None else grad_avg._data
    buf = None if momentum_buffer is None else momentum_buffer._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay)
        body.append("square_avg = alpha * square_avg + oma * g * g;")
        outputs = {"param": p, "square_avg": sq}
        if ga is not None:
            outputs["grad_avg"] = ga
            body.append("grad_avg = alpha * grad_avg + oma * g;")
            body.append("T avg = sqrt(square_avg - grad_avg * grad_avg) + eps;")
        else:
            body.append("T avg = sqrt(square_avg) + eps;")
        if buf is not None:
            outputs["buf"] = buf
            body += ["buf = momentum * buf + g / avg;", "param -= lr * buf;"]
        else:
            body.append("param -= lr * g / avg;")
        _launch(xp, "rmsprop_step", {"grad": g},
                {"lr": lr, "alpha": alpha, "oma": 1.0 - alpha, "eps": eps,
                 "momentum": momentum, "weight_decay": weight_decay}, outputs, body)
    else:
        def update(scratch, p, g, sq, ga, buf):
            xp = backend_of(p).xp
            t = scratch[0]
            g = _effective_grad(xp, scratch[1], p, g, weight_decay, maximize)
            sq *= alpha
            xp.multiply(g, g, out=t)
            t *= 1.0 - alpha
            sq += t
            if ga is not None:
                ga *= alpha
                xp.multiply(g, 1.0 - alpha, out=t)
                ga += t
                xp.multiply(ga, ga, out=t)
                xp.subtract(sq, t, out=t)
                xp.sqrt(t, out=t)
            else:
                xp.sqrt(sq, out=t)
            t += eps
            xp.divide(g, t, out=t)
            if buf is not None:
                buf *= momentum
                buf += t
                xp.multiply(buf, lr, out=t)
            else:
                t *= lr
            p -= t

        _blocked(update, [p, g, sq, ga, buf], 2)
    _bump(param, square_avg, grad_avg, momentum_buffer)


# -------------------------------------------------------------------------- Adadelta
def adadelta_step_(param: Tensor, grad: Tensor, square_avg: Tensor, acc_delta: Tensor,
                   lr: float, rho: float, eps: float, weight_decay: float,
                   maximize: bool) -> None:
    """``v = ρv + (1-ρ)g²``, ``Δ = sqrt(u + ε)/sqrt(v + ε) · g``, ``u = ρu + (1-ρ)Δ²``,
    ``θ -= ηΔ``."""
    _check(param, grad, square_avg, acc_delta)
    p, g, sq, acc = param._data, grad._data, square_avg._data, acc_delta._data
    xp = _package_kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay) + [
            "square_avg = rho * square_avg + omr * g * g;",
            "T delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g;",
            "acc_delta = rho * acc_delta + omr * delta * delta;",
            "param -= lr * delta;",
        ]
        _launch(xp, "adadelta_step", {"grad": g},
                {"lr": lr, "rho": rho, "omr": 1.0 - rho, "eps": eps,
                 "weight_decay": weight_decay},
                {"param": p, "square_avg": sq, "acc_delta": acc}, body)
    else:
        def update(scratch, p, g, sq, acc):
            xp = backend_of(p).xp
            t, delta = scratch[0], scratch[1]
            g = _effective_grad(xp, scratch[2], p, g, weight_decay, maximize)
            sq *= rho
            xp.multiply(g, g, out=t)
            t *= 1.0 - rho
            sq += t
            xp.add(sq, eps, out=t)
            xp.sqrt(t, out=t)
            xp.add(acc, eps, out=delta)
            xp.sqrt(delta, out=delta)
            delta /= t
            delta *= g
            acc *= rho
            xp.multiply(delta, delta, out=t)
            t *= 1.0 - rho
            acc += t
            delta *= lr
            p -= delta

        _blocked(update, [p, g, sq, acc], 3)
    _bump(param, square_avg, acc_delta)
