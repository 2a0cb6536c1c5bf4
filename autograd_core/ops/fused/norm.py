"""Batch, layer and group normalisation, each ONE graph node.

All three standardise x over some axes A (n values per statistic) and apply a per-feature
affine map:

    mu = mean_A(x)     var = mean_A((x - mu)^2)     inv = 1 / sqrt(var + eps)
    x^ = (x - mu) inv                               y = w x^ + b

    batch norm   A = every axis but the channels (dim 1);  w, b per channel
    layer norm   A = the last len(normalized_shape) axes;  w, b of normalized_shape
    group norm   A = the channels of one group and the spatial axes, per sample;
                 w, b per channel

Backward (g = dL/dy; sums over A; the standard fused formula):

    dx = inv / n * (n g w - sum(g w) - x^ sum(g w x^))
    dw = sum over everything but w's axes of g x^        db = the same sum of g

In batch norm's evaluation mode the running statistics are constants, so y = x s + t
with s = w / sqrt(running_var + eps), and dx = g s.

Each rule is written once against the rule namespace ``ctx.math``. x^ and inv saved by the
forward enter it through `_Standardized`: on arrays the saved arrays, under
``create_graph=True`` a node of x whose own rule is the standardisation's derivative, so the
backward is differentiable again (double backward, gradgradcheck).

`batch_norm` in training mode also updates the running statistics in place (without
recording), with PyTorch's convention
``running = (1 - momentum) running + momentum batch_statistic``, the variance being the
unbiased one (times n / (n - 1)).
"""

from __future__ import annotations

import math

from ...function import Function
from ...tensor import Tensor
from .._accumulate import narrow, remember, up, wide
from .._operands import real_argument

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


# ----------------------------------------------------------------------------- helpers
def _as3d(a):
    """(N, C, *) -> (N, C, S) (a view when possible): the channel axis in the middle."""
    return a.reshape((a.shape[0], a.shape[1], -1))


def _channel_sum(a3):
    """Sum of an (N, C, S) array over N and S: (C,). Two fast reductions (the first along
    the contiguous axis)."""
    return a3.sum(axis=2).sum(axis=0)


def _inv_std(xp, var, eps):
    """1 / sqrt(var + eps), in place."""
    var += eps
    xp.sqrt(var, out=var)
    xp.divide(1.0, var, out=var)
    return var


def _row_normalize(xp, x2, eps):
    """Rows of a 2-D array standardised: (x^, inv), inv of shape (M, 1); float32 for a
    float16 ``x2`` (the caller rounds back)."""
    x2 = wide(x2)
    xhat = x2 - x2.mean(axis=1, keepdims=True)
    inv = _inv_std(xp, (xhat * xhat).mean(axis=1, keepdims=True), eps)
    xhat *= inv
    return xhat, inv


def _keep_sum(m, a, axes):
    """Sum over ``axes``, kept as size-1 axes (a channel sum of (N, C, S) as two fast
    reductions, the first along the contiguous axis)."""
    if axes == (0, 2):
        return m.sum(m.sum(a, 2, True), 0, True)
    return m.sum(a, axes, True)


def _standardized_backward(m, d, xhat, inv, axes, n: int, ctx=None):
    """dx = inv (d - mean_A d - x^ mean_A(d x^)) for dx^ = d (arrays or Tensors); in
    float32 when the forward was float16 (``ctx.wide``), rounded back once."""
    d_in = d
    d, xhat, inv = up(m, ctx, d), up(m, ctx, xhat), up(m, ctx, inv)
    out = d - _keep_sum(m, d, axes) * (1.0 / n)
    out -= xhat * (_keep_sum(m, d * xhat, axes) * (1.0 / n))  # out: a fresh value
    out *= inv
    return m.cast(out, d_in)


