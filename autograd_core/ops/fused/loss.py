"""Classification losses, each one graph node: cross-entropy and NLL.

Cross-entropy fuses log-softmax and the negative log-likelihood. With p = softmax(x) over
the classes and a target distribution q_i per sample (one-hot for a class index, smoothed
and weighted as below), the loss of sample i and its gradient are

    l_i = sum_c q_ic (-log p_ic)         dl_i/dx_ic = p_ic (sum_c' q_ic') - q_ic

computed from the shifted logits x - max x, so logits of 1000 stay finite. PyTorch's
options map onto q:

- class index y_i:   q_ic = w_c ((1 - eps) [c = y_i] + eps / C), and q_i = 0 when
  y_i = ignore_index;  'mean' divides the sum by sum_i w_{y_i} over non-ignored samples;
- probabilities t_i: q_ic = w_c ((1 - eps) t_ic + eps / C);  'mean' divides by the number
  of samples (every position of the extra dimensions counts as one).

Each rule is written once against the rule namespace ``ctx.math``. The softmax kept from
the forward enters it through `_RowsSoftmax` (`_RowsLogSoftmax` for log-probabilities): on
arrays that is the kept array itself, under ``create_graph=True`` a node whose own rule is
the softmax Jacobian, so Hessians of these losses work. The "minus q at the targets" step
is `_ScaledMinusTargets`: on arrays one product and one scatter into it.

The elementwise losses (binary cross-entropies, squared error) are in `elementwise_loss`.
"""

from __future__ import annotations

from ..._backend import KERNEL_BACKENDS, backend_of, check_index_bounds
from ..._teaching import Input, NodeInfo, Rule, reduction_words
from ...function import Function
from ...tensor import Tensor
from .._operands import int_argument, real_argument
from ..softmax import log_softmax_vjp, softmax_vjp

