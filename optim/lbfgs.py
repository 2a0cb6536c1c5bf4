"""L-BFGS: the limited-memory quasi-Newton method."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

from . import _flat
from .line_search import strong_wolfe
from .optimizer import Optimizer, _check_lr, _value


def _loss_value(closure, name: str) -> tuple:
    """Evaluate the closure (grad mode on) and return ``(loss as returned, float)``."""
    with ag.enable_grad():
        loss = closure()
    if loss is None:
        raise RuntimeError(
            f"{name} needs a closure that returns the loss, but the closure returned None. "
            "Write it as: def closure(): optimizer.zero_grad(); loss = compute_loss(); "
            "loss.backward(); return loss"
        )
    return loss, float(loss)


class LBFGS(Optimizer):
    r"""L-BFGS (Liu & Nocedal, 1989): Newton's step with the inverse Hessian estimated from
    the last ``history_size`` steps and gradient changes.

    The lecture's second-order update ``θ ← θ - α H⁻¹ ∇J`` needs H; quasi-Newton methods
    build an approximation from what the gradient did along the steps taken::

        s_k = θ_{k+1} - θ_k,   y_k = ∇J(θ_{k+1}) - ∇J(θ_k),   ρ_k = 1 / (y_kᵀ s_k)
        (kept only when y_kᵀ s_k > 1e-10, so the estimate stays positive definite)

    The direction d = -H_k ∇J comes from the two-loop recursion, with H_0 = γ I and
    γ = s_kᵀ y_k / y_kᵀ y_k::

        q = -∇J
        for i = k-1 ... k-m:  α_i = ρ_i s_iᵀ q;   q -= α_i y_i
        r = γ q
        for i = k-m ... k-1:  β = ρ_i y_iᵀ r;     r += (α_i - β) s_i
        d = r

    then ``θ ← θ + t d``: with ``t = lr`` (the first iteration uses
    ``min(1, 1/‖∇J‖₁) · lr``), or with ``line_search_fn='strong_wolfe'`` a step satisfying
    the strong Wolfe conditions (see `optim.line_search`).

    As in PyTorch: one parameter group; ``step(closure)`` runs up to ``max_iter``
    iterations and needs a closure that zeroes the gradients, computes the loss, calls
    ``backward()`` and returns the loss; it stops early when the largest gradient
    component is at most ``tolerance_grad`` or the step / loss change falls below
    ``tolerance_change``. Returns the loss of the first evaluation. The memory (``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ...) is kept in the state of
    the first parameter, so successive ``step`` calls continue the same run.
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict) -> None:
        # the group's own checks (duplicates, names) first, as in PyTorch; then refuse
        super().add_param_group(param_group)
        if len(self.param_groups) > 1 and hasattr(self, "_params"):
            self.param_groups.pop()
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    # ------------------------------------------------------------ flat vectors
    def _gather_flat_grad(self) -> Tensor:
        return _flat.flatten([p.grad for p in self._params], self._params)

    def _directional_evaluate(self, closure, x: Tensor, t: float, d: Tensor):
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x``."""
        _flat.add_flat_(self._params, d, t)
        _, loss = _loss_value(closure, "LBFGS")
        flat_grad = self._gather_flat_grad()
        _flat.copy_flat_(self._params, x)
        return loss, flat_grad

    # ------------------------------------------------------------ the step
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss at the start."""
        if closure is None:
            raise RuntimeError(
                "LBFGS requires a closure: step(closure) with a closure that recomputes the "
                "loss, calls backward() and returns the loss"
            )
        group = self.param_groups[0]
        lr = _value(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss = _loss_value(closure, "LBFGS")
        current_evals = 1
        state["func_evals"] += 1
        with ag.no_grad():
            flat_grad = self._gather_flat_grad()
            if _flat.abs_max(flat_grad) <= tolerance_grad:
                return orig_loss

            d = state.get("d")
            t = state.get("t")
            old_dirs = state.get("old_dirs")
            old_stps = state.get("old_stps")
            ro = state.get("ro")
            h_diag = state.get("H_diag")
            prev_flat_grad = state.get("prev_flat_grad")
            prev_loss = state.get("prev_loss")
            al = state.get("al")
            # a state loaded from PyTorch holds 0-d tensors where this loop keeps floats
            t = None if t is None else _value(t)
            h_diag = None if h_diag is None else _value(h_diag)
            ro = None if ro is None else [_value(r) for r in ro]

            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1

                # ---- the direction d = -H ∇J (two-loop recursion)
                if state["n_iter"] == 1:
                    d = flat_grad * -1.0
                    old_dirs, old_stps, ro = [], [], []
                    h_diag = 1.0
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = _flat.dot(y, s)
                    if ys > 1e-10:
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        h_diag = ys / _flat.dot(y, y)
                    num_old = len(old_dirs)
                    if al is None or len(al) < history_size:  # one buffer, as in PyTorch
                        al = [None] * history_size
                    q = flat_grad * -1.0
                    for i in range(num_old - 1, -1, -1):
                        al[i] = _flat.dot(old_stps[i], q) * ro[i]
                        _flat.axpy_(q, -al[i], old_dirs[i])
                    d = r = q * h_diag
                    for i in range(num_old):
                        beta_i = _flat.dot(old_dirs[i], r) * ro[i]
                        _flat.axpy_(r, al[i] - beta_i, old_stps[i])

                prev_flat_grad = flat_grad.clone()
                prev_loss = loss

                # ---- the step length
                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / _flat.abs_sum(flat_grad)) * lr
                else:
                    t = lr
                gtd = _flat.dot(flat_grad, d)
                if gtd > -tolerance_change:  # not a descent direction (or a tiny one)
                    break

                ls_func_evals = 0
                if line_search_fn is not None:
                    x_init = _flat.flatten(self._params, self._params)

                    def phi(step_length, x_init=x_init, d=d):
                        return self._directional_evaluate(closure, x_init, step_length, d)

                    loss, flat_grad, t, ls_func_evals = strong_wolfe(
                        phi, t, d, loss, flat_grad, gtd, tolerance_change=tolerance_change)
                    _flat.add_flat_(self._params, d, t)
                    opt_cond = _flat.abs_max(flat_grad) <= tolerance_grad
                else:
                    _flat.add_flat_(self._params, d, t)
                    opt_cond = False
                    if n_iter != max_iter:
                        _, loss = _loss_value(closure, "LBFGS")
                        flat_grad = self._gather_flat_grad()
                        opt_cond = _flat.abs_max(flat_grad) <= tolerance_grad
                        ls_func_evals = 1
                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                # ---- stopping tests
                if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                    break
                if _flat.abs_max(d) * abs(t) <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

            state["d"] = d
            # PyTorch keeps the group's lr itself as t: a tensor lr gives a tensor t
            lr_is_tensor = isinstance(group["lr"], Tensor) and line_search_fn is None
            state["t"] = ag.tensor(t, dtype=flat_grad.dtype) if lr_is_tensor else t
            state["old_dirs"] = old_dirs
            state["old_stps"] = old_stps
            state["ro"] = ro
            # as in PyTorch: the initial 1, or a 0-d tensor once curvature pairs exist
            state["H_diag"] = ag.tensor(h_diag, dtype=flat_grad.dtype) if old_dirs else h_diag
            state["prev_flat_grad"] = prev_flat_grad
            state["prev_loss"] = prev_loss
            state["al"] = al
        return orig_loss
