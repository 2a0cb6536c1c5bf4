"""The affine layer as one node, and the embedding lookup (a linear map of a one-hot code).

Linear: for x of shape (..., in), W (out, in), b (out,), with X the (n, in) matrix of all
leading positions and G = dL/dY the matching (n, out) matrix,

    Y = X W^T + b      dL/dX = G W      dL/dW = G^T X      dL/db = sum_rows G

Each gradient is one GEMM (or one sum) on the reshaped 2-D views, whatever the number of
leading dimensions. The node keeps x only if W needs a gradient and W only if x does.

Embedding: y[..] = W[idx[..]], the rows of W picked by integer indices (= one_hot(idx) W).
Backward adds each output gradient row into the row of W it came from; the ``padding_idx``
row gets no gradient.

Both backward rules are written with Tensor operations when a graph is recorded
(``create_graph=True``), so they are differentiable again; a plain backward works on
arrays directly.
"""

from __future__ import annotations

import math

from ...function import Function
from ...tensor import Tensor, _wrap

__all__ = ["linear", "embedding"]

_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
                "int32": "Int", "bool": "Bool"}


class Linear(Function):
    """y = x W^T + b over the last dimension of x (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        out_features = weight.shape[0]
        if x.ndim == 2:
            out = x @ weight.T
            if bias is not None:
                out += bias
            return out
        lead = x.shape[:-1]
        out = x.reshape(math.prod(lead), x.shape[-1]) @ weight.T
        if bias is not None:
            out += bias
        return out.reshape(lead + (out_features,))

    @staticmethod
    def backward_arrays(ctx, grad):
        """The plain backward: three array expressions, no Tensor in between."""
        x, weight = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad
        meta = ctx._input_meta
        if grad.ndim == 2:
            g2 = grad
        else:
            out_features = grad.shape[-1]
            n = grad.size // out_features if out_features else math.prod(grad.shape[:-1])
            g2 = grad.reshape(n, out_features)
        dx = dw = db = None
        if need_x:
            dx = g2 @ weight
            if dx.shape != meta[0][0]:
                dx = dx.reshape(meta[0][0])
        if need_w:
            dw = g2.T @ (x if x.ndim == 2 else x.reshape(g2.shape[0], x.shape[-1]))
        if need_b:
            db = _sum_to_bias(g2.sum(axis=0), meta[2][0])
        return dx, dw, db

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        x_shape = ctx._input_meta[0][0] if need_x else None
        out_features = grad.shape[-1]
        n = grad.numel() // out_features if out_features else math.prod(grad.shape[:-1])
        g2 = grad if grad.ndim == 2 else grad.reshape(n, out_features)
        dx = dw = db = None
        if need_x:
            dx = (g2 @ weight).reshape(x_shape)
        if need_w:
            dw = g2.mT @ (x if x.ndim == 2 else x.reshape(n, x.shape[-1]))
        if need_b:
            db = g2.sum(0)
            bias_shape = ctx._input_meta[2][0]
            if tuple(db.shape) != tuple(bias_shape):
                db = db.sum().reshape(bias_shape)
        return dx, dw, db


def _sum_to_bias(db, bias_shape):
    """The bias gradient for a bias broadcast from a single element."""
    if db.shape == tuple(bias_shape):
        return db
    return db.sum().reshape(bias_shape)


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

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.padding_idx = padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        ctx.save_for_backward(idx)
        return ctx.xp.take(weight, idx, axis=0)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        shape = ctx._input_meta[0][0]
        flat = idx.reshape(-1)
        rows = grad.reshape(-1, shape[1])
        keep = None
        if ctx.padding_idx is not None:
            keep = (flat != ctx.padding_idx).to(grad.dtype).unsqueeze(1)
        if ctx.scale_grad_by_freq:
            counts = _wrap(ctx.xp.bincount(flat._data, minlength=shape[0]))
            inv = (1.0 / counts.index_select(0, flat).to(grad.dtype)).unsqueeze(1)
            keep = inv if keep is None else keep * inv
        if keep is not None:
            rows = rows * keep
        dw = grad.new_zeros(shape).index_add(0, flat, rows)
        return dw, None, None, None


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
    if a.size and type(a).__module__ == "numpy":  # a cheap host check (no device sync)
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= n:
            raise IndexError(f"index out of range in self (embedding: index "
                             f"{hi if hi >= n else lo} for a table of {n} rows)")
    return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)