__all__ = ["cross_entropy", "nll_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _array(xp, value, like):
    return value if type(value) is type(like) else xp.asarray(value)


# ----------------------------------------------------------------------------- layouts
def _rows(xp, a, unbatched: bool):
    """(N, C, d1, ...) or (C,) -> (M, C): one row per sample and position."""
    if unbatched:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    c = a.shape[1]
    return xp.moveaxis(a, 1, -1).reshape(-1, c)


def _rows_m(m, a, unbatched: bool):
    """`_rows` in the rule vocabulary (arrays or Tensors)."""
    if unbatched:
        return a.reshape((1, -1))
    if a.ndim == 2:
        return a
    c = a.shape[1]
    return m.permute(a, (0,) + tuple(range(2, a.ndim)) + (1,)).reshape((-1, c))


def _unrows_m(m, a2, shape: tuple, unbatched: bool):
    """The inverse of `_rows`, in the rule vocabulary."""
    if unbatched:
        return a2.reshape(tuple(shape))
    if len(shape) == 2:
        return a2
    n = len(shape)
    moved = a2.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return m.permute(moved, (0, n - 1) + tuple(range(1, n - 1)))


def _per_sample_shape(shape: tuple, unbatched: bool) -> tuple:
    """Where the per-sample gradient broadcasts over the class axis."""
    if unbatched:
        return (1,)
    return (shape[0], 1) + tuple(shape[2:])


def _const(m, v):
    """A forward-time array as a rule constant (numbers stay numbers)."""
    return m.const(v) if hasattr(v, "shape") else v


def _row_factor(m, grad, ctx):
    """The output gradient as one factor per row of the (M, C) layout: a column (M, 1)
    for reduction 'none', else a 0-d value (divided by the 'mean' normaliser)."""
    if ctx.reduction == "none":
        return grad.reshape((-1, 1))
    if ctx.reduction == "mean":
        d = _const(m, ctx.denom)
        if not hasattr(d, "shape"):
            return grad / d
        # every target ignored (total weight 0): the loss is 0/0 = nan, its gradient 0 (PyTorch)
        return m.where(d == 0, 0.0, grad / m.where(d == 0, 1.0, d))
    return grad


def _reduce(xp, rows, ctx, target_shape: tuple):
    if ctx.reduction == "none":
        return rows.reshape(target_shape)
    total = rows.sum()
    if ctx.reduction == "sum":
        return total
    return total / ctx.denom


def _column(a):
    """A per-row value as a column (M, 1); a number or 0-d value stays as it is."""
    return a.reshape((-1, 1)) if getattr(a, "ndim", 0) else a


# ----------------------------------------------------------------------------- helper nodes
class _RowsSoftmax(Function):
    """p = softmax of x over the classes, in the (M, C) row layout, where the forward
    already holds p: on arrays the kept p, under ``create_graph`` a node of x.

    Backward (softmax Jacobian): dx = p (g - sum_c g p), laid back out as x."""

    @staticmethod
    def forward(ctx, x, p, unbatched):
        ctx.x_shape, ctx.unbatched = x.shape, unbatched
        out = p.view()  # a new array object, so it is saved as this node's output
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (p,) = ctx.saved
        m = ctx.math
        return _unrows_m(m, softmax_vjp(m, grad, p, 1), ctx.x_shape, ctx.unbatched), None, None


class _RowsLogSoftmax(Function):
    """log p = log_softmax of x over the classes, in the (M, C) row layout, kept from the
    forward. Backward: dx = g - p sum_c g, with p = exp(log p), laid back out as x."""

    @staticmethod
    def forward(ctx, x, logp, unbatched):
        ctx.x_shape, ctx.unbatched = x.shape, unbatched
        out = logp.view()  # a new array object, so it is saved as this node's output
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (logp,) = ctx.saved
        m = ctx.math
        return _unrows_m(m, log_softmax_vjp(m, grad, logp, 1), ctx.x_shape, ctx.unbatched), None, \
            None


class _ScaledMinusTargets(Function):
    """out = p a, then out[i, y_i] -= v_i: the "p s r - q r" of the cross-entropy gradient,
    one product and one scatter on arrays.

    Backward: dp = g a,  da = sum_c g p,  dv_i = -g[i, y_i]."""

    @staticmethod
    def forward(ctx, p, a, v, rows, index):
        ctx.rows, ctx.index = rows, index
        ctx.save_for_backward(p, a)
        kernels = KERNEL_BACKENDS.get(ctx.xp)  # CUDA: product and targets in one launch
        fused = kernels and index.dtype.name == "int64" and \
            kernels.fused_kernel("scaled_minus_targets", p.dtype)
        if fused:
            return fused(p, a, _column(v), index[:, None], p.shape[1])
        out = p * a
        out[rows, index] -= v
        return out

    @staticmethod
    def backward(ctx, grad):
        p, a = ctx.saved
        m = ctx.math
        need_p, need_a, need_v = ctx.needs_input_grad[:3]
        dp = grad * a if need_p else None
        da = m.sum(grad * p, 1, True) if need_a else None
        dv = -grad[m.const(ctx.rows), m.const(ctx.index)] if need_v else None
        return dp, da, dv, None, None


class _AtTargets(Function):
    """out = zeros (M, C) with out[i, y_i] = v_i (the NLL gradient: one scatter).

    Backward: dv_i = g[i, y_i]."""

    @staticmethod
    def forward(ctx, v, rows, index, shape):
        ctx.rows, ctx.index = rows, index
        out = ctx.xp.zeros(shape, dtype=v.dtype)
        out[rows, index] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        m = ctx.math
        return grad[m.const(ctx.rows), m.const(ctx.index)], None, None, None


# ----------------------------------------------------------------------------- targets
_ARANGES: dict = {}
_UNSIGNED = {1: "u1", 2: "u2", 4: "u4", 8: "u8"}


def _arange(xp, n: int):
    """``xp.arange(n)`` (the row indices of a batch), kept for the last few batch sizes:
    it is only read."""
    key = (xp, n)
    rows = _ARANGES.get(key)
    if rows is None:
        if len(_ARANGES) >= 8:
            _ARANGES.clear()
        rows = _ARANGES[key] = xp.arange(n)
    return rows


class _Targets:
    """Class-index targets as rows: safe indices, the valid mask and w_{y_i}.

    ``validf`` (1 for the rows that count, 0 for ignored ones) is None when every row
    counts, and ``w`` (w_{y_i} times validf) is None when moreover there are no class
    weights: the common case, for which the loss needs no mask at all."""

    def __init__(self, xp, target, weight, ignore_index: int, n_classes: int, dtype) -> None:
        y = target.reshape(-1)
        self.rows = _arange(xp, y.shape[0])
        clean = False
        on_host = backend_of(y).device_type == "cpu"
        if y.size and on_host:  # cheap host checks
            if not 0 <= ignore_index < n_classes:
                # one reduction: seen as unsigned, a negative index is larger than any class
                clean = int(y.view(_UNSIGNED[y.dtype.itemsize]).max()) < n_classes
            else:
                lo, hi = int(y.min()), int(y.max())
                clean = lo >= 0 and hi < n_classes and not lo <= ignore_index <= hi
            if not clean:
                bad = (y != ignore_index) & ((y < 0) | (y >= n_classes))
                if bad.any():
                    raise IndexError(f"Target {int(y[bad][0])} is out of bounds (the logits "
                                     f"have {n_classes} classes; use ignore_index for samples "
                                     f"to skip)")
        if clean:
            self.index, self.validf = y, None
            self.w = None if weight is None else xp.take(weight, y)
        else:
            valid = y != ignore_index
            self.index = xp.where(valid, y, 0)
            if not on_host:  # (checked above on the host)
                self.index = check_index_bounds(self.index, n_classes, "Target")
            self.validf = valid.astype(dtype)
            self.w = self.validf if weight is None else xp.take(weight, self.index) * self.validf

    def weighted(self, a):
        return a if self.w is None else a * self.w

    def total_weight(self, xp, dtype):
        """The 'mean' normaliser: sum of w_{y_i} over the rows that count (the number of
        rows, a Python int, when every row counts with weight 1)."""
        if self.w is None:
            return self.rows.shape[0]
        return xp.asarray(self.w.sum())


class CrossEntropy(Function):
    """Softmax cross-entropy with class-index targets (see the module docstring).

    With r the output gradient per row, sel_i = w_{y_i} (1 - eps), spread_i = eps / C
    (0 for ignored rows) and s_i = sel_i + spread_i sum_c w_c:

        dx_ic = p_ic s_i r_i - sel_i r_i [c = y_i] - spread_i r_i w_c
    """

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``L = -(1/N) sum_n log softmax(z_n)[t_n]``, written for the node's reduction."""
        per, per_l, red, red_l = reduction_words(getattr(node, "reduction", "mean"))
        return Rule(f"L = -{red} log softmax(z_n)[t_n]", f"L = -{red_l} \\log \\operatorname{{softmax}}(z_n)_{{t_n}}",
                    Input("z", f"dL/dz_n = (softmax(z_n) - onehot(t_n)){per}",
                          f"\\frac{{\\partial L}}{{\\partial z_n}} = {per_l}"
                          "\\big(\\operatorname{softmax}(z_n) - \\mathbf{e}_{t_n}\\big)",
                          f"g * (softmax(z) - onehot(t)){per}",
                          f"g\\,{per_l}\\big(\\operatorname{{softmax}}(z) - \\mathbf{{e}}_t\\big)"))

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, eps, unbatched):
        xp = ctx.xp
        ctx.reduction, ctx.eps, ctx.unbatched, ctx.x_shape = reduction, eps, unbatched, x.shape
        x2 = x if x.ndim == 2 else _rows(xp, x, unbatched)
        n_classes = x2.shape[1]
        kernels = KERNEL_BACKENDS.get(xp)  # CUDA, no label smoothing: fused kernels
        fused = kernels and not eps and x2.size and \
            kernels.fused_kernel("cross_entropy_rows", x.dtype)
        if fused:
            rows, p, tg = _fused_rows(kernels, fused, x2, target, weight, ignore_index)
        else:
            shifted = x2 - x2.max(axis=1, keepdims=True) if x2.size else x2.copy()
            p = xp.exp(shifted)
            total = p.sum(axis=1, keepdims=True)
            lse = xp.log(total)[:, 0]
            p /= total
            tg = _Targets(xp, target, weight, ignore_index, n_classes, x.dtype)
            rows = lse - shifted[tg.rows, tg.index]
            if tg.w is not None:
                rows *= tg.w
        if eps:
            rows *= 1.0 - eps
            if weight is None:
                smooth = lse * n_classes - shifted.sum(axis=1)
            else:
                smooth = lse * weight.sum() - shifted @ weight
            rows += (smooth if tg.validf is None else smooth * tg.validf) * (eps / n_classes)
        ctx.targets = tg
        # the target is saved (not only its indices) so a change in place is detected
        ctx.save_for_backward(x, p, weight, target)
        if reduction == "none":
            return rows.reshape(target.shape)
        total = rows.sum()
        if reduction == "mean":
            ctx.denom = tg.total_weight(xp, x.dtype)
            total = total / ctx.denom
        else:
            ctx.denom = None
        return total if type(total) is type(x) else xp.asarray(total)

    @staticmethod
    def backward(ctx, grad):
        x, p, w, _target = ctx.saved
        if ctx.needs_input_grad[2]:
            raise RuntimeError("the derivative for 'weight' is not implemented.")
        if not ctx.needs_input_grad[0]:
            return (None,) * 7
        m, tg, eps = ctx.math, ctx.targets, ctx.eps
        probs = m.apply(_RowsSoftmax, x, p, ctx.unbatched)
        r = _row_factor(m, grad, ctx)
        rr = r.reshape((-1,)) if r.ndim else r
        if not eps and tg.w is None:  # the common case: dx = (p - onehot) r
            dx = m.apply(_ScaledMinusTargets, probs, r, rr, tg.rows, tg.index)
            return (_unrows_m(m, dx, ctx.x_shape, ctx.unbatched),) + (None,) * 6
        n_classes = p.shape[1]
        sel = _const(m, tg.weighted(1.0 - eps))
        spread = eps / n_classes if tg.validf is None else m.const(tg.validf * (eps / n_classes))
        wsum = n_classes if w is None else m.sum(w)
        s = sel + spread * wsum if eps else sel
        dx = m.apply(_ScaledMinusTargets, probs, _column(s) * r, sel * rr, tg.rows, tg.index)
        if eps:
            spread = _column(spread) * r
            dx = dx - (spread if w is None else spread * w)
        return (_unrows_m(m, dx, ctx.x_shape, ctx.unbatched),) + (None,) * 6


