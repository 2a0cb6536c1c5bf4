"""Matrix products and Einstein sums: gradients (first and second order), values against
NumPy and PyTorch, broadcasting, non-contiguous inputs and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check_gradients
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, broadcast_pairs, layouts, make_tensor

import autograd_core as ag


def host(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach().cpu()._host())


# ----------------------------------------------------------------------------- matmul
@st.composite
def matmul_shapes(draw):
    """Operand shapes for ``a @ b``: vectors, matrices and broadcast batches, with size-0
    inner (or outer) dimensions."""
    n, k, m = (draw(st.integers(0 if i == 1 else 1, 3)) for i in range(3))
    batch_a, batch_b = draw(broadcast_pairs(max_dims=2, max_side=3))
    kind_a, kind_b = draw(st.sampled_from(["vec", "mat"])), draw(st.sampled_from(["vec", "mat"]))
    sa = (k,) if kind_a == "vec" else batch_a + (n, k)
    sb = (k,) if kind_b == "vec" else batch_b + (k, m)
    return sa, sb


@given(matmul_shapes(), st.data())
def test_matmul_gradients_and_values(pair, data):
    sa, sb = pair
    va, vb = data.draw(arrays(sa)), data.draw(arrays(sb))
    a = make_tensor(va, data.draw(layouts()))
    b = make_tensor(vb, data.draw(layouts()))
    out = a @ b
    np.testing.assert_allclose(host(out), va @ vb, rtol=1e-12, atol=1e-12)
    assert out.shape == (va @ vb).shape
    check_gradients(lambda x, y: x @ y, (a, b))


@pytest.mark.parametrize("sa, sb", [
    ((2, 1, 2, 3), (3, 3, 4)),   # batch dims (2, 1) against (3,)
    ((3,), (2, 3, 4)),           # vector @ batch
    ((2, 4, 3), (3,)),           # batch @ vector
    ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)),
    ((2, 0), (0, 3)),            # size-0 inner dimension: zeros
])
def test_matmul_shapes(sa, sb):
    rng = np.random.default_rng(0)
    va, vb = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = make_tensor(va), make_tensor(vb)
    out = ag.matmul(a, b)
    np.testing.assert_allclose(host(out), np.matmul(va, vb))
    check_gradients(ag.matmul, (a, b))


def test_matmul_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for sa, sb in [((2, 1, 2, 3), (3, 3, 4)), ((3,), (2, 3, 4)), ((4, 3), (3,)), ((3,), (3,))]:
        va, vb = rng.standard_normal(sa), rng.standard_normal(sb)
        a, b = make_tensor(va), make_tensor(vb)
        ta = torch.tensor(va, requires_grad=True)
        tb = torch.tensor(vb, requires_grad=True)
        out, tout = a @ b, ta @ tb
        np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=1e-12)
        (out * out).sum().backward()
        (tout * tout).sum().backward()
        np.testing.assert_allclose(host(a.grad), ta.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(host(b.grad), tb.grad.numpy(), rtol=1e-10)


def test_matmul_keeps_float32():
    a, b = ag.randn(2, 3), ag.randn(3, 4)
    assert (a @ b).dtype == ag.float32
    assert ag.einsum("ij,jk->ik", a, b).dtype == ag.float32
    assert ag.mm(a, b).dtype == ag.float32


@pytest.mark.parametrize("sa, sb, message", [
    ((2, 3), (4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ((3,), (4, 5), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    ((3,), (4,), "inconsistent tensor size, expected tensor [3] and src [4]"),
    ((2, 3, 4), (5, 4, 3), "The size of tensor a (2) must match the size of tensor b (5) at "
                           "non-singleton dimension 0"),
])
def test_matmul_errors(sa, sb, message):
    with pytest.raises(RuntimeError) as info:
        ag.ones(*sa) @ ag.ones(*sb)
    assert message in str(info.value)


def test_matmul_of_0d_is_refused():
    with pytest.raises(RuntimeError, match="at least 1D"):
        ag.matmul(ag.tensor(2.0), ag.ones(3))


# ----------------------------------------------------------------------------- mm, bmm, ...
def _pair(sa, sb, seed=0):
    rng = np.random.default_rng(seed)
    va, vb = rng.standard_normal(sa), rng.standard_normal(sb)
    return va, vb, make_tensor(va, "transposed"), make_tensor(vb, "strided")


@pytest.mark.parametrize("fn, sa, sb, ref, node", [
    (ag.mm, (2, 3), (3, 4), np.matmul, "MmBackward0"),
    (ag.bmm, (2, 2, 3), (2, 3, 4), np.matmul, "BmmBackward0"),
    (ag.mv, (2, 3), (3,), np.matmul, "MvBackward0"),
    (ag.dot, (3,), (3,), np.dot, "DotBackward0"),
    (ag.outer, (3,), (2,), np.outer, "MulBackward0"),
    (ag.inner, (2, 3), (4, 3), np.inner, None),
    (ag.inner, (3,), (3,), np.inner, None),
    (lambda a, b: ag.tensordot(a, b, 1), (2, 3), (3, 4), lambda a, b: np.tensordot(a, b, 1), None),
    (lambda a, b: ag.tensordot(a, b, ([0, 2], [2, 0])), (2, 3, 4), (4, 1, 2),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), None),
    (lambda a, b: ag.tensordot(a, b, 0), (2,), (3,), lambda a, b: np.tensordot(a, b, 0), None),
])
def test_products(fn, sa, sb, ref, node):
    va, vb, a, b = _pair(sa, sb)
    out = fn(a, b)
    np.testing.assert_allclose(host(out), ref(va, vb), rtol=1e-12, atol=1e-12)
    if node is not None:
        assert out.grad_fn.name() == node
    check_gradients(fn, (a, b))


def test_tensor_methods():
    va, vb, a, b = _pair((2, 3), (3, 2))
    np.testing.assert_allclose(host(a.mm(b)), va @ vb)
    np.testing.assert_allclose(host(a.matmul(b)), va @ vb)
    v = make_tensor(vb[:, 0])
    np.testing.assert_allclose(host(a.mv(v)), va @ vb[:, 0])
    np.testing.assert_allclose(host(v.dot(v)), vb[:, 0] @ vb[:, 0])
    np.testing.assert_allclose(host(v.outer(v)), np.outer(vb[:, 0], vb[:, 0]))
    np.testing.assert_allclose(host(v.ger(v)), np.outer(vb[:, 0], vb[:, 0]))


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 1)])
@pytest.mark.parametrize("bias_shape", [(4,), (2, 4), (1, 4), ()])
def test_addmm(beta, alpha, bias_shape):
    rng = np.random.default_rng(2)
    vi, v1, v2 = (rng.standard_normal(s) for s in (bias_shape, (2, 3), (3, 4)))
    inp, m1, m2 = make_tensor(vi), make_tensor(v1, "transposed"), make_tensor(v2)
    out = ag.addmm(inp, m1, m2, beta=beta, alpha=alpha)
    np.testing.assert_allclose(host(out), beta * vi + alpha * v1 @ v2, rtol=1e-12)
    assert out.grad_fn.name() == "AddmmBackward0"
    check_gradients(lambda i, a, b: ag.addmm(i, a, b, beta=beta, alpha=alpha), (inp, m1, m2))


def test_addmm_beta_zero_ignores_nan():
    inp = ag.full((2, 2), float("nan"))
    out = ag.addmm(inp, ag.ones(2, 3), ag.ones(3, 2), beta=0)
    assert host(out).tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize("call, exc, message", [
    (lambda: ag.mm(ag.ones(3), ag.ones(3, 2)), RuntimeError, "self must be a matrix"),
    (lambda: ag.mm(ag.ones(2, 3), ag.ones(3, 2, 1)), RuntimeError, "mat2 must be a matrix"),
    (lambda: ag.mm(ag.ones(2, 3), ag.ones(4, 5)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: ag.mm(ag.ones(2, 3), ag.ones(3, 2, dtype=ag.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype"),
    (lambda: ag.bmm(ag.ones(2, 3), ag.ones(2, 3, 4)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: ag.bmm(ag.ones(2, 3, 4), ag.ones(2, 5, 3)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]"),
    (lambda: ag.dot(ag.ones(2, 3), ag.ones(3)), RuntimeError,
     "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: ag.dot(ag.ones(3), ag.ones(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4]"),
    (lambda: ag.dot(ag.ones(3), ag.ones(3, dtype=ag.float64)), RuntimeError,
     "expected both vectors to have same dtype"),
    (lambda: ag.mv(ag.ones(2, 3), ag.ones(4)), RuntimeError,
     "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: ag.mv(ag.ones(3), ag.ones(3)), RuntimeError, "vector + matrix @ vector expected"),
    (lambda: ag.outer(ag.ones(2, 3), ag.ones(4)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: ag.addmm(ag.ones(4), ag.ones(2, 3), ag.ones(3, 3)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (4)"),
    (lambda: ag.tensordot(ag.ones(2, 3), ag.ones(4, 5), 1), RuntimeError,
     "contracted dimensions need to match, but first has size 3 in dim 1 and second has "
     "size 4 in dim 0"),
    (lambda: ag.inner(ag.ones(2, 3), ag.ones(4, 4)), RuntimeError,
     "inner() the last dimension must match on both input tensors but got shapes [2, 3] and "
     "[4, 4]"),
    (lambda: ag.mm(ag.ones(2, 2), [[1.0, 2.0]]), TypeError, "must be Tensor"),
])
def test_product_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


# ----------------------------------------------------------------------------- einsum
EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),                       # diagonal
    ("ii->", [(3, 3)]),                        # trace
    ("ii", [(3, 3)]),                          # trace, implicit output
    ("iij->j", [(2, 2, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("iii->i", [(2, 2, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 4)]),  # broadcast ellipsis
    ("...ij,...jk->...ik", [(2, 3), (4, 3, 2)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("...i->i", [(2, 3)]),                     # ellipsis dims summed
    ("...->", [(2, 3)]),
    ("i,i->i", [(1,), (3,)]),                  # size-1 broadcasts
    ("ij,ij->ij", [(2, 1), (1, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j", [(2,), (3,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,j->i", [(2, 0), (0,)]),               # size-0 contraction
    ("bA", [(2, 3)]),                          # implicit output sorted: 'Ab'
    ("->", [()]),
    (",i->i", [(), (3,)]),
]


@pytest.mark.parametrize("equation, shapes", EQUATIONS)
def test_einsum(equation, shapes):
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(s) for s in shapes]
    layouts_ = ["transposed", "strided", "contiguous"]
    xs = [make_tensor(v, layouts_[i % 3]) for i, v in enumerate(values)]
    out = ag.einsum(equation, *xs)
    assert out.grad_fn.name() == "EinsumBackward0"
    ref_equation, ref_shapes = NUMPY_FORM.get(equation, (equation, shapes))
    expected = np.einsum(ref_equation, *[np.broadcast_to(v, s) for v, s in zip(values, ref_shapes)])
    np.testing.assert_allclose(host(out), expected, rtol=1e-12, atol=1e-12)
    check_gradients(lambda *a: ag.einsum(equation, *a), xs)


# NumPy sums no ellipsis dimension and broadcasts no explicit letter: equivalent forms.
NUMPY_FORM = {
    "...i->i": ("ji->i", [(2, 3)]),
    "...->": ("ij->", [(2, 3)]),
    "i,i->i": ("i,i->i", [(3,), (3,)]),
    "ij,ij->ij": ("ij,ij->ij", [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("equation, shapes", EQUATIONS)
def test_einsum_against_torch(equation, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    values = [rng.standard_normal(s) for s in shapes]
    xs = [make_tensor(v) for v in values]
    ts = [torch.tensor(v, requires_grad=True) for v in values]
    out, tout = ag.einsum(equation, *xs), torch.einsum(equation, *ts)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    seed = rng.standard_normal(tuple(tout.shape))
    out.backward(ag.tensor(seed, dtype=ag.float64))
    tout.backward(torch.tensor(seed))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(host(x.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@st.composite
def contractions(draw):
    """Two operands over letters 'ijk' (repeats allowed), an explicit output, sizes <= 3."""
    sizes = {c: draw(st.integers(1, 3)) for c in "ijk"}
    subs = [draw(st.text("ijk", min_size=0, max_size=3)) for _ in range(2)]
    present = sorted(set("".join(subs)))
    out = "".join(draw(st.permutations(present))[:draw(st.integers(0, len(present)))])
    return subs, out, sizes


@given(contractions(), st.data())
def test_einsum_random_contractions(spec, data):
    subs, out, sizes = spec
    equation = ",".join(subs) + "->" + out
    values = [data.draw(arrays(tuple(sizes[c] for c in s))) for s in subs]
    xs = [make_tensor(v, data.draw(layouts())) for v in values]
    result = ag.einsum(equation, *xs)
    np.testing.assert_allclose(host(result), np.einsum(equation, *values), rtol=1e-10,
                               atol=1e-12)
    check_gradients(lambda *a: ag.einsum(equation, *a), xs)


def test_einsum_operand_forms():
    a, b = ag.randn(2, 3), ag.randn(3, 4)
    ref = host(a @ b)
    np.testing.assert_allclose(host(ag.einsum("ij,jk", [a, b])), ref, rtol=1e-6)
    np.testing.assert_allclose(host(ag.einsum("i j , j k -> i k", a, b)), ref, rtol=1e-6)
    np.testing.assert_allclose(host(ag.einsum(a, [0, 1], b, [1, 2], [0, 2])), ref, rtol=1e-6)
    np.testing.assert_allclose(host(ag.einsum(a, [..., 1], b, [1, 2])), ref, rtol=1e-6)


def test_einsum_result_does_not_alias_input():
    x = ag.ones(3, 3)
    y = ag.einsum("ij->ji", x)
    y._data[0, 0] = 5.0
    d = ag.einsum("ii->i", x)
    d._data[0] = 7.0
    assert host(x).tolist() == [[1.0] * 3] * 3


def test_einsum_third_derivative():
    """einsum's backward is einsum: differentiable again and again (here d^3/dx^3 of a
    cubic form)."""
    x = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = ag.einsum("i,i,i->", x, x, x)                   # sum x_i^3
    (g,) = ag.autograd.grad(y, x, create_graph=True)     # 3 x^2
    (h,) = ag.autograd.grad(g.sum(), x, create_graph=True)  # 6 x
    (t,) = ag.autograd.grad(h.sum(), x)                  # 6
    np.testing.assert_allclose(host(g), 3 * host(x) ** 2)
    np.testing.assert_allclose(host(t), [6.0, 6.0, 6.0])


@pytest.mark.parametrize("equation, shapes, message", [
    ("ii->i", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1"),
    ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified in the equation"),
    ("ij->ij", [(2, 3), (3,)], "more operands were provided than specified in the equation"),
    ("ij->ik", [(2, 3)], "output subscript k does not appear in the equation for any input"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
    ("ijk->i", [(2, 3)], "the number of subscripts in the equation (3) does not match the "
                         "number of dimensions (2) for operand 0"),
    ("...ij", [(2,)], "is more than the number of dimensions (1) for operand 0"),
    ("i1->i", [(2, 3)], "invalid subscript given at index 1 in the equation string"),
    ("i.j", [(2, 3)], "found '.' for operand 0 that is not part of any ellipsis"),
    ("...,...->...", [(2, 3), (4, 5)], "has size 4 for operand 1"),
])
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(RuntimeError) as info:
        ag.einsum(equation, *[ag.ones(*s) for s in shapes])
    assert message in str(info.value)


def test_einsum_mixed_dtypes_refused():
    with pytest.raises(RuntimeError, match="expected scalar type"):
        ag.einsum("ij,jk->ik", ag.ones(2, 3), ag.ones(3, 2, dtype=ag.float64))


# ----------------------------------------------------------------------------- devices
def test_products_on_device(device):
    a = ag.randn(2, 3, device=device, requires_grad=True)
    b = ag.randn(3, 4, device=device, requires_grad=True)
    for out in (a @ b, ag.mm(a, b), ag.einsum("ij,jk->ik", a, b),
                ag.addmm(ag.zeros(4, device=device), a, b)):
        assert out.device == a.device
        out.sum().backward()
    expected = np.ones((2, 4)) @ host(b).T
    np.testing.assert_allclose(host(a.grad), 4 * expected, rtol=1e-5)


@pytest.mark.usefixtures("fake_cuda")
def test_products_on_fake_gpu():
    """The device-agnostic code paths (no NumPy call on a device array), twice differentiated."""
    def leaf(*shape):
        return ag.randn(*shape, device="cuda", dtype=ag.float64, requires_grad=True)

    a, b, v, sq = leaf(2, 2, 3), leaf(3, 4), leaf(3), leaf(2, 3, 3)
    outs = [a @ b, a @ v, ag.einsum("bii->bi", sq), ag.einsum("...ij,jk->...k", a, b),
            ag.einsum("bij->", a), ag.outer(v, v), ag.dot(v, v), ag.mm(b.t(), b),
            ag.addmm(v, b, b.t()), ag.tensordot(a, b, 1)]
    for out in outs:
        assert out.device.type == "cuda"
        loss = (out * out).sum()
        grads = ag.autograd.grad(loss, (a, b, v, sq), create_graph=True, allow_unused=True)
        used = [g for g in grads if g is not None]
        assert used and all(g.device.type == "cuda" for g in used)
        second = ag.autograd.grad(sum(g.sum() for g in used), (a, b, v, sq), allow_unused=True)
        assert all(g.device.type == "cuda" for g in second if g is not None)
