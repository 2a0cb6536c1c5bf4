"""Determinants: ``det``, ``slogdet`` and ``logdet``.

    d det(A) / dA = det(A) A^{-T}          d log|det A| / dA = A^{-T}

(the inverse goes through the `Inv` primitive, so the gradient is differentiable again).
"""

from __future__ import annotations

from .._teaching import Input, Rule
from ..function import Function
from ..tensor import Tensor
from ._common import check_matrix, results
from ._lu_array import quiet
from .solve import Inv

SlogdetResult = results("linalg_slogdet", "sign", "logabsdet")


class Det(Function):
    """y = det A:  dL/dA = g y A^{-T}; 0 where det A = 0 exactly (PyTorch's convention for a
    singular matrix)."""

    rule = Rule("y = det A", r"y = \det A",
                Input("A", "dy/dA = y A^-T", r"\frac{\partial y}{\partial A} = y\, A^{-\top}",
                      "g y A^-T", r"g\, y\, A^{-\top}"))

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.asarray(ctx.xp.linalg.det(a))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, y = ctx.saved
        m = ctx.math
        with quiet(ctx.xp):
            inv_t = m.mT(m.apply(Inv, a, False))
            out = (grad * y)[..., None, None] * inv_t
            return m.where((y == 0)[..., None, None], m.zeros_like(out), out)


class Slogdet(Function):
    """(sign, log|det A|):  dL/dA = g A^{-T} (the sign is piecewise constant)."""

    @staticmethod
    def forward(ctx, a):
        sign, logabs = ctx.xp.linalg.slogdet(a)
        sign, logabs = ctx.xp.asarray(sign), ctx.xp.asarray(logabs)
        ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(a)
        return sign, logabs

    @staticmethod
    def backward(ctx, _grad_sign, grad):
        (a,) = ctx.saved
        m = ctx.math
        return grad[..., None, None] * m.mT(m.apply(Inv, a, False))


def det(A: Tensor) -> Tensor:
    """The determinant of a (batch of) square matrix."""
    check_matrix("linalg.det", A, square=True)
    return Det.apply(A)


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det A|): the determinant without overflow; sign 0 and -inf if singular."""
    check_matrix("linalg.slogdet", A, square=True)
    return SlogdetResult(*Slogdet.apply(A))


def logdet(A: Tensor) -> Tensor:
    """log det A: nan where det A < 0, -inf where it is 0 (= log|det A| + log(sign))."""
    check_matrix("logdet", A, square=True)
    sign, logabs = Slogdet.apply(A)
    return logabs + sign.log()