class _Standardized(Function):
    """(x^, inv) of x over the axes A, kept from the forward: on arrays the kept arrays
    themselves, under ``create_graph`` a node of x, so the norms' rules are differentiable
    again. ``inv`` has size-1 axes at A.

    Backward (n values per statistic):
        dx = inv (g1 - mean_A g1 - x^ mean_A(g1 x^)) - g2 inv^2 x^ / n
    for g1 = dL/dx^, g2 = dL/dinv (d inv / dx = -inv^2 x^ / n)."""

    @staticmethod
    def forward(ctx, x, xhat, inv, axes):
        ctx.axes = axes
        ctx.n = math.prod(x.shape[a] for a in axes)
        remember(ctx, x)
        xhat, inv = xhat.view(), inv.view()  # new arrays: saved as this node's outputs
        ctx.save_for_backward(xhat, inv)
        return xhat, inv

    @staticmethod
    def backward(ctx, g_xhat, g_inv):
        xhat, inv = ctx.saved
        m, axes, n = ctx.math, ctx.axes, ctx.n
        dx = _standardized_backward(m, g_xhat, xhat, inv, axes, n, ctx)
        dx = dx - g_inv * (inv * inv * (1.0 / n)) * xhat
        return dx, None, None, None


def _shape_text(t: Tensor) -> str:
    return str(list(t._data.shape))


# ----------------------------------------------------------------------------- batch norm

def _affine(xhat, weight, bias, place):
    """``xhat * weight + bias`` (either may be None) in a new array; ``place`` lays the
    per-feature vectors out to broadcast against ``xhat``."""
    if weight is not None:
        y = xhat * place(weight)
        if bias is not None:
            y += place(bias)
        return y
    if bias is not None:
        return xhat + place(bias)
    return xhat.copy()

