"""Every primitive's one backward rule, on every path a gradient takes.

For each sample program (which together reach every built-in `Function`):

- plain ``backward()`` (the rule on raw arrays), ``autograd.grad()`` and
  ``create_graph=True`` (the same rule on Tensors) give the same gradients;
- a hook on the output runs exactly once on each path;
- a float64 finite-difference check passes on the path a user's ``loss.backward()`` takes.

A coverage test asserts that the samples reach every `Function` subclass the library defines,
so a new primitive without a sample fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core.autograd import gradcheck
from autograd_core.function import Function

R = np.random.default_rng(7)


def _t(shape, low=-1.0, high=1.0, grad=True):
    return ag.tensor(R.uniform(low, high, size=shape), dtype=ag.float64, requires_grad=grad)


def _pos(shape):
    return _t(shape, 0.5, 2.0)


def _idx(values):
    return ag.tensor(values, dtype=ag.int64)


def _cholesky_solve(a, b):
    from autograd_core.distributions._linalg import cholesky, solve_triangular

    spd = a @ a.mT + 3.0 * ag.eye(3, dtype=ag.float64)
    lower = cholesky(spd)
    return solve_triangular(lower, b) + solve_triangular(lower.mT, b, upper=True)


def _gamma_cdf(x):
    from autograd_core.distributions._incomplete_gamma import RegularizedGammaP

    a = ag.tensor([0.5, 1.0, 2.5, 4.0], dtype=ag.float64)  # no gradient in a (as PyTorch)
    return RegularizedGammaP.apply(a, x)


def _standard_gamma(a):
    from autograd_core.distributions._sampling import standard_gamma

    return standard_gamma(a)


def _inplace_view(x):
    b = x * 1
    b[0:2].mul_(3)
    b.narrow(0, 2, 1).exp_()
    return b


def _lstm(x, h, c, w_ih, w_hh, b):
    from autograd_core import fused

    out, h_n, c_n = fused.lstm_sequence(x, h, c, w_ih, w_hh, b)
    back, _, _ = fused.lstm_sequence(x, h, c, w_ih, w_hh, None, reverse=True)
    return out + back + (h_n + c_n)[None]


def _cells(x, h, w_ih, w_hh):
    from autograd_core import fused

    xp = F.linear(x, w_ih)
    hx = fused.rnn_tanh_cell(xp, h, w_hh)
    hx = fused.rnn_relu_cell(xp, hx, w_hh)
    hx = fused.gru_cell(ag.cat([xp] * 3, 1), hx, ag.cat([w_hh] * 3))
    hy, cy = fused.lstm_cell(ag.cat([xp] * 4, 1), hx, h, ag.cat([w_hh] * 4))
    cols = fused.input_projection(x[None], w_ih)[0]  # (H, B)
    hc = fused.rnn_tanh_cell(cols, hy.t(), w_hh, columns=True)
    return hy + cy + fused.stack_columns([hc])[0]


def _complex_ops(x, y):
    """Real in, real out; every complex primitive on the way."""
    z = ag.complex(x, y)
    w = ag.polar(x * x + 0.5, y)
    v = ag.view_as_complex(ag.stack([y, x], -1))
    t = z * w / (v + 3.0) + z.exp() + (w + 2.0).log() + (z + 3.0).sqrt() + z ** 2.0
    t = t @ (v.conj().mT @ w) + ag.einsum("ij,kj,kl->il", z, w, v)
    t = t + ag.mv(z, w[0]).unsqueeze(-1) + ag.vdot(z[:, 0], v[:, 1]) + (z + 2.0) ** (w * 0.5)
    r = t.abs() + z.angle() + t.real * t.imag + x.to(ag.complex128).real
    return ag.view_as_real(t).sum(-1) + r


def _eig(a):
    w, v = ag.linalg.eig(a)
    return w.real + w.imag * w.imag + v.abs().sum(0) + ag.linalg.eigvals(a).abs()


def _fft_ops(x):
    s = ag.fft.rfft(x, n=8)
    c = ag.fft.fft(s, dim=0, norm="ortho")
    return ag.fft.irfft(c * 1.5, n=7) + ag.fft.hfft(s, n=7, norm="forward")


# name -> (program, inputs factory). Programs return one tensor.
SAMPLES = {
    "arithmetic": (lambda a, b: (a + b) * (a - b) / (b + 3.0) - (-a) + a ** 2.0 + a ** b,
                   lambda: (_pos((2, 3)), _pos((3,)))),
    "floor_div_rem": (lambda a, b: a // b + a % b, lambda: (_pos((2, 3)) * 3, _pos((2, 3)))),
    "fmod_trunc_div": (lambda a, b: a.fmod(b) + ag.div(a, b, rounding_mode="trunc") * a,
                       lambda: (_t((2, 3), -4, 4), _pos((2, 3)))),
    "unary": (lambda x: x.exp() + x.exp2() + x.expm1() + x.log() + x.log2() + x.log10()
              + x.log1p() + x.sqrt() + x.rsqrt() + x.square() + x.reciprocal() + x.sigmoid()
              + x.relu() + x.abs(), lambda: (_pos((2, 3)),)),
    "trig": (lambda x: x.sin() + x.cos() + x.tan() + x.sinh() + x.cosh() + x.tanh()
             + x.asin() + x.acos() + x.atan() + x.asinh() + (x + 2.0).acosh() + x.atanh(),
             lambda: (_t((2, 3), -0.8, 0.8),)),
    "special": (lambda x: ag.erf(x) + ag.erfc(x), lambda: (_t((4,)),)),
    "special_gamma": (lambda x: ag.lgamma(x) + ag.digamma(x) + ag.polygamma(2, x),
                      lambda: (_pos((4,)),)),
    "cholesky_solve": (lambda a, b: _cholesky_solve(a, b), lambda: (_t((3, 3)), _t((3, 2)))),
    "gamma_cdf": (lambda x: _gamma_cdf(x), lambda: (_pos((4,)),)),
    "special_more": (lambda x, p: ag.special.erfcx(x) + ag.special.erfinv(x * 0.5)
                     + ag.special.ndtr(x) + ag.special.ndtri(p) + ag.special.log_ndtr(x)
                     + ag.special.xlogy(p, p) + ag.special.xlog1py(x, p) + ag.special.entr(p)
                     + ag.special.logit(p) + ag.special.sinc(x) + ag.special.i0(x)
                     + ag.special.i0e(x) + ag.special.i1(x) + ag.special.i1e(x),
                     lambda: (_t((4,)), _t((4,), 0.1, 0.9))),
    "rounding": (lambda x: x.floor() + x.ceil() + x.trunc() + x.round() + x.sign() + x.frac()
                 + ag.nan_to_num(x) + x, lambda: (_t((5,), -3, 3),)),
    "selection": (lambda a, b, w: ag.where(a > 0, a, b) + a.clamp(-0.5, 0.5)
                  + a.clamp(b - 1, b + 1) + ag.maximum(a, b) + ag.minimum(a, b) + ag.fmax(a, b)
                  + ag.fmin(a, b) + ag.lerp(a, b, w) + ag.atan2(a, b + 2.0),
                  lambda: (_t((2, 3)), _t((2, 3)), _t((2, 3)))),
    "reductions": (lambda x: x.sum(1) + x.mean(1) + x.prod(1) + x.var(1) + x.std(1)
                   + x.amax(1) + x.amin(1) + x.max(1).values + x.min(1).values
                   + x.median(1).values + x.max() + x.min() + x.median()
                   + x.logsumexp(1) + x.norm(dim=1) + x.norm(p=1, dim=1) + x.norm(p=3, dim=1)
                   + x.norm(p=float("inf"), dim=1), lambda: (_pos((3, 4)),)),
    "cumulative": (lambda x: x.cumsum(0) + x.cumprod(0), lambda: (_pos((4, 2)),)),
    "logcumsumexp": (lambda x: ag.logcumsumexp(x * 3, 1), lambda: (_t((3, 4)),)),
    "sorting": (lambda x: x.sort(1, descending=True).values[:, :2] + x.topk(2, 1).values
                + x.kthvalue(2, 1, keepdim=True).values + x.mode(1, keepdim=True).values
                + x.cummax(1).values[:, 1:3] + x.cummin(1).values[:, :2],
                lambda: (_t((3, 4)),)),
    "diagonals": (lambda x, v: ag.diag_embed(v, 1)[:, :3, :4].sum(0) + x.diagonal(1)[:, None]
                  + x.tril() + x.triu(1), lambda: (_t((3, 4)), _t((2, 3)))),
    "softmax": (lambda x: x.softmax(1) + x.log_softmax(1), lambda: (_t((2, 4)),)),
    "shapes": (lambda x: x.reshape(6, 2).permute(1, 0).reshape(3, 4).t().flip(0).roll(1, 0)
               .repeat(2, 1).broadcast_to((2, 8, 3)).sum(0),
               lambda: (_t((3, 4)),)),
    "joining": (lambda a, b: ag.cat([a, b], 0).split(2)[1] + ag.stack([a, b]).unbind(0)[0],
                lambda: (_t((2, 3)), _t((2, 3)))),
    "indexing": (lambda x: x[1:, ::2] * 2 + x[[0, 2], :2] + x[:2, :2][ag.tensor([[True, False],
                                                                               [False, True]])].sum(),
                 lambda: (_t((3, 4)),)),
    "index_put": (lambda x, v: x.index_put((_idx([0, 2]),), v) if hasattr(x, "index_put")
                  else _setitem(x, v), lambda: (_t((3, 2)), _t((2,)))),
    "scatter_gather": (lambda x, s: x.gather(1, _idx([[0, 1], [1, 0]]))
                       + x.scatter(1, _idx([[0], [1]]), s[:, :1]).sum(1, keepdim=True)
                       + x.scatter_add(1, _idx([[1], [0]]), s[:, :1]).sum(1, keepdim=True)
                       + x.index_select(1, _idx([1, 0])) + x.index_add(1, _idx([0, 1]), s),
                       lambda: (_t((2, 2)), _t((2, 2)))),
    "masking": (lambda x, v: x.masked_fill(x > 0, v), lambda: (_t((3, 3)), _t(()))),
    "linalg": (lambda a, b, v, c: a @ b + (a @ v)[:, None] + (v @ b)[None] + ag.mm(a, b)
               + ag.bmm(a[None], b[None])[0] + ag.mv(a, v)[:, None] + ag.dot(v, v)
               + ag.addmm(c, a, b), lambda: (_t((2, 3)), _t((3, 2)), _t((3,)), _t((2, 2)))),
    "linalg_solve": (lambda a, b: ag.linalg.inv(a) @ b + ag.linalg.solve(a, b)
                     + ag.linalg.solve_triangular(a, b, upper=True)
                     + ag.linalg.det(a) + ag.linalg.slogdet(a).logabsdet
                     + ag.linalg.lu_factor(a).LU[:, :2],
                     lambda: (_t((3, 3)) + 3 * ag.eye(3, dtype=ag.float64), _t((3, 2)))),
    "linalg_factor": (lambda a: ag.linalg.cholesky(a @ a.mT + ag.eye(3, dtype=ag.float64))
                      + ag.linalg.qr(a).R + ag.linalg.eigvalsh(a + a.mT)
                      + ag.linalg.svdvals(a)[:, None] + ag.linalg.matrix_exp(a)
                      + ag.linalg.pinv(a), lambda: (_t((3, 3)),)),
    "einsum": (lambda a, b: ag.einsum("ij,jk->ik", a, b) + ag.einsum("ii->i", a @ b)[:, None],
               lambda: (_t((2, 3)), _t((3, 2)))),
    "conversion": (lambda x: x.float().double() * 1e-6 + x.clone() + x.to("cpu"),
                   lambda: (_t((3,)),)),
    "inplace": (lambda x, v: _fills(x, v), lambda: (_t((3,)), _t((3,)))),
    "inplace_view": (_inplace_view, lambda: (_t((4, 3)),)),
    "activations": (lambda x, w: F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x)
                    + F.mish(x) + F.softplus(x) + F.logsigmoid(x) + F.elu(x) + F.selu(x)
                    + F.celu(x) + F.leaky_relu(x) + F.hardtanh(x) + F.relu6(x)
                    + F.hardsigmoid(x) + F.hardswish(x) + F.softsign(x) + F.threshold(x, 0.1, 2.0)
                    + F.prelu(x, w), lambda: (_t((2, 3), -4, 4), _t((1,)))),
    "linear_embedding": (lambda x, w, b, e: F.linear(x, w, b).sum(1)
                         + F.embedding(_idx([0, 2]), e).sum(1),
                         lambda: (_t((2, 3)), _t((4, 3)), _t((4,)), _t((3, 2)))),
    "losses": (lambda x, p: F.cross_entropy(x, _idx([0, 2]))
               + F.cross_entropy(x, p.softmax(1)) + F.nll_loss(x.log_softmax(1), _idx([1, 0]))
               + F.mse_loss(x, p) + F.binary_cross_entropy(x.sigmoid(), p.sigmoid())
               + F.binary_cross_entropy_with_logits(x, p.sigmoid()),
               lambda: (_t((2, 3)), _t((2, 3)))),
    "norms": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)
              + F.layer_norm(x, (4,), w, b) + F.group_norm(x[:, :, None], 2)[:, :, 0]
              + F.batch_norm(x, ag.zeros(4, dtype=ag.float64), ag.ones(4, dtype=ag.float64),
                             w, b, training=False),
              lambda: (_t((3, 4)), _t((4,)), _t((4,)))),
    "conv_pool": (lambda x, w: F.max_pool2d(F.conv2d(x, w, padding=1), 2)
                  + F.avg_pool2d(F.conv_transpose2d(x, w.transpose(0, 1), padding=1), 2)
                  + F.adaptive_max_pool2d(x, 3)[..., :2, :2].sum(1, keepdim=True)
                  + F.adaptive_avg_pool2d(x, 2).sum(1, keepdim=True)
                  + F.fold(F.unfold(x, 2), (4, 4), 2)[:, :1, ::2, ::2],
                  lambda: (_t((1, 2, 4, 4)), _t((2, 2, 3, 3)))),
    "resample": (lambda x: F.interpolate(x, scale_factor=2, mode="nearest")[..., ::2, ::2]
                 + F.interpolate(x, size=(4, 4), mode="bilinear", align_corners=False)[..., ::2, ::2]
                 + F.adaptive_avg_pool2d(F.interpolate(x, scale_factor=2), 2),
                 lambda: (_t((1, 1, 2, 2)),)),
    "lstm": (_lstm, lambda: (_t((3, 1, 3)), _t((1, 2)), _t((1, 2)), _t((8, 3)), _t((8, 2)),
                             _t((8,)))),
    "cells": (_cells, lambda: (_t((2, 3)), _t((2, 3)), _t((3, 3)), _t((3, 3)))),
    "as_strided": (lambda x: ag.as_strided(x, (2, 3), (1, 2), 1) + x[1:].as_strided((2, 3), (3, 1)),
                   lambda: (_t((3, 4)),)),
    "complex": (_complex_ops, lambda: (_t((3, 2)), _t((3, 2)))),
    "fft": (_fft_ops, lambda: (_t((4, 6)),)),
    "eig": (_eig, lambda: (_t((3, 3)),)),
}
RANDOM = {"dropout": (lambda x: F.dropout(x, 0.5, training=True), lambda: (_t((4, 4)),)),
          "standard_gamma": (lambda a: _standard_gamma(a), lambda: (_pos((5,)),)),
          "random_fills_more": (lambda x: _more_fills(x), lambda: (_t((4,)),))}


def _more_fills(x):
    out = x * 1
    for fill, args in (("cauchy_", ()), ("exponential_", ()), ("geometric_", (0.5,)),
                       ("log_normal_", ())):
        y = x * 1
        getattr(y, fill)(*args)
        out = out + y
    return out


def _setitem(x, v):
    y = x * 1
    y[_idx([0, 2])] = v
    return y


def _fills(x, v):
    y = x * 1
    z = x * 1
    z.zero_()
    w = x * 1
    w.fill_(2.0)
    u = x * 1
    u.copy_(v)
    return y + z + w + u


def _three_ways(fn, inputs):
    """Gradients by plain backward, by autograd.grad, and by grad(create_graph=True); and
    how often an output hook ran on each path."""
    calls = []
    results = []
    for way in ("backward", "grad", "graph"):
        xs = [x.detach().requires_grad_(True) for x in inputs]
        out = fn(*xs)
        weights = ag.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape),
                            dtype=out.dtype)
        n = [0]
        out.register_hook(lambda g, n=n: n.__setitem__(0, n[0] + 1))
        loss = (out * weights).sum()
        if way == "backward":
            loss.backward()
            grads = [x.grad for x in xs]
        else:
            grads = ag.autograd.grad(loss, xs, create_graph=(way == "graph"), allow_unused=True)
        results.append([None if g is None else g.detach().numpy() for g in grads])
        calls.append(n[0])
    return results, calls


@pytest.mark.parametrize("name", sorted(SAMPLES) + sorted(RANDOM))
def test_paths_agree_and_hooks_run_once(name):
    fn, make = {**SAMPLES, **RANDOM}[name]
    inputs = make()
    if name in RANDOM:
        results = []
        for _ in range(3):
            ag.manual_seed(3)
            r, calls = _three_ways(fn, inputs)
            results.append(r)
    else:
        (results, calls) = _three_ways(fn, inputs)
    if name in RANDOM:
        results = [r[0] for r in results]  # one seed per path: compare the plain backwards
    assert calls == [1, 1, 1] or name in RANDOM
    first = results[0]
    for other in results[1:]:
        for a, b in zip(first, other):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_rule_matches_finite_differences_on_the_plain_path(name):
    fn, make = SAMPLES[name]
    assert gradcheck(fn, make(), eps=1e-6, atol=1e-5, rtol=1e-4)


def _all_functions():
    import autograd_core.ops._view_rebase  # noqa: F401  (loaded on first use)

    seen, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return {c for c in seen if c.__module__.startswith("autograd_core.")}


# Bases (never a node themselves), and two primitives tested elsewhere: a device move needs
# two devices (tests/test_device.py), scatter(reduce="multiply") has no derivative (as in
# PyTorch; tests/test_scatter_gather.py).
_NOT_NODES = {"_OfInput", "_OfOutput", "_PiecewiseConstant", "_EvenSplit", "_Activation",
              "_RNNCell", "_DelayedError", "_GemmLayout", "_Columns", "_ByIndex", "ToDevice",
              "ScatterMultiply", "_TakeAlong", "ComplexFunction"}


def _nodes_of(out):
    visited, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        stack.extend(child for child, _ in node.next_functions)
    return {type(node) for node in visited}


def _grad_graphs(outs, inputs, depth: int) -> set:
    """Node types of ``outs``' graphs and of their gradients' graphs, ``depth`` orders deep,
    each seeded with a tensor that requires grad (so every primitive a rule applies is
    recorded)."""
    reached = set()
    for out in outs:
        reached |= _nodes_of(out)
    if depth == 0:
        return reached
    for out in outs:
        if out.grad_fn is None:
            continue
        seed = ag.ones_like(out).requires_grad_(True)
        grads = ag.autograd.grad(out, inputs, seed, create_graph=True, allow_unused=True)
        more = [g for g in grads if g is not None and g.grad_fn is not None]
        reached |= _grad_graphs(more, list(inputs) + [seed], depth - 1)
    return reached


def test_samples_reach_every_function():
    reached = set()
    for fn, make in list(SAMPLES.values()) + list(RANDOM.values()):
        inputs = make()
        reached |= _grad_graphs([fn(*inputs)], inputs, 2)
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in _all_functions() - reached
                     if c.__name__ not in _NOT_NODES and not c.__module__.endswith("functional")
                     and c.__module__ != "autograd_core.ops.random_fill")
    assert not missing, f"no sample reaches these Functions: {missing}"
