"""Fused in-place optimiser updates: the arithmetic behind `optim`, one call per parameter.

Each ``*_step_`` function takes Tensors (a parameter, its gradient and its state buffers)
and Python-float hyperparameters, updates the arrays in place and bumps the tensors'
version counters. How depends on the array type:

- NumPy: in-place ufuncs with ``out=`` and Python-float coefficients (so float32 stays
  float32), walking large contiguous arrays in blocks that fit in the CPU cache, so the
  dozen passes an update needs cost about one trip through main memory.
- an array module with ``ElementwiseKernel`` (CuPy): one fused elementwise kernel per
  parameter, written in CUDA C below and compiled on first use (importing compiles
  nothing). Each flag combination (maximize, weight decay, amsgrad, ...) is its own small
  kernel, built when first needed and cached.

The kernel bodies use only ``T x = expr;``, ``x = expr;`` and ``x op= expr;`` statements
with ``sqrt``, ``fabs`` and ``fmax``, so a test can run them on NumPy too.

The end holds the damped Cholesky solve of Newton's step (``optim.Newton``).
"""

from __future__ import annotations

from .._backend import backend_of
from ..tensor import Tensor, _wrap

# Elements per block on the NumPy path: a block of each operand (and the scratch arrays)
# stays in the L2 cache, so the many elementwise passes of an update reuse cached data.
_BLOCK = 32768

_kernel_cache: dict = {}


# ------------------------------------------------------------------------ infrastructure
def _check(param: Tensor, *others) -> None:
    for t in others:
        if t is None:
            continue
        if type(t._data) is not type(param._data):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {param.device} and {t.device}! (in an optimizer step)"
            )
        if t._data.shape != param._data.shape:
            raise RuntimeError(
                f"optimizer state/gradient of shape {tuple(t.shape)} does not match the "
                f"parameter's shape {tuple(param.shape)}"
            )


def _bump(*tensors) -> None:
    for t in tensors:
        if t is not None:
            t._version_counter[0] += 1


_compiles: dict = {}  # array type -> its module if that module compiles kernels, else None


def _kernel_module(array):
    """The array module if it compiles elementwise kernels for this dtype, else None."""
    kind = type(array)
    if kind not in _compiles:
        xp = backend_of(array).xp
        _compiles[kind] = xp if hasattr(xp, "ElementwiseKernel") else None
    xp = _compiles[kind]
    if xp is not None and array.dtype.kind == "f" and array.dtype.itemsize >= 4:
        return xp
    return None


def _launch(xp, name: str, inputs: dict, scalars: dict, outputs: dict, body: list) -> None:
    """Run the kernel ``body`` (built once per module and source) over the arrays.

    ``inputs`` are read-only arrays, ``outputs`` arrays read and written in place;
    ``scalars`` are cast to the arrays' dtype so the kernel computes in that type.
    """
    in_params = ", ".join([f"T {k}" for k in inputs] + [f"T {k}" for k in scalars])
    out_params = ", ".join(f"T {k}" for k in outputs)
    source = "\n".join(body)
    key = (xp, name, in_params, out_params, source)
    kernel = _kernel_cache.get(key)
    if kernel is None:
        kernel = _kernel_cache[key] = xp.ElementwiseKernel(in_params, out_params, source, name)
    first = next(iter(outputs.values()))
    cast = first.dtype.type
    kernel(*inputs.values(), *[cast(v) for v in scalars.values()], *outputs.values())


def _blocked(fn, arrays: list, n_scratch: int) -> None:
    """Call ``fn(scratch, *arrays)`` over cache-sized blocks of contiguous arrays.

    ``arrays`` may hold None (absent state); ``scratch`` is a list of ``n_scratch`` work
    arrays the shape of the block.
    """
    first = arrays[0]
    xp = backend_of(first).xp
    present = [a for a in arrays if a is not None]
    size = first.size
    if size < 4 * _BLOCK or xp.__name__ != "numpy" or not all(
            a.flags.c_contiguous for a in present):
        scratch = [xp.empty(first.shape, first.dtype) for _ in range(n_scratch)]
        fn(scratch, *arrays)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    work = [xp.empty(_BLOCK, first.dtype) for _ in range(n_scratch)]
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        scratch = work if stop - start == _BLOCK else [w[: stop - start] for w in work]
        fn(scratch, *[None if a is None else a[start:stop] for a in flat])


def _effective_grad(xp, out, param, grad, weight_decay: float, maximize: bool):
    """``g' = (-g if maximize else g) + weight_decay * param``, in ``out`` when it differs."""
    if weight_decay != 0:
        xp.multiply(param, weight_decay, out=out)
        if maximize:
            xp.subtract(out, grad, out=out)
        else:
            xp.add(out, grad, out=out)
        return out
    if maximize:
        xp.negative(grad, out=out)
        return out
    return grad