class BatchNormTrain(Function):
    """Batch norm with the batch's statistics; also returns (mean, unbiased var) per channel
    (not differentiable) for the running statistics."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        xp = ctx.xp
        ctx.eps = eps
        x3 = wide(_as3d(x))  # float16: statistics in float32, rounded once at the end
        count = x3.shape[0] * x3.shape[2]
        mean = _channel_sum(x3) / count
        xhat = x3 - mean[:, None]
        var = _channel_sum(xhat * xhat) / count
        unbiased = var * (count / (count - 1)) if count > 1 else var.copy()
        inv = _inv_std(xp, var, eps)
        xhat *= inv[:, None]
        y = narrow(_affine(xhat, weight, bias, lambda a: a[:, None]), x)
        remember(ctx, x)
        mean, unbiased = narrow(mean, x), narrow(unbiased, x)
        ctx.save_for_backward(x, weight, narrow(xhat, x), narrow(inv[:, None], x))
        ctx.mark_non_differentiable(mean, unbiased)
        return y.reshape(x.shape), mean, unbiased

    @staticmethod
    def backward(ctx, grad, _mean=None, _var=None):
        if grad is None:
            return None, None, None, None
        x, weight, xhat, inv = ctx.saved
        m = ctx.math
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        x3 = _as3d(x)
        xh, iv = m.apply(_Standardized, x3, xhat, inv, (0, 2))
        g3_in = _as3d(grad)
        g3, xh, iv = up(m, ctx, g3_in), up(m, ctx, xh), up(m, ctx, iv)  # float16: in float32
        count = g3.shape[0] * g3.shape[2]
        sum_g = m.sum(m.sum(g3, 2), 0)
        sum_gx = m.sum(m.sum(g3 * xh, 2), 0)
        dx = None
        if need_x:
            # dx = w inv (g - sum(g)/n - x^ sum(g x^)/n)
            scale = iv if weight is None else iv * up(m, ctx, weight)[:, None]
            dx = g3 - (sum_g * (1.0 / count))[:, None]
            dx -= xh * (sum_gx * (1.0 / count))[:, None]  # dx: a fresh value
            dx *= scale
            dx = m.cast(dx, g3_in).reshape(x.shape)
        return (dx, (m.cast(sum_gx, g3_in) if need_w else None),
                (m.cast(sum_g, g3_in) if need_b else None), None)


class BatchNormEval(Function):
    """Batch norm with fixed statistics: y = x s + t, s = w / sqrt(rv + eps),
    t = b - rm s. dx = g s, dw = sum g (x - rm) / sqrt(rv + eps), db = sum g."""

    @staticmethod
    def forward(ctx, x, running_mean, running_var, weight, bias, eps):
        xp = ctx.xp
        inv = _inv_std(xp, running_var.astype(x.dtype, copy=True), eps)
        scale = inv if weight is None else inv * weight
        shift = -running_mean * scale
        if bias is not None:
            shift += bias
        ctx.save_for_backward(x, running_mean, weight, inv)
        x3 = _as3d(x)
        y = x3 * scale[:, None]
        y += shift[:, None]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, running_mean, weight, inv = ctx.saved
        m = ctx.math
        need_x, _, _, need_w, need_b = ctx.needs_input_grad[:5]
        g3 = _as3d(grad)
        dx = dw = db = None
        if need_x:
            scale = inv if weight is None else inv * weight
            dx = (g3 * scale[:, None]).reshape(x.shape)
        if need_w:
            xhat = (_as3d(x) - running_mean[:, None]) * inv[:, None]
            dw = m.sum(m.sum(g3 * xhat, 2), 0)
        if need_b:
            db = m.sum(m.sum(g3, 2), 0)
        return dx, None, None, dw, db, None


def _check_channels(name: str, t, c: int, what: str) -> None:
    if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
        raise RuntimeError(f"{name} should contain {c} elements not {t._data.size} ({what} of "
                           f"shape {_shape_text(t)} for an input with {c} channels)")


def _update_running(running_mean, running_var, mean, var, momentum: float) -> None:
    """running = (1 - m) running + m batch, in place, outside the graph (a new version)."""
    for running, batch in ((running_mean, mean), (running_var, var)):
        if running is None:
            continue
        data = running._data
        data *= 1.0 - momentum
        data += (batch * momentum).astype(data.dtype, copy=False)
        running._version_counter[0] += 1


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of ``input`` (N, C, *) per channel, as one node.

    ``training=True`` uses the batch's statistics (biased variance) and, when given,
    updates ``running_mean`` / ``running_var`` in place with ``momentum`` (unbiased variance
    for the running one); ``training=False`` uses the running statistics."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim < 2 and input._data.size == 0:  # nothing to normalise: an empty
        # result, still in the graph of input, weight and bias (as PyTorch returns)
        out = input * weight if weight is not None else input * 1
        return out + bias if bias is not None else out
    if input._data.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2 dimensions (N, C, *), got "
                         f"shape {_shape_text(input)}")
    if training and not eps > 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    c = input._data.shape[1]
    _check_channels("running_mean", running_mean, c, "running_mean")
    _check_channels("running_var", running_var, c, "running_var")
    _check_channels("weight", weight, c, "weight")
    _check_channels("bias", bias, c, "bias")
    eps = real_argument(eps, "eps", "batch_norm")
    if training and not eps > 0:  # eps <= 0 divides by a zero variance: NaN, silently
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps:g}")
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        return BatchNormEval.apply(input, running_mean, running_var, weight, bias, eps)
    if input._data.size // c <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType (the "
                        "cumulative average of momentum=None is computed by the BatchNorm "
                        "modules, which pass 1 / num_batches_tracked)")
    momentum = real_argument(momentum, "momentum", "batch_norm")
    y, mean, var = BatchNormTrain.apply(input, weight, bias, eps)
    if running_mean is not None or running_var is not None:
        _update_running(running_mean, running_var, mean._data, var._data, float(momentum))
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial axes (group norm with one
    channel per group). With running statistics, their update uses the batch average of the
    per-instance statistics; ``use_input_stats=False`` normalises with the running ones."""
    if input._data.ndim < 3:
        raise ValueError(f"instance_norm expects an input of at least 3 dimensions (N, C, *), "
                         f"got shape {_shape_text(input)}")
    c = input._data.shape[1]
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    y = group_norm(input, c, weight, bias, eps)
    if running_mean is not None or running_var is not None:
        x3 = _as3d(input._data)
        s = x3.shape[2]
        mean = x3.mean(axis=2)
        var = x3.var(axis=2) * (s / (s - 1) if s > 1 else 1.0)
        _update_running(running_mean, running_var, mean.mean(axis=0), var.mean(axis=0),
                        float(momentum))
    return y


