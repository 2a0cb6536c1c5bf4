"""The device-agnostic code, proved without a GPU.

`fake_cupy` plays CuPy (NumPy underneath, but refusing implicit conversion to NumPy and
any mixing with NumPy arrays). With it serving the ``"cuda"`` device:

- a small MLP written with raw tensor ops trains for a few steps on ``"cuda"`` and its
  losses, gradients and updated weights equal the CPU run's;
- every primitive gives on ``"cuda"`` the values and gradients it gives on the CPU, so a
  stray ``np.`` call on a device array (which CuPy would reject) fails here;
- the device rules hold: moving is explicit, mixing devices raises, ``numpy()`` refuses.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import IMPLICIT_CONVERSION_MESSAGE, FakeArray, fake_cuda  # noqa: F401
from fake_cupy import fake_cupy as xp

import autograd_core as ag

pytestmark = pytest.mark.usefixtures("fake_cuda")
Tensor = ag.Tensor


def _has(*names: str) -> bool:
    """Whether every name exists (``'Tensor.sub_'`` on the class, ``'gather'`` in ag)."""
    for name in names:
        owner, _, attr = name.rpartition(".")
        if not hasattr(Tensor if owner == "Tensor" else ag, attr):
            return False
    return True


def _values(t: Tensor) -> np.ndarray:
    return np.asarray(t.tolist(), dtype=np.float64)


def _on_device(t: Tensor) -> bool:
    return type(t._data) is FakeArray and t.device == "cuda:0"


# ----------------------------------------------------------------------- the fake itself
def test_fake_arrays_refuse_numpy():
    a = xp.arange(6, dtype=np.float32).reshape(2, 3)
    host = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    assert "Please use `.get()`" in IMPLICIT_CONVERSION_MESSAGE
    for mix in (lambda: a + host, lambda: host + a, lambda: a * host, lambda: a @ host,
                lambda: np.exp(a), lambda: np.concatenate([a, a]), lambda: xp.exp(host),
                lambda: xp.maximum(a, host), lambda: xp.stack([a[0], host]),
                lambda: a[np.array([0, 1])], lambda: a.__setitem__(0, host),
                lambda: xp.exp([1.0, 2.0])):
        with pytest.raises(TypeError):
            mix()


def test_fake_arrays_behave_like_device_arrays():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = xp.asarray(host)  # the explicit upload copies
    host[0, 0] = 100.0
    assert a.get()[0, 0] == 0.0
    assert type(a.sum()) is FakeArray and a.sum().ndim == 0  # 0-d arrays, not scalars
    assert type(a[1, 2]) is FakeArray and float(a[1, 2]) == 5.0
    assert (a * np.float64(2)).dtype == np.float64  # NumPy 2 (NEP 50) promotion, as CuPy
    assert (a * 2.0).dtype == np.float32
    b = a.copy()
    b -= 1
    assert b.tolist()[0] == [-1.0, 0.0, 1.0]
    out = xp.empty((2, 3), dtype=np.float32)
    assert xp.exp(a, out=out) is out
    assert xp.asarray(a) is a
    index = xp.asarray(np.array([0, 0, 1]))
    total = xp.zeros(3)
    xp.add.at(total, index, 1.0)
    assert total.tolist() == [2.0, 1.0, 0.0]
    assert a.device.id == 0 and a.__dlpack_device__() == (2, 0)
    assert a.T.flags.c_contiguous is False
    owner = xp.ones(4)
    assert owner.base is None and owner[1:].base is owner and owner[::2].T.base is owner
    assert xp.asnumpy(a).tolist() == a.tolist()
    with pytest.raises(AttributeError, match="NumPy-only"):
        xp.errstate  # noqa: B018  (CuPy has no errstate)
    with pytest.raises(AttributeError, match="CUDA source"):
        xp.RawModule  # noqa: B018  (ElementwiseKernel is interpreted, RawModule absent)


# -------------------------------------------------------------------- training an MLP
def _init_mlp(sizes=(4, 8, 3)):
    """CPU parameters of an MLP, reproducible."""
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        params.append(ag.tensor(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32)))
        params.append(ag.tensor(rng.uniform(-bound, bound, (n_out,)).astype(np.float32)))
    return params


def _forward(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = ag.relu(h)
    return h


def _sgd_step(params, lr: float) -> None:
    """In-place SGD as an optimiser does it: under no_grad, through the tensors' own arrays."""
    with ag.no_grad():
        for i, p in enumerate(params):
            if i % 2 == 0:
                p -= lr * p.grad
            else:
                p.data.sub_(lr * p.grad)
            p.grad = None


