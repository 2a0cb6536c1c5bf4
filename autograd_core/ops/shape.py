"""Views that rearrange elements without changing them: reshape, transpose, permute,
squeeze, unsqueeze. Their gradients apply the inverse rearrangement:

    y = reshape(x, s)         =>  dL/dx = reshape(dL/dy, x.shape)
    y = permute(x, p)         =>  dL/dx = permute(dL/dy, argsort(p))

The result shares its array with the input when NumPy/CuPy can make a view, as PyTorch's
views do (so they share the version counter too).
"""

from __future__ import annotations

from ..function import Function
from ..tensor import Tensor, _normalize_dim


def _share_version(out: Tensor, base: Tensor) -> Tensor:
    """A view shares its base's version counter, so in-place changes are seen by both."""
    if out._data.base is not None or out._data is base._data:
        out._version_counter = base._version_counter
        out._base = base if base._base is None else base._base
    return out


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return grad.permute(tuple(inverse)), None


def _infer_shape(shape, numel: int, in_shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel} (input shape "
            f"{list(in_shape)})"
        )
    return shape


def _shape_args(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    target = _infer_shape(_shape_args(shape), input._data.size, input._data.shape)
    if target == input._data.shape:
        return input
    return _share_version(Reshape.apply(input, target), input)


def view(input: Tensor, *shape) -> Tensor:
    """Like `reshape`, but refuses when no view is possible, as PyTorch does."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return input.to(shape[0])
    target = _infer_shape(_shape_args(shape), input._data.size, input._data.shape)
    out = reshape(input, target)
    if out is not input and out._data.base is None and input._data.size > 0:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (input shape "
            f"{list(input.shape)} is not contiguous). Use .reshape(...) instead."
        )
    return out


def permute(input: Tensor, *dims) -> Tensor:
    dims = _shape_args(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    axes = tuple(_normalize_dim(d, n) for d in dims)
    if len(set(axes)) != n:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims})")
    if axes == tuple(range(n)):
        return input
    return _share_version(Permute.apply(input, axes), input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input._data.ndim
    if n == 0:
        return input
    d0, d1 = _normalize_dim(dim0, n), _normalize_dim(dim1, n)
    if d0 == d1:
        return input
    axes = list(range(n))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return _share_version(Permute.apply(input, tuple(axes)), input)


def t(input: Tensor) -> Tensor:
    """Transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def _T(self: Tensor) -> Tensor:
    n = self._data.ndim
    return permute(self, tuple(range(n - 1, -1, -1))) if n > 1 else self


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    n = input._data.ndim + 1
    d = _normalize_dim(dim, n)
    shape = list(input._data.shape)
    shape.insert(d, 1)
    return reshape(input, tuple(shape))


def squeeze(input: Tensor, dim=None) -> Tensor:
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {_normalize_dim(d, len(shape)) for d in dims} if shape else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(input, new)


Tensor.reshape = reshape
Tensor.view = view
Tensor.permute = permute
Tensor.transpose = transpose
Tensor.swapaxes = transpose
Tensor.swapdims = transpose
Tensor.t = t
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.unsqueeze = unsqueeze
Tensor.squeeze = squeeze

__all__ = ["reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze",
           "squeeze", "broadcast_to"]
swapaxes = transpose
swapdims = transpose
from ._broadcast import broadcast_to  # noqa: E402
