"""The affine layer as one node, and the embedding lookup (a linear map of a one-hot code).

Linear: for x of shape (..., in), W (out, in), b (out,), with X the (n, in) matrix of all
leading positions and G = dL/dY the matching (n, out) matrix,

    Y = X W^T + b      dL/dX = G W      dL/dW = G^T X      dL/db = sum_rows G

Each gradient is one GEMM (or one sum) on the reshaped 2-D views, whatever the number of
leading dimensions. The node keeps x only if W needs a gradient and W only if x does.

Embedding: y[..] = W[idx[..]], the rows of W picked by integer indices (= one_hot(idx) W).
Backward adds each output gradient row into the row of W it came from; the ``padding_idx``
row gets no gradient.

Both backward rules are written once against the rule namespace ``ctx.math``: array code
in a plain backward, differentiable again under ``create_graph=True``.
"""

from __future__ import annotations

import math

from ..._backend import check_index_bounds
from ..._teaching import Input, Rule
from ...function import Function
from ...tensor import Tensor
from ..indexing import _add_at

__all__ = ["linear", "embedding"]

_TORCH_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


class Linear(Function):
    """y = x W^T + b over the last dimension of x (see the module docstring)."""

    rule = Rule("Y = X @ W^T + b", r"Y = X W^{\top} + b",
                Input("X", "dY_nj/dX_nk = W_jk", r"\frac{\partial Y_{nj}}{\partial X_{nk}} = W_{jk}",
                      "G @ W", r"G\, W"),
                Input("W", "dY_nj/dW_jk = X_nk", r"\frac{\partial Y_{nj}}{\partial W_{jk}} = X_{nk}",
                      "G^T @ X", r"G^{\top} X"),
                Input("b", "dY_nj/db_j = 1", r"\frac{\partial Y_{nj}}{\partial b_j} = 1",
                      "sum of G over the rows", r"\textstyle\sum_n G_{n,:}"))

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        out_features = weight.shape[0]
        lead = x.shape[:-1]
        out = (x if x.ndim == 2 else x.reshape(math.prod(lead), x.shape[-1])) @ weight.T
        if bias is not None:
            out += bias
        if out.dtype != x.dtype:  # bfloat16 multiplies into float32: rounded once, as PyTorch's CPU
            out = out.astype(x.dtype)
        return out if x.ndim == 2 else out.reshape(lead + (out_features,))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        need_x, need_w, need_b = ctx.needs_input_grad
        meta = ctx.input_metadata
        if grad.ndim == 2:
            g2 = grad
        else:
            out_features = grad.shape[-1]
            n = math.prod(grad.shape[:-1])
            g2 = grad.reshape((n, out_features))
        dx = dw = db = None
        if need_x:
            dx = g2 @ weight
            if dx.shape != meta[0][0]:
                dx = dx.reshape(meta[0][0])
        if need_w:
            dw = g2.T @ (x if x.ndim == 2 else x.reshape((g2.shape[0], x.shape[-1])))
        if need_b:
            db = ctx.math.sum(g2, 0)  # (a bias of one element: summed by the engine)
        return dx, dw, db


