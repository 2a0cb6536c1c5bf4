"""`ComplexFunction`: a `Function` whose complex outputs are differentiable.

The core records a node only for floating outputs (``Function.apply`` checks the output's
dtype kind ``"f"``). Complex primitives subclass this class instead: it keeps a handle on the
node ``apply`` made and, when the output is complex and the node was recorded (an input
requires grad, grad mode is on), makes the node the output's ``grad_fn``. Everything else
(edges, saving, version checks, the one backward rule) is the core's, unchanged.

Gradient convention (PyTorch's): for a real loss L, the gradient carried by a complex value
z = x + iy is dL/dx + i dL/dy (twice the conjugate Wirtinger derivative dL/d z-bar). So for a
holomorphic w = f(z) the rule is ``grad_z = grad_w * conj(f'(z))``, and the gradient sent to a
real input is the real part of what a complex one would get.
"""

from __future__ import annotations

import threading

from ..function import Function, _SavedOutput


class _Capture(threading.local):
    """The node of the apply in progress, taken only while one asks for it (so that no
    node outlives its graph through this handle)."""

    want = False
    ctx = None


_last = _Capture()


class ComplexFunction(Function):
    """Base of the complex primitives (see the module docstring)."""

    torch_name = ""  # the node's name in PyTorch (``MulBackward0``), when it differs

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("torch_name"):
            cls._backward_name = cls.torch_name + "Backward0"
        forward = cls.__dict__.get("forward")
        if forward is None:
            return
        inner = forward.__func__ if isinstance(forward, staticmethod) else forward

        def recording_forward(ctx, *args, **kw):
            if _last.want:
                _last.ctx, _last.want = ctx, False
            return inner(ctx, *args, **kw)

        recording_forward.__doc__ = inner.__doc__
        cls.forward = staticmethod(recording_forward)

    @classmethod
    def apply(cls, *args, **kwargs):
        _last.ctx, _last.want = None, True
        try:
            out = super().apply(*args, **kwargs)
        finally:
            ctx, _last.ctx, _last.want = _last.ctx, None, False
        if ctx is None or "_input_meta" not in ctx.__dict__:
            return out  # nothing recorded (no_grad, or no input requires grad)
        _mark(out, ctx)
        return out


def _mark(out, ctx) -> None:
    """Make the recorded node ``ctx`` the ``grad_fn`` of the complex outputs in ``out``."""
    outs = out if type(out) is tuple else (out,)
    marked = []
    for nr, r in enumerate(outs):
        if r is not None and r._data.dtype.kind == "c" and r.grad_fn is None:
            r.grad_fn = ctx
            r._output_nr = nr
            r._requires_grad = True
            marked.append(r._data)
    # an output saved for backward was saved as not requiring grad (before it was marked):
    # under create_graph it must unpack as the output it is, so its own history is kept
    for item in ctx.__dict__.get("_saved") or ():
        if type(item) is _SavedOutput and any(item.data is a for a in marked):
            item.requires_grad = True


def lift_linear(*classes) -> None:
    """Let existing real primitives record complex outputs too. Only for *linear* maps
    (views, reshapes, indexing, sums, add/sub/neg, concatenation, copies): their rule
    g -> A^T g needs no conjugate, since the adjoint of a real linear map is its transpose
    whatever the field. Nonlinear maps get their own `ComplexFunction`."""
    for cls in classes:
        if cls.__dict__.get("_complex_lifted"):
            continue
        _lift(cls)


def lift_conjugating(*classes) -> None:
    """Like `lift_linear`, for real primitives whose rule already conjugates what a complex
    operand needs (einsum)."""
    lift_linear(*classes)


def _lift(cls) -> None:
    forward = cls.forward  # (a staticmethod's function)
    real_apply = cls.apply.__func__

    def recording_forward(ctx, *args, **kw):
        if _last.want:
            _last.ctx, _last.want = ctx, False
        return forward(ctx, *args, **kw)

    def apply(klass, *args, **kwargs):
        for a in args:
            if getattr(a, "_requires_grad", False) and a._data.dtype.kind == "c":
                break
        else:
            return real_apply(klass, *args, **kwargs)  # the common case: nothing complex
        _last.ctx, _last.want = None, True
        try:
            out = real_apply(klass, *args, **kwargs)
        finally:
            ctx, _last.ctx, _last.want = _last.ctx, None, False
        if ctx is not None and "_input_meta" in ctx.__dict__:
            _mark(out, ctx)
        return out

    recording_forward.__doc__ = getattr(forward, "__doc__", None)
    cls.forward = staticmethod(recording_forward)
    cls.apply = classmethod(apply)
    cls._complex_lifted = True


def refuse_complex(cls) -> None:
    """Make a real-only primitive refuse complex operands with a clear error (instead of a
    complex result that silently drops the gradient, or a meaningless order)."""
    if cls.__dict__.get("_complex_lifted") or issubclass(cls, ComplexFunction):
        return
    real_apply = cls.apply.__func__

    def apply(klass, *args, **kwargs):
        for a in args:
            data = getattr(a, "_data", None)
            if data is not None and data.dtype.kind == "c":
                raise NotImplementedError(
                    f"{klass.__name__} does not support complex tensors here (got a "
                    f"{a.dtype} operand); complex numbers have arithmetic, matmul, sum, mean, "
                    f"exp, log, sqrt, abs, angle, views, indexing and autograd_core.fft; work "
                    f"on z.real / z.imag / z.abs() otherwise")
        return real_apply(klass, *args, **kwargs)

    cls.apply = classmethod(apply)
    cls._complex_lifted = True
