"""Reductions (ops/reduction.py: sum, mean, prod, var, std, all, any, count_nonzero), and
what every reducing family shares (0-d inputs, PyTorch comparisons, dtypes, dim errors,
devices): values against NumPy (and PyTorch where installed), gradients by finite
differences (first and second order), PyTorch's conventions at zeros, dtypes and errors.
The other families: test_extrema.py, test_softmax.py, test_norm.py, test_cumulative.py."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from gradients import check_grads
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, host, layouts, leaf, make_tensor, np_axes, reduce_case

import autograd_core as ag

try:  # the CuPy stand-in: runs the device-agnostic code the way a GPU would
    from fake_cupy import fake_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    @pytest.fixture
    def fake_cuda():
        pytest.skip("tests/fake_cupy.py is not available")

INF = math.inf


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


# ----------------------------------------------------------------------------- 0-d inputs
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