def _fused_rows(kernels, rows_kernel, x2, target, weight, ignore_index):
    """Cross-entropy's forward on CUDA (see `_cuda_kernels_softmax`): the row max, p =
    exp(x - max) in one launch, its sum, p /= sum, and l_i w_i in one launch reading x at
    the targets. Returns (the rows' losses, p, the targets)."""
    xp = kernels.xp
    top = x2.max(axis=1, keepdims=True)
    p = kernels.fused_kernel("softmax_exp", x2.dtype)(x2, top)
    total = p.sum(axis=1, keepdims=True)
    tg = _Targets(xp, target, weight, ignore_index, x2.shape[1], x2.dtype)
    if tg.index.dtype.name != "int64":  # (the kernels read int64 class indices)
        tg.index = tg.index.astype("int64")
    rows = rows_kernel(x2, top[:, 0], total[:, 0], tg.index, 1.0 if tg.w is None else tg.w,
                       x2.shape[1])
    p /= total
    return rows, p, tg


class CrossEntropyProbs(Function):
    """Softmax cross-entropy with class-probability targets of x's shape.

    With q = w ((1 - eps) t + eps / C) and r the output gradient per row:

        dx = (p sum_c q - q) r,     dt = -(1 - eps) w log p r
    """

    @staticmethod
    def forward(ctx, x, target, weight, reduction, eps, unbatched):
        xp = ctx.xp
        ctx.reduction, ctx.eps, ctx.unbatched, ctx.x_shape = reduction, eps, unbatched, x.shape
        x2 = _rows(xp, x, unbatched)
        n_classes = x2.shape[1]
        logp = x2 - x2.max(axis=1, keepdims=True) if x2.size else x2.copy()
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
        q = _smoothed(xp, _rows(xp, target, unbatched), weight, eps, n_classes)
        rows = -(q * logp).sum(axis=1)
        ctx.denom = x2.shape[0] if reduction == "mean" else None
        ctx.save_for_backward(x, target, weight, logp)
        out_shape = (x.shape[0],) + tuple(x.shape[2:]) if not unbatched else ()
        return _array(xp, _reduce(xp, rows, ctx, out_shape), x)

    @staticmethod
    def backward(ctx, grad):
        x, target, weight, logp = ctx.saved
        if ctx.needs_input_grad[2]:
            raise RuntimeError("the derivative for 'weight' is not implemented.")
        need_x, need_t = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        m, eps, unbatched = ctx.math, ctx.eps, ctx.unbatched
        n_classes = logp.shape[1]
        logp = m.apply(_RowsLogSoftmax, x, logp, unbatched)
        r = _row_factor(m, grad, ctx)
        q = _smoothed(m, _rows_m(m, target, unbatched), weight, eps, n_classes)
        dx = dt = None
        if need_x:
            dx = (m.exp(logp) * m.sum(q, 1, True) - q) * r
            dx = _unrows_m(m, dx, ctx.x_shape, unbatched)
        if need_t:
            dt = -logp * r
            dt = dt * (1.0 - eps) if eps else dt
            if weight is not None:
                dt = dt * weight
            dt = _unrows_m(m, dt, ctx.x_shape, unbatched)
        return dx, dt, None, None, None, None