# ----------------------------------------------------------------------------- layer norm
class LayerNorm(Function):
    """Standardise over the last k axes; w and b have those axes' shape."""

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        xp = ctx.xp
        ctx.k, ctx.eps = k, eps
        features = math.prod(x.shape[x.ndim - k:])
        x2 = x.reshape(-1, features)
        xhat, inv = _row_normalize(xp, x2, eps)
        y = narrow(_affine(xhat, weight, bias, lambda a: a.reshape(-1)), x)
        remember(ctx, x)
        ctx.save_for_backward(x, weight, narrow(xhat, x), narrow(inv, x))
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight, xhat, inv = ctx.saved
        m = ctx.math
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        xh, iv = m.apply(_Standardized, x.reshape(xhat.shape), xhat, inv, (1,))
        g2 = grad.reshape(xhat.shape)
        dx = dw = db = None
        if need_x:
            dxh = g2 if weight is None else g2 * weight.reshape((-1,))
            dx = _standardized_backward(m, dxh, xh, iv, (1,), xhat.shape[1], ctx)
            dx = dx.reshape(x.shape)
        if need_w:
            dw = m.cast(m.sum(up(m, ctx, g2) * up(m, ctx, xh), 0), g2).reshape(weight.shape)
        if need_b:
            db = m.cast(m.sum(up(m, ctx, g2), 0), g2).reshape(ctx.input_metadata[2][0])
        return dx, dw, db, None, None


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the last ``len(normalized_shape)`` axes, as one node."""
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(int(s) for s in shape)
    k = len(shape)
    if k == 0 or input._data.shape[input._data.ndim - k:] != shape or input._data.ndim < k:
        star = ", ".join(str(s) for s in shape)
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {star}], but got input of size{list(input._data.shape)}")
    eps = real_argument(eps, "eps", "layer_norm")
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != shape:
            raise RuntimeError(f"Expected {label} to be of same shape as normalized_shape, but "
                               f"got {label} of shape {_shape_text(t)} and normalized_shape = "
                               f"{list(shape)}")
    return LayerNorm.apply(input, weight, bias, k, eps)


# ----------------------------------------------------------------------------- group norm
class GroupNorm(Function):
    """Standardise each (sample, group of channels) over its channels and spatial axes;
    w and b per channel."""

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xp = ctx.xp
        ctx.groups, ctx.eps = groups, eps
        n, c = x.shape[0], x.shape[1]
        xhat, inv = _row_normalize(xp, x.reshape(n * groups, -1), eps)
        x3 = xhat.reshape(n, c, -1)
        y = narrow(_affine(x3, weight, bias, lambda a: a[:, None]), x)
        remember(ctx, x)
        ctx.save_for_backward(x, weight, narrow(xhat, x), narrow(inv, x))
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight, xhat, inv = ctx.saved
        m = ctx.math
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        n, c = grad.shape[0], grad.shape[1]
        xh, iv = m.apply(_Standardized, x.reshape(xhat.shape), xhat, inv, (1,))
        g3 = grad.reshape((n, c, -1))
        xh3 = xh.reshape(g3.shape)
        dx = dw = db = None
        if need_x:
            dxh = g3 if weight is None else g3 * weight[:, None]
            dx = _standardized_backward(m, dxh.reshape(xhat.shape), xh, iv, (1,),
                                        xhat.shape[1], ctx).reshape(x.shape)
        g3w = up(m, ctx, g3)
        if need_w:
            dw = m.cast(m.sum(m.sum(g3w * up(m, ctx, xh3), 2), 0), g3)
        if need_b:
            db = m.cast(m.sum(m.sum(g3w, 2), 0), g3)
        return dx, dw, db, None, None


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation of ``input`` (N, C, *) with ``num_groups`` groups of channels."""
    if not isinstance(input, Tensor):
        raise TypeError(f"group_norm(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input._data.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input._data.ndim}")
    c = input._data.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {_shape_text(input)} and "
                           f"num_groups={num_groups}")
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(f"Expected {label} to be a vector of size equal to the number of "
                               f"channels in input, but got {label} of shape {_shape_text(t)} "
                               f"and input of shape {_shape_text(input)}")
    return GroupNorm.apply(input, weight, bias, num_groups, eps)
