"""Where complex tensors meet the real operations.

Imported by `autograd_core.ops` after the real families, before the public names are taken:

1. the *linear* real primitives (views, indexing, gather/scatter, sum, mean, cumsum,
   add/sub/neg, where, masked_fill, joining, copies) record complex outputs too
   (`lift_linear`): their rules need no conjugate; einsum's rule conjugates the other
   operands itself (`lift_conjugating`);
2. the nonlinear functions that have a complex rule (``* / ** @ exp log sqrt abs angle``)
   send complex operands to `complex_arith`: one check of the operands' dtype kind, the
   real path is otherwise unchanged;
3. every other primitive refuses complex operands (`refuse_complex_elsewhere`, called once
   the package is imported), and the real-only pointwise functions say so by name
   (`_pointwise._floating`): no imaginary part or gradient is dropped silently.
"""

from __future__ import annotations

import functools

from ..tensor import Tensor
from . import (
    _broadcast,
    arithmetic,
    complex_arith,
    conversion,
    copies,
    cumulative,
    einsum,
    elementwise_more,
    indexing,
    inplace,
    joining,
    linalg,
    masking,
    reduction,
    reorder,
    scatter_gather,
    selection,
    shape,
    triangular,
    unary,
)
from . import complex as _complex
from ._complex_function import ComplexFunction, lift_conjugating, lift_linear

_complex.attach_methods(copies)
lift_linear(
    shape.Reshape, shape.Permute, indexing.Slice, indexing.SliceScatter, indexing.Index,
    indexing.IndexAccumulate, reduction.Sum, reduction.Mean, arithmetic.Add, arithmetic.Sub,
    arithmetic.Neg, joining.Cat, joining.Stack, joining.Split, joining.Unbind, reorder.Flip,
    reorder.Roll, reorder.Repeat, conversion.Clone, conversion.ToDevice, _broadcast.SumTo,
    _broadcast.BroadcastTo, scatter_gather.IndexSelect, scatter_gather.IndexAdd,
    selection.Where, indexing.IndexPut, inplace.Fill, inplace.Zero, inplace.Copy,
    cumulative.Cumsum, cumulative._ReverseCumsum, triangular.Diagonal, triangular.DiagEmbed,
    scatter_gather.Gather, scatter_gather.ScatterAdd, scatter_gather.Scatter, masking.MaskedFill,
)

lift_conjugating(einsum.Einsum)


def lift_view_rebase() -> None:
    """The primitives an in-place change through a view records (loaded on first use)."""
    from . import _view_rebase

    lift_linear(_view_rebase.StridedView, _view_rebase.StridedScatter, _view_rebase.CopySlices)


def _c(x) -> bool:
    return (isinstance(x, Tensor) and x._data.dtype.kind == "c") or isinstance(x, complex)


def _binary_route(real_fn, complex_fn):
    @functools.wraps(real_fn)
    def fn(input, other, *args, **kwargs):
        if _c(input) or _c(other):
            if args or any(v is not None for v in kwargs.values()):
                raise NotImplementedError(
                    f"{real_fn.__name__}: extra arguments {args or kwargs} are not supported "
                    f"for complex tensors")
            return complex_fn(input, other)
        return real_fn(input, other, *args, **kwargs)

    return fn


def _unary_route(real_fn, complex_fn):
    @functools.wraps(real_fn)
    def fn(input, *args, **kwargs):
        if _c(input):
            return complex_fn(input, *args, **kwargs)
        return real_fn(input, *args, **kwargs)

    return fn


def _var_complex(input, *args, **kwargs):
    """var(z) = var(Re z) + var(Im z) (the mean squared distance |z - mean|^2): real."""
    return reduction.var(_complex.real(input), *args, **kwargs) + \
        reduction.var(_complex.imag(input), *args, **kwargs)


def _std_complex(input, *args, **kwargs):
    return _var_complex(input, *args, **kwargs).sqrt()


def _vdot_complex(input, other):
    return complex_arith.matmul(_complex.conj(input), other)


_ROUTES = [
    # (module, name, complex function, unary?)
    (arithmetic, "mul", complex_arith.mul, False),
    (arithmetic, "multiply", complex_arith.mul, False),
    (arithmetic, "div", complex_arith.div, False),
    (arithmetic, "divide", complex_arith.div, False),
    (arithmetic, "pow", complex_arith.pow, False),
    (linalg, "matmul", complex_arith.matmul, False),
    (linalg, "mm", complex_arith.matmul, False),
    (linalg, "bmm", complex_arith.matmul, False),
    (linalg, "mv", complex_arith.matmul, False),
    (linalg, "dot", complex_arith.matmul, False),
    (linalg, "vdot", _vdot_complex, False),
    (unary, "exp", complex_arith.exp, True),
    (unary, "log", complex_arith.log, True),
    (unary, "sqrt", complex_arith.sqrt, True),
    (unary, "abs", _complex.abs_complex, True),
    (unary, "absolute", _complex.abs_complex, True),
    (elementwise_more, "angle", _complex.angle_complex, True),
    (reduction, "var", _var_complex, True),
    (reduction, "std", _std_complex, True),
]
_routed = {}
for _module, _name, _cfn, _unary in _ROUTES:
    _real = getattr(_module, _name)
    _new = _unary_route(_real, _cfn) if _unary else _binary_route(_real, _cfn)
    setattr(_module, _name, _new)
    _routed[_real] = _new

# Tensor methods and operators bound to the functions above.
for _attr, _value in list(vars(Tensor).items()):
    if _value in _routed:
        setattr(Tensor, _attr, _routed[_value])
Tensor.vdot = linalg.vdot


_reflected = arithmetic._reflected  # refuses a non-Tensor self, as PyTorch's methods do


for _attr, _fn in (("__mul__", arithmetic.mul), ("__truediv__", arithmetic.div),
                   ("__matmul__", linalg.matmul)):
    setattr(Tensor, _attr, _fn)
Tensor.__rmul__ = _reflected(arithmetic.mul, "__rmul__")
Tensor.__rtruediv__ = Tensor.__rdiv__ = _reflected(arithmetic.div, "__rtruediv__")
Tensor.__rmatmul__ = _reflected(linalg.matmul, "__rmatmul__")
Tensor.true_divide = lambda self, other: arithmetic.div(self, other)
_real_pow_method = Tensor.__pow__


def _pow_method(self, exponent):
    if _c(self) or _c(exponent):
        return complex_arith.pow(self, exponent)
    return _real_pow_method(self, exponent)


Tensor.__pow__ = Tensor.pow = _pow_method
Tensor.__abs__ = unary.abs


def refuse_complex_elsewhere() -> None:
    """Every built-in primitive not lifted above nor complex itself refuses to make complex
    results (``Function.apply`` checks ``_complex_ok``); a subclass of a lifted primitive is
    not lifted by inheritance. Called at the end of ``autograd_core``'s import, when all of
    them are defined."""
    from ..function import Function

    lift_view_rebase()
    stack = [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if ("_complex_ok" not in sub.__dict__ and not issubclass(sub, ComplexFunction)
                    and sub.__module__.startswith("autograd_core.")):
                sub._complex_ok = False
