"""Elementwise losses, each one graph node: binary cross-entropy (on logits or on
probabilities) and squared error, a loss per element of (x, t), then reduced.

Binary cross-entropy with logits, with pos_weight P and z = softplus(-x) = -log sigmoid(x):

    l = (1 - t) x + (1 + (P - 1) t) z          dl/dx = (1 + (P - 1) t) sigmoid(x) - P t

finite for logits of +-1000. Plain binary cross-entropy clamps each log at -100 and uses
PyTorch's gradient (x - t) / max(x (1 - x), 1e-12).

Mean squared error, l = (x - t)^2 with dl/dx = 2 (x - t) = -dl/dt, is one node too: it
is the loss of every regression, autoencoder and sequence model.

Each backward rule is written once against the rule namespace ``ctx.math``, so it runs on
arrays in a plain backward and is differentiable again under ``create_graph=True``; the
engine sums each gradient back over the dimensions that broadcasting added.
"""

from __future__ import annotations

from ..._backend import refuse_if_any
from ..._teaching import Input, NodeInfo, Rule, reduction_words
from ...function import Function
from ...tensor import Tensor
from .._accumulate import narrow, wide
from .loss import _array, _check_reduction

__all__ = ["binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss"]


# ----------------------------------------------------------------------------- binary
def _softplus_neg(m, x):
    """softplus(-x) = -log sigmoid(x), without overflow (``m``: an array module or the rule
    namespace)."""
    return m.maximum(-x, 0.0) + m.log1p(m.exp(-m.abs(x)))


def _grad_factor(grad, reduction: str, n: int):
    return grad / n if reduction == "mean" else grad


class BCEWithLogits(Function):
    """Binary cross-entropy on logits (see the module docstring); weight and pos_weight
    broadcast against the input."""

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``L = (1/n) sum_i [softplus(z) - t z]``, for the node's reduction."""
        per, per_l, red, red_l = reduction_words(getattr(node, "reduction", "mean"), "n", "i")
        return Rule(f"L = {red} [softplus(z) - t z]", f"L = {red_l} \\big[\\ln(1 + e^{{z_i}}) - t_i z_i\\big]",
                    Input("z", f"dL/dz = (sigmoid(z) - t){per}",
                          f"\\frac{{\\partial L}}{{\\partial z_i}} = {per_l}(\\sigma(z_i) - t_i)",
                          f"g * (sigmoid(z) - t){per}", f"g\\,{per_l}(\\sigma(z) - t)"))

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        xp = ctx.xp
        ctx.reduction = reduction
        z = _softplus_neg(xp, x)
        if pos_weight is None:
            loss = (1.0 - t) * x + z
        else:
            loss = (1.0 - t) * x + ((pos_weight - 1.0) * t + 1.0) * z
        if weight is not None:
            loss = loss * weight
        ctx.n = loss.size
        ctx.save_for_backward(x, t, weight, pos_weight)
        if reduction == "none":
            return _array(xp, loss, x)
        total = loss.sum()
        return total / loss.size if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        x, t, weight, pos_weight = ctx.saved
        m = ctx.math
        need_x, need_t, need_w, need_p = ctx.needs_input_grad[:4]
        r = _grad_factor(grad, ctx.reduction, ctx.n)
        rw = r * weight if weight is not None else r
        dx = dt = dw = dp = None
        z = None
        if need_t or need_w or need_p:
            z = _softplus_neg(m, x)
        if need_x:
            s = m.sigmoid(x)
            if pos_weight is None:
                d = s - t
            else:
                d = ((pos_weight - 1.0) * t + 1.0) * s - pos_weight * t
            dx = d * rw
        if need_t:
            d = -x if pos_weight is None else (pos_weight - 1.0) * z - x
            dt = d * rw
        if need_w:
            if pos_weight is None:
                unweighted = (1.0 - t) * x + z
            else:
                unweighted = (1.0 - t) * x + ((pos_weight - 1.0) * t + 1.0) * z
            dw = unweighted * r
        if need_p:
            dp = t * z * rw
        return dx, dt, dw, dp, None


