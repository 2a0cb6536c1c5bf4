"""Arithmetic: ``+ - * / ** //  %`` and unary minus, with their reflected forms.

Backward rules (``g`` is the incoming gradient; where an input was broadcast the engine
sums its gradient back to the input's shape):

    d(a + b) = g, g          d(a - b) = g, -g          d(a * b) = g b, g a
    d(a / b) = g / b, -g a / b^2
    d(a^b)   = g b a^(b-1), g a^b ln a

The same rules serve complex operands, in PyTorch's convention: a holomorphic w = f(z)
sends back g conj(f'(z)), so each derivative is conjugated (``m.conj``, free on real
values, and a plain function for rules that need nothing else from ``ctx.math``); a real
input that met a complex one gets the real part (done by the engine).
"""

from __future__ import annotations

from .. import function as _function
from .._backend import refuse_if_any
from .._rule_math import conj
from .._teaching import Input, NodeInfo, Rule, number_text, unary_rule
from ..function import Function
from ..tensor import Tensor
from ._operands import binary, float_operands


class Add(Function):
    rule = Rule("y = a + b", "y = a + b",
                Input("a", "dy/da = 1", r"\frac{\partial y}{\partial a} = 1", "g", "g"),
                Input("b", "dy/db = 1", r"\frac{\partial y}{\partial b} = 1", "g", "g"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (grad if need_b else None)


class Sub(Function):
    rule = Rule("y = a - b", "y = a - b",
                Input("a", "dy/da = 1", r"\frac{\partial y}{\partial a} = 1", "g", "g"),
                Input("b", "dy/db = -1", r"\frac{\partial y}{\partial b} = -1", "-g", "-g"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad if need_b else None)


class Mul(Function):
    """d(ab)/da = b, d(ab)/db = a (sent back conjugated: g conj(b), g conj(a))."""

    _complex_ok = True

    rule = Rule("y = a * b", r"y = a\,b",
                Input("a", "d(ab)/da = b", r"\frac{\partial (ab)}{\partial a} = b", "g * b", r"g \odot b"),
                Input("b", "d(ab)/db = a", r"\frac{\partial (ab)}{\partial b} = a", "g * a", r"g \odot a"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad * conj(b) if need_a else None), (grad * conj(a) if need_b else None)


class Div(Function):
    """d(a/b)/da = 1/b, d(a/b)/db = -a/b^2, evaluated as -(a/b)/b: b^2 alone overflows
    float16 for |b| > 256 (and float32 for |b| > 1.8e19). Conjugated for complex operands:
    g / conj(b), -g conj(a/b) / conj(b)."""

    _complex_ok = True

    rule = Rule("y = a / b", r"y = \frac{a}{b}",
                Input("a", "dy/da = 1/b", r"\frac{\partial y}{\partial a} = \frac{1}{b}", "g / b", r"\frac{g}{b}"),
                Input("b", "dy/db = -a/b^2", r"\frac{\partial y}{\partial b} = -\frac{a}{b^2}", "-g * a / b^2",
                      r"-\frac{g\,a}{b^2}"),
                elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        cb = conj(b)
        return (grad / cb if need_a else None), (-grad * conj(a / b) / cb if need_b else None)


class Neg(Function):
    rule = unary_rule("-a", "-a", "-1", "-1")

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """d/da a^b = b a^(b-1) (0 where b = 0, even at a = 0), d/db a^b = a^b ln a (0 at a = 0,
    b >= 0). Conjugated for complex operands: g conj(b) conj(a^(b-1)), g conj(a^b ln a)."""

    _complex_ok = True

    @staticmethod
    def rule_for(node, info: NodeInfo) -> Rule:
        """``a^p`` with the number ``p`` that forward saved; ``a^b`` for a tensor exponent."""
        saved = node.saved_values
        p = saved[1] if len(saved) >= 2 else None
        if isinstance(p, (int, float)) and not isinstance(p, bool):
            p_text, q = number_text(p), number_text(p - 1)
            d_text = {"0": p_text, "1": f"{p_text}a"}.get(q, f"{p_text} a^{q}")
            d_latex = {"0": p_text, "1": f"{p_text}a"}.get(q, f"{p_text}\\,a^{{{q}}}")
            return Rule(f"y = a^{p_text}", f"y = a^{{{p_text}}}",
                        Input("a", f"dy/da = {d_text}", f"\\frac{{\\partial y}}{{\\partial a}} = {d_latex}",
                              f"g * {d_text}", f"g \\odot {d_latex}"),
                        elementwise=True)
        return Rule("y = a^b", "y = a^{b}",
                    Input("a", "dy/da = b a^(b-1)", r"\frac{\partial y}{\partial a} = b\,a^{b-1}",
                          "g * b a^(b-1)", r"g \odot b\,a^{b-1}"),
                    Input("b", "dy/db = a^b ln a", r"\frac{\partial y}{\partial b} = a^{b}\ln a",
                          "g * a^b ln a", r"g \odot a^{b}\ln a"),
                    elementwise=True)

    @staticmethod
    def forward(ctx, a, b):
        out = ctx.xp.asarray(a**b)  # an array even for 0-d operands, so it is saved as the output
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a, b, out if need_b else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        m = ctx.math
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if hasattr(b, "shape"):
                grad_a = m.where(b == 0, 0.0, grad * m.conj(b) * m.conj(a ** (b - 1)))
            elif b == 0:
                grad_a = grad * 0
            else:
                grad_a = grad * m.conj(b) * m.conj(a ** (b - 1))
        if need_b:
            if hasattr(a, "shape"):
                # log(1) where a = 0 avoids a warning; the result there is taken as 0
                zero_base = (a == 0) & (m.real(b) >= 0)
                safe = m.where(zero_base, 0.0, out * m.log(m.where(zero_base, 1.0, a)))
            else:
                safe = out * _log_scalar(a)
            grad_b = grad * m.conj(safe)
        return grad_a, grad_b


def _log_scalar(a):
    import math

    return math.log(a) if a > 0 else float("nan")


def _refuse_integer_zero_divisor(a, b, op: str) -> None:
    """Integer ``a // 0`` and ``a % 0`` have no value: NumPy returns 0 with a warning,
    PyTorch raises; so do we (floats give inf/nan, as IEEE says)."""
    kinds = {getattr(v, "dtype", None) and v.dtype.kind for v in (a, b)} - {None}
    if not kinds or not kinds <= {"i", "u", "b"}:
        return

    def error():
        return RuntimeError(f"ZeroDivisionError: integer {op} by zero (an integer tensor has "
                            f"no inf or nan to return); divide floats instead, e.g. "
                            f"a.float() {'//' if op == 'floor_divide' else '%'} b, or replace "
                            f"the zeros in the divisor first")

    if hasattr(b, "shape"):
        refuse_if_any(b == 0, error)
    elif b == 0:
        raise error()


class FloorDivide(Function):
    """``a // b``: piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, a, b):
        _refuse_integer_zero_divisor(a, b, "floor_divide")
        return a // b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        zero = ctx.math.zeros_like(grad)
        return (zero if need_a else None), (zero if need_b else None)


class TruncDivide(Function):
    """``trunc(a / b)`` on floats (``div(rounding_mode="trunc")``): piecewise constant, so its
    gradient is zero (also where ``b = 0``: no ``0 * inf``)."""

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.trunc(ctx.xp.asarray(a / b))

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        zero = ctx.math.zeros_like(grad)
        return (zero if need_a else None), (zero if need_b else None)


class Remainder(Function):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``):
    ``a = b q + r`` with ``q = a // b`` (rounded toward -inf), so d/da = 1, d/db = -q.
    ``q`` is the floor division itself, not ``floor(a / b)``: the two differ where ``a / b``
    rounds (``1.5 // -inf = -1``) or is infinite (``inf // 3 = nan``)."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        _refuse_integer_zero_divisor(a, b, "remainder")
        xp = ctx.xp
        if getattr(a, "dtype", getattr(b, "dtype", None)).kind != "f":
            return xp.remainder(a, b)
        # floats as PyTorch: C's fmod, moved by b where its sign differs from b's (a zero
        # keeps the sign of a, where NumPy's remainder gives it b's)
        r = xp.asarray(xp.fmod(a, b))
        return xp.where((r != 0) & ((r < 0) != (b < 0)), r + b, r)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad * (a // b) if need_b else None)


class Fmod(Function):
    """``fmod(a, b)``: the remainder with the sign of ``a``, as C's ``fmod`` computes it
    (exactly: ``fmod(-1e20, -501) = -41``, where ``a - trunc(a / b) b`` loses every digit).
    ``a = b q + r`` with ``q = trunc(a / b)``: d/da = 1, d/db = -q."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        _refuse_integer_zero_divisor(a, b, "fmod")
        return ctx.xp.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad * ctx.math.trunc(a / b) if need_b else None)


# ----------------------------------------------------------------------------- functions
def add(input, other, *, alpha=1):
    """``input + alpha * other``."""
    if alpha != 1:
        other = other * alpha
    if type(other) is float and type(input) is Tensor and input._data.dtype.kind == "f":
        return _function._apply_two(Add, input, other)  # the common case, as `binary` would leave it
    a, b = binary(input, other)
    return Add.apply(a, b)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if alpha != 1:
        other = other * alpha
    if type(other) is float and type(input) is Tensor and input._data.dtype.kind == "f":
        return _function._apply_two(Sub, input, other)  # the common case, as `binary` would leave it
    a, b = binary(input, other)
    return Sub.apply(a, b)


def mul(input, other):
    if type(other) is float and type(input) is Tensor and input._data.dtype.kind == "f":
        return _function._apply_two(Mul, input, other)  # the common case, as `binary` would leave it
    a, b = binary(input, other)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode: str | None = None):
    """True division (integers give the default float dtype), or ``'trunc'``/``'floor'``."""
    if rounding_mode is None:
        if type(other) is float and type(input) is Tensor and input._data.dtype.kind == "f":
            return _function._apply_two(Div, input, other)  # as `float_operands` would leave them
        a, b = float_operands(input, other)
        return Div.apply(a, b)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = binary(input, other)
        if (isinstance(a, Tensor) and a._data.dtype.kind == "f") or (
                isinstance(b, Tensor) and b._data.dtype.kind == "f"):
            return TruncDivide.apply(a, b)
        # integers: floor rounds toward -inf; truncation is one more when the exact
        # quotient is negative and not whole.
        q = floor_divide(a, b)
        inexact = remainder(a, b) != 0
        negative = (a < 0) != (b < 0)
        return q + (inexact & negative).to(q.dtype)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                       f"but found '{rounding_mode}'")


def neg(input: Tensor) -> Tensor:
    if isinstance(input, Tensor) and input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported; "
                           "use the `~` operator or logical_not() instead")
    return Neg.apply(input)


def _refuse_bools(a, b, name: str) -> None:
    """Two bool operands: NumPy would answer in int8; PyTorch has no such kernel."""
    def is_bool(x):
        return x._data.dtype.kind == "b" if isinstance(x, Tensor) else isinstance(x, bool)

    if is_bool(a) and is_bool(b) and (isinstance(b, Tensor) or name != "pow"):
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\' operands; convert '
                                  f"one first, e.g. x.int()")


