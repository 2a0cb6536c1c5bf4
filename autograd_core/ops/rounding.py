"""Rounding and cleaning of values, pointwise: floor, ceil, trunc, round, sign, frac,
nan_to_num.

    floor, ceil, round, trunc, sign:  dL/dx = 0 (piecewise constant)
    frac = x - trunc(x):              dL/dx = g
    nan_to_num:                       dL/dx = g where x was finite, else 0

These keep the input's dtype; on integer tensors the rounding functions return a copy.
"""

from __future__ import annotations

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor, _wrap
from ._pointwise import _array, _check, attach


# ----------------------------------------------------------------------------- rounding
class _PiecewiseConstant(Function):
    """Functions that are constant between jumps: the gradient is 0 almost everywhere."""

    @staticmethod
    def backward(ctx, grad):
        return (ctx.math.zeros_like(grad),) + (None,) * (len(ctx.needs_input_grad) - 1)


class Floor(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Trunc(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


class Round(_PiecewiseConstant):
    """Round half to even, to ``decimals`` decimal places."""

    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals) if decimals else ctx.xp.rint(x)


class Sign(_PiecewiseConstant):
    """-1, 0 or 1; 0 for NaN, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        out = _array(ctx.xp, ctx.xp.sign(x), x)
        return ctx.xp.nan_to_num(out, copy=False) if out.dtype.kind == "f" else out


class Frac(Function):
    """y = x - trunc(x),  dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class NanToNum(Function):
    """NaN and +-inf replaced by finite numbers; the gradient passes where x was finite."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return ctx.xp.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        m = ctx.math
        return m.where(m.isfinite(x), grad, 0.0), None, None, None


# ----------------------------------------------------------------------------- functions
def _keep_integers(input, name: str, op) -> Tensor:
    _check(input, name)
    if not _dt.is_floating_array(input._data.dtype):  # integers are already whole numbers
        return _wrap(input._data.copy())
    return op.apply(input)


def floor(input: Tensor) -> Tensor:
    return _keep_integers(input, "floor", Floor)


def ceil(input: Tensor) -> Tensor:
    return _keep_integers(input, "ceil", Ceil)


def trunc(input: Tensor) -> Tensor:
    return _keep_integers(input, "trunc", Trunc)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001  (PyTorch's name)
    """Round half to even; ``decimals`` > 0 rounds to that many decimal places, < 0 to tens,
    hundreds, ..."""
    _check(input, "round")
    if not _dt.is_floating_array(input._data.dtype):
        if decimals != 0:
            raise NotImplementedError(
                f"round with decimals={decimals} is not implemented for {input.dtype} "
                "tensors; convert to float first, e.g. x.float().round(decimals=...)"
            )
        return _wrap(input._data.copy())
    return Round.apply(input, int(decimals))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 (bool tensors are returned unchanged)."""
    _check(input, "sign")
    if input._data.dtype.kind == "b":
        return _wrap(input._data.copy())
    return Sign.apply(input)


def frac(input: Tensor) -> Tensor:
    """The fractional part ``x - trunc(x)`` (same sign as x)."""
    _check(input, "frac")
    if not _dt.is_floating_array(input._data.dtype):
        raise NotImplementedError(
            f"frac is not implemented for {input.dtype} tensors (integers have no fractional "
            "part); convert to float first, e.g. x.float().frac()"
        )
    return Frac.apply(input)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan`` and +-inf by ``posinf``/``neginf`` (default: the dtype's
    largest/smallest finite values)."""
    _check(input, "nan_to_num")
    if not _dt.is_floating_array(input._data.dtype):
        return _wrap(input._data.copy())
    return NanToNum.apply(input, float(nan), None if posinf is None else float(posinf),
                          None if neginf is None else float(neginf))


fix = trunc
sgn = sign

_METHODS = {
    "floor": floor, "ceil": ceil, "trunc": trunc, "fix": trunc, "round": round, "sign": sign,
    "sgn": sign, "frac": frac, "nan_to_num": nan_to_num,
}
attach(_METHODS)

__all__ = ["floor", "ceil", "trunc", "fix", "round", "sign", "sgn", "frac", "nan_to_num"]
