"""Arithmetic on complex tensors: the nonlinear primitives, and the routing that sends a
complex operand of ``*``, ``/``, ``**``, ``@``, ``exp``, ``log``, ``sqrt``, ``abs``, ``angle``
to them.

For a holomorphic w = f(z) the rule is g_z = g conj(f'(z)) (PyTorch's convention, see
`_complex_function`); a real operand gets the real part of that:

    a b:   g_a = g conj(b),        g_b = g conj(a)
    a / b: g_a = g / conj(b),      g_b = -g_a conj(a / b)
    A @ B: g_A = g B^H,            g_B = A^H g
    exp:   g conj(exp z)     log: g / conj(z)     sqrt: g / (2 conj(sqrt z))
    z^p:   g conj(p z^(p-1))  (p a real number)

The linear maps (views, indexing, sum, mean, add, sub, neg, cat, ...) keep their real rules
(`_complex_function.lift_linear`). Every other real-only operation refuses complex input.
"""

from __future__ import annotations

import numbers

from .._teaching import Input, Rule, unary_rule
from ..tensor import Tensor
from ._complex_function import ComplexFunction


def _part(m, g, real: bool):
    """The gradient for an input: its real part when the input is real."""
    return m.real(g) if real else g


def _conj(m, v, is_complex: bool):
    return m.conj(v) if is_complex else v


def _is_real(x) -> bool:
    return not (hasattr(x, "dtype") and x.dtype.kind == "c") and not isinstance(x, complex)


class MulComplex(ComplexFunction):
    """y = a b;  g_a = g conj(b), g_b = g conj(a)."""

    torch_name = "Mul"

    rule = Rule("y = a * b (complex)", r"y = a\,b",
                Input("a", "dy/da = b", r"\frac{\partial y}{\partial a} = b", "g * conj(b)",
                      r"g \odot \bar{b}"),
                Input("b", "dy/db = a", r"\frac{\partial y}{\partial b} = a", "g * conj(a)",
                      r"g \odot \bar{a}"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.real = (_is_real(a), _is_real(b))
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad
        ra, rb = ctx.real
        ga = _part(m, grad * _conj(m, b, not rb), ra) if need_a else None
        gb = _part(m, grad * _conj(m, a, not ra), rb) if need_b else None
        return ga, gb


class DivComplex(ComplexFunction):
    """y = a / b;  g_a = g / conj(b), g_b = -g_a conj(y)."""

    torch_name = "Div"

    rule = Rule("y = a / b (complex)", r"y = \frac{a}{b}",
                Input("a", "dy/da = 1/b", r"\frac{\partial y}{\partial a} = \frac{1}{b}",
                      "g / conj(b)", r"\frac{g}{\bar{b}}"),
                Input("b", "dy/db = -y/b", r"\frac{\partial y}{\partial b} = -\frac{y}{b}",
                      "-g * conj(y / b)", r"-g \odot \overline{y / b}"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        ctx.real = (_is_real(a), _is_real(b))
        out = a / b
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad
        ra, rb = ctx.real
        ga = grad / _conj(m, b, not rb)
        gb = _part(m, -ga * m.conj(out), rb) if need_b else None
        return (_part(m, ga, ra) if need_a else None), gb


class ExpComplex(ComplexFunction):
    """y = e^z;  g_z = g conj(y)."""

    torch_name = "Exp"

    rule = unary_rule("exp(a)", "e^{a}", "exp(a) = y", "e^{a} = y")

    @staticmethod
    def forward(ctx, z):
        out = ctx.xp.exp(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * ctx.math.conj(out)


class LogComplex(ComplexFunction):
    """y = log z (principal branch);  g_z = g / conj(z)."""

    torch_name = "Log"

    rule = unary_rule("log(a)", r"\log a", "1/a", r"\frac{1}{a}")

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return ctx.xp.log(z)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad / ctx.math.conj(z)


class SqrtComplex(ComplexFunction):
    """y = sqrt z (principal branch);  g_z = g / (2 conj(y))."""

    torch_name = "Sqrt"

    rule = unary_rule("sqrt(a)", r"\sqrt{a}", "1/(2 sqrt(a)) = 1/(2y)",
                      r"\frac{1}{2\sqrt{a}} = \frac{1}{2y}")

    @staticmethod
    def forward(ctx, z):
        out = ctx.xp.sqrt(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad / (ctx.math.conj(out) * 2)


class PowScalarComplex(ComplexFunction):
    """y = z^p for a real number p;  g_z = g conj(p z^(p-1))."""

    torch_name = "Pow"

    @staticmethod
    def forward(ctx, z, p):
        ctx.save_for_backward(z)
        ctx.p = p
        return z ** p

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        p = ctx.p
        if p == 0:
            return grad * 0, None
        d = m_pow(ctx.math, z, p - 1) * p
        return grad * ctx.math.conj(d), None


def m_pow(m, z, p):
    return m.apply(PowScalarComplex, z, p)


class MatMulComplex(ComplexFunction):
    """Y = A @ B (both at least 2-d);  g_A = g B^H, g_B = A^H g (summed over broadcast
    batch dimensions by the engine)."""

    torch_name = "Mm"

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.real = (_is_real(a), _is_real(b))
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad
        ra, rb = ctx.real
        ga = gb = None
        if need_a:
            ga = _part(m, m.apply(MatMulComplex, grad, _conj(m, m.mT(b), not rb)), ra)
        if need_b:
            gb = _part(m, m.apply(MatMulComplex, _conj(m, m.mT(a), not ra), grad), rb)
        return ga, gb


# ----------------------------------------------------------------------------- functions
def _c(x) -> bool:
    return (isinstance(x, Tensor) and x._data.dtype.kind == "c") or isinstance(x, complex)


def mul(input, other) -> Tensor:
    from ._operands import binary

    a, b = binary(input, other)
    return MulComplex.apply(a, b)


def div(input, other) -> Tensor:
    from ._operands import binary

    a, b = binary(input, other)
    return DivComplex.apply(a, b)


def pow(input, exponent) -> Tensor:  # noqa: A001
    if isinstance(input, Tensor) and isinstance(exponent, numbers.Real):
        return PowScalarComplex.apply(input, float(exponent))
    raise NotImplementedError(
        "pow of a complex tensor is supported for a real-number exponent only (got "
        f"{type(exponent).__name__}); write exp(b * log(a)) for complex exponents")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"matmul(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input._data.dtype != other._data.dtype:  # PyTorch does not promote in matmul
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {input.dtype} != "
                           f"{other.dtype}; cast one, e.g. b.to(a.dtype)")
    a, b = input, other
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")
    vec_a, vec_b = a._data.ndim == 1, b._data.ndim == 1
    out = MatMulComplex.apply(a.unsqueeze(0) if vec_a else a, b.unsqueeze(-1) if vec_b else b)
    if vec_a or vec_b:  # drop the axes the vectors were given
        shape = tuple(out.shape)
        out = out.reshape(shape[:-2] + (() if vec_a else shape[-2:-1]) + (() if vec_b else shape[-1:]))
    return out


def exp(input: Tensor) -> Tensor:
    return ExpComplex.apply(input)


def log(input: Tensor) -> Tensor:
    return LogComplex.apply(input)


def sqrt(input: Tensor) -> Tensor:
    return SqrtComplex.apply(input)
