"""Complex tensors: dtypes and promotion, creation, parts, and the arithmetic an fft program
uses, with gradients compared to torch's (its conjugate-Wirtinger convention) and checked by
finite differences on the real and imaginary parts."""

from __future__ import annotations

import numpy as np
import pytest
from complex_compare import compare_with_torch, complex_gradcheck

import autograd_core as ag

torch = pytest.importorskip("torch")

R = np.random.default_rng(5)


def _c(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("a,b", [("float32", "complex64"), ("float64", "complex64"),
                                 ("complex64", "complex128"), ("int64", "complex64"),
                                 ("bool", "complex128"), ("float16", "complex64")])
def test_promotion_of_two_tensors(a, b):
    ta, tb = ag.ones(2, dtype=ag.dtypes.as_dtype(a)), ag.ones(2, dtype=ag.dtypes.as_dtype(b))
    pa, pb = torch.ones(2, dtype=getattr(torch, a)), torch.ones(2, dtype=getattr(torch, b))
    assert _name((ta + tb).dtype) == _name((pa + pb).dtype)
    assert _name(ag.promote_types(ta.dtype, tb.dtype)) == _name(torch.promote_types(pa.dtype, pb.dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_promotion_with_a_complex_scalar_and_a_zero_dim_tensor(dtype):
    t, p = ag.ones(2, dtype=ag.dtypes.as_dtype(dtype)), torch.ones(2, dtype=getattr(torch, dtype))
    assert _name((t * 1j).dtype) == _name((p * 1j).dtype)
    for c in ("complex64", "complex128"):
        zt = ag.tensor(1j, dtype=ag.dtypes.as_dtype(c))
        zp = torch.tensor(1j, dtype=getattr(torch, c))
        assert _name((t + zt).dtype) == _name((p + zp).dtype)


def test_dtype_names_and_creation():
    assert ag.cfloat is ag.complex64 and ag.cdouble is ag.complex128
    assert ag.complex64.is_complex and not ag.float32.is_complex
    assert ag.tensor(1j).dtype is ag.complex64
    assert ag.tensor([1 + 2j, 3]).dtype is ag.complex64
    assert ag.tensor(np.array([1j], dtype=np.complex128)).dtype is ag.complex128
    assert ag.tensor([1.0]).cdouble().dtype is ag.complex128
    assert ag.tensor([1.0]).cfloat().is_complex()
    assert ag.is_complex(ag.tensor([1j])) and not ag.tensor([1.0]).is_complex()
    with pytest.raises(TypeError, match="complex32"):
        ag.tensor([1.0]).chalf()


@pytest.mark.parametrize("lib", [ag, torch], ids=["ours", "torch"])
@pytest.mark.parametrize("call", [lambda lib, z: z.sum().backward(),
                                  lambda lib, z: lib.autograd.grad(z.sum(), [z]),
                                  lambda lib, z: lib.autograd.backward(z.sum())])
def test_backward_on_a_complex_output_needs_a_gradient(lib, call):
    z = lib.tensor([1 + 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        call(lib, z)


def test_an_explicit_gradient_for_a_complex_output():
    z = ag.tensor([1 + 1j], requires_grad=True)
    (g,) = ag.autograd.grad(z.sum(), [z], ag.tensor(1 + 0j))
    assert g.dtype is ag.complex64


def test_real_only_functions_refuse_complex_input():
    z = ag.tensor([1 + 1j, 2j], requires_grad=True)
    for fn in (ag.sin, ag.sigmoid, ag.tanh, ag.log1p):
        with pytest.raises(NotImplementedError, match="complex"):
            fn(z)
    # every other primitive too (no gradient dropped silently), and orderings
    for fn in (lambda: z.cumprod(0), lambda: z.relu(), lambda: z.sort(), lambda: z.max(),
               lambda: z.clamp(0, 1), lambda: z.prod(), lambda: z < z, lambda: z >= 1):
        with pytest.raises(NotImplementedError, match="complex"):
            fn()
    assert (z == z).all() and not (z != z).any()


def test_where_matches_torch():
    compare_with_torch(torch, lambda a, b: ag.where(a.abs() > 1, a, b * 2),
                       lambda a, b: torch.where(a.abs() > 1, a, b * 2), [_c(3, 4), _c(3, 4)])


def test_parts_are_views_and_values_match():
    data = _c(3)
    z = ag.tensor(data)
    np.testing.assert_array_equal(z.real.numpy(), data.real)
    np.testing.assert_array_equal(z.imag.numpy(), data.imag)
    np.testing.assert_array_equal(z.conj().numpy(), data.conj())
    np.testing.assert_array_equal(ag.view_as_real(z).numpy(), torch.view_as_real(torch.tensor(data)).numpy())
    assert np.shares_memory(z.real.numpy(), z.numpy())
    assert np.shares_memory(ag.view_as_real(z).numpy(), z.numpy())
    assert not z.conj().is_conj() and z.resolve_conj() is z


UNARY = {
    "real": lambda L, z: L.real(z), "imag": lambda L, z: L.imag(z),
    "conj": lambda L, z: z.conj(), "conj_physical": lambda L, z: L.conj_physical(z),
    "abs": lambda L, z: z.abs(), "angle": lambda L, z: L.angle(z),
    "exp": lambda L, z: L.exp(z), "log": lambda L, z: L.log(z), "sqrt": lambda L, z: L.sqrt(z),
    "view_as_real": lambda L, z: L.view_as_real(z), "neg": lambda L, z: -z,
    "square": lambda L, z: z ** 2, "pow_half": lambda L, z: z ** 0.5,
    "sum": lambda L, z: z.sum(), "sum_dim": lambda L, z: z.sum(0),
    "mean": lambda L, z: z.mean(1), "reshape": lambda L, z: z.reshape(6, 2),
    "transpose": lambda L, z: z.mT, "index": lambda L, z: z[1:, [0, 2]],
    "ellipsis": lambda L, z: z[..., 0], "flip": lambda L, z: z.flip(0),
    "cat": lambda L, z: L.cat([z, z * 2]), "stack": lambda L, z: L.stack([z, z]),
    "unsqueeze": lambda L, z: z.unsqueeze(1), "expand": lambda L, z: z[:, :1].expand(3, 5),
    "to_real": lambda L, z: (z.abs() + 1).to(L.complex128),
    "var": lambda L, z: z.var(), "std_dim": lambda L, z: z.std(1),
    "var_kw": lambda L, z: L.var(z, 0, keepdim=True, correction=0),
    "cumsum": lambda L, z: z.cumsum(1), "diagonal": lambda L, z: z.diagonal(),
    "diag_embed": lambda L, z: L.diag_embed(z), "tril": lambda L, z: z.tril(),
    "triu": lambda L, z: z.triu(1), "trace": lambda L, z: L.trace(z[:, :3]),
    "where": lambda L, z: L.where(z.real > 0, z, z * 2),
    "gather": lambda L, z: z.gather(1, L.tensor([[0, 2], [1, 1], [3, 0]])),
    "scatter_add": lambda L, z: z.scatter_add(1, L.tensor([[0, 2], [1, 1], [3, 0]]), z[:, :2] * 2),
    "scatter": lambda L, z: z.scatter(1, L.tensor([[0, 2], [1, 3], [3, 0]]), z[:, 1:3]),
    "masked_fill": lambda L, z: z.masked_fill(z.real > 0, 1 + 2j),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name):
    fn = UNARY[name]
    compare_with_torch(torch, lambda z: fn(ag, z), lambda z: fn(torch, z), [_c(3, 4)])


@pytest.mark.parametrize("name", ["abs", "angle", "exp", "log", "conj", "real", "imag",
                                  "view_as_real", "square", "mean", "index"])
def test_unary_finite_differences(name):
    assert complex_gradcheck(lambda z: UNARY[name](ag, z), [_c(2, 3)])


BINARY = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b, "div": lambda L, a, b: a / b,
    "matmul": lambda L, a, b: a @ b.mT, "rdiv_scalar": lambda L, a, b: 2.0 / a + b * 3,
    "complex_scalar": lambda L, a, b: a * (1 + 2j) - b / 1j,
    "einsum": lambda L, a, b: L.einsum("ij,kj->ik", a, b) if a.dtype == b.dtype else a * b,
}


@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(name, kinds):
    fn = BINARY[name]
    a = _c(3, 4) if kinds[0] == "c" else R.standard_normal((3, 4))
    b = _c(3, 4) if kinds[1] == "c" else R.standard_normal((3, 4))
    if name == "matmul" and kinds != "cc":  # no promotion in matmul, in either library
        for lib in (torch, ag):
            with pytest.raises(RuntimeError, match="same dtype"):
                fn(lib, lib.tensor(a), lib.tensor(b))
        return
    compare_with_torch(torch, lambda x, y: fn(ag, x, y), lambda x, y: fn(torch, x, y), [a, b])


def test_broadcasting_and_vector_matmul_match_torch():
    compare_with_torch(torch, lambda a, b: a * b, lambda a, b: a * b, [_c(3, 1), _c(4)])
    compare_with_torch(torch, lambda a, b: a @ b, lambda a, b: a @ b, [_c(2, 3, 4), _c(4)])
    compare_with_torch(torch, lambda a, b: a @ b, lambda a, b: a @ b, [_c(4), _c(4)])


def test_einsum_diagonal_and_batch_match_torch():
    compare_with_torch(torch, lambda a: ag.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a),
                       [_c(3, 3)])
    compare_with_torch(torch, lambda a, b: ag.einsum("bij,bjk->bik", a, b),
                       lambda a, b: torch.einsum("bij,bjk->bik", a, b), [_c(2, 3, 4), _c(2, 4, 2)])


@pytest.mark.parametrize("name", ["mul", "div", "matmul", "einsum"])
def test_binary_finite_differences(name):
    assert complex_gradcheck(lambda a, b: BINARY[name](ag, a, b), [_c(2, 3), _c(2, 3)])
    if name not in ("matmul", "einsum"):
        assert complex_gradcheck(lambda a, b: BINARY[name](ag, a, b), [_c(2, 3), R.standard_normal((2, 3))])


@pytest.mark.parametrize("name", ["complex", "polar"])
def test_builders_match_torch(name):
    x, y = R.standard_normal((3, 2)), R.standard_normal((3, 2))
    compare_with_torch(torch, getattr(ag, name), getattr(torch, name), [np.abs(x), y])
    assert complex_gradcheck(getattr(ag, name), [np.abs(x) + 0.1, y])


def test_view_as_complex_matches_torch():
    x = R.standard_normal((3, 2))
    compare_with_torch(torch, ag.view_as_complex, torch.view_as_complex, [x])
    assert complex_gradcheck(ag.view_as_complex, [x])
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        ag.view_as_complex(ag.ones(3, 3))
    with pytest.raises(RuntimeError):
        torch.view_as_complex(torch.ones(3, 3))


def test_builder_errors_match_torch():
    for lib in (torch, ag):
        with pytest.raises(RuntimeError):
            lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64))
        with pytest.raises(RuntimeError):
            lib.polar(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64))
        with pytest.raises(RuntimeError):
            lib.view_as_real(lib.ones(2))


