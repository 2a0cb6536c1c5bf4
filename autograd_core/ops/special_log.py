"""Pointwise functions with a removable singularity, made exact there: ``xlogy``,
``xlog1py``, ``entr``, ``logit`` and ``sinc``.

    xlogy(x, y)   = x log y      (0 where x = 0)   d/dx = log y,                  d/dy = x / y
    xlog1py(x, y) = x log(1+y)   (0 where x = 0)   d/dx = log(1+y),               d/dy = x / (1+y)
    entr x        = -x log x     (0 at 0, -inf below)        d/dx = -(1 + log x)
    logit x       = log(x / (1 - x))  (x clamped to [eps, 1-eps])   d/dx = 1 / (x (1 - x))
    sinc x        = sin(pi x) / (pi x)  (1 at 0)                    d/dx = (cos(pi x) - sinc x) / x
"""

from __future__ import annotations

import math

from .. import dtypes as _dt
from .._teaching import Input, Rule, unary_rule
from ..function import Function
from ..tensor import Tensor
from ._operands import binary
from ._pointwise import _check, _float_function, _floating, attach
from .special_erf import _quiet


class Xlogy(Function):
    """x log y (0 where x = 0, unless y is nan): d/dx = log y, d/dy = x / y.
    (`Xlog1py` is the same with log(1 + y).)"""

    rule = Rule("y = a log b", r"y = a \log b",
                Input("a", "dy/da = log b", r"\frac{\partial y}{\partial a} = \log b", "g log b",
                      r"g \odot \log b"),
                Input("b", "dy/db = a / b", r"\frac{\partial y}{\partial b} = a / b", "g a / b",
                      r"g \odot a / b"), elementwise=True)

    shift = 0.0

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        shift = type(ctx).shift
        ctx.save_for_backward(x, y)
        with _quiet(xp):
            log = xp.log(y) if shift == 0 else xp.log1p(y)
            return xp.where((x == 0) & ~xp.isnan(y), 0.0, x * log).astype(_dtype_of(x, y))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        m = ctx.math
        need_x, need_y = ctx.needs_input_grad
        shift = type(ctx).shift
        grad_x = grad_y = None
        if need_x:
            log = m.log(y) if shift == 0 else m.log1p(y)
            grad_x = grad * log
        if need_y:
            grad_y = grad * x / (y + shift if shift else y)
        return grad_x, grad_y


def _dtype_of(x, y):
    return next(v.dtype for v in (x, y) if hasattr(v, "dtype") and getattr(v, "ndim", None)
                is not None)


class Xlog1py(Xlogy):
    """x log(1 + y) (0 where x = 0): d/dx = log(1 + y), d/dy = x / (1 + y)."""

    shift = 1.0


def _two_floats(name: str, input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                        f"{type(input).__name__} and {type(other).__name__}")
    a, b = binary(input, other)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype.kind != "f":
        dtype = _dt.get_default_dtype()
        a = a.to(dtype) if isinstance(a, Tensor) else float(a)
        b = b.to(dtype) if isinstance(b, Tensor) else float(b)
    return a, b


def xlogy(input, other) -> Tensor:
    """x log y, with 0 where x = 0 (a number on either side is fine)."""
    return Xlogy.apply(*_two_floats("xlogy", input, other))


def xlog1py(input, other) -> Tensor:
    """x log(1 + y), with 0 where x = 0."""
    return Xlog1py.apply(*_two_floats("xlog1py", input, other))


class Entr(Function):
    """-x log x (0 at 0, -inf for x < 0):  d/dx = -(1 + log x)."""

    rule = unary_rule("-a log a", r"-a \log a", "-(1 + log a)", r"-(1 + \log a)")

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        with _quiet(xp):
            out = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1.0)), 0.0)
            return xp.where(x < 0, -math.inf, xp.where(xp.isnan(x), x, out)).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * -(ctx.math.log(x) + 1.0)


class Logit(Function):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given:
    d/dx = 1 / (x (1 - x)), 0 where the clamp is active."""

    rule = Rule("y = log(a / (1 - a))", r"y = \log \frac{a}{1 - a}",
                Input("a", "dy/da = 1 / (a (1 - a))", r"\frac{\partial y}{\partial a} = \frac{1}{a(1 - a)}",
                      "g / (a (1 - a))", r"\frac{g}{a(1 - a)}"), None)

    @staticmethod
    def forward(ctx, x, eps):
        xp = ctx.xp
        ctx.eps = eps
        ctx.save_for_backward(x)
        z = x if eps is None else xp.clip(x, eps, 1.0 - eps)
        with _quiet(xp):
            return xp.log(z / (1.0 - z)).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        m = ctx.math
        out = grad / (x * (1.0 - x))
        if ctx.eps is None:
            return out, None
        inside = (x >= ctx.eps) & (x <= 1.0 - ctx.eps)
        return m.where(inside, out, m.zeros_like(out)), None


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is clamped to [eps, 1 - eps] first."""
    return Logit.apply(_floating(input, "logit"), eps)


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0:  d/dx = (cos(pi x) - sinc x) / x, 0 at 0."""

    rule = unary_rule("sin(pi a) / (pi a)", r"\frac{\sin \pi a}{\pi a}",
                      "(cos(pi a) - y) / a",
                      r"\frac{\cos \pi a - y}{a}")

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        px = x * math.pi
        with _quiet(xp):
            out = xp.where(x == 0, 1.0, xp.sin(px) / xp.where(x == 0, 1.0, px)).astype(x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        m = ctx.math
        zero = x == 0
        safe = m.where(zero, m.ones_like(x), x)
        slope = (m.cos(x * math.pi) - y) / safe
        return grad * m.where(zero, m.zeros_like(slope), slope)


entr = _float_function(Entr, "entr")
sinc = _float_function(Sinc, "sinc")


def _xlogy_method(self: Tensor, other) -> Tensor:
    _check(self, "xlogy")
    return xlogy(self, other)


attach({"logit": logit, "sinc": sinc, "xlogy": _xlogy_method})

__all__ = ["xlogy", "logit", "sinc"]