def _one_tensor(name: str, input, other) -> None:
    """``pow``, ``remainder`` and ``fmod`` need a Tensor among their operands (``torch.add(2,
    3)`` is a tensor, ``torch.pow(2, 3)`` is refused)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected a Tensor among the operands, got "
                        f"{type(input).__name__} and {type(other).__name__}; use Python's "
                        f"operator for two numbers, or wrap one first, e.g. torch.tensor({input!r})")


def pow(input, exponent):
    _one_tensor("pow", input, exponent)
    a, b = binary(input, exponent)
    _refuse_bools(a, b, "pow")
    return Pow.apply(a, b)


def floor_divide(input, other):
    a, b = binary(input, other)
    _refuse_bools(a, b, "floor_divide")
    return FloorDivide.apply(a, b)


def remainder(input, other):
    _one_tensor("remainder", input, other)
    a, b = binary(input, other)
    _refuse_bools(a, b, "remainder")
    return Remainder.apply(a, b)


def fmod(input: Tensor, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``input`` (C's ``fmod``; integer
    tensors stay integers)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}; wrap the number first, e.g. "
                        f"torch.tensor({input!r})")
    a, b = binary(input, other)
    return Fmod.apply(a, b)


def _check_int_pow(base: Tensor, exponent):
    if base._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def _pow_method(self, exponent):
    _check_int_pow(self, exponent)
    return pow(self, exponent)


def _rpow(self, base):
    return pow(base, self)


Tensor.__add__ = add
def _reflected(fn, name: str):
    """``other op self`` for a number on the left (``2 + t``); called directly, as
    ``Tensor.__radd__(2, t)``, it refuses a non-Tensor ``self`` like PyTorch's method."""
    def method(self, other):
        if not isinstance(self, Tensor):
            raise TypeError(f"descriptor '{name}' requires a Tensor as self, not "
                            f"{type(self).__name__}")
        return fn(other, self)

    method.__name__ = name
    return method


Tensor.__radd__ = _reflected(add, "__radd__")
Tensor.__sub__ = sub
Tensor.__rsub__ = _reflected(sub, "__rsub__")
Tensor.__mul__ = mul
Tensor.__rmul__ = _reflected(mul, "__rmul__")
Tensor.__truediv__ = div
Tensor.__rtruediv__ = _reflected(div, "__rtruediv__")
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflected(floor_divide, "__rfloordiv__")
Tensor.__mod__ = remainder
Tensor.__rmod__ = _reflected(remainder, "__rmod__")
Tensor.__pow__ = _pow_method
Tensor.__rpow__ = _rpow
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.add = add
Tensor.sub = sub
Tensor.subtract = sub
Tensor.mul = mul
Tensor.multiply = mul
Tensor.div = div
Tensor.divide = div
Tensor.true_divide = lambda self, other: div(self, other)
Tensor.neg = neg
Tensor.negative = neg
Tensor.pow = _pow_method
Tensor.floor_divide = floor_divide
Tensor.remainder = remainder
Tensor.fmod = fmod


divide = div
multiply = mul
subtract = sub
negative = neg

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "neg", "negative",
           "pow", "floor_divide", "remainder", "fmod"]