def _name(t: Tensor) -> str:
    return _TORCH_NAMES.get(str(t._data.dtype), str(t._data.dtype))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,) or None: one node."""
    try:  # the hot path: everything consistent, checked in one expression
        xd, wd = x._data, weight._data
        if (wd.ndim == 2 and xd.ndim and xd.shape[-1] == wd.shape[1] and xd.dtype == wd.dtype
                and (bias is None or (bias._data.dtype == xd.dtype
                                      and bias._data.shape == (wd.shape[0],)))):
            return Linear.apply(x, weight, bias)
    except AttributeError:
        pass
    return _linear_checked(x, weight, bias)


def _linear_checked(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """`linear` for the less common cases (1-D weight, a bias of one element) and errors."""
    for name, t in (("input", x), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' must be Tensor, not {type(bias).__name__}")
    if weight._data.ndim != 2:  # PyTorch allows a 1-D weight: a dot product over the last dim
        if weight._data.ndim == 1:
            out = x @ weight
            return out if bias is None else out + bias
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D (out_features, in_features), "
                           f"got shape {list(weight.shape)}")
    xs = x._data.shape
    if x._data.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D "
                           "and 2D")
    if xs[-1] != weight._data.shape[1]:
        rows = math.prod(xs[:-1])
        cols = xs[-1]
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{weight._data.shape[1]}x{weight._data.shape[0]}) (linear: the input's last "
            f"dimension must equal in_features={weight._data.shape[1]}; input shape "
            f"{list(xs)})")
    if x._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_name(x)} and "
                           f"{_name(weight)}; convert one, e.g. x.to(weight.dtype)")
    if bias is not None:
        if bias._data.dtype != x._data.dtype:
            raise RuntimeError(f"linear(): bias must have the input's dtype {_name(x)}, "
                               f"got {_name(bias)}")
        if bias._data.size != 1 and bias._data.shape != (weight._data.shape[0],):
            raise RuntimeError(f"linear(): bias of shape {list(bias.shape)} does not match "
                               f"out_features={weight._data.shape[0]}")
    return Linear.apply(x, weight, bias)


# ----------------------------------------------------------------------------- embedding
class Embedding(Function):
    """y = W[idx]: row lookup. dW[r] = sum of the gradient rows whose index is r
    (scaled by 1/count(r) with ``scale_grad_by_freq``), 0 for the padding row."""

    rule = Rule("Y = W[idx] (rows of W)", r"Y = W_{\mathrm{idx},:}",
                Input("W", "dY_k/dW_idx_k = 1", r"\frac{\partial Y_k}{\partial W_{\mathrm{idx}_k}} = 1",
                      "rows of G added into the rows of W used", r"\bar W[\mathrm{idx}] \mathrel{+}= G"))

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq, safe=None):
        xp = ctx.xp
        ctx.save_for_backward(idx)  # version-checked at backward
        if safe is not None:  # the bounds-checked indices to read with
            idx = safe
        flat = ctx.flat = idx.reshape(-1)
        scale = None  # a factor per looked-up row: 0 at padding, 1/count with the option
        if padding_idx is not None:
            scale = (flat != padding_idx).astype(weight.dtype)[:, None]
        if scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=weight.shape[0])
            inv = (1.0 / xp.take(counts, flat).astype(weight.dtype))[:, None]
            scale = inv if scale is None else scale * inv
        ctx.row_scale = scale
        return xp.take(weight, idx, axis=0)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved  # version-checked: the indices must not change before backward
        m = ctx.math
        shape = ctx.input_metadata[0][0]
        rows = grad.reshape((-1, shape[1]))
        if ctx.row_scale is not None:
            rows = rows * m.const(ctx.row_scale)
        return m.apply(_AddRows, rows, ctx.flat, shape[0]), None, None, None, None


class _AddRows(Function):
    """dW = zeros(n, d) with row idx_k += rows_k (the embedding gradient: one scatter-add).

    Backward: d rows_k = g[idx_k] (a gather of the rows)."""

    @staticmethod
    def forward(ctx, rows, flat, n):
        xp = ctx.xp
        ctx.flat = flat
        d = rows.shape[1]
        out = xp.zeros((n, d), dtype=rows.dtype)
        positions = (flat[:, None] * d + xp.arange(d)).reshape(-1)
        _add_at(xp, out.reshape(-1), positions, rows.reshape(-1))
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.math.const(ctx.flat)], None, None


def embedding(idx: Tensor, weight: Tensor, padding_idx: int | None = None,
              scale_grad_by_freq: bool = False) -> Tensor:
    """``weight[idx]`` for an integer tensor ``idx`` of any shape: (*idx.shape, dim)."""
    if not isinstance(idx, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("embedding(): input and weight must be Tensors")
    if idx._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {idx.dtype} instead (call .long() on the indices)")
    if weight._data.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{list(weight.shape)}")
    if type(idx._data) is not type(weight._data):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {idx.device} and {weight.device}! (in embedding)")
    n = weight._data.shape[0]
    a = idx._data
    safe = check_index_bounds(a, n, f"index out of range in self (embedding: a table of {n} "
                                    f"rows): index")
    return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq,
                           None if safe is a else safe)