class BCE(Function):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 (as PyTorch)."""

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``L = -(1/n) sum_i [t ln p + (1 - t) ln(1 - p)]``, for the node's reduction."""
        per, per_l, red, red_l = reduction_words(getattr(node, "reduction", "mean"), "n", "i")
        return Rule(f"L = -{red} [t ln p + (1 - t) ln(1 - p)]",
                    f"L = -{red_l} \\big[t_i \\ln p_i + (1 - t_i)\\ln(1 - p_i)\\big]",
                    Input("p", f"dL/dp = (p - t) / (p (1 - p)){per}",
                          f"\\frac{{\\partial L}}{{\\partial p_i}} = {per_l}\\frac{{p_i - t_i}}{{p_i(1 - p_i)}}",
                          f"g * (p - t) / (p (1 - p)){per}", f"g\\,{per_l}\\frac{{p - t}}{{p(1 - p)}}"))

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        xp = ctx.xp
        ctx.reduction = reduction
        log_x = _clamped_log(xp, x)
        log_1mx = _clamped_log1m(xp, x)
        loss = -(t * log_x + (1.0 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight
        ctx.n = loss.size
        ctx.save_for_backward(x, t, weight)
        if reduction == "none":
            return _array(xp, loss, x)
        total = loss.sum()
        return total / loss.size if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        x, t, weight = ctx.saved
        m = ctx.math
        need_x, need_t, need_w = ctx.needs_input_grad[:3]
        r = _grad_factor(grad, ctx.reduction, ctx.n)
        rw = r * weight if weight is not None else r
        dx = dt = dw = None
        if need_x:
            dx = (x - t) / m.maximum((1.0 - x) * x, 1e-12) * rw
        if need_t or need_w:
            log_x = _clamped_log(m, x)
            log_1mx = _clamped_log1m(m, x)
            if need_t:
                dt = (log_1mx - log_x) * rw
            if need_w:
                dw = -(t * log_x + (1.0 - t) * log_1mx) * r
        return dx, dt, dw, None


def _clamped_log(m, v):
    """max(log v, -100), with no warning at v = 0 (``m``: an array module or the rule
    namespace)."""
    positive = v > 0
    return m.where(positive, m.maximum(m.log(m.where(positive, v, 1.0)), -100.0), -100.0)


def _clamped_log1m(m, v):
    """max(log(1 - v), -100), accurate for small v, with no warning at v = 1."""
    below = v < 1
    return m.where(below, m.maximum(m.log1p(-m.where(below, v, 0.0)), -100.0), -100.0)


def _check_binary(name: str, input, target, *others) -> None:
    for label, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not "
                            f"{type(t).__name__}")
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")
    for t in (target,) + others:
        if t is None:
            continue
        if type(t._data) is not type(input._data):
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {input.device} and {t.device}! (in {name})")
        if t._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}: expected all tensors to have the input's dtype "
                               f"{input.dtype}, got {t.dtype}")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: str = "mean") -> Tensor:
    """Sigmoid + binary cross-entropy in one stable node; ``pos_weight`` weighs the
    positive term (broadcast along the last, class, dimension)."""
    _check_reduction(reduction)
    _check_binary("binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    return BCEWithLogits.apply(input, target, weight, pos_weight, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] (logs clamped at -100)."""
    _check_reduction(reduction)
    _check_binary("binary_cross_entropy", input, target, weight)
    for label, t in (("input", input), ("target", target)):
        # probabilities: outside [0, 1] the loss is a wrong number, not a loss (NaN too)
        data = t._data
        refuse_if_any(~((data >= 0) & (data <= 1)), lambda label=label, t=t: RuntimeError(
            f"all elements of {label} should be between 0 and 1 (binary_cross_entropy of "
            f"{label} with shape {list(t.shape)}); for logits use "
            f"binary_cross_entropy_with_logits, and clamp targets to [0, 1]"))
    if weight is not None:
        shape = _broadcast_shape(weight._data.shape, target._data.shape)
        if shape != target._data.shape:
            raise RuntimeError(f"binary_cross_entropy: weight of shape {list(weight.shape)} "
                               f"does not broadcast to the target's shape {list(target.shape)}")
    return BCE.apply(input, target, weight, reduction)


def _broadcast_shape(a: tuple, b: tuple):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for p, q in zip(a, b):
        if p != q and 1 not in (p, q):
            return None
        out.append(q if p == 1 else p)
    return tuple(out)


# ----------------------------------------------------------------------------- MSE
class MSELoss(Function):
    """(x - t)^2, reduced; dx = 2 (x - t) g = -dt (summed over broadcast dimensions)."""

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``y = (a - b)^2`` per element; ``L = (1/n) sum_i (a_i - b_i)^2`` for a mean of ``n``
        elements (``L = (a - b)^2`` when n = 1); ``L = sum_i (a_i - b_i)^2`` for a sum."""
        reduction, n = getattr(node, "reduction", "mean"), getattr(node, "n", None)
        lhs, i, red, red_l, scale, scale_l = "L", "_i", "", "", "2 ", "2"
        if reduction == "none" or (reduction == "mean" and n == 1):  # n = 1: the lectures' J = e^2
            lhs, i, scale = ("y" if reduction == "none" else "L"), "", "2"
        elif reduction == "sum":
            red, red_l = "sum_i ", r"\sum_i "
        else:
            n = "n" if n is None else n
            red, red_l = f"(1/{n}) sum_i ", f"\\frac{{1}}{{{n}}}\\sum_i "
            scale, scale_l = f"2/{n} ", f"\\frac{{2}}{{{n}}}"
        times = r"\,g \odot " if reduction == "none" else r"\,g\,"

        def side(x: str, sign: str) -> Input:
            return Input(x, f"d{lhs}/d{x}{i} = {sign}{scale}(a{i} - b{i})",
                         f"\\frac{{\\partial {lhs}}}{{\\partial {x}{i}}} = {sign}{scale_l}(a{i} - b{i})",
                         f"{sign}g * {scale}(a - b)", f"{sign}{scale_l}{times}(a - b)")

        return Rule(f"{lhs} = {red}(a{i} - b{i})^2", f"{lhs} = {red_l}(a{i} - b{i})^2", side("a", ""), side("b", "-"),
                    elementwise=True)

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, t)
        d = wide(x) - wide(t)  # float16: squares and their sum in float32, rounded once
        d *= d
        ctx.n = d.size
        if reduction == "none":
            return narrow(_array(ctx.xp, d, x), x)
        total = d.sum()
        return narrow(_array(ctx.xp, total / d.size if reduction == "mean" else total, x), x)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        need_x, need_t = ctx.needs_input_grad[:2]
        scale = 2.0 / ctx.n if ctx.reduction == "mean" else 2.0
        if ctx.reduction == "none":
            d = (x - t) * grad * scale
        else:
            d = (x - t) * (grad * scale)
        return (d if need_x else None), (-d if need_t else None), None


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Squared error (x - t)^2 (broadcasting x against t), reduced: one node."""
    _check_reduction(reduction)
    for label, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"mse_loss(): argument '{label}' must be Tensor, not "
                            f"{type(t).__name__}")
    from .._operands import binary

    input, target = binary(input, target)  # promoted dtypes, shapes checked to broadcast
    return MSELoss.apply(input, target, reduction)
