"""Property-based checks of complex arithmetic against torch: broadcast pairs (size-1 and
missing axes), complex with complex and with real operands, non-contiguous layouts; values
and the gradients of a fixed real loss.

(0-d leaves are left out: the engine gives a 0-d leaf that shares its gradient array with
another leaf a ``.grad`` of shape (1,) -- ``ascontiguousarray`` of a 0-d array -- for real
tensors too; reported for the core.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import broadcast_pairs, layouts, make_tensor

import autograd_core as ag

torch = pytest.importorskip("torch")

OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "mul_exp": lambda a, b: (a * b).exp(),
       "abs_angle": lambda a, b: (a - b).abs() + (a + b).angle() if a.is_complex() or b.is_complex()
       else (a - b).abs()}


@st.composite
def cases(draw):
    sa, sb = draw(broadcast_pairs(min_dims=1, max_dims=3, max_side=3).filter(all))
    kinds = draw(st.sampled_from(["cc", "cr", "rc"]))
    r = np.random.default_rng(draw(st.integers(0, 2**16)))

    def values(shape, kind):
        v = r.standard_normal(shape) * 0.8 + 0.3
        return v + 1j * (r.standard_normal(shape) * 0.8 + 0.3) if kind == "c" else v

    return (draw(st.sampled_from(sorted(OPS))), values(sa, kinds[0]), values(sb, kinds[1]),
            draw(layouts()), draw(layouts()))


def _run(lib, fn, a, b):
    out = fn(a, b)
    if lib is torch:
        out = out.resolve_conj()
    parts = lib.view_as_real(out) if out.is_complex() else out
    weights = np.linspace(0.5, 1.5, max(parts.numel(), 1)).reshape(tuple(parts.shape))
    (parts * lib.tensor(weights, dtype=parts.dtype)).sum().backward()
    grads = [t.grad.resolve_conj() if lib is torch else t.grad for t in (a, b)]
    return [out.detach().numpy()] + [g.numpy() for g in grads]


@given(cases())
def test_broadcast_arithmetic_matches_torch(case):
    name, va, vb, la, lb = case
    ours = _run(ag, OPS[name], make_tensor(va, la), make_tensor(vb, lb))
    theirs = _run(torch, OPS[name], torch.tensor(va, requires_grad=True),
                  torch.tensor(vb, requires_grad=True))
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