@pytest.mark.parametrize("program", [
    lambda z: ((z * z).abs() ** 2).sum(),
    lambda z: (z.exp() / (z + 3)).abs().sum() + (z.sqrt() * z.log()).real.sum(),
])
def test_second_order_through_a_complex_program(program):
    """create_graph=True runs the same rules on Tensors (saved complex outputs included)."""
    data = _c(4)
    grads = []
    for lib in (ag, torch):
        z = lib.tensor(data, requires_grad=True)
        loss = program(z)
        (g,) = lib.autograd.grad(loss, [z], create_graph=True)
        (g.abs() ** 2).sum().backward()
        grads.append(z.grad.resolve_conj().numpy() if lib is torch else z.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9)


def test_gradcheck_takes_complex_inputs_and_outputs_as_torch(monkeypatch):
    from autograd_core.autograd.gradcheck import GradcheckError
    from autograd_core.ops import arithmetic

    z = ag.tensor(_c(2, 3), requires_grad=True)
    assert ag.autograd.gradcheck(lambda t: (t * t).exp(), [z])
    assert ag.autograd.gradcheck(lambda t: t.abs(), [z])
    assert ag.autograd.gradgradcheck(lambda t: (t * t.conj() + t).sum(0), [z])

    def without_conjugate(ctx, grad):  # the holomorphic derivative, not PyTorch's convention
        b, a = ctx.saved
        return grad * b, grad * a

    monkeypatch.setattr(arithmetic.Mul, "backward", staticmethod(without_conjugate))
    with pytest.raises(GradcheckError):
        ag.autograd.gradcheck(lambda t: t * t, [z])


