"""Machinery shared by the pointwise functions of one tensor (`unary`, `trig`, `special`,
`rounding`): argument checks, the integer-to-float rule, `Function` bases that apply an
array-module ufunc and save the input or the output, and the attaching of the functions
as `Tensor` methods with their in-place ``name_`` variants.
"""

from __future__ import annotations

from .. import dtypes as _dt
from .._backend import as_array
from ..function import Function
from ..tensor import Tensor


def _check(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def _floating(input, name: str, complex_ok: bool = False) -> Tensor:
    """``input``, or a default-float copy of an integer/bool tensor (a complex one as is
    where the function has a complex rule, ``complex_ok``)."""
    _check(input, name)
    kind = input._data.dtype.kind
    if kind == "f" or input.dtype is _dt.bfloat16:
        return input
    if kind == "c":
        if complex_ok:
            return input
        raise NotImplementedError(
            f"{name}() is not implemented for complex tensors here (got {input.dtype}); apply it "
            f"to the real parts (z.real, z.imag, z.abs()); exp, log, sqrt, * / ** @ take "
            f"complex tensors")
    return input.to(_dt.get_default_dtype())


def _array(xp, out, x):
    """``out`` as an array (not a NumPy scalar), so that a saved output is found by identity
    (and saved as the output tensor, not as a constant)."""
    return as_array(out, xp)


class _OfInput(Function):
    """y = f(x) with the array module's ``ufunc``; x is saved for the backward rule."""

    ufunc = ""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return getattr(ctx.xp, type(ctx).ufunc)(x)


class _OfOutput(Function):
    """y = f(x) with the array module's ``ufunc``; y is saved for the backward rule."""

    ufunc = ""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, getattr(ctx.xp, type(ctx).ufunc)(x), x)
        ctx.save_for_backward(out)
        return out


def _float_function(op: type[Function], name: str, complex_ok: bool = False):
    """The function ``name(input)`` applying ``op`` (integer inputs become floats; complex
    ones are refused unless ``complex_ok``)."""

    def function(input: Tensor) -> Tensor:
        x = _floating(input, name, complex_ok)
        if x.dtype is _dt.bfloat16:  # computed in float32 and rounded, as PyTorch's CPU does
            return op.apply(x.float()).to(_dt.bfloat16)
        return op.apply(x)

    function.__name__ = function.__qualname__ = name
    function.__module__ = op.__module__  # the module that defines ``name`` (for pickle)
    function.__doc__ = op.__doc__
    # resolved, since ``Tensor`` is not a name in op.__module__ (typing.get_type_hints, pdoc)
    function.__annotations__ = {"input": Tensor, "return": Tensor}
    return function


def _inplace_method(fn, name: str):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        from ._inplace import apply_inplace

        return apply_inplace(self, lambda t, *a: fn(t, *a, **kwargs), *args, op_name=name)

    method.__name__ = name
    method.__doc__ = f"In-place version of `{fn.__name__}`."
    return method


def attach(methods: dict, inplace: dict | None = None) -> None:
    """Attach ``methods`` (name -> function) to `Tensor`, then an in-place ``name_`` for
    each, unless the in-place module already provides it; ``inplace`` may give a special
    in-place version by name."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    for name, fn in methods.items():
        if not hasattr(Tensor, name + "_"):
            special = None if inplace is None else inplace.get(name)
            setattr(Tensor, name + "_", special if special is not None else
                    _inplace_method(fn, name + "_"))