def _smoothed(xp, t2, weight, eps: float, n_classes: int):
    q = t2 * (1.0 - eps) + eps / n_classes if eps else t2
    return q * weight if weight is not None else q


# ----------------------------------------------------------------------------- NLL
class NLLLoss(Function):
    """l_i = -w_{y_i} x_{i, y_i}: x holds log-probabilities. The gradient is -w_{y_i} r_i at
    the target and 0 elsewhere (r the output gradient per row)."""

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``L = -(1/N) sum_n a_n[t_n]`` (``a``: log-probabilities), for the node's reduction."""
        per, per_l, red, red_l = reduction_words(getattr(node, "reduction", "mean"))
        return Rule(f"L = -{red} a_n[t_n]", f"L = -{red_l} a_{{n,t_n}}",
                    Input("a", f"dL/da_n = -onehot(t_n){per}",
                          f"\\frac{{\\partial L}}{{\\partial a_n}} = -{per_l}\\mathbf{{e}}_{{t_n}}",
                          f"-g * onehot(t){per}", f"-g\\,{per_l}\\mathbf{{e}}_t"))

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, unbatched):
        xp = ctx.xp
        ctx.reduction, ctx.unbatched, ctx.x_shape = reduction, unbatched, x.shape
        x2 = _rows(xp, x, unbatched)
        tg = _Targets(xp, target, weight, ignore_index, x2.shape[1], x.dtype)
        rows = -tg.weighted(x2[tg.rows, tg.index])
        ctx.denom = tg.total_weight(xp, x.dtype) if reduction == "mean" else None
        ctx.targets = tg
        ctx.rows_shape = x2.shape
        ctx.save_for_backward(target)  # version-checked: its indices are used below
        return _array(xp, _reduce(xp, rows, ctx, target.shape), x)

    @staticmethod
    def backward(ctx, grad):
        (_target,) = ctx.saved  # checks the target was not changed in place
        if ctx.needs_input_grad[2]:
            raise RuntimeError("the derivative for 'weight' is not implemented.")
        if not ctx.needs_input_grad[0]:
            return (None,) * 6
        m, tg = ctx.math, ctx.targets
        r = _row_factor(m, grad, ctx)
        v = -(r.reshape((-1,)) if r.ndim else r)
        if tg.w is not None:
            v = v * m.const(tg.w)
        dx = m.apply(_AtTargets, v, tg.rows, tg.index, ctx.rows_shape)
        return (_unrows_m(m, dx, ctx.x_shape, ctx.unbatched),) + (None,) * 5


