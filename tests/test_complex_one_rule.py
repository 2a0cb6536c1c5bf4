"""The real primitives' one rule serves complex operands too (* / ** @ exp log sqrt):

- ``m.conj`` / ``m.real`` cost nothing on real values (the same object back, no copy);
- the real results stay bit-identical to the real formulas;
- complex gradients, first and second order, match PyTorch's from identical values, and pass
  float64/complex128 finite-difference checks;
- a complex gradient reaching a real input from a built-in rule is taken to its real part
  by the engine, once, for every op; a user-defined Function doing so is refused, as by
  PyTorch's engine;
- no routing wrapper is left on the public functions of these ops.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import _rule_math
from autograd_core.autograd import gradcheck, gradgradcheck
from autograd_core.ops import arithmetic, linalg, unary

torch = pytest.importorskip("torch")

R = np.random.default_rng(11)


def _c(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def _r(*shape):
    return R.standard_normal(shape)


# ----------------------------------------------------------------------------- vocabulary
def test_conj_and_real_are_free_on_real_values():
    m = _rule_math.for_arrays(np)
    x = np.arange(4.0)
    assert m.conj(x) is x and m.real(x) is x
    assert m.conj(2.5) == 2.5 and m.conj(3) == 3
    z = np.array([1 + 2j, 3 - 1j])
    np.testing.assert_array_equal(m.conj(z), [1 - 2j, 3 + 1j])
    np.testing.assert_array_equal(m.real(z), [1.0, 3.0])
    assert m.conj(1 + 2j) == 1 - 2j and m.real(1 + 2j) == 1.0
    assert m.conj(np.array(1 + 1j)).shape == ()  # 0-d stays an array
    assert isinstance(m.conj(np.array(1 + 1j)), np.ndarray)
    assert _rule_math.conj(x) is x and _rule_math.conj(1.5) == 1.5
    assert _rule_math.conj(1 + 2j) == 1 - 2j
    np.testing.assert_array_equal(_rule_math.conj(z), [1 - 2j, 3 + 1j])
    tm = _rule_math.for_tensors()
    t = ag.tensor([1.0, 2.0])
    assert tm.conj(t) is t and tm.real(t) is t and tm.conj(2.0) == 2.0
    assert _rule_math.conj(t) is t
    tz = ag.tensor([1 + 2j], requires_grad=True)
    for c in (tm.conj(tz), _rule_math.conj(tz)):
        assert complex(c[0].item()) == 1 - 2j and c.grad_fn is not None  # differentiable


def test_no_routing_wrapper_is_left_on_the_unified_functions():
    import autograd_core.ops as ops

    assert not hasattr(ops, "complex_arith")
    from autograd_core.ops import elementwise_more, reduction

    for module, name in ((arithmetic, "mul"), (arithmetic, "div"), (arithmetic, "pow"),
                         (linalg, "matmul"), (linalg, "mm"), (linalg, "bmm"), (linalg, "mv"),
                         (linalg, "dot"), (unary, "exp"), (unary, "log"), (unary, "sqrt"),
                         (unary, "abs"), (unary, "absolute"), (elementwise_more, "angle"),
                         (reduction, "var"), (reduction, "std")):
        fn = getattr(module, name)
        assert fn.__module__ == module.__name__, (name, fn.__module__)
        while fn is not None:  # (argument-parsing wrappers are allowed, routing ones not)
            assert not fn.__code__.co_filename.endswith("complex_routing.py"), name
            fn = getattr(fn, "__wrapped__", None)
    for attr in ("__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__pow__", "__matmul__",
                 "__rmatmul__", "mul", "div", "pow", "matmul", "exp", "log", "sqrt", "abs",
                 "__abs__", "angle", "var", "std"):
        code = getattr(ag.Tensor, attr).__code__
        assert not code.co_filename.endswith("complex_routing.py"), attr


# ----------------------------------------------------------------------------- real path
def test_real_gradients_are_the_real_formulas_bit_for_bit():
    a_, b_, g_ = _r(5).astype(np.float32), _r(5).astype(np.float32) + 3, _r(5).astype(np.float32)
    cases = [
        (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
        (lambda a, b: a / b, lambda a, b, g: (g / b, -g * (a / b) / b)),
        (lambda a, b: (a + 4) ** b, lambda a, b, g: (g * b * (a + 4) ** (b - 1), None)),
        (lambda a, b: a.exp() + b.sqrt() + b.log(),
         lambda a, b, g: (g * np.exp(a), g / (np.sqrt(b) * np.float32(2.0)) + g / b)),
    ]
    for fn, expected in cases:
        a = ag.tensor(a_, requires_grad=True)
        b = ag.tensor(b_, requires_grad=True)
        fn(a, b).backward(ag.tensor(g_))
        ea, eb = expected(a_, b_, g_)
        np.testing.assert_array_equal(a.grad.numpy(), ea)
        if eb is not None:
            np.testing.assert_array_equal(b.grad.numpy(), eb)
    A, B, G = _r(3, 4), _r(4, 2), _r(3, 2)
    a = ag.tensor(A, requires_grad=True)
    b = ag.tensor(B, requires_grad=True)
    (a @ b).backward(ag.tensor(G))
    np.testing.assert_array_equal(a.grad.numpy(), G @ B.T)
    np.testing.assert_array_equal(b.grad.numpy(), A.T @ G)


# ----------------------------------------------------------------------------- complex
PROGRAMS = {
    "mul": lambda lib, z, w: z * w * (2 - 1j),
    "div": lambda lib, z, w: z / (w + 2) + 1 / z,
    "pow_number": lambda lib, z, w: z ** 2.5 + z ** 3 + (w + 1) ** -1,
    "pow_tensor": lambda lib, z, w: z ** (w * 0.3) + 2 ** w,
    "exp_log_sqrt": lambda lib, z, w: z.exp() + (w + 3).log() + (z * w).sqrt(),
    "matmul": lambda lib, z, w: z.reshape(2, 3) @ w.reshape(3, 2),
    "mm_mv": lambda lib, z, w: lib.mm(z.reshape(3, 2), w.reshape(2, 3)).sum(0)
    + lib.mv(z.reshape(2, 3), w[:3]).sum(),
    "bmm": lambda lib, z, w: lib.bmm(z.reshape(1, 2, 3), w.reshape(1, 3, 2)),
    "dot_vdot": lambda lib, z, w: lib.dot(z, w) * 1j + lib.vdot(z, w),
    "vector_matmul": lambda lib, z, w: z @ w.reshape(6, 1) + w.reshape(1, 6) @ z,
    "abs_angle_var_std": lambda lib, z, w: z.abs() * w + z.angle() + z.var() * w
    + lib.std(z.reshape(2, 3), 0).sum() + lib.var(w, correction=0),
    "zero_dim": lambda lib, z, w: (z[0] * w[1]).exp() / z[2].sqrt() + (z @ w).log(),
}


def _grads(lib, program, values, create_graph: bool):
    xs = [lib.tensor(v, requires_grad=True) for v in values]
    out = program(lib, *xs)
    loss = (out.abs() ** 2).sum() + out.real.sum()
    grads = lib.autograd.grad(loss, xs, create_graph=create_graph)
    if create_graph:
        (sum((g.abs() ** 2).sum() for g in grads)).backward()
        return [x.grad for x in xs]
    return list(grads)


def _np(t):
    return t.detach().resolve_conj().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_complex_gradients_match_torch_first_and_second_order(name):
    program = PROGRAMS[name]
    values = [_c(6), _c(6)]
    for create_graph in (False, True):
        ours = _grads(ag, program, values, create_graph)
        theirs = _grads(torch, program, values, create_graph)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_complex_gradcheck(name):
    program = PROGRAMS[name]
    xs = [ag.tensor(_c(6), requires_grad=True), ag.tensor(_c(6), requires_grad=True)]
    assert gradcheck(lambda z, w: program(ag, z, w), xs)


def test_gradgradcheck_through_the_conjugated_rules():
    z = ag.tensor(_c(4), requires_grad=True)
    w = ag.tensor(_c(4), requires_grad=True)
    assert gradgradcheck(lambda z, w: (z * w / (w + 3)).exp() + (z ** 2.0).sqrt(), [z, w])


def test_real_operand_gets_the_real_part_as_torch():
    zs, xs = _c(6), _r(6)

    def program(lib, z, x):
        return (z * x + x / (z + 3) + x.to(z.dtype).exp()).abs().sum()

    got = []
    for lib in (ag, torch):
        z = lib.tensor(zs, requires_grad=True)
        x = lib.tensor(xs, requires_grad=True)
        program(lib, z, x).backward()
        assert x.grad.dtype == x.dtype
        got.append((_np(z.grad), _np(x.grad)))
    for a, b in zip(*got):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _user_function(lib):
    class Rotate(lib.autograd.Function):
        """y = (1 + 2i) x for a real x; its rule returns a complex gradient."""

        @staticmethod
        def forward(ctx, x):
            return x.to(lib.complex128) * (1 + 2j)

        @staticmethod
        def backward(ctx, grad):
            return grad * (1 - 2j)

    return Rotate


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_user_function_returning_a_complex_gradient_for_a_real_input_is_refused(create_graph):
    for lib in (ag, torch):
        x = lib.tensor(_r(4), requires_grad=True)
        loss = (_user_function(lib).apply(x).abs() ** 2).sum()
        with pytest.raises(RuntimeError):
            lib.autograd.grad(loss, [x], create_graph=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_engine_takes_a_builtin_complex_gradient_of_a_real_input_to_its_real_part(
        create_graph, monkeypatch):
    from autograd_core.ops import complex as complex_ops

    def unprojected(ctx, grad):  # the real-to-complex cast, leaving the projection to the engine
        return grad, None

    monkeypatch.setattr(complex_ops.ComplexCast, "backward", staticmethod(unprojected))
    xs = _r(4)
    x = ag.tensor(xs, requires_grad=True)
    loss = ((x.to(ag.complex128) * (1 + 2j)).abs() ** 2).sum()
    (g,) = ag.autograd.grad(loss, [x], create_graph=create_graph)
    assert g.dtype == ag.float64
    np.testing.assert_allclose(g.detach().numpy(), 10 * xs, rtol=1e-12)  # d|(1+2i)x|^2/dx


def test_real_only_pointwise_functions_still_refuse_complex():
    z = ag.tensor(_c(3))
    with pytest.raises(NotImplementedError, match="complex"):
        z.sigmoid()
    with pytest.raises(NotImplementedError, match="complex"):
        ag.log2(z)