def _train(device: str, loss_fn, x, y, steps: int = 3, lr: float = 0.1):
    params = [p.to(device).requires_grad_() for p in _init_mlp()]
    ids = [id(p) for p in params]
    x, y = x.to(device), y.to(device)
    history = []
    for _ in range(steps):
        loss = loss_fn(_forward(params, x), y)
        loss.backward()
        history.append((loss.item(), [_values(p.grad) for p in params],
                        [p.grad.device for p in params]))
        _sgd_step(params, lr)
    assert [id(p) for p in params] == ids  # updated in place
    return history, params


def _mse(out, y):
    return ((out - y) ** 2).mean()


def _nll(out, y):
    log_probs = ag.log_softmax(out, dim=1)
    return -log_probs.gather(1, y.unsqueeze(1)).mean()


@pytest.mark.parametrize("loss_name", ["mse", "nll"])
def test_mlp_training_on_cuda_matches_cpu(loss_name):
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.standard_normal((6, 4)).astype(np.float32))
    if loss_name == "mse":
        loss_fn, y = _mse, ag.tensor(rng.standard_normal((6, 3)).astype(np.float32))
    else:
        loss_fn, y = _nll, ag.tensor(rng.integers(0, 3, 6))
    cpu_history, cpu_params = _train("cpu", loss_fn, x, y)
    gpu_history, gpu_params = _train("cuda", loss_fn, x, y)

    for (cpu_loss, cpu_grads, _), (gpu_loss, gpu_grads, gpu_devices) in zip(cpu_history,
                                                                           gpu_history):
        assert gpu_loss == pytest.approx(cpu_loss, rel=1e-6)
        assert all(d == "cuda:0" for d in gpu_devices)
        for g_cpu, g_gpu in zip(cpu_grads, gpu_grads):
            np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-5, atol=1e-7)
    assert gpu_history[-1][0] < gpu_history[0][0]  # it learns
    for p_cpu, p_gpu in zip(cpu_params, gpu_params):
        assert _on_device(p_gpu) and p_gpu.is_leaf and p_gpu.requires_grad
        assert p_gpu.dtype == ag.float32
        np.testing.assert_allclose(_values(p_gpu), _values(p_cpu), rtol=1e-5, atol=1e-7)


def test_gradient_flows_back_across_devices():
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # a CPU leaf
    x = ag.tensor([[1.0, -1.0]], device="cuda")
    loss = (x @ w.to("cuda")).sum()
    assert loss.device == "cuda:0"
    loss.backward()
    assert w.grad.device == "cpu"
    assert w.grad.tolist() == [[1.0, 1.0], [-1.0, -1.0]]


def test_leaves_never_share_gradient_memory():
    x = ag.ones(3, device="cuda", requires_grad=True)
    y = ag.ones(3, device="cuda", requires_grad=True)
    (x + y).sum().backward()  # both gradients are the same array in the graph
    assert x.grad.tolist() == y.grad.tolist() == [1.0, 1.0, 1.0]
    assert not xp.shares_memory(x.grad._data, y.grad._data)


def test_gradcheck_on_cuda():
    x = ag.tensor([[0.5, -1.0, 2.0]], dtype=ag.float64, device="cuda", requires_grad=True)
    w = ag.tensor([[1.0], [0.5], [-2.0]], dtype=ag.float64, device="cuda", requires_grad=True)
    assert ag.autograd.gradcheck(lambda a, b: ag.tanh(a @ b) * a.sum(), (x, w))


# ----------------------------------------------------------------------- device rules
def test_round_trip_cpu_cuda_cpu():
    t = ag.tensor([[1.5, -2.0], [0.25, 4.0]])
    g = t.to("cuda")
    assert _on_device(g) and g.dtype == ag.float32 and g.shape == (2, 2)
    assert g.to("cuda") is g and g.cuda() is g
    back = g.cpu()
    assert back.device == "cpu" and type(back._data) is np.ndarray
    assert back.tolist() == t.tolist()
    assert not np.shares_memory(back.numpy(), t.numpy())
    assert t.cuda().device == "cuda:0" and t.cuda(0).device == "cuda:0"
    d = t.to("cuda", ag.float64)
    assert d.dtype == ag.float64 and d.device == "cuda:0"
    assert t.to(device="cuda", dtype=ag.int64).tolist() == [[1, -2], [0, 4]]
    assert ag.tensor(g).device == "cuda:0"
    assert ag.tensor(t, device="cuda").device == "cuda:0"
    assert ag.tensor(g, device="cpu").device == "cpu"
    assert ag.zeros(2).to(g).device == "cuda:0"


