"""Property-based checks of the transforms against torch: shapes with size-1 axes, negative
dims, n= that pads or trims, every norm, and non-contiguous (transposed, strided) complex
inputs; values and the gradient of a fixed real loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import layouts, make_tensor, shapes

import autograd_core as ag

torch = pytest.importorskip("torch")

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_INPUT = {"rfft", "ihfft"}


@st.composite
def cases(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    name = draw(st.sampled_from(ONE_D))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    n = draw(st.one_of(st.none(), st.integers(1, 7)))
    if name in ("irfft", "hfft") and n is None and shape[dim] == 1:
        n = 2  # (the default 2(m-1) would be 0 points)
    norm = draw(st.sampled_from([None, "ortho", "forward"]))
    r = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = r.standard_normal(shape)
    if name not in REAL_INPUT:
        values = values + 1j * r.standard_normal(shape)
    return name, values, draw(layouts()), dim, n, norm


def _loss_and_grad(lib, t, name, dim, n, norm):
    out = getattr(lib.fft, name)(t, n=n, dim=dim, norm=norm)
    if lib is torch:
        out = out.resolve_conj()
    parts = lib.view_as_real(out) if out.is_complex() else out
    weights = np.linspace(0.5, 1.5, parts.numel()).reshape(tuple(parts.shape))
    (parts * lib.tensor(weights, dtype=parts.dtype)).sum().backward()
    grad = t.grad.resolve_conj() if lib is torch else t.grad
    return out.detach().numpy(), grad.numpy()


@given(cases())
def test_one_dimensional_transforms_match_torch(case):
    name, values, layout, dim, n, norm = case
    ours = _loss_and_grad(ag, make_tensor(values, layout), name, dim, n, norm)
    theirs = _loss_and_grad(torch, torch.tensor(values, requires_grad=True), name, dim, n, norm)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