def test_in_place_changes_and_views_match_torch():
    def program(lib, z):
        y = z * 1
        y += z
        y *= 2
        y[0] = 3j
        y -= 1
        y[1:].mul_(1j)
        y /= 1 + 1j
        return y

    compare_with_torch(torch, lambda z: program(ag, z), lambda z: program(torch, z), [_c(3)])
    for lib in (torch, ag):
        with pytest.raises(RuntimeError, match="can't be cast"):
            x = lib.ones(2)
            x += 1j


def test_full_with_a_complex_value():
    for dtype in (None, ag.complex128):
        a, b = ag.full((2,), 1 + 2j, dtype=dtype), torch.full((2,), 1 + 2j, dtype=dtype and torch.complex128)
        assert _name(a.dtype) == _name(b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("values", [[1 + 2j, 0.5 - 1j], [1e-5 + 2j], [[1j, 2], [3, 4 + 1j]],
                                    [0j], [1e9 + 1j, -3 - 0.25j], [complex("nan+infj")], [1 - 0j]])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_repr_as_torch(values, dtype):
    ours = repr(ag.tensor(values, dtype=getattr(ag, dtype))).replace("autograd_core.", "torch.")
    assert ours == repr(torch.tensor(values, dtype=getattr(torch, dtype)))


def test_a_change_through_a_real_view_is_seen_by_saved_values():
    for lib in (ag, torch):
        z = lib.tensor([1 + 2j, 3j], requires_grad=True)
        y = z * 1
        e = y * y  # saves y
        y.real.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            e.abs().sum().backward()
