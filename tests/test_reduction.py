"""Reductions: values against NumPy (and PyTorch where installed), gradients by finite
differences (first and second order), PyTorch's conventions at ties and zeros, numerical
stability, dtypes and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor, shapes

import autograd_core as ag
from autograd_core.autograd import gradcheck, gradgradcheck

try:  # the CuPy stand-in: runs the device-agnostic code the way a GPU would
    from fake_cupy import fake_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    @pytest.fixture
    def fake_cuda():
        pytest.skip("tests/fake_cupy.py is not available")

INF = math.inf


def host(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach()._host())


def leaf(values, dtype=ag.float64) -> ag.Tensor:
    return ag.tensor(values, dtype=dtype, requires_grad=True)


@st.composite
def reduce_case(draw, min_dims=0, max_dims=3, min_side=1, max_side=3, tuples=True, none=True):
    """(shape, dim, keepdim): dim None, an int (maybe negative) or a tuple of distinct dims."""
    shape = draw(shapes(min_dims, max_dims, min_side, max_side))
    nd = len(shape)
    options = [st.sampled_from([0, -1] if nd == 0 else list(range(-nd, nd)))]
    if none:
        options.append(st.none())
    if tuples and nd:
        axes = st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)
        options.append(axes.map(lambda a: tuple(d - nd if i % 2 else d for i, d in enumerate(a))))
    dim = draw(st.one_of(*options))
    return shape, dim, draw(st.booleans())


def np_axes(dim, nd):
    if dim is None or nd == 0:
        return None
    return tuple(d % nd for d in dim) if isinstance(dim, tuple) else dim % nd


def check_grads(fn, x, second=True, **kw):
    """gradcheck (and, by default, gradgradcheck) of ``fn`` at ``x``."""
    assert gradcheck(fn, (x,), **kw)
    if second:
        assert gradgradcheck(fn, (x,), **kw)


# ----------------------------------------------------------------------------- sum, mean
@given(reduce_case(min_side=0), st.data())
def test_sum_and_mean(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    np.testing.assert_allclose(host(ag.sum(x, dim, keepdim)),
                               values.sum(axis=axes, keepdims=keepdim))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty mean is nan, without NumPy's warning
        out = x.mean(dim, keepdim)
    if values.size and out.numel():
        np.testing.assert_allclose(host(out), values.mean(axis=axes, keepdims=keepdim))
    check_grads(lambda t: t.sum(dim, keepdim), x)
    check_grads(lambda t: t.mean(dim, keepdim), x)


def test_sum_mean_dtypes():
    i = ag.tensor([[1, 2], [3, 4]], dtype=ag.int32)
    assert ag.sum(i).dtype == ag.int64 and ag.sum(ag.tensor([True, True])).item() == 2
    assert i.sum(dtype=ag.float64).dtype == ag.float64
    assert i.mean(dtype=ag.float32).item() == 2.5
    f = ag.ones(3, 2)
    assert f.sum(0).dtype == ag.float32 and f.mean((0, 1)).dtype == ag.float32
    assert ag.tensor(3.0).sum(0, keepdim=True).shape == ()
    assert ag.ones(2, 3).sum(dim=()).item() == 6  # an empty dim list reduces everything


# ----------------------------------------------------------------------------- prod
@given(reduce_case(max_side=3), st.integers(0, 3), st.data())
def test_prod_with_and_without_zeros(case, zeros, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape, 0.5, 1.5)) * data.draw(st.sampled_from([1, -1]))
    flat = values.reshape(-1)
    if flat.size:
        positions = data.draw(st.lists(st.integers(0, flat.size - 1), max_size=zeros))
        flat[positions] = 0.0
    x = make_tensor(values, data.draw(layouts()))
    out = ag.prod(x, dim, keepdim) if dim is None or isinstance(dim, int) else x.prod(dim, keepdim)
    np.testing.assert_allclose(host(out), values.prod(axis=np_axes(dim, len(shape)),
                                                      keepdims=keepdim))
    check_grads(lambda t: t.prod(dim, keepdim), x)


def test_prod_zero_gradients_match_torch():
    torch = pytest.importorskip("torch")
    for values in ([0.0, 2.0, 3.0], [0.0, 2.0, 0.0], [[1.0, 0.0, 4.0], [2.0, 3.0, 5.0]],
                   [[0.0, 0.0, 4.0], [0.0, 3.0, 5.0]]):
        x, tx = leaf(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
        for dim in (None, 0, -1):
            if dim is not None and x.ndim == 1 and dim == -1:
                continue
            y = x.prod() if dim is None else x.prod(dim)
            ty = tx.prod() if dim is None else tx.prod(dim)
            gx, = ag.autograd.grad(y.sum(), x)
            tgx, = torch.autograd.grad(ty.sum(), tx)
            np.testing.assert_allclose(host(gx), tgx.numpy())
            check_grads(lambda t, dim=dim: t.prod() if dim is None else t.prod(dim), x)


def test_prod_dtypes():
    assert ag.tensor([1, 2, 3], dtype=ag.int32).prod().dtype == ag.int64
    assert ag.tensor([True, False]).prod().dtype == ag.int64
    assert ag.tensor([1, 2, 3]).prod(dtype=ag.float64).item() == 6.0


# ----------------------------------------------------------------------------- var, std
@given(reduce_case(max_side=3), st.sampled_from([0, 1, 2, 0.5]), st.data())
def test_var_and_std(case, correction, data):
    shape, dim, keepdim = case
    axes = np_axes(dim, len(shape))
    values = data.draw(arrays(shape))
    reduced = range(len(shape)) if axes is None else np.atleast_1d(axes)
    count = int(np.prod([shape[a] for a in reduced]))
    if count - correction <= 0:
        correction = 0
    x = make_tensor(values, data.draw(layouts()))
    np.testing.assert_allclose(host(x.var(dim, keepdim=keepdim, correction=correction)),
                               values.var(axis=axes, ddof=correction, keepdims=keepdim))
    np.testing.assert_allclose(host(ag.std(x, dim, keepdim=keepdim, correction=correction)),
                               values.std(axis=axes, ddof=correction, keepdims=keepdim))
    check_grads(lambda t: t.var(dim, keepdim=keepdim, correction=correction), x)
    if count > 1:  # std is not differentiable where all values coincide
        check_grads(lambda t: t.std(dim, keepdim=keepdim, correction=correction), x)


def test_var_legacy_arguments_and_mean_pairs():
    x = ag.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    data = host(x)
    np.testing.assert_allclose(host(x.var()), data.var(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(host(x.var(False)), data.var(), rtol=1e-6)
    np.testing.assert_allclose(host(x.var(1, False)), data.var(axis=1), rtol=1e-6)
    np.testing.assert_allclose(host(x.std(1, unbiased=True, keepdim=True)),
                               data.std(axis=1, ddof=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(host(x.var(0, correction=0)), data.var(axis=0), rtol=1e-6)
    v, m = ag.var_mean(x, 1)
    np.testing.assert_allclose(host(v), data.var(axis=1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(host(m), data.mean(axis=1), rtol=1e-6)
    s, m = ag.std_mean(x, unbiased=False)
    np.testing.assert_allclose(host(s), data.std(), rtol=1e-6)
    with pytest.raises(TypeError, match="not both"):
        x.var(0, unbiased=True, correction=1)


def test_var_without_degrees_of_freedom_warns_like_torch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        out = ag.ones(1, 3).var(0)
    assert np.isnan(host(out)).all()
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert ag.tensor([1.0, 2.0]).var(correction=3).item() == INF
    with pytest.warns(UserWarning):
        assert math.isnan(ag.empty(0).var().item())


def test_std_gradient_is_zero_where_std_is_zero():
    x = leaf([2.0, 2.0, 2.0])
    x.std().backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- extremes
@given(reduce_case(), st.data())
def test_amax_amin(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    dims = () if dim is None else dim
    np.testing.assert_array_equal(host(x.amax(dims, keepdim)), values.max(axes, keepdims=keepdim))
    np.testing.assert_array_equal(host(ag.amin(x, dims, keepdim)),
                                  values.min(axes, keepdims=keepdim))
    check_grads(lambda t: t.amax(dims, keepdim), x)
    check_grads(lambda t: t.amin(dims, keepdim), x)


@given(reduce_case(tuples=False, none=False), st.data())
def test_max_min_along_a_dim(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    for fn, np_fn, np_arg in ((ag.max, np.max, np.argmax), (ag.min, np.min, np.argmin)):
        result = fn(x, dim, keepdim)
        values_out, indices = result
        assert result.values is values_out and result.indices is indices
        assert indices.dtype == ag.int64 and not indices.requires_grad
        expect = np_fn(values, axis=axis, keepdims=keepdim) if shape else values
        expect_i = np_arg(values, axis=axis, keepdims=keepdim) if shape else np.array(0)
        np.testing.assert_array_equal(host(values_out), expect)
        np.testing.assert_array_equal(host(indices), expect_i)
        check_grads(lambda t, fn=fn: fn(t, dim, keepdim).values, x)


@given(reduce_case(tuples=False), st.data())
def test_argmax_argmin(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape))
    x = make_tensor(values, data.draw(layouts()), requires_grad=False)
    axis = np_axes(dim, len(shape))
    for fn, np_fn in ((ag.argmax, np.argmax), (ag.argmin, np.argmin)):
        out = fn(x, dim, keepdim)
        assert out.dtype == ag.int64
        if dim is None:
            expect = np.array(np_fn(values.reshape(-1)))
            if keepdim:
                expect = expect.reshape((1,) * len(shape))
        else:
            expect = np_fn(values, axis=axis, keepdims=keepdim) if shape else np.array(0)
        np.testing.assert_array_equal(host(out), expect)


def test_tie_gradients_follow_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 0.0, 2.0], [-1.0, -1.0, 5.0, -1.0]]
    cases = [
        lambda m, t: t.max(), lambda m, t: t.min(),
        lambda m, t: t.max(1).values, lambda m, t: t.min(0).values,
        lambda m, t: t.max(dim=0, keepdim=True)[0], lambda m, t: t.min(-1)[0],
        lambda m, t: t.amax(1), lambda m, t: t.amin(0), lambda m, t: t.amax(),
        lambda m, t: m.amin(t, (0, 1), True), lambda m, t: t.median(),
        lambda m, t: t.median(1).values, lambda m, t: t.norm(INF, 1),
        lambda m, t: t.norm(-INF), lambda m, t: t.norm(INF),
    ]
    rng = np.random.default_rng(0)
    for k, case in enumerate(cases):
        x, tx = leaf(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
        y, ty = case(ag, x), case(torch, tx)
        np.testing.assert_allclose(host(y), ty.detach().numpy(), err_msg=str(k))
        seed = rng.standard_normal(tuple(ty.shape))
        gx, = ag.autograd.grad(y, x, ag.tensor(seed))
        tgx, = torch.autograd.grad(ty, tx, torch.tensor(seed))
        np.testing.assert_allclose(host(gx), tgx.numpy(), err_msg=str(k))
    tx = torch.tensor(values)
    x = ag.tensor(values)
    for dim in (0, 1):  # indices at ties: the first occurrence, like PyTorch
        assert host(x.max(dim).indices).tolist() == tx.max(dim).indices.tolist()
        assert host(x.min(dim).indices).tolist() == tx.min(dim).indices.tolist()
        assert host(x.argmax(dim)).tolist() == tx.argmax(dim).tolist()
        assert host(x.median(dim).indices).tolist() == tx.median(dim).indices.tolist()


def test_max_of_nan_is_nan_like_torch():
    x = ag.tensor([float("nan"), 1.0, 3.0])
    assert math.isnan(x.max().item()) and math.isnan(x.amax().item())
    assert x.max(0).indices.item() == 0 and x.argmax().item() == 0
    assert math.isnan(x.median().item())


def test_median_values():
    x = ag.tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 9.0, 7.0, 5.0]])
    assert x.median().item() == 3.0  # the lower of the two middle values
    np.testing.assert_array_equal(host(x.median(1).values), [2.0, 5.0])
    np.testing.assert_array_equal(host(x.median(1, keepdim=True).indices), [[3], [3]])
    assert math.isnan(ag.empty(0).median().item())
    xg = leaf([[4.0, 1.0, 3.0], [0.0, 9.0, 7.0]])
    assert gradcheck(lambda t: t.median(0).values, (xg,))
    check_grads(lambda t: t.median(), xg, second=False)


def test_max_of_two_tensors_delegates_to_maximum():
    if not hasattr(ag, "maximum"):
        pytest.skip("autograd_core.maximum is not available yet")
    a, b = ag.tensor([1.0, 5.0, 2.0]), ag.tensor([3.0, 0.0, 2.0])
    assert host(a.max(b)).tolist() == [3.0, 5.0, 2.0]
    assert host(ag.min(a, b)).tolist() == [1.0, 0.0, 2.0]


def test_zero_dim_tensors():
    x = leaf(3.0)
    values, indices = x.max(0)
    assert values.shape == () and indices.item() == 0
    assert x.max(-1, keepdim=True).values.shape == ()
    assert x.argmax(0).item() == 0 and x.argmax().shape == ()
    assert x.softmax(0).item() == 1.0 and x.log_softmax(-1).item() == 0.0
    assert x.cumsum(0).item() == 3.0 and x.cumprod(0).item() == 3.0
    assert x.logsumexp(0).item() == 3.0 and x.norm(dim=0).item() == 3.0
    for fn in (lambda t: t.max(0).values, lambda t: t.softmax(0), lambda t: t.log_softmax(0),
               lambda t: t.cumsum(0), lambda t: t.cumprod(0), lambda t: t.logsumexp(0),
               lambda t: t.prod(0), lambda t: t.amax(), lambda t: t.norm(3, dim=0)):
        check_grads(fn, x)


# ----------------------------------------------------------------------------- logic, counts
@given(reduce_case(min_side=0), st.data())
def test_all_any_count_nonzero(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape)).round()
    x = make_tensor(values, data.draw(layouts()), requires_grad=False)
    axes = np_axes(dim, len(shape))
    for fn, np_fn in ((ag.all, np.all), (ag.any, np.any)):
        out = fn(x, dim, keepdim)
        assert out.dtype == ag.bool
        np.testing.assert_array_equal(host(out), np_fn(values, axis=axes, keepdims=keepdim))
    counts = x.count_nonzero(dim)
    assert counts.dtype == ag.int64
    np.testing.assert_array_equal(host(counts), np.count_nonzero(values, axis=axes))


# ----------------------------------------------------------------------------- logsumexp
@given(reduce_case(min_side=0), st.data())
def test_logsumexp(case, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape, -3, 3))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    with np.errstate(divide="ignore"):
        expect = np.log(np.exp(values).sum(axis=axes, keepdims=keepdim))
    dims = () if dim is None else dim
    np.testing.assert_allclose(host(x.logsumexp(dims, keepdim)), expect)
    check_grads(lambda t: ag.logsumexp(t, dims, keepdim), x)


def test_logsumexp_is_stable():
    x = ag.tensor([[1000.0, 1000.0], [-1000.0, -1000.0], [-INF, -INF]])
    out = host(x.logsumexp(1))
    np.testing.assert_allclose(out[:2], [1000 + math.log(2), -1000 + math.log(2)], rtol=1e-6)
    assert out[2] == -INF
    assert x.logsumexp(1).dtype == ag.float32
    assert ag.tensor([1, 2]).logsumexp(0).dtype == ag.float32


# ----------------------------------------------------------------------------- norm
NORM_ORDERS = [1, 2, INF, -INF, "fro", 0.5, 1.5, 3, 0]


@given(reduce_case(), st.sampled_from(NORM_ORDERS), st.data())
def test_norm(case, p, data):
    shape, dim, keepdim = case
    values = data.draw(arrays(shape, away_from_zero=0.1))
    x = make_tensor(values, data.draw(layouts()))
    axes = np_axes(dim, len(shape))
    a = np.abs(values)
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
            x.norm(p, dim, keepdim)
        p = 2
    q = 2 if p == "fro" else p
    if q == INF:
        expect = a.max(axis=axes, keepdims=keepdim)
    elif q == -INF:
        expect = a.min(axis=axes, keepdims=keepdim)
    elif q == 0:
        expect = (a != 0).sum(axis=axes, keepdims=keepdim).astype(float)
    else:
        expect = (a**q).sum(axis=axes, keepdims=keepdim) ** (1 / q)
    out = x.norm(p, dim, keepdim)
    np.testing.assert_allclose(host(out), expect)
    check_grads(lambda t: ag.norm(t, p, dim, keepdim), x)


def test_norm_gradients_at_zero_match_torch():
    torch = pytest.importorskip("torch")
    for values in ([0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [[0.0, 0.0], [3.0, -4.0]]):
        for p in (2, 1, 0.5, 1.5, 3, INF, "fro"):
            for dim in (None, 0):
                x = leaf(values)
                tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
                gx, = ag.autograd.grad(x.norm(p, dim).sum(), x)
                tgx, = torch.autograd.grad(tx.norm(p, dim).sum(), tx)
                np.testing.assert_allclose(host(gx), tgx.numpy(), err_msg=f"{values} {p} {dim}")
    x = leaf([[0.0, 0.0], [3.0, -4.0]])  # (not twice differentiable at 0)
    check_grads(lambda t: t.norm(dim=1), x, second=False)


def test_norm_arguments():
    x = ag.tensor([[3.0, -4.0], [0.0, 0.0]], dtype=ag.float32)
    assert x.norm().item() == 5.0 and x.norm().dtype == ag.float32
    assert host(x.norm(dim=1, keepdim=True)).tolist() == [[5.0], [0.0]]
    assert x.norm(p=1).item() == 7.0 and x.norm(0).item() == 2.0
    assert x.norm(dtype=ag.float64).dtype == ag.float64
    with pytest.raises(RuntimeError, match="without narrowing"):
        x.double().norm(dtype=ag.float32)
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        ag.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match="not supported"):
        x.norm("nuc")
    with pytest.raises(RuntimeError, match="inf norm on an empty tensor"):
        ag.empty(0, 3).norm(INF)
    with pytest.raises(RuntimeError, match="dimension 0"):
        ag.empty(0, 3).norm(INF, dim=0)
    assert ag.empty(0, 3).norm(INF, dim=1).shape == (0,)
    assert ag.empty(0, 3).norm().item() == 0.0


# ----------------------------------------------------------------------------- softmax
@given(reduce_case(min_side=0, tuples=False, none=False), st.data())
def test_softmax_and_log_softmax(case, data):
    shape, dim, _ = case
    values = data.draw(arrays(shape, -5, 5))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    if shape:
        shifted = values - values.max(axis=axis, keepdims=True) if values.size else values
        e = np.exp(shifted)
        expect = e / e.sum(axis=axis, keepdims=True)
    else:
        expect = np.ones(())
    np.testing.assert_allclose(host(x.softmax(dim)), expect)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(host(ag.log_softmax(x, dim)), np.log(expect), atol=1e-12)
    check_grads(lambda t: ag.softmax(t, dim), x)
    check_grads(lambda t: t.log_softmax(dim), x)


def test_softmax_is_stable_for_large_logits():
    for dtype in (ag.float32, ag.float64):
        x = ag.tensor([1000.0, 0.0, -1000.0], dtype=dtype)
        out = x.log_softmax(0)
        assert out.dtype == dtype and np.isfinite(host(out)).all()
        np.testing.assert_allclose(host(out), [0.0, -1000.0, -2000.0], rtol=1e-6)
        np.testing.assert_allclose(host(x.softmax(0)), [1.0, 0.0, 0.0])
    x = leaf([1000.0, 0.0, -1000.0])
    x.log_softmax(0)[1].backward()
    assert np.isfinite(host(x.grad)).all()


def test_softmax_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = rng.standard_normal((3, 4, 5)).astype(np.float32) * 10
    for name in ("softmax", "log_softmax"):
        for dim in (0, 1, -1):
            x = ag.tensor(values, requires_grad=True)
            tx = torch.tensor(values, requires_grad=True)
            y, ty = getattr(x, name)(dim), getattr(tx, name)(dim)
            assert y.dtype == ag.float32
            np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
            seed = rng.standard_normal(values.shape).astype(np.float32)
            y.backward(ag.tensor(seed))
            ty.backward(torch.tensor(seed))
            np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_softmax_is_one_fused_node():
    x = leaf([[1.0, 2.0], [3.0, 5.0]])
    for y, name in ((x.softmax(1), "SoftmaxBackward0"), (x.log_softmax(0), "LogSoftmaxBackward0")):
        assert y.grad_fn.name() == name
        assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"  # the input itself


def test_softmax_dtype_and_implicit_dim():
    x = ag.tensor([[1, 2], [3, 4]])
    assert x.softmax(1, dtype=ag.float64).dtype == ag.float64
    assert ag.log_softmax(x.float(), 0).dtype == ag.float32
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        x.softmax(0)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = ag.softmax(x.float(), None)
    np.testing.assert_allclose(host(out).sum(axis=1), [1.0, 1.0], rtol=1e-6)
    assert ag.empty(0, 3).softmax(1).shape == (0, 3)


# ----------------------------------------------------------------------------- cumulative
@given(reduce_case(min_side=0, tuples=False, none=False), st.data())
def test_cumsum_cumprod(case, data):
    shape, dim, _ = case
    values = data.draw(arrays(shape, 0.5, 1.5)) * data.draw(st.sampled_from([1, -1]))
    x = make_tensor(values, data.draw(layouts()))
    axis = np_axes(dim, len(shape))
    expect_sum = np.cumsum(values, axis=axis) if shape else values
    expect_prod = np.cumprod(values, axis=axis) if shape else values
    np.testing.assert_allclose(host(x.cumsum(dim)), expect_sum)
    np.testing.assert_allclose(host(ag.cumprod(x, dim)), expect_prod)
    check_grads(lambda t: ag.cumsum(t, dim), x)
    check_grads(lambda t: t.cumprod(dim), x)


def test_cumprod_with_zeros():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for values in ([2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 2.0, 3.0], [1.5, 2.0, 0.0],
                   [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0], [1.0, 2.0, 3.0]]):
        for dim in (0, -1):
            x = leaf(values)
            tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
            seed = rng.standard_normal(np.shape(values))
            gx, = ag.autograd.grad(x.cumprod(dim), x, ag.tensor(seed))
            tgx, = torch.autograd.grad(tx.cumprod(dim), tx, torch.tensor(seed))
            np.testing.assert_allclose(host(gx), tgx.numpy())
            assert gradcheck(lambda t, dim=dim: t.cumprod(dim), (x,))


def test_cumulative_dtypes():
    i = ag.tensor([1, 2, 3], dtype=ag.int32)
    assert i.cumsum(0).dtype == ag.int64 and i.cumprod(0).dtype == ag.int64
    assert ag.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert i.cumsum(0, dtype=ag.float32).dtype == ag.float32
    assert ag.ones(2, 3).cumsum(1).dtype == ag.float32
    with pytest.raises(TypeError, match="must be int"):
        ag.ones(2).cumsum(None)


# ----------------------------------------------------------------------------- comparisons
def test_forward_values_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    values = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x, tx = ag.tensor(values), torch.tensor(values)
    calls = [
        ("sum", ((0, 2),), {"keepdim": True}), ("mean", (-1,), {}), ("prod", (1,), {}),
        ("var", (1,), {"correction": 0}), ("std", (), {}), ("amax", ((0, 1),), {}),
        ("amin", (-1, True), {}), ("logsumexp", (2,), {}), ("norm", (3, 1), {}),
        ("norm", (), {}), ("softmax", (0,), {}), ("log_softmax", (1,), {}),
        ("cumsum", (2,), {}), ("cumprod", (0,), {}), ("argmax", (1, True), {}),
        ("argmin", (), {}), ("count_nonzero", (0,), {}), ("max", (), {}), ("min", (), {}),
        ("median", (), {}), ("all", (1,), {}), ("any", (), {}),
    ]
    for name, args, kwargs in calls:
        ours = getattr(x, name)(*args, **kwargs)
        theirs = getattr(tx, name)(*args, **kwargs)
        assert tuple(ours.shape) == tuple(theirs.shape), name
        assert ours.dtype.name == str(theirs.dtype).split(".")[1], name
        np.testing.assert_allclose(host(ours), theirs.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    for name in ("max", "min", "median"):
        ours, theirs = getattr(x, name)(1, keepdim=True), getattr(tx, name)(1, keepdim=True)
        np.testing.assert_allclose(host(ours.values), theirs.values.numpy())
        np.testing.assert_array_equal(host(ours.indices), theirs.indices.numpy())


def test_empty_inputs_match_torch():
    torch = pytest.importorskip("torch")
    x, tx = ag.empty(0, 3), torch.empty(0, 3)
    calls = [("sum", ()), ("sum", (0,)), ("mean", (1,)), ("prod", (0,)), ("logsumexp", (0,)),
             ("logsumexp", (1,)), ("norm", ()), ("softmax", (0,)), ("cumsum", (0,)),
             ("amax", (1,)), ("max", (1,)), ("count_nonzero", (0,)), ("all", ()), ("any", ())]
    for name, args in calls:
        ours, theirs = getattr(x, name)(*args), getattr(tx, name)(*args)
        if isinstance(theirs, tuple):
            ours, theirs = ours.values, theirs.values
        assert tuple(ours.shape) == tuple(theirs.shape), name
        np.testing.assert_allclose(host(ours), theirs.numpy(), err_msg=name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(x.mean().item())


# ----------------------------------------------------------------------------- dtypes
def test_float32_is_never_promoted():
    x = ag.rand(2, 3, requires_grad=True)
    outs = [x.sum(), x.mean(0), x.prod(1), x.var(), x.std(0), x.max(), x.max(1).values,
            x.amin(0), x.median(), x.logsumexp(1), x.norm(), x.norm(3, 1), x.norm(INF),
            x.softmax(1), x.log_softmax(0), x.cumsum(1), x.cumprod(0)]
    for out in outs:
        assert out.dtype == ag.float32, out.grad_fn
        out.sum().backward()
        assert x.grad.dtype == ag.float32, out.grad_fn
        x.grad = None
    outs = [x.argmax(), x.argmin(1), x.count_nonzero(), x.max(0).indices]
    assert all(o.dtype == ag.int64 for o in outs)


def test_exports_and_methods():
    names = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "max", "min",
             "median", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero",
             "logsumexp", "norm", "softmax", "log_softmax", "cumsum", "cumprod"]
    for name in names:
        assert callable(getattr(ag, name)), name
        if name not in ("var_mean", "std_mean"):
            assert callable(getattr(ag.Tensor, name)), name
    assert ag.ones(2).softmax(0).grad_fn is None  # nothing recorded without requires_grad
    assert leaf([1.0, 2.0]).max(0).values.grad_fn.name() == "MaxBackward0"


# ----------------------------------------------------------------------------- errors
def test_dim_out_of_range_is_an_index_error():
    x = ag.ones(2, 3)
    message = r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"
    for call in (lambda: x.sum(5), lambda: x.mean((0, 5)), lambda: x.max(5), lambda: x.amax(-3),
                 lambda: x.argmax(2), lambda: x.softmax(2), lambda: x.log_softmax(-3),
                 lambda: x.cumsum(2), lambda: x.var(4), lambda: x.logsumexp(2),
                 lambda: x.norm(dim=2), lambda: x.prod(2), lambda: x.all(2)):
        with pytest.raises(IndexError, match="Dimension out of range"):
            call()
    with pytest.raises(IndexError, match=message):
        x.sum(5)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        ag.tensor(1.0).max(1)


def test_bad_inputs():
    i = ag.tensor([[1, 2], [3, 4]])
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        i.mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        i.var()
    with pytest.raises(RuntimeError, match="does not support bool"):
        ag.tensor([True, False]).argmax()
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        ag.ones(2, 3).sum((0, -2))
    with pytest.raises(TypeError, match="must be int"):
        ag.ones(2, 3).max((0, 1))


def test_reductions_without_identity_refuse_empty_input():
    e = ag.empty(0, 3)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(RuntimeError, match=r"min\(\): Expected reduction dim to be specified"):
        e.min()
    with pytest.raises(RuntimeError, match=r"amax\(\): Expected reduction dim to be specified"):
        e.amax()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        e.max(0)
    with pytest.raises(IndexError, match=r"amin\(\): Expected reduction dim 0 to have non-zero"):
        e.amin((0, 1))
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        e.argmax()
    with pytest.raises(IndexError, match=r"argmin\(\): Expected reduction dim 0 to have"):
        e.argmin(0)
    assert e.max(1).values.shape == (0,) and e.argmax(1).shape == (0,)


# ----------------------------------------------------------------------------- devices
def test_reductions_on_each_device(device):
    values = np.array([[1.0, -2.0, 0.0, 3.0], [0.5, 4.0, -1.0, 0.0]])
    x = ag.tensor(values, device=device, requires_grad=True)
    terms = [x.sum(1), x.mean(0), x.prod(1), x.var(1), x.std(0), x.max(), x.min(1).values,
             x.amax(0), x.median(1).values, x.logsumexp(1), x.norm(), x.norm(3, 1),
             x.norm(INF, 0), x.softmax(1), x.log_softmax(0), x.cumsum(1), x.cumprod(1)]
    total = terms[0].sum()
    for t in terms[1:]:
        assert t.device == x.device
        total = total + t.sum()
    total.backward()
    assert x.grad.device == x.device and np.isfinite(host(x.grad.cpu())).all()
    assert x.argmax().device == x.device and x.all(1).device == x.device


def test_device_agnostic_code_on_a_cupy_like_module(fake_cuda):
    values = np.array([[1.0, -2.0, 0.0, 3.0], [0.5, 4.0, -1.0, 0.0]])
    x = ag.tensor(values, device="cuda", requires_grad=True)
    terms = [x.sum(1), x.mean(0), x.prod(1), x.var(1), x.std(0), x.max(), x.min(1).values,
             x.amax(0), x.median(1).values, x.median(), x.logsumexp(1), x.norm(), x.norm(3, 1),
             x.norm(INF, 0), x.softmax(1), x.log_softmax(0), x.cumsum(1), x.cumprod(1)]
    total = terms[0].sum()
    for t in terms[1:]:
        total = total + t.sum()
    total.backward()
    ref = ag.tensor(values, requires_grad=True)
    ref_terms = [ref.sum(1), ref.mean(0), ref.prod(1), ref.var(1), ref.std(0), ref.max(),
                 ref.min(1).values, ref.amax(0), ref.median(1).values, ref.median(),
                 ref.logsumexp(1), ref.norm(), ref.norm(3, 1), ref.norm(INF, 0), ref.softmax(1),
                 ref.log_softmax(0), ref.cumsum(1), ref.cumprod(1)]
    ref_total = ref_terms[0].sum()
    for t in ref_terms[1:]:
        ref_total = ref_total + t.sum()
    ref_total.backward()
    np.testing.assert_allclose(host(x.grad.cpu()), host(ref.grad))
    assert x.argmax(1).device == x.device and x.any().device == x.device
    assert x.count_nonzero().cpu().item() == 6
