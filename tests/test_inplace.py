"""In-place methods: values, version counters, the graph they record (gradients through
in-place ops on non-leaves), the no-grad fast path of optimisers, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check_gradients
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor, shapes

import autograd_core as ag
from autograd_core.ops._inplace import LEAF_MESSAGE


def host(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach().cpu()._host())


@st.composite
def into_pairs(draw, min_side: int = 1):
    """(self shape, other shape) where ``other`` broadcasts *into* ``self``."""
    target = draw(shapes(0, 3, min_side, 3))
    other = [1 if draw(st.booleans()) else d for d in target]
    return target, tuple(other[draw(st.integers(0, len(other))):])


# ----------------------------------------------------------------------------- values
BINARY = [
    ("add_", lambda a, b: a + b, {}),
    ("add_", lambda a, b: a - 0.5 * b, {"alpha": -0.5}),
    ("sub_", lambda a, b: a - b, {}),
    ("sub_", lambda a, b: a - 2.0 * b, {"alpha": 2.0}),
    ("mul_", lambda a, b: a * b, {}),
    ("div_", lambda a, b: a / b, {}),
]


@pytest.mark.parametrize("name, ref, kwargs", BINARY)
@given(pair=into_pairs(), data=st.data())
def test_binary_values_and_versions(name, ref, kwargs, pair, data):
    sa, sb = pair
    va = data.draw(arrays(sa, away_from_zero=0.5))
    vb = data.draw(arrays(sb, away_from_zero=0.5))
    for recorded in (False, True):
        x = make_tensor(va.copy(), data.draw(layouts()), requires_grad=False)
        y = make_tensor(vb, requires_grad=recorded)
        before = x._version
        out = getattr(x, name)(y, **kwargs)
        assert out is x and x._version == before + 1
        np.testing.assert_allclose(host(x), ref(va, vb), rtol=1e-12)
        assert (x.grad_fn is not None) == recorded


@pytest.mark.parametrize("name, args, ref", [
    ("add_", (2.5,), lambda a: a + 2.5),
    ("sub_", (2.5,), lambda a: a - 2.5),
    ("mul_", (-3.0,), lambda a: a * -3.0),
    ("div_", (4.0,), lambda a: a / 4.0),
    ("pow_", (2,), lambda a: a ** 2),
    ("pow_", (0.5,), lambda a: np.abs(a) ** 0.5),
    ("neg_", (), lambda a: -a),
    ("exp_", (), np.exp),
    ("log_", (), lambda a: np.log(np.abs(a))),
    ("sqrt_", (), lambda a: np.sqrt(np.abs(a))),
    ("abs_", (), np.abs),
    ("tanh_", (), np.tanh),
    ("sigmoid_", (), lambda a: 1 / (1 + np.exp(-a))),
    ("relu_", (), lambda a: np.maximum(a, 0)),
    ("clamp_", (-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("clip_", (None, 0.5), lambda a: np.minimum(a, 0.5)),
    ("clamp_min_", (0.2,), lambda a: np.maximum(a, 0.2)),
    ("clamp_max_", (0.2,), lambda a: np.minimum(a, 0.2)),
    ("zero_", (), np.zeros_like),
    ("fill_", (1.5,), lambda a: np.full_like(a, 1.5)),
])
@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_scalar_and_unary_values(name, args, ref, dtype):
    values = np.array([[-1.5, -0.25, 0.0], [0.3, 1.0, 2.0]])
    if name in ("log_", "sqrt_") or (name == "pow_" and args == (0.5,)):
        values = np.abs(values) + 0.1
    x = ag.tensor(values, dtype=dtype)
    assert getattr(x, name)(*args) is x
    assert x.dtype == dtype and x._version == 1
    np.testing.assert_allclose(host(x), ref(values.astype(dtype.numpy)), rtol=1e-6)


def test_float32_stays_float32_with_numpy_scalars():
    x = ag.ones(3)
    x.add_(ag.ones(3), alpha=np.float64(0.1))
    x.mul_(np.float64(2.0))
    x.addcdiv_(ag.ones(3), ag.ones(3) * 2, value=np.float64(-0.5))
    assert x.dtype == ag.float32 and x._data.dtype == np.float32
    np.testing.assert_allclose(host(x), [1.95] * 3, rtol=1e-6)


def test_optimiser_helpers_values():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((2, 3)) for _ in range(3))
    x = ag.tensor(a)
    x.addcmul_(ag.tensor(b), ag.tensor(c), value=0.3)
    np.testing.assert_allclose(host(x), a + 0.3 * b * c)
    x = ag.tensor(a)
    x.addcdiv_(ag.tensor(b), ag.tensor(np.abs(c) + 1), value=-2.0)
    np.testing.assert_allclose(host(x), a - 2.0 * b / (np.abs(c) + 1))
    for w in (0.1, 0.5, 1.0, -0.7):
        x = ag.tensor(a)
        x.lerp_(ag.tensor(b), w)
        np.testing.assert_allclose(host(x), a + w * (b - a), atol=1e-14)
    x = ag.tensor(a)
    x.lerp_(ag.tensor(b), 1.0)
    assert host(x).tolist() == b.tolist()  # w = 1 gives end exactly
    x = ag.tensor(a)
    x.lerp_(ag.tensor(b), ag.tensor(np.abs(c[0]) / 4))  # tensor weight, broadcast
    np.testing.assert_allclose(host(x), a + np.abs(c[0]) / 4 * (b - a))


def test_optimiser_helpers_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    p, g, m, v = (rng.standard_normal(5).astype(np.float32) for _ in range(4))
    v = np.abs(v)
    ours = [ag.tensor(a) for a in (p, g, m, v)]
    theirs = [torch.tensor(a) for a in (p, g, m, v)]
    for (pp, gg, mm, vv), lib in ((ours, ag), (theirs, torch)):
        with lib.no_grad():
            mm.lerp_(gg, 0.1)
            vv.mul_(0.999).addcmul_(gg, gg, value=0.001)
            denom = vv.sqrt().add_(1e-8)
            pp.addcdiv_(mm, denom, value=-0.01)
            pp.add_(gg, alpha=-0.001).clamp_(-1.0, 1.0)
    for a, b in zip(ours, theirs):
        assert a.dtype == ag.float32
        np.testing.assert_allclose(host(a), b.numpy(), rtol=1e-6, atol=1e-7)


def test_operators_are_in_place():
    x = ag.ones(3)
    alias = x
    x += 1
    x -= 0.5
    x *= 4
    x /= 2
    x **= 2
    assert x is alias and x._version == 5
    assert host(x).tolist() == [9.0, 9.0, 9.0]


# ----------------------------------------------------------------------------- overwriting
def test_copy_broadcasts_and_casts():
    x = ag.zeros(2, 3)
    x.copy_(ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64))
    assert x.dtype == ag.float32 and host(x).tolist() == [[1, 2, 3], [1, 2, 3]]
    n = ag.zeros(3, dtype=ag.int64)
    n.copy_(ag.tensor([1.7, -2.2, 3.9]))
    assert host(n).tolist() == [1, -2, 3]
    y = ag.ones(2, 2)
    y.copy_(y.t() * 2)
    assert y._version == 1


def test_copy_between_devices(device):
    src = ag.tensor([1.0, 2.0])
    dst = ag.zeros(2, device=device)
    dst.copy_(src)
    assert dst.device.type == ag.device(device).type and host(dst).tolist() == [1.0, 2.0]
    back = ag.zeros(2)
    back.copy_(dst * 3)
    assert host(back).tolist() == [3.0, 6.0]


def test_fill_with_0d_tensor():
    x = ag.zeros(2, 2)
    x.fill_(ag.tensor(3.5))
    assert host(x).tolist() == [[3.5, 3.5], [3.5, 3.5]]
    n = ag.zeros(2, dtype=ag.int64)
    n.fill_(1.7)
    assert host(n).tolist() == [1, 1]


def test_random_fills():
    x = ag.empty(4000)
    x.normal_(2.0, 0.5)
    assert abs(host(x).mean() - 2.0) < 0.05 and abs(host(x).std() - 0.5) < 0.05
    x.uniform_(-3.0, -1.0)
    assert host(x).min() >= -3.0 and host(x).max() < -1.0
    x.bernoulli_(0.25)
    assert set(np.unique(host(x))) <= {0.0, 1.0} and abs(host(x).mean() - 0.25) < 0.05
    x.bernoulli_(ag.full((4000,), 1.0))
    assert host(x).min() == 1.0
    n = ag.zeros(1000, dtype=ag.int64)
    n.random_(3, 7)
    assert set(np.unique(host(n))) == {3, 4, 5, 6}
    n.random_(2)
    assert set(np.unique(host(n))) == {0, 1}
    assert x.dtype == ag.float32 and x._version == 4


def test_random_fills_follow_the_generator():
    a, b = ag.empty(5), ag.empty(5)
    a.normal_(generator=ag.Generator().manual_seed(3))
    b.normal_(generator=ag.Generator().manual_seed(3))
    assert host(a).tolist() == host(b).tolist()
    ag.manual_seed(7)
    a.uniform_()
    ag.manual_seed(7)
    b.uniform_()
    assert host(a).tolist() == host(b).tolist()


# ----------------------------------------------------------------------------- the graph
def _pos(shape, data):
    return make_tensor(data.draw(arrays(shape, low=0.5, high=2.0)), data.draw(layouts()))


RECORDED = {
    "add_": lambda x, y: (x * 2).add_(y),
    "add_alpha": lambda x, y: (x * 2).add_(y, alpha=-3.0),
    "sub_": lambda x, y: (x * 1).sub_(y * y),
    "mul_": lambda x, y: (x * 1).mul_(y),          # the node needs the old value of x * 1
    "mul_self": lambda x, y: (x + y).mul_(x),
    "div_": lambda x, y: (x * 1).div_(y),
    "pow_": lambda x, y: (x * 1).pow_(y),
    "addcmul_": lambda x, y: (x * 1).addcmul_(y, x, value=0.5),
    "addcdiv_": lambda x, y: (x * 1).addcdiv_(x, y, value=-2.0),
    "lerp_": lambda x, y: (x * 1).lerp_(y, 0.3),
    "lerp_far": lambda x, y: (x * 1).lerp_(y, 0.8),
    "lerp_tensor": lambda x, y: (x * 1).lerp_(y * 2, y / 4),
    "copy_": lambda x, y: (x * 3).copy_(y * y),
    "into_leaf": lambda x, y: ag.zeros(x.shape, dtype=x.dtype).add_(y) * x,
    "chain": lambda x, y: (x * 1).add_(y).mul_(y).sub_(x, alpha=0.5).div_(y).lerp_(x, 0.6),
}


@pytest.mark.parametrize("name", sorted(RECORDED))
@settings(max_examples=10)
@given(pair=into_pairs(), data=st.data())
def test_recorded_binary_gradients(name, pair, data):
    sa, sb = pair
    x, y = _pos(sa, data), _pos(sb, data)
    fn = RECORDED[name]
    if name in ("copy_", "into_leaf"):
        y = _pos(sa, data)  # same shape: the target's shape must hold the result
    check_gradients(fn, (x, y))


@pytest.mark.parametrize("name", ["exp_", "log_", "sqrt_", "tanh_", "sigmoid_", "abs_", "neg_",
                                  "relu_"])
@settings(max_examples=10)
@given(shape=shapes(0, 3, 1, 3), data=st.data())
def test_recorded_unary_gradients(name, shape, data):
    x = _pos(shape, data)
    check_gradients(lambda t: getattr(t * 1, name)() * t, (x,))


@settings(max_examples=10)
@given(shape=shapes(1, 3, 1, 3), data=st.data())
def test_recorded_overwrites_give_zero_gradient_to_old_values(shape, data):
    x = _pos(shape, data)
    v = ag.tensor(data.draw(st.floats(-2, 2)), dtype=ag.float64, requires_grad=True)
    check_gradients(lambda t: (t * 2).zero_() + t, (x,))
    check_gradients(lambda t: (t * 2).fill_(1.5) * t, (x,))
    check_gradients(lambda t, s: (t * 2).fill_(s) * t, (x, v.reshape(())), twice=False)
    check_gradients(lambda t: (t * 2).clamp_(0.8, 1.5) * t, (x,))
    out = (x * 2).normal_()
    assert out.grad_fn.name() == "NormalBackward0"
    (g,) = ag.autograd.grad(out.sum(), x)
    assert not host(g).any()


def test_fill_gradient_reaches_the_value():
    v = ag.tensor(2.0, requires_grad=True)
    x = ag.zeros(2, 3).fill_(v)
    assert x.grad_fn.name() == "FillBackward0"
    (x * 3).sum().backward()
    assert v.grad.item() == 18.0


def test_grad_fn_names():
    w = ag.ones(3, requires_grad=True)
    assert (w * 2).add_(1).grad_fn.name() == "AddBackward0"
    assert (w * 2).mul_(w).grad_fn.name() == "MulBackward0"
    assert (w * 2).exp_().grad_fn.name() == "ExpBackward0"
    assert (w * 2).zero_().grad_fn.name() == "ZeroBackward0"
    assert (w * 2).copy_(w).grad_fn.name() == "CopyBackward0"
    assert (w * 2).uniform_().grad_fn.name() == "UniformBackward0"


def test_in_place_on_leaf_without_grad_joins_the_graph():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    buf = ag.zeros(2)
    buf.add_(w * w)
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    assert host(w.grad).tolist() == [2.0, 4.0]


# ----------------------------------------------------------------------------- versions
def test_every_op_bumps_the_version():
    x = ag.ones(2, 2)
    calls = [lambda: x.add_(1), lambda: x.sub_(ag.ones(2)), lambda: x.mul_(2),
             lambda: x.div_(2), lambda: x.pow_(1), lambda: x.neg_(), lambda: x.abs_(),
             lambda: x.exp_(), lambda: x.clamp_(0, 3), lambda: x.zero_(), lambda: x.fill_(1),
             lambda: x.copy_(ag.ones(2)), lambda: x.normal_(), lambda: x.uniform_(),
             lambda: x.addcmul_(x, x), lambda: x.addcdiv_(x, x + 5), lambda: x.lerp_(x, 0.5),
             lambda: x.relu_(), lambda: x.sigmoid_(), lambda: x.tanh_(), lambda: x.sqrt_()]
    for i, call in enumerate(calls, start=1):
        call()
        assert x._version == i


def test_view_shares_the_version():
    base = ag.zeros(2, 3)
    view = base.reshape(3, 2)
    view.add_(1)
    assert base._version == view._version == 1
    assert host(base).tolist() == [[1.0] * 3] * 2


def test_data_alias_does_not_bump_the_version():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.data.add_(1.0)
    assert x._version == 0
    assert host(x).tolist() == [2.0, 3.0]
    y.backward()  # Mul saved x; its version did not change, so this is allowed
    assert host(x.grad).tolist() == [4.0, 6.0]


@pytest.mark.parametrize("build, op, node", [
    (lambda w: w * 2, lambda z: z.add_(1), "MulBackward0"),
    (lambda w: w.exp(), lambda z: z.mul_(2), "ExpBackward0"),
    (lambda w: w.tanh(), lambda z: z.zero_(), "TanhBackward0"),
])
def test_modifying_a_saved_tensor_raises_at_backward(build, op, node):
    w = ag.tensor([0.5, 1.0], requires_grad=True)
    z = build(w)
    y = z * z if node == "MulBackward0" else z
    op(z)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    message = str(info.value)
    assert node in message
    assert "is at version 1; expected version 0" in message


def test_saved_old_value_survives_in_place_update():
    """``mul_`` keeps a copy of the old value for its own gradient: no false alarm."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([3.0, 4.0], requires_grad=True)
    z = w * 1
    z.mul_(y)
    z.sum().backward()
    assert host(y.grad).tolist() == [1.0, 2.0] and host(w.grad).tolist() == [3.0, 4.0]


