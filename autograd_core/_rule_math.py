"""The math namespace a backward rule is written against (``ctx.math``).

A rule is written once and runs on two kinds of values: raw arrays in a plain
``loss.backward()``, Tensors under ``create_graph=True``. Operators, ``[..., None]`` and
``.reshape`` already mean the same on both (``.mT`` does not: CuPy arrays lack it, so it is
``m.mT(x)``); everything else a rule needs comes from this
namespace, which has one implementation per kind of value:

- `ArrayMath` (one per array module): NumPy's or CuPy's functions, with the 0-d results
  NumPy turns into scalars made arrays again;
- the Tensor namespace, installed by `autograd_core.ops` (the differentiable operations of
  the same names), so a rule run on Tensors records its own graph.

The vocabulary (both sides): the pointwise functions ``exp log log1p expm1 sqrt rsqrt sin cos
tanh sigmoid abs sign floor erf ...`` under PyTorch's names, ``where maximum minimum``,
``conj real imag`` (complex numbers; a real value is its own conjugate and real part, returned
as is: ``conj`` is also the plain function `conj` here, for rules that need nothing else),
``mT(x)``, ``swapaxes(x, a, b)``, ``permute(x, axes)``, ``sum(x, axis, keepdims)``,
``mean(x, axis, keepdims)``, ``concatenate(list, axis)``, ``stack(list, axis)``,
``sum_to(g, shape)`` (sum a broadcast gradient back to
``shape``), ``broadcast_to(x, shape)``, ``zeros(shape, like)``, ``zeros_like(x)``,
``const(array)`` (a forward-time array as a constant of the right kind), ``cast(x, like)``
and ``apply(Fn, *args)`` (another primitive: its forward on arrays, or its ``apply`` on
Tensors: how a rule whose gradient is itself a primitive, such as ``sum_to`` for
``broadcast_to``, stays differentiable).
"""

from __future__ import annotations

import numpy as np

from ._backend import as_array, backend_of
from ._select import select as branch_free_where

_ARRAY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2", "pow": "power", "permute": "transpose"}
_array_functions: dict = {}  # name -> f(xp, *args), registered by ops (e.g. erf)
_tensor_functions: dict = {}  # name -> f(*args) on Tensors, for kernels offered as overrides
_array_math: dict = {}
_tensor_math = None


def register_array_function(name: str, fn) -> None:
    """Give the array namespace a function NumPy/CuPy lack (``fn(xp, *args)``)."""
    _array_functions[name] = fn
    for m in _array_math.values():
        m.__dict__.pop(name, None)


def register_override(name: str, array_fn, tensor_fn) -> None:
    """A hand-written array kernel offered as an override of a rule's composed form: on arrays
    ``m.name(...)`` runs ``array_fn(xp, ...)``, on Tensors ``tensor_fn(...)`` (the composed,
    differentiable form, which the kernel must equal; a test compares them)."""
    register_array_function(name, array_fn)
    _tensor_functions[name] = tensor_fn


_REAL_NUMBERS = frozenset((float, int, bool))


def conj(x):
    """conj(x) of an array, a Tensor (differentiable) or a number. A real value is returned
    as is, not copied (NumPy's conj copies), so a rule written once for complex values costs
    a real backward one cheap call. ``m.conj`` on both sides; rules that need nothing else
    from the namespace call it directly and skip ``ctx.math``."""
    if type(x) in _REAL_NUMBERS:
        return x
    try:
        if x.dtype.kind != "c":
            return x
    except AttributeError:  # a Tensor (a rule run under create_graph) or a Python complex
        if type(x) is complex:
            return x.conjugate()
        return _tensor_math.conj(x)
    out = x.conj()  # (a NumPy 0-d array gives a scalar: made an array again)
    return out if type(out) is type(x) else as_array(out, backend_of(x).xp)


def install_tensor_math(namespace) -> None:
    """Called once by `autograd_core.ops`: the Tensor side of the vocabulary."""
    global _tensor_math
    _tensor_math = namespace


def for_tensors():
    return _tensor_math


def for_arrays(xp) -> ArrayMath:
    m = _array_math.get(xp)
    if m is None:
        m = _array_math[xp] = ArrayMath(xp)
    return m


class _UnaryKeepingArrays:
    """``xp.f`` that returns an array for a 0-d input (NumPy returns a scalar)."""

    __slots__ = ("f", "xp")

    def __init__(self, xp, f) -> None:
        self.xp, self.f = xp, f

    def __call__(self, *args):
        return as_array(self.f(*args), self.xp)


class ArrayMath:
    """The rule vocabulary on raw arrays of one array module ``xp``."""

    def __init__(self, xp) -> None:
        self.xp = xp

    def __getattr__(self, name: str):
        # a function of the array module (or a registered one), looked up once
        special = _array_functions.get(name)
        if special is not None:
            xp = self.xp

            def f(*args):
                return special(xp, *args)
        else:
            f = _UnaryKeepingArrays(self.xp, getattr(self.xp, _ARRAY_NAMES.get(name, name)))
        self.__dict__[name] = f
        return f

    def sigmoid(self, x):
        xp = self.xp
        e = xp.exp(-xp.abs(x))
        return xp.maximum(e, x >= 0) / (e + 1.0)

    def mT(self, x):
        return self.xp.swapaxes(x, -1, -2)

    conj = staticmethod(conj)

    def real(self, x):
        """Re x; a real array or number is returned as is."""
        dtype = getattr(x, "dtype", None)
        if dtype is None:
            return x.real if type(x) is complex else x
        return as_array(self.xp.real(x), self.xp) if dtype.kind == "c" else x

    def rsqrt(self, x):
        return 1.0 / self.xp.sqrt(x)

    def sum(self, x, axis=None, keepdims: bool = False):
        return as_array(x.sum(axis=axis, keepdims=keepdims), self.xp)

    def mean(self, x, axis=None, keepdims: bool = False):
        return as_array(x.mean(axis=axis, keepdims=keepdims), self.xp)

    def sum_to(self, g, shape: tuple):
        """Sum ``g`` over the axes broadcasting added to ``shape``."""
        shape = tuple(shape)
        if g.shape == shape:
            return g
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                           if n == 1 and g.shape[lead + i] != 1)
        out = g.sum(axis=axes, keepdims=True) if axes else g
        return self.xp.asarray(out).reshape(shape)

    def broadcast_to(self, x, shape):
        return self.xp.broadcast_to(x, tuple(shape))

    def zeros(self, shape, like):
        return self.xp.zeros(shape, dtype=like.dtype)

    def zeros_like(self, x):
        return self.xp.zeros(x.shape, dtype=x.dtype)

    def ones_like(self, x):
        return self.xp.ones(x.shape, dtype=x.dtype)

    def const(self, array):
        return array

    def cast(self, x, like):
        return x if x.dtype == like.dtype else x.astype(like.dtype)

    def where(self, cond, a, b):
        if self.xp is np:  # on the bits, without a branch per element (_select.py)
            out = branch_free_where(cond, a, b)
            if out is not None:
                return out
        return self.xp.where(cond, a, b)

    def apply(self, fn, *args, **kwargs):
        """Another primitive's forward, on arrays."""
        ctx = fn()
        ctx.xp = self.xp
        ctx.needs_input_grad = (False,) * len(args)
        out = fn.forward(ctx, *args, **kwargs)
        return out if type(out) is tuple else as_array(out, self.xp)
