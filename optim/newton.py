"""Newton's method with the exact Hessian, and its Hessian-free form Newton-CG.

Neither is in PyTorch: they are this library's additions, the second-order methods of
the lectures. Both differentiate the loss twice through autograd: the gradient is
computed with ``create_graph=True``, so it is itself a graph, and a second backward pass
through it with ``grad_outputs=v`` gives the Hessian-vector product ``H v``
(``v = e_i``, a basis vector, gives the i-th row of H).

Both take a closure that computes and returns the loss *without* calling ``backward()``:
the optimiser differentiates it itself (a closure that called ``backward()`` would have
freed the graph it needs).
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core.ops import fused_optim

from . import _flat
from .line_search import strong_wolfe
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _value

_CLOSURE_HINT = (
    "{name} needs a closure that computes and returns the loss, without calling "
    "backward() (it differentiates the loss twice itself): "
    "def closure(): return loss_fn(model(x), y)"
)


class _SecondOrder(Optimizer):
    """What Newton and NewtonCG share: one group, the closure, gradients with a graph."""

    def __init__(self, params, defaults: dict) -> None:
        if defaults.get("line_search_fn") not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got "
                             f"{defaults['line_search_fn']!r}")
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups)")

    def add_param_group(self, param_group: dict) -> None:
        if getattr(self, "param_groups", None):
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups)")
        super().add_param_group(param_group)

    def _loss_and_grads(self, closure):
        """Evaluate the loss and its gradient with a graph (for second derivatives).

        Returns ``(loss, flat gradient, per-parameter gradients that have a graph)``.
        """
        name = type(self).__name__
        if closure is None:
            raise RuntimeError(f"{name} requires a closure. " + _CLOSURE_HINT.format(name=name))
        params = self.param_groups[0]["params"]
        with ag.enable_grad():
            loss = closure()
            if loss is None:
                raise RuntimeError("the closure returned None. " + _CLOSURE_HINT.format(name=name))
            if not isinstance(loss, ag.Tensor) or not loss.requires_grad:
                raise RuntimeError(
                    f"{name}: the closure's loss does not require grad (is it computed from "
                    "the parameters, outside no_grad?). " + _CLOSURE_HINT.format(name=name))
            try:
                grads = ag.autograd.grad(loss, params, create_graph=True, allow_unused=True)
            except RuntimeError as exc:
                if "second time" in str(exc):
                    raise RuntimeError(f"{exc}\n" + _CLOSURE_HINT.format(name=name)) from None
                raise
        flat_grad = _flat.flatten([None if g is None else g.detach() for g in grads],
                                        params)
        with_graph = [(i, g) for i, g in enumerate(grads) if g is not None and g.requires_grad]
        return loss, flat_grad, with_graph

    def _move(self, closure, loss, flat_grad, direction) -> float:
        """``θ ← θ + t d`` with ``t = lr``, or found by the strong Wolfe line search
        (starting from ``lr``) when ``line_search_fn='strong_wolfe'``. Returns ``t``."""
        group = self.param_groups[0]
        params = group["params"]
        t = _value(group["lr"])
        slope = _flat.dot(flat_grad, direction)
        if group["line_search_fn"] is not None and slope < 0:
            start = _flat.flatten(params, params)

            def phi(step_length):
                _flat.add_flat_(params, direction, step_length)
                with ag.enable_grad():
                    value = closure()
                    grads = ag.autograd.grad(value, params, allow_unused=True)
                _flat.copy_flat_(params, start)
                return float(value), _flat.flatten(grads, params)

            _, _, t, _ = strong_wolfe(phi, t, direction, float(loss), flat_grad, slope)
        _flat.add_flat_(params, direction, t)
        return t

    def _hvp(self, with_graph, v_parts) -> ag.Tensor:
        """``H v`` as a flat vector, ``v`` given per parameter (one backward pass)."""
        params = self.param_groups[0]["params"]
        if not with_graph:
            return _flat.flatten([None] * len(params), params)
        outputs = [g for _, g in with_graph]
        grad_outputs = [v_parts[i] for i, _ in with_graph]
        with ag.enable_grad():
            hv = ag.autograd.grad(outputs, params, grad_outputs=grad_outputs,
                                  retain_graph=True, allow_unused=True)
        return _flat.flatten([None if h is None else h.detach() for h in hv], params)


class Newton(_SecondOrder):
    r"""Newton's method with the exact Hessian (this library's addition; not in PyTorch).

    The second-order update of the lectures, from the Taylor model
    ``J(θ + d) ≈ J(θ) + ∇Jᵀd + ½ dᵀ H d``::

        H = ∇²J(θ)                        (one double-backward pass per row)
        (H + λ I) d = -∇J(θ)              (Cholesky; λ = 0 when H is positive definite)
        θ ← θ + α d                       (α = lr, 1 for the pure Newton step)

    A convex quadratic is minimised in one step. Where H is not positive definite (a
    saddle, a concave region) the Newton step would head for a maximum or a saddle, so
    λ is raised (Levenberg-Marquardt damping: from ``damping``, then from 10⁻³ times the
    mean |diagonal| of H, tenfold each time) until ``H + λI`` is positive definite: the
    step bends toward gradient descent with step 1/λ.

    Damping only makes the step a descent direction: just past a negative eigenvalue
    ``H + λI`` is nearly singular and the step can be huge. ``line_search_fn=
    'strong_wolfe'`` then picks the step length t (starting from α) so that the loss
    decreases enough, as L-BFGS does; without it the step is the pure ``α d``.

    Building H costs one backward pass per parameter and n² memory, so Newton refuses
    more than ``max_params`` parameters; use `NewtonCG` (Hessian-free) for larger models.

    ``step(closure)``: the closure returns the loss *without* calling ``backward()``.
    State (first parameter's): ``n_iter``, ``damping`` (the λ of the last step), ``t``
    (the step length taken).
    """

    def __init__(self, params, lr: float = 1.0, damping: float = 0.0,
                 max_params: int = 2000, line_search_fn: str | None = None) -> None:
        _check_lr(lr)
        _check_nonnegative("damping", damping)
        defaults = dict(lr=lr, damping=damping, max_params=max_params,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        self._check_size()

    def _check_size(self) -> int:
        group = self.param_groups[0]
        n = sum(p.numel() for p in group["params"])
        limit = group["max_params"]
        if n > limit:
            raise ValueError(
                f"Newton builds the full Hessian: {n} parameters here means a {n}x{n} matrix "
                f"and {n} backward passes per step, above max_params={limit}. Use "
                "optim.NewtonCG, the Hessian-free variant (Hessian-vector products and "
                "conjugate gradient), or pass a larger max_params."
            )
        return n

    def step(self, closure=None):
        """One damped Newton step; returns the loss at the starting point."""
        n = self._check_size()
        group = self.param_groups[0]
        params = group["params"]
        loss, flat_grad, with_graph = self._loss_and_grads(closure)
        with ag.no_grad():
            if with_graph:
                rows = [self._hvp(with_graph,
                                  _flat.unflatten(_flat.basis_vector(k, flat_grad),
                                                        params))
                        for k in range(n)]
                hessian = _flat.stack_rows(rows)
            else:  # the loss is (at most) linear in the parameters: H = 0
                hessian = _flat.stack_rows([flat_grad * 0.0 for _ in range(n)])
            direction, lam = fused_optim.damped_solve(hessian, flat_grad * -1.0,
                                                      _value(group["damping"]))
            t = self._move(closure, loss, flat_grad, direction)
        state = self.state[params[0]]
        state["n_iter"] = state.get("n_iter", 0) + 1
        state["damping"] = lam
        state["t"] = t
        return loss


class NewtonCG(_SecondOrder):
    r"""Hessian-free Newton: solve ``H d = -∇J`` by conjugate gradient, using only
    Hessian-vector products (this library's addition; not in PyTorch).

    Each product ``H v`` is one backward pass through the gradient's graph, so the cost
    per CG iteration is that of a gradient, and H (n × n) is never formed::

        d = 0,  r = -∇J,  p = r
        repeat (at most max_cg_iter times):
            if pᵀHp <= 0: stop (negative curvature; if first iteration, d = -∇J)
            a = rᵀr / pᵀHp,   d += a p,   r -= a H p
            if ‖r‖ <= tol ‖∇J‖: stop
            p = r + (r_newᵀ r_new / r_oldᵀ r_old) p
        θ ← θ + lr · d

    With ``max_cg_iter >= n`` on a positive definite H, CG reaches the exact Newton step
    (in exact arithmetic, in at most n iterations); fewer iterations give a truncated
    Newton step. ``damping`` λ solves ``(H + λI) d = -∇J`` instead.
    ``line_search_fn='strong_wolfe'`` chooses the step length along d (from lr), as in
    `Newton` and L-BFGS; advisable on non-convex losses.

    ``step(closure)``: the closure returns the loss *without* calling ``backward()``.
    State (first parameter's): ``n_iter``, ``cg_iters``, ``negative_curvature`` and
    ``t`` (step length) of the last step.
    """

    def __init__(self, params, lr: float = 1.0, max_cg_iter: int | None = None,
                 tol: float = 1e-5, damping: float = 0.0,
                 line_search_fn: str | None = None) -> None:
        _check_lr(lr)
        _check_nonnegative("tol", tol)
        _check_nonnegative("damping", damping)
        if max_cg_iter is not None and max_cg_iter < 1:
            raise ValueError(f"Invalid max_cg_iter value: {max_cg_iter}")
        defaults = dict(lr=lr, max_cg_iter=max_cg_iter, tol=tol, damping=damping,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One truncated Newton step; returns the loss at the starting point."""
        group = self.param_groups[0]
        params = group["params"]
        damping = _value(group["damping"])
        loss, flat_grad, with_graph = self._loss_and_grads(closure)
        n = flat_grad.numel()
        max_cg_iter = group["max_cg_iter"] or n
        cg_iters, negative = 0, False
        with ag.no_grad():
            g_norm = math.sqrt(_flat.dot(flat_grad, flat_grad))
            d = flat_grad * 0.0
            if g_norm > 0:
                r = flat_grad * -1.0
                p = r.clone()
                rr = _flat.dot(r, r)
                while cg_iters < max_cg_iter:
                    hp = self._hvp(with_graph, _flat.unflatten(p, params))
                    if damping:
                        _flat.axpy_(hp, damping, p)
                    curvature = _flat.dot(p, hp)
                    cg_iters += 1
                    if curvature <= 0:
                        negative = True
                        if cg_iters == 1:
                            d = flat_grad * -1.0
                        break
                    alpha = rr / curvature
                    _flat.axpy_(d, alpha, p)
                    _flat.axpy_(r, -alpha, hp)
                    rr_new = _flat.dot(r, r)
                    if math.sqrt(rr_new) <= group["tol"] * g_norm:
                        break
                    p = p * (rr_new / rr)
                    _flat.axpy_(p, 1.0, r)
                    rr = rr_new
            t = self._move(closure, loss, flat_grad, d)
        state = self.state[params[0]]
        state["n_iter"] = state.get("n_iter", 0) + 1
        state["cg_iters"] = cg_iters
        state["negative_curvature"] = negative
        state["t"] = t
        return loss