# ----------------------------------------------------------------------------- checks
def _check_class_input(name: str, x: Tensor, target: Tensor, weight) -> bool:
    """Validate (N, C, ...) / (C,) input against an index target; returns ``unbatched``."""
    for label, t in (("input", x), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not "
                            f"{type(t).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}")
    if type(x._data) is not type(target._data):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {x.device} and {target.device}! (in {name})")
    if x._data.ndim == 0:
        raise RuntimeError(f"{name}: input must have a class dimension: (C,), (N, C) or "
                           f"(N, C, d1, ...); got a 0-d tensor")
    unbatched = x._data.ndim == 1
    xs, ts = x._data.shape, target._data.shape
    if unbatched:
        if len(ts) != 0:
            raise RuntimeError(f"{name}: for an unbatched input of shape {list(xs)} the target "
                               f"must be 0-d, got shape {list(ts)}")
    elif len(ts) == 0 or ts[0] != xs[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size "
                         f"({ts[0] if ts else 0}).")
    elif ts[1:] != xs[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(xs)}, target: {list(ts)}); the "
                           f"target must be the input's shape without the class dim 1")
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {target.dtype} (class-index "
                           f"targets must be integers; for class probabilities give a float "
                           f"target of the input's shape {list(xs)})")
    c = xs[0] if unbatched else xs[1]
    _check_weight(name, weight, c, x)
    return unbatched