def test_saved_old_value_after_earlier_in_place_updates():
    """The node's copy of the old value carries the version it was saved at (not 0)."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([3.0, 4.0], requires_grad=True)
    z = w * 1
    z.add_(1)            # version 1
    z.mul_(y)            # MulBackward0 saves the old z (at version 1)
    z.sum().backward()
    assert host(y.grad).tolist() == [2.0, 3.0]


# ----------------------------------------------------------------------------- no_grad
def test_optimiser_style_update_on_leaves():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    with ag.no_grad():
        p.sub_(0.1 * p.grad)
        p -= 0.1 * p.grad
        p.add_(p.grad, alpha=-0.1)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p._version == 3
    np.testing.assert_allclose(host(p), [0.4, 0.8], rtol=1e-6)


def test_leaf_requiring_grad_is_refused():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: p.add_(1), lambda: p.zero_(), lambda: p.copy_(ag.ones(2)),
                 lambda: p.normal_(), lambda: p.exp_()):
        with pytest.raises(RuntimeError) as info:
            call()
        assert LEAF_MESSAGE in str(info.value)
    assert p._version == 0 and host(p).tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, exc, message", [
    (lambda: ag.ones(3).add_(ag.ones(2, 3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    (lambda: ag.ones(3).mul_(ag.ones(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    (lambda: ag.ones(3, dtype=ag.int64).add_(1.5), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: ag.ones(3, dtype=ag.int64).mul_(ag.ones(3, dtype=ag.float64)), RuntimeError,
     "result type Double can't be cast to the desired output type Long"),
    (lambda: ag.ones(3, dtype=ag.bool).add_(1), RuntimeError,
     "result type Long can't be cast to the desired output type Bool"),
    (lambda: ag.ones(3, dtype=ag.int64).div_(2), RuntimeError, "can't be cast"),
    (lambda: ag.ones(3, dtype=ag.int64).exp_(), RuntimeError, "can't be cast"),
    (lambda: ag.ones(3, dtype=ag.int64).add_(ag.ones(3, dtype=ag.int64), alpha=0.5),
     RuntimeError, "alpha must not be a floating point number"),
    (lambda: ag.ones(3, dtype=ag.int64).pow_(-1), RuntimeError, "negative integer powers"),
    (lambda: ag.ones(3, dtype=ag.bool).neg_(), RuntimeError, "on a bool tensor is not supported"),
    (lambda: ag.ones(3).fill_(ag.ones(2)), RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions"),
    (lambda: ag.ones(3).copy_(ag.ones(2, 3)), RuntimeError, "doesn't match the broadcast shape"),
    (lambda: ag.ones(3).copy_([1.0, 2.0, 3.0]), TypeError, "must be Tensor"),
    (lambda: ag.ones(3).clamp_(), RuntimeError, "At least one of 'min' or 'max' must not be None"),
    (lambda: ag.ones(3).add_("a"), TypeError, "must be Tensor or Number"),
    (lambda: ag.ones(3).uniform_(2, 1), RuntimeError, "[from, to) range, but found from=2 > to=1"),
    (lambda: ag.ones(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0"),
    (lambda: ag.ones(3, dtype=ag.int64).normal_(), NotImplementedError, "floating point"),
    (lambda: ag.ones(3).bernoulli_(1.5), RuntimeError, "p to be in [0, 1]"),
    (lambda: ag.ones(3).lerp_(ag.ones(3, dtype=ag.float64), 0.5), RuntimeError,
     "expected dtype float32 for `end` but got dtype float64"),
    (lambda: ag.ones(3, dtype=ag.int64).addcdiv_(ag.ones(3, dtype=ag.int64),
                                                 ag.ones(3, dtype=ag.int64)),
     RuntimeError, "Integer division with addcdiv is no longer supported"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


def test_failed_op_leaves_the_tensor_unchanged():
    x = ag.ones(3)
    with pytest.raises(RuntimeError):
        x.add_(ag.ones(2, 3))
    assert x._version == 0 and host(x).tolist() == [1.0, 1.0, 1.0]


# ----------------------------------------------------------------------------- devices
@pytest.mark.usefixtures("fake_cuda")
def test_in_place_ops_on_fake_gpu():
    """Both paths (fast and recorded) use only the array module of the tensor's device."""
    x = ag.ones(2, 3, device="cuda")
    g = ag.full((2, 3), 0.5, device="cuda")
    x.add_(g, alpha=-2.0).sub_(1).mul_(g).div_(2.0).pow_(2).neg_().abs_().sqrt_()
    x.addcmul_(g, g, value=0.5).addcdiv_(g, g + 1, value=2.0).lerp_(g, 0.3).clamp_(0, 1)
    x.exp_().tanh_().sigmoid_().relu_()
    x.copy_(ag.ones(3, device="cuda")).fill_(2.0).zero_().normal_().uniform_().bernoulli_(0.5)
    x.copy_(ag.tensor([1.0, 2.0, 3.0], device="cuda"))
    assert x.device.type == "cuda" and x._version == 23
    assert host(x).tolist() == [[1.0, 2.0, 3.0]] * 2
    w = ag.ones(2, 3, device="cuda", dtype=ag.float64, requires_grad=True)
    z = (w * 2).mul_(w).add_(g.double()).lerp_(w, 0.2).clamp_(0, 100.0).exp_()
    z.sum().backward()
    assert w.grad.device.type == "cuda"


@pytest.mark.usefixtures("fake_cuda")
def test_copy_from_host_to_fake_gpu():
    x = ag.zeros(2, 3, device="cuda")
    x.copy_(ag.tensor([1.0, 2.0, 3.0]))
    assert x.device.type == "cuda" and host(x).tolist() == [[1.0, 2.0, 3.0]] * 2
    back = ag.zeros(2, 3)
    back.copy_(x * 2)
    assert back.device.type == "cpu" and back.tolist() == [[2.0, 4.0, 6.0]] * 2
