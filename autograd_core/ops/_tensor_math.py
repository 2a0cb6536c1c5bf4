"""The Tensor side of the backward rules' math namespace (see `autograd_core._rule_math`):
the same names as the array side, as differentiable operations, so that a rule run under
``create_graph=True`` records the graph of the gradient."""

from __future__ import annotations

from ..tensor import Tensor, _wrap


class TensorMath:
    """``ctx.math`` when the gradient is recorded: each name is the library's operation."""

    def __init__(self, modules) -> None:
        self._functions = {}
        for module in modules:
            for name in getattr(module, "__all__", ()):
                self._functions.setdefault(name, getattr(module, name))

    def __getattr__(self, name: str):
        from .._rule_math import _tensor_functions

        try:
            f = _tensor_functions[name] if name in _tensor_functions else \
                self.__dict__["_functions"][name]
        except KeyError:
            raise AttributeError(f"the backward-rule namespace has no function {name!r}") from None
        self.__dict__[name] = f
        return f

    @staticmethod
    def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
        if axis is None:
            return x.sum() if not keepdims else x.sum(dim=tuple(range(x.ndim)), keepdim=True)
        return x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
        if axis is None:
            return x.mean() if not keepdims else x.mean(dim=tuple(range(x.ndim)), keepdim=True)
        return x.mean(dim=axis, keepdim=keepdims)

    @staticmethod
    def mT(x: Tensor) -> Tensor:
        return x.mT

    @staticmethod
    def conj(x):
        """conj(x), differentiable; a real Tensor or number is returned as is."""
        if isinstance(x, Tensor):
            if x._data.dtype.kind != "c":
                return x
            from .complex import Conj

            return Conj.apply(x)
        return x.conjugate() if type(x) is complex else x

    @staticmethod
    def real(x):
        """Re x, differentiable; a real Tensor or number is returned as is."""
        if isinstance(x, Tensor):
            from .complex import real

            return real(x)
        return x.real if type(x) is complex else x

    @staticmethod
    def swapaxes(x: Tensor, a: int, b: int) -> Tensor:
        return x.transpose(a, b)

    @staticmethod
    def permute(x: Tensor, axes) -> Tensor:
        return x.permute(tuple(axes))

    @staticmethod
    def sum_to(g: Tensor, shape) -> Tensor:
        from ._broadcast import sum_to

        return sum_to(g, tuple(shape))

    @staticmethod
    def broadcast_to(x: Tensor, shape) -> Tensor:
        return x.broadcast_to(shape)

    @staticmethod
    def zeros(shape, like: Tensor) -> Tensor:
        return like.new_zeros(shape)

    @staticmethod
    def zeros_like(x: Tensor) -> Tensor:
        return x.new_zeros(x.shape)

    @staticmethod
    def ones_like(x: Tensor) -> Tensor:
        return x.new_ones(x.shape)

    @staticmethod
    def const(array) -> Tensor:
        return array if isinstance(array, Tensor) else _wrap(array)

    @staticmethod
    def cast(x: Tensor, like: Tensor) -> Tensor:
        return x if x._data.dtype == like._data.dtype else x.to(like.dtype)

    @staticmethod
    def apply(fn, *args, **kwargs):
        return fn.apply(*args, **kwargs)

    @staticmethod
    def maximum(a, b) -> Tensor:
        """Rules write ``m.maximum(x, 0.0)``; PyTorch's ``maximum`` takes two Tensors only."""
        from .selection import Maximum, _tensor_pair

        return Maximum.apply(*_tensor_pair(a, b, "maximum", strict=False))

    @staticmethod
    def minimum(a, b) -> Tensor:
        from .selection import Minimum, _tensor_pair

        return Minimum.apply(*_tensor_pair(a, b, "minimum", strict=False))
