"""`ComplexFunction`: a `Function` whose complex outputs are differentiable.

The core records complex outputs only from primitives that declare it (``_complex_ok``):
a built-in primitive that is not complex-aware refuses to make a complex result, instead of
silently dropping its gradient (``Function.apply``). Complex-only primitives (real, imag,
conj, abs and angle of complex, casts, fft) subclass this class; real primitives that are
linear are declared complex-capable as they are (`lift_linear`); nonlinear real primitives
whose one rule conjugates its derivatives (``m.conj``/``_rule_math.conj``, free on real
values: Mul, Div, Pow, Exp, Log, Sqrt, MatMul) declare ``_complex_ok = True`` themselves.
Everything else (edges, saving, version checks, the one backward rule) is the core's.

Gradient convention (PyTorch's): for a real loss L, the gradient carried by a complex value
z = x + iy is dL/dx + i dL/dy (twice the conjugate Wirtinger derivative dL/d z-bar). So for a
holomorphic w = f(z) the rule is ``grad_z = grad_w * conj(f'(z))``, and the gradient sent to a
real input is the real part of what a complex one would get: the engine takes it, once, where
it fits every gradient to its input's dtype (`_backward_node.checked_gradient`).
"""

from __future__ import annotations

from ..function import Function


class ComplexFunction(Function):
    """Base of the complex primitives (see the module docstring)."""

    torch_name = ""  # the node's name in PyTorch (``MulBackward0``), when it differs

    _complex_ok = True

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("torch_name"):
            cls._backward_name = cls.torch_name + "Backward0"


def lift_linear(*classes) -> None:
    """Let existing real primitives record complex outputs too. Only for *linear* maps
    (views, reshapes, indexing, sums, add/sub/neg, concatenation, copies): their rule
    g -> A^T g needs no conjugate, since the adjoint of a real linear map is its transpose
    whatever the field. A nonlinear map conjugates the derivatives in its one rule instead
    (or, when its complex form is a different formula, is its own `ComplexFunction`)."""
    for cls in classes:
        cls._complex_ok = True


def lift_conjugating(*classes) -> None:
    """Like `lift_linear`, for real primitives whose rule already conjugates what a complex
    operand needs (einsum)."""
    lift_linear(*classes)