def test_mixing_devices_raises_naming_both():
    a = ag.ones(2, device="cuda")
    b = ag.ones(2)
    for op in (lambda: a + b, lambda: b * a, lambda: a - b, lambda: b / a,
               lambda: ag.ones(2, 2) @ ag.ones(2, 2, device="cuda"),
               lambda: ag.maximum(a, b), lambda: ag.where(a > 0, a, b)):
        with pytest.raises(RuntimeError) as info:
            op()
        assert "cuda:0" in str(info.value) and "cpu" in str(info.value)


def test_numpy_refuses_cuda_tensors():
    t = ag.ones(3, device="cuda")
    with pytest.raises(TypeError, match="cuda:0"):
        t.numpy()
    with pytest.raises(TypeError):
        np.asarray(t)
    assert t.cpu().numpy().tolist() == [1.0, 1.0, 1.0]


def test_cuda_tensor_repr_shows_the_device():
    assert repr(ag.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    t = ag.tensor([1.5, 2.0], device="cuda", requires_grad=True)
    assert repr(t) == "tensor([1.5000, 2.0000], device='cuda:0', requires_grad=True)"
    assert repr(t * 2) == "tensor([3., 4.], device='cuda:0', grad_fn=<MulBackward0>)"
    assert repr(ag.tensor([1, 2], device="cuda")) == "tensor([1, 2], device='cuda:0')"
    assert (repr(ag.zeros(0, 2, dtype=ag.int32, device="cuda"))
            == "tensor([], device='cuda:0', size=(0, 2), dtype=autograd_core.int32)")
    assert repr(ag.tensor(3.0, device="cuda")) == "tensor(3., device='cuda:0')"


def test_host_reads_of_cuda_tensors():
    t = ag.tensor([[1.0, 2.0]], device="cuda")
    assert t.tolist() == [[1.0, 2.0]]
    s = t.sum()
    assert _on_device(s) and s.item() == 3.0 and float(s) == 3.0 and bool(s)
    assert int(ag.tensor(7, device="cuda")) == 7


def test_dtypes_stay_float32_on_cuda():
    t = ag.ones(2, device="cuda")
    for out in (t * np.float64(2), np.float64(2) * t, t + np.float32(1), t / 3.0,
                t - np.int64(1), np.float64(0.5) * t * 2):
        assert out.dtype == ag.float32 and _on_device(out)


def test_manual_seed_reproduces_cuda_random_numbers():
    ag.manual_seed(123)
    a = ag.rand(5, device="cuda")
    b = ag.randn(5, device="cuda")
    ag.manual_seed(123)
    assert ag.rand(5, device="cuda").tolist() == a.tolist()
    assert ag.randn(5, device="cuda").tolist() == b.tolist()
    assert _on_device(a) and a.dtype == ag.float32


# ------------------------------------------------------------- every op, CPU vs "cuda"
def _u(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape)


def _pos(rng, *shape):
    return rng.uniform(0.2, 0.9, shape)


def _idx(rng, high, *shape):
    return rng.integers(0, high, shape)


# (id, required names, fn, make inputs). Float inputs are float64 and require grad.
OPS = [
    # arithmetic
    ("add", (), lambda a, b: a + b, lambda r: [_u(r, 2, 3), _u(r, 3)]),
    ("sub_scalar", (), lambda a: 2.0 - a, lambda r: [_u(r, 3)]),
    ("mul", (), lambda a, b: a * b, lambda r: [_u(r, 2, 1), _u(r, 1, 3)]),
    ("div", (), lambda a, b: a / b, lambda r: [_u(r, 3), _pos(r, 3)]),
    ("pow", (), lambda a, b: a**b, lambda r: [_pos(r, 3), _u(r, 3)]),
    ("pow_scalar", (), lambda a: a**3 + 2.0**a, lambda r: [_u(r, 3)]),
    ("neg", (), lambda a: -a, lambda r: [_u(r, 3)]),
    ("floordiv_mod", (), lambda a: (a // 0.7) + (a % 0.7), lambda r: [_u(r, 4)]),
    ("numpy_scalar", (), lambda a: a * np.float64(2.0) + np.float32(1.0), lambda r: [_u(r, 3)]),
    ("int_div", (), lambda i: i / 2, lambda r: [_idx(r, 9, 4)]),
    # unary
    *[(name, (name,), (lambda f: lambda a: getattr(ag, f)(a))(name), lambda r: [_u(r, 2, 3)])
      for name in ["exp", "exp2", "expm1", "square", "sin", "cos", "tan", "atan", "sinh",
                   "cosh", "tanh", "asinh", "sigmoid", "relu", "abs", "erf", "erfc", "floor",
                   "ceil", "trunc", "round", "sign", "frac", "nan_to_num"]],
    *[(name, (name,), (lambda f: lambda a: getattr(ag, f)(a))(name), lambda r: [_pos(r, 2, 3)])
      for name in ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "asin",
                   "acos", "atanh"]],
    ("acosh", ("acosh",), lambda a: ag.acosh(a + 1.5), lambda r: [_pos(r, 3)]),
    # reductions
    ("sum_dim", (), lambda a: a.sum(dim=1, keepdim=True), lambda r: [_u(r, 2, 3)]),
    ("mean_dims", (), lambda a: a.mean(dim=(0, 2)), lambda r: [_u(r, 2, 3, 2)]),
    *[(name, (name,), (lambda f: lambda a: getattr(ag, f)(a))(name), lambda r: [_u(r, 2, 3)])
      for name in ["prod", "var", "std", "amax", "amin", "norm", "median",
                   "argmax", "argmin", "all", "any", "count_nonzero"]],
    ("max_dim", ("max",), lambda a: ag.max(a, dim=1), lambda r: [_u(r, 2, 3)]),
    ("min_all", ("min",), lambda a: ag.min(a), lambda r: [_u(r, 2, 3)]),
    ("var_mean", ("var_mean",), lambda a: ag.var_mean(a, dim=0), lambda r: [_u(r, 3, 2)]),
    ("std_mean", ("std_mean",), lambda a: ag.std_mean(a, dim=1), lambda r: [_u(r, 3, 2)]),
    ("logsumexp_dim", ("logsumexp",), lambda a: ag.logsumexp(a, dim=1),
     lambda r: [_u(r, 2, 3)]),
    ("softmax", ("softmax",), lambda a: ag.softmax(a, dim=1), lambda r: [_u(r, 2, 3)]),
    ("log_softmax", ("log_softmax",), lambda a: ag.log_softmax(a, dim=0),
     lambda r: [_u(r, 2, 3)]),
    ("cumsum", ("cumsum",), lambda a: ag.cumsum(a, dim=1), lambda r: [_u(r, 2, 3)]),
    ("cumprod", ("cumprod",), lambda a: ag.cumprod(a, dim=0), lambda r: [_u(r, 3, 2)]),
    # selection
    ("where", ("where",), lambda a, b: ag.where(a > 0, a, b), lambda r: [_u(r, 2, 3), _u(r, 3)]),
    ("where_scalar", ("where",), lambda a: ag.where(a > 0, a, 0.5), lambda r: [_u(r, 4)]),
    ("clamp", ("clamp",), lambda a: ag.clamp(a, -0.5, 0.5), lambda r: [_u(r, 4)]),
    ("clamp_tensors", ("clamp",), lambda a, lo: ag.clamp(a, min=lo, max=lo + 1.0),
     lambda r: [_u(r, 4), _u(r, 4)]),
    *[(name, (name,), (lambda f: lambda a, b: getattr(ag, f)(a, b))(name), lambda r: [_u(r, 2, 3), _u(r, 3)])
      for name in ["maximum", "minimum", "fmax", "fmin", "atan2"]],
    ("lerp", ("lerp",), lambda a, b: ag.lerp(a, b, 0.3), lambda r: [_u(r, 3), _u(r, 3)]),
    # comparison (no gradient)
    ("compare", (), lambda a, b: ((a < b) | (a >= 1.0)) & ~(a == b),
     lambda r: [_u(r, 2, 3), _u(r, 3)]),
    ("isclose", ("isclose",), lambda a, b: ag.isclose(a, b, atol=0.5), lambda r: [_u(r, 3), _u(r, 3)]),
    ("isfinite", ("isfinite", "isnan", "isinf"),
     lambda a: ag.isfinite(a * float("inf")) | ag.isnan(a) | ag.isinf(a), lambda r: [_u(r, 3)]),
    # shape
    ("reshape_permute", (), lambda a: a.reshape(3, 2).t().unsqueeze(0).squeeze(0),
     lambda r: [_u(r, 2, 3)]),
    ("transpose_T", (), lambda a: a.transpose(0, 2).T * a.mT.sum(), lambda r: [_u(r, 2, 3, 2)]),
    ("flatten_expand", ("Tensor.flatten", "Tensor.expand"),
     lambda a: a.flatten().unsqueeze(0).expand(2, 6), lambda r: [_u(r, 2, 3)]),
    ("repeat_tile", ("Tensor.repeat", "tile"), lambda a: a.repeat(2, 1) + ag.tile(a, (2, 1)),
     lambda r: [_u(r, 2, 3)]),
    ("flip_roll", ("flip", "roll"), lambda a: ag.flip(a, (0,)) * ag.roll(a, 1, 1),
     lambda r: [_u(r, 2, 3)]),
    ("movedim", ("movedim",), lambda a: ag.movedim(a, 0, -1), lambda r: [_u(r, 2, 3, 2)]),
    ("cat_stack", ("cat", "stack"), lambda a, b: ag.cat([a, b], 0).sum() + ag.stack([a, b], 1),
     lambda r: [_u(r, 2, 3), _u(r, 2, 3)]),
    ("split_chunk", ("split", "chunk", "unbind"),
     lambda a: ag.split(a, 1, 0)[1] * ag.chunk(a, 3, 1)[0] + ag.unbind(a, 1)[2].unsqueeze(1),
     lambda r: [_u(r, 2, 3)]),
    ("narrow", ("narrow",), lambda a: ag.narrow(a, 1, 1, 2), lambda r: [_u(r, 2, 3)]),
    ("broadcast_to", (), lambda a: a.broadcast_to((2, 3)), lambda r: [_u(r, 3)]),
    # linear algebra
    ("matmul", (), lambda a, b: a @ b, lambda r: [_u(r, 2, 3, 4), _u(r, 4, 2)]),
    ("matvec", (), lambda a, b: a @ b, lambda r: [_u(r, 3, 4), _u(r, 4)]),
    ("mm_bmm", ("mm", "bmm"), lambda a, b: ag.mm(a[0], b) + ag.bmm(a, b.unsqueeze(0)).sum(0),
     lambda r: [_u(r, 1, 2, 3), _u(r, 3, 2)]),
    ("dot_outer", ("dot", "outer", "mv"),
     lambda a, b: ag.dot(a, b) * ag.outer(a, b) + ag.mv(ag.outer(a, b), a),
     lambda r: [_u(r, 3), _u(r, 3)]),
    ("addmm", ("addmm",), lambda c, a, b: ag.addmm(c, a, b, beta=0.5, alpha=2.0),
     lambda r: [_u(r, 3), _u(r, 2, 4), _u(r, 4, 3)]),
    ("einsum", ("einsum",), lambda a, b: ag.einsum("bij,jk->bik", a, b),
     lambda r: [_u(r, 2, 3, 4), _u(r, 4, 2)]),
    ("tensordot_inner", ("tensordot", "inner"),
     lambda a, b: ag.tensordot(a, b, dims=1) + ag.inner(a, b),
     lambda r: [_u(r, 3, 3), _u(r, 3, 3)]),
    # indexing
    ("getitem_basic", ("Tensor.__getitem__",), lambda a: a[1:, ::2] * a[0, None, 1],
     lambda r: [_u(r, 3, 4)]),
    ("getitem_tensor", ("Tensor.__getitem__",), lambda a, i: a[i] + a[:, i].sum(),
     lambda r: [_u(r, 3, 3), _idx(r, 3, 4)]),
    ("getitem_mask", ("Tensor.__getitem__",), lambda a: a[a > 0], lambda r: [_u(r, 3, 4)]),
    ("setitem", ("Tensor.__setitem__",), lambda a, b: _setitem_copy(a, b),
     lambda r: [_u(r, 3, 4), _u(r, 4)]),
    ("gather_scatter", ("gather", "scatter_add", "scatter"),
     lambda a, i: a.gather(1, i) + ag.scatter_add(a, 1, i, a.gather(1, i)).sum()
     + ag.scatter(a, 1, i, 0.5).sum(),
     lambda r: [_u(r, 3, 4), _idx(r, 4, 3, 2)]),
    ("index_select_add", ("index_select", "index_add"),
     lambda a, i: ag.index_select(a, 0, i) + ag.index_add(a, 0, i, a[:2]).sum(),
     lambda r: [_u(r, 3, 4), _idx(r, 3, 2)]),
    ("masked", ("masked_fill", "masked_select"),
     lambda a: ag.masked_fill(a, a < 0, 2.0) + ag.masked_select(a, a > 0).sum(),
     lambda r: [_u(r, 3, 4)]),
    ("take", ("take", "take_along_dim"),
     lambda a, i: ag.take(a, i) + ag.take_along_dim(a, i.reshape(3, 2), 1).sum(),
     lambda r: [_u(r, 3, 4), _idx(r, 4, 6)]),
    ("nonzero", ("nonzero", "argwhere"), lambda a: ag.nonzero(a > 0) + ag.argwhere(a > 0),
     lambda r: [_u(r, 3, 4)]),
    # in place (under a graph, through the shadow mechanism)
    ("inplace_ops", ("Tensor.add_", "Tensor.mul_", "Tensor.sub_", "Tensor.div_"),
     lambda a, b: a.clone().add_(b).mul_(b).sub_(1.0).div_(2.0), lambda r: [_u(r, 3), _u(r, 3)]),
    ("inplace_unary", ("Tensor.relu_", "Tensor.clamp_", "Tensor.exp_"),
     lambda a: a.clone().clamp_(-0.5, 1.0).mul_(2.0) + a.clone().relu_() + a.clone().exp_(),
     lambda r: [_u(r, 4)]),
    ("inplace_fill", ("Tensor.zero_", "Tensor.fill_", "Tensor.copy_"),
     lambda a, b: a.clone().zero_() + a.clone().fill_(2.0) + ag.zeros(3, dtype=ag.float64,
                                                                       device=a.device).copy_(b),
     lambda r: [_u(r, 3), _u(r, 3)]),
]


def _setitem_copy(a, b):
    c = a * 1.0
    c[1] = b
    c[0, 1:3] = 0.5
    c[c > 1.5] = -1.0
    return c


def _run(fn, arrays, device):
    inputs = [ag.tensor(x, device=device, requires_grad=x.dtype.kind == "f") for x in arrays]
    out = fn(*inputs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, Tensor)]
    rng = np.random.default_rng(7)
    loss = None
    for o in outs:
        if o.requires_grad:
            weight = ag.tensor(rng.uniform(0.5, 1.5, tuple(o.shape)), dtype=o.dtype, device=device)
            term = (o * weight).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = [None if t.grad is None else t.grad for t in inputs]
    return outs, grads


@pytest.mark.parametrize("name, needs, fn, make", OPS, ids=[op[0] for op in OPS])
def test_op_on_cuda_matches_cpu(name, needs, fn, make):
    if not _has(*needs):
        pytest.skip(f"{name}: {', '.join(needs)} not implemented yet")
    arrays = make(np.random.default_rng(0))
    cpu_outs, cpu_grads = _run(fn, arrays, "cpu")
    gpu_outs, gpu_grads = _run(fn, arrays, "cuda")
    assert len(cpu_outs) == len(gpu_outs)
    for c, g in zip(cpu_outs, gpu_outs):
        assert _on_device(g), f"{name}: output on {g.device} / {type(g._data).__name__}"
        assert g.dtype == c.dtype and g.shape == c.shape
        np.testing.assert_allclose(_values(g), _values(c), rtol=1e-12, atol=1e-12)
    for c, g in zip(cpu_grads, gpu_grads):
        assert (c is None) == (g is None)
        if g is not None:
            assert _on_device(g), f"{name}: gradient on {g.device} / {type(g._data).__name__}"
            np.testing.assert_allclose(_values(g), _values(c), rtol=1e-12, atol=1e-12)