def _grad_lines(maximize: bool, weight_decay: float, decoupled: bool = False) -> list:
    lines = ["T g = -grad;" if maximize else "T g = grad;"]
    if weight_decay != 0:
        lines.append("param *= decay;" if decoupled else "g += weight_decay * param;")
    return lines


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
    first = momentum != 0 and momentum_buffer is None
    if first:
        momentum_buffer = _wrap(backend_of(p).xp.empty_like(p))
    buf = None if momentum_buffer is None else momentum_buffer._data
    xp = _kernel_module(p)
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
    xp = _kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay, decoupled_weight_decay)
        body += ["exp_avg = beta1 * exp_avg + omb1 * g;",
                 "exp_avg_sq = beta2 * exp_avg_sq + omb2 * g * g;"]
        outputs = {"param": p, "exp_avg": m, "exp_avg_sq": v}
        if amsgrad:
            outputs["max_exp_avg_sq"] = vmax
            body.append("max_exp_avg_sq = fmax(max_exp_avg_sq, exp_avg_sq);")
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
    xp = _kernel_module(p)
    if xp is not None:
        body = _grad_lines(maximize, weight_decay) + [
            "exp_avg = beta1 * exp_avg + omb1 * g;",
            "exp_inf = fmax(beta2 * exp_inf, fabs(g) + eps);",
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
    xp = _kernel_module(p)
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
    xp = _kernel_module(p)
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


# --------------------------------------------------------------------------- Adagrad
def adagrad_step_(param: Tensor, grad: Tensor, state_sum: Tensor, step: float, lr: float,
                  lr_decay: float, weight_decay: float, eps: float, maximize: bool) -> None:
    """``G += g²``, ``θ -= η/(1 + (t-1)·lr_decay) · g / (sqrt(G) + ε)``."""
    _check(param, grad, state_sum)
    clr = lr / (1.0 + (step - 1.0) * lr_decay)
    p, g, s = param._data, grad._data, state_sum._data
    xp = _kernel_module(p)
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
    xp = _kernel_module(p)
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
    xp = _kernel_module(p)
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


# ------------------------------------------------------------------ state helpers
def add_scalar_(tensor: Tensor, value: float) -> float:
    """``tensor += value`` for a one-element (step-count) tensor; returns the new value."""
    data = tensor._data
    new = float(data) + value
    data[...] = new
    tensor._version_counter[0] += 1
    return float(data)


def mul_scalar_(tensor: Tensor, value: float) -> float:
    """``tensor *= value`` for a one-element tensor (NAdam's μ product); returns the value."""
    tensor._data[...] *= value
    tensor._version_counter[0] += 1
    return float(tensor._data)


def zeros_like(tensor: Tensor) -> Tensor:
    """New zero state buffer like a parameter (same device, dtype, shape; contiguous)."""
    return _wrap(backend_of(tensor._data).xp.zeros(tensor._data.shape, tensor._data.dtype))


# ------------------------------------------------------------ Newton's linear solve
def damped_solve(matrix: Tensor, rhs: Tensor, damping: float = 0.0,
                 max_tries: int = 60) -> tuple[Tensor, float]:
    """Solve ``(H + λI) x = rhs`` with the smallest ``λ >= damping`` (from 0, then growing
    tenfold from a scale of H's diagonal) for which Cholesky succeeds, i.e. ``H + λI``
    is positive definite (Levenberg–Marquardt). Returns ``(x, λ)``.
    """
    xp = backend_of(matrix._data).xp
    h = matrix._data
    h = 0.5 * (h + h.T)
    n = h.shape[0]
    eye = xp.eye(n, dtype=h.dtype)
    scale = float(xp.abs(xp.diagonal(h)).mean()) if n else 1.0
    lam = float(damping)
    step = max(1e-3 * scale, 1e-8)
    for _ in range(max_tries):
        damped = h + lam * eye if lam else h
        try:
            factor = xp.linalg.cholesky(damped)
            ok = bool(xp.isfinite(factor).all())
        except Exception:  # LinAlgError on NumPy (CuPy may return NaNs instead)
            ok = False
        if ok:
            y = xp.linalg.solve(factor, rhs._data)
            x = xp.linalg.solve(factor.T, y)
            return _wrap(x), lam
        lam = step if lam < step else lam * 10.0
    raise RuntimeError(
        f"could not make the {n}x{n} Hessian positive definite with damping up to {lam:g}; "
        "the loss may be non-finite at this point"
    )
