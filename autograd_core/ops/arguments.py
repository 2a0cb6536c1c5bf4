"""Arguments PyTorch accepts on many operations, added in one place:

- ``out=``: the result is written into a given tensor (resized when its shape differs), for
  the operation functions (``autograd_core.add(a, b, out=c)``); as in PyTorch, not while an
  argument requires grad under grad mode;
- NumPy's spellings ``axis=`` and ``keepdims=`` for ``dim=`` and ``keepdim=`` on reductions
  (functions and methods).

`install` wraps the functions of the op modules (before `autograd_core` re-exports them)
and the reduction methods of `Tensor`.
"""

from __future__ import annotations

import functools
import inspect

from .._backend import backend_of
from .._out import write_into
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor

_REDUCTIONS = ("sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "all", "any",
               "count_nonzero", "amax", "amin", "max", "min", "median", "argmax", "argmin",
               "logsumexp", "norm", "nansum", "nanmean", "nanmedian", "quantile", "nanquantile",
               "softmax", "log_softmax", "cumsum", "cumprod", "sort", "argsort", "topk",
               "kthvalue", "mode", "cummax", "cummin", "logcumsumexp", "flip", "squeeze",
               "unsqueeze", "diff", "unique")


def _numpy_names(kwargs: dict, name: str) -> dict:
    if "axis" in kwargs:
        if "dim" in kwargs:
            raise TypeError(f"{name}() got both 'dim' and its alias 'axis'")
        kwargs["dim"] = kwargs.pop("axis")
    if "keepdims" in kwargs:
        if "keepdim" in kwargs:
            raise TypeError(f"{name}() got both 'keepdim' and its alias 'keepdims'")
        kwargs["keepdim"] = kwargs.pop("keepdims")
    return kwargs


def _check_overlap(name: str, out, inputs) -> None:
    """PyTorch's refusals: an ``out`` whose elements alias each other, or an input."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            continue
        if o.numel() > 1 and 0 in o._data.strides:
            raise RuntimeError(f"{name}(): unsupported operation: more than one element of the "
                               f"written-to tensor refers to a single memory location. Please "
                               f"clone() the tensor before performing the operation.")
        xp = backend_of(o._data).xp
        for a in inputs:
            if isinstance(a, Tensor) and type(a._data) is type(o._data) and bool(
                    xp.may_share_memory(a._data, o._data)):
                raise RuntimeError(f"{name}(): unsupported operation: some elements of the input "
                                   f"tensor and the written-to tensor refer to a single memory "
                                   f"location. Please clone() the tensor before performing the "
                                   f"operation.")


# Operations whose out= must have the result's dtype exactly (PyTorch refuses a cast there;
# elementwise ops and most reductions cast the result into out instead).
_EXACT_OUT_DTYPE = frozenset({
    "gather", "take", "index_select", "masked_select", "index_add", "amax", "amin",
    "aminmax", "multinomial", "matmul", "mm", "where", "sort", "norm", "clamp", "tril",
    "triu"})


def _check_out_dtype(name: str, out: Tensor, result: Tensor) -> None:
    if name in _EXACT_OUT_DTYPE and out.dtype != result.dtype:
        raise RuntimeError(f"{name}(): expected out tensor to have dtype {result.dtype}, but got "
                           f"{out.dtype} instead; pass an out of dtype {result.dtype} or assign "
                           f"the result and convert it with .to()")


def _write_out(name: str, out, result):
    if isinstance(out, (tuple, list)):
        if not isinstance(result, tuple) or len(out) != len(result):
            raise TypeError(f"{name}(): out= expects a tensor for each of its "
                            f"{len(result) if isinstance(result, tuple) else 1} results")
        written = tuple(_write_out(name, o, r) for o, r in zip(out, result))
        return type(result)(*written) if hasattr(result, "_fields") else written
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    _check_out_dtype(name, out, result)
    return write_into(out, result, name)


def with_out(fn, name: str):
    """``fn`` that also takes ``out=`` (and the NumPy names when it is a reduction)."""
    numpy_names = name in _REDUCTIONS

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if numpy_names and ("axis" in kwargs or "keepdims" in kwargs):
            kwargs = _numpy_names(kwargs, name)
        out = kwargs.pop("out", None)
        if out is None:
            return fn(*args, **kwargs)
        inputs = list(args) + list(kwargs.values())
        _check_overlap(name, out, inputs)
        if is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in inputs):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               f"automatic differentiation, but one of the arguments requires "
                               f"grad.")
        return _write_out(name, out, fn(*args, **kwargs))

    return wrapper


def with_numpy_names(method, name: str):
    """A `Tensor` method that also takes ``axis=``/``keepdims=``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            kwargs = _numpy_names(kwargs, name)
        return method(self, *args, **kwargs)

    return wrapper


def install(modules) -> None:
    """Wrap each public function of ``modules`` (unless it handles ``out=`` itself) and the
    reduction methods of `Tensor`."""
    for module in modules:
        for name in getattr(module, "__all__", ()):
            fn = getattr(module, name, None)
            if not inspect.isfunction(fn) or "out" in inspect.signature(fn).parameters:
                continue
            setattr(module, name, with_out(fn, name))
    for name in _REDUCTIONS:
        method = getattr(Tensor, name, None)
        if method is not None and not getattr(method, "_numpy_names", False):
            wrapped = with_numpy_names(method, name)
            wrapped._numpy_names = True
            setattr(Tensor, name, wrapped)