def _check_weight(name: str, weight, n_classes: int, x: Tensor) -> None:
    if weight is None:
        return
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): argument 'weight' must be Tensor, not "
                        f"{type(weight).__name__}")
    if weight._data.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if weight._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}: weight must have the input's dtype {x.dtype}, got "
                           f"{weight.dtype}")


# ----------------------------------------------------------------------------- API
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (C,), (N, C) or (N, C, d1, ...) against
    class indices (N,) / (N, d1, ...) or class probabilities of the input's shape."""
    _check_reduction(reduction)
    eps = real_argument(label_smoothing, "label_smoothing", "cross_entropy_loss")
    if not 0.0 <= eps <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    if (isinstance(input, Tensor) and isinstance(target, Tensor)
            and input._data.shape == target._data.shape and input._data.ndim >= 1):
        if target._data.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {target.dtype}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if input._data.dtype != target._data.dtype:
            raise RuntimeError(f"cross_entropy: target dtype {target.dtype} must match the "
                               f"input dtype {input.dtype}")
        if type(input._data) is not type(target._data):
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {input.device} and {target.device}! "
                               f"(in cross_entropy)")
        unbatched = input._data.ndim == 1
        _check_weight("cross_entropy", weight, input._data.shape[0 if unbatched else 1], input)
        return CrossEntropyProbs.apply(input, target, weight, reduction, eps, unbatched)
    unbatched = _check_class_input("cross_entropy", input, target, weight)
    ignore_index = int_argument(ignore_index, "ignore_index", "cross_entropy_loss")
    return CrossEntropy.apply(input, target, weight, ignore_index, reduction, eps,
                              unbatched)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``."""
    _check_reduction(reduction)
    unbatched = _check_class_input("nll_loss", input, target, weight)
    ignore_index = int_argument(ignore_index, "ignore_index", "nll_loss")
    return NLLLoss.apply(input, target, weight, ignore_index, reduction, unbatched)
