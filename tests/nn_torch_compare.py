"""Shared checks of `nn` layers and functions against PyTorch, from identical weights and
inputs (float64): values, input and parameter gradients, reprs; and float64 gradchecks.

Imported by the ``test_nn_*`` files; every check skips when torch is absent."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck


def to_np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _pair_inputs(torch, arrays, grad_mask):
    ours, theirs = [], []
    for a, g in zip(arrays, grad_mask):
        a = np.asarray(a)
        floating = a.dtype.kind == "f"
        ours.append(ag.tensor(a, requires_grad=bool(g and floating)))
        theirs.append(torch.tensor(a, requires_grad=bool(g and floating)))
    return ours, theirs


def _backward_both(torch, got, expected, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    g_ours, g_theirs = [], []
    for o, t in zip(got, expected):
        if not (t.requires_grad and t.dtype.is_floating_point):
            continue
        g = rng.standard_normal(tuple(t.shape))
        ours.append(o)
        theirs.append(t)
        g_ours.append(ag.tensor(g, dtype=o.dtype))
        g_theirs.append(torch.tensor(g, dtype=t.dtype))
    if theirs:
        torch.autograd.backward(theirs, g_theirs)
        ag.autograd.backward(ours, g_ours)


def assert_same(got, expected, tol: float = 1e-10) -> None:
    got, expected = _as_tuple(got), _as_tuple(expected)
    assert len(got) == len(expected)
    for o, t in zip(got, expected):
        assert tuple(o.shape) == tuple(t.shape), (tuple(o.shape), tuple(t.shape))
        if t.dtype.is_floating_point:
            np.testing.assert_allclose(to_np(o), t.detach().numpy().astype(np.float64),
                                       rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def compare_function(name: str, arrays, kwargs=None, tol: float = 1e-10, grad=None,
                     ours=None, theirs=None) -> None:
    """``F.<name>(*arrays, **kwargs)``: value and the gradients of the float inputs vs
    ``torch.nn.functional.<name>``. ``grad``: which inputs get a gradient (default all)."""
    torch = pytest.importorskip("torch")
    kwargs = kwargs or {}
    grad = grad if grad is not None else [True] * len(arrays)
    xs, ts = _pair_inputs(torch, arrays, grad)
    fn_ours = ours or getattr(nn.functional, name)
    fn_theirs = theirs or getattr(torch.nn.functional, name)
    expected = _as_tuple(fn_theirs(*ts, **kwargs))
    got = _as_tuple(fn_ours(*xs, **kwargs))
    assert_same(got, expected, tol)
    _backward_both(torch, got, expected)
    for x, t in zip(xs, ts):
        if t.requires_grad:
            assert (x.grad is None) == (t.grad is None)
            if t.grad is not None:
                np.testing.assert_allclose(to_np(x.grad), t.grad.numpy(), rtol=tol, atol=tol)


def make_pair(name: str, *args, **kwargs):
    """(ours, theirs): ``nn.<name>(*args, **kwargs)`` in float64 with torch's weights."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()

    def mine(v):
        return ag.tensor(v.detach().numpy()) if isinstance(v, torch.Tensor) else v

    ours = getattr(nn, name)(*map(mine, args), **{k: mine(v) for k, v in kwargs.items()})
    ours = ours.double()
    state = {k: ag.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    return ours, theirs


def compare_module(name: str, args=(), kwargs=None, inputs=(), tol: float = 1e-10,
                   grad=None, train: bool = True):
    """``nn.<name>`` vs ``torch.nn.<name>`` from identical weights: repr, state_dict keys,
    outputs, and gradients of the inputs and of every parameter."""
    torch = pytest.importorskip("torch")
    ours, theirs = make_pair(name, *args, **(kwargs or {}))
    ours.train(train)
    theirs.train(train)
    grad = grad if grad is not None else [True] * len(inputs)
    xs, ts = _pair_inputs(torch, inputs, grad)
    expected = _as_tuple(theirs(*ts))
    got = _as_tuple(ours(*xs))
    assert_same(got, expected, tol)
    _backward_both(torch, got, expected)
    for x, t in zip(xs, ts):
        if t.grad is not None:
            np.testing.assert_allclose(to_np(x.grad), t.grad.numpy(), rtol=tol, atol=tol)
    params = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        if params[key].grad is None:
            assert p.grad is None, key
        else:
            np.testing.assert_allclose(to_np(p.grad), params[key].grad.numpy(), rtol=tol,
                                       atol=tol, err_msg=key)
    for key, b in theirs.named_buffers():
        if b.dtype.is_floating_point:
            np.testing.assert_allclose(to_np(ours.get_buffer(key)), b.numpy(), rtol=tol,
                                       atol=tol, err_msg=key)
    return ours, theirs


def grad_ok(fn, *arrays, grad=None) -> None:
    """float64 finite-difference `gradcheck` of ``fn`` at ``arrays`` (numpy arrays)."""
    grad = grad if grad is not None else [True] * len(arrays)
    inputs = tuple(ag.tensor(np.asarray(a), requires_grad=bool(g and np.asarray(a).dtype.kind
                                                                 == "f"))
                   for a, g in zip(arrays, grad))
    assert gradcheck(fn, inputs)


def raises_like_torch(fn_ours, fn_theirs, match: str | None = None):
    """Both raise, with the same exception class (ours optionally matching ``match``)."""
    pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        fn_theirs()
    with pytest.raises(type(theirs.value), match=match):
        fn_ours()
