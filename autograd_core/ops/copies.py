"""Copying variants and small conveniences PyTorch programs (and its op list) use:
``*_copy`` ops (the view op, then a copy), ``unsafe_split``/``unsafe_chunk``,
``narrow_copy``, ``sum_to_size``, ``fill``, ``rsub``, ``scalar_tensor``, ``H``/``mH``, and the
complex-number no-ops on real tensors (``conj``, ``conj_physical``, ``resolve_conj``,
``resolve_neg``, ``real``). All compose existing primitives, so gradients are theirs.
"""

from __future__ import annotations

from .._backend import backend_of
from ..tensor import Tensor, _wrap
from . import joining, shape
from ._broadcast import sum_to
from .conversion import clone
from .selection import where


def _copy_of(view_fn, name: str):
    def fn(input: Tensor, *args, **kwargs):
        out = view_fn(input, *args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(clone(o) for o in out)
        return clone(out)

    fn.__name__ = name
    fn.__doc__ = f"A copy of ``{view_fn.__name__}(input, ...)`` (not a view)."
    return fn


def _method(name: str):
    return lambda input, *args, **kwargs: getattr(input, name)(*args, **kwargs)


expand_copy = _copy_of(lambda x, size, implicit=False: x.expand(size), "expand_copy")
permute_copy = _copy_of(shape.permute, "permute_copy")
t_copy = _copy_of(shape.t, "t_copy")
transpose_copy = _copy_of(shape.transpose, "transpose_copy")
unsqueeze_copy = _copy_of(shape.unsqueeze, "unsqueeze_copy")
squeeze_copy = _copy_of(shape.squeeze, "squeeze_copy")
view_copy = _copy_of(lambda x, *size: x.view(*size), "view_copy")
alias_copy = _copy_of(lambda x: x, "alias_copy")
diagonal_copy = _copy_of(_method("diagonal"), "diagonal_copy")
unfold_copy = _copy_of(_method("unfold"), "unfold_copy")
unbind_copy = _copy_of(joining.unbind, "unbind_copy")
split_with_sizes_copy = _copy_of(joining.split_with_sizes, "split_with_sizes_copy")
def narrow_copy(input: Tensor, dim: int, start, length: int) -> Tensor:
    """A copy of ``narrow(input, dim, start, length)``; a ``dim`` out of range is PyTorch's
    RuntimeError here for a dim past the last (``narrow`` raises IndexError; so do both for a
    negative dim out of range)."""
    if isinstance(input, Tensor) and isinstance(dim, int) and input.ndim and dim >= input.ndim:
        raise RuntimeError(f"narrow_copy(): Expected dim < {input.ndim} (the number of "
                           f"dimensions), but got dim = {dim}")
    return clone(joining.narrow(input, dim, start, length))
unsafe_split = joining.split
unsafe_chunk = joining.chunk


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to ``size`` (which it must broadcast from)."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    lead = input._data.ndim - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, input._data.shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, input.shape))}}}.")
    return sum_to(input, tuple(size))


def fill(input: Tensor, value) -> Tensor:
    """A tensor like ``input`` filled with ``value`` (the gradient to ``input`` is zero)."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    if isinstance(value, Tensor):
        value = value.to(input.dtype)
    everywhere = _wrap(backend_of(input._data).xp.ones(input._data.shape, dtype=bool))
    return where(everywhere, value, input)


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha * input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' must be Tensor, not {type(input).__name__}")
    return other - (input if alpha == 1 else input * alpha)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding ``s`` (default dtype float)."""
    from ..dtypes import get_default_dtype
    from ..factories import tensor

    return tensor(float(s) if dtype is None else s, dtype=dtype or get_default_dtype(),
                  device=device, requires_grad=requires_grad)


def _identity(name: str):
    def fn(input: Tensor) -> Tensor:
        return input

    fn.__name__ = name
    fn.__doc__ = "``input`` itself: a real tensor is its own conjugate / real part."
    return fn


conj = _identity("conj")
resolve_conj = _identity("resolve_conj")
resolve_neg = _identity("resolve_neg")
real = _identity("real")


def conj_physical(input: Tensor) -> Tensor:
    """A copy of ``input`` (real tensors are their own conjugate)."""
    return clone(input)


Tensor.H = property(lambda self: shape.t(self) if self._data.ndim == 2 else _h_error(self))
Tensor.mH = property(lambda self: self.mT)


def _h_error(self: Tensor):
    if self._data.ndim == 0:
        return self
    raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                       f"{self._data.ndim}-D tensor.")


for _fn in (sum_to_size, conj, resolve_conj, resolve_neg, conj_physical, narrow_copy):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.unsafe_split = joining.split
Tensor.unsafe_chunk = joining.chunk
Tensor.fill = fill
Tensor.rsub = rsub

__all__ = ["expand_copy", "permute_copy", "t_copy", "transpose_copy", "unsqueeze_copy",
           "squeeze_copy", "view_copy", "alias_copy", "diagonal_copy", "unfold_copy",
           "unbind_copy", "split_with_sizes_copy", "narrow_copy", "unsafe_split", "unsafe_chunk",
           "fill", "rsub", "scalar_tensor", "conj", "conj_physical", "resolve_conj",
           "resolve_neg", "real"]
