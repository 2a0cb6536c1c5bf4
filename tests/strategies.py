"""Hypothesis strategies for shapes and tensors: broadcast pairs, 0-d tensors, size-1 and
size-0 axes, non-contiguous (transposed or strided) inputs and reduction arguments; with the
small tensor helpers the test files share (`host`, `leaf`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd_core as ag


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Shapes with up to ``max_dims`` axes (``min_side=0`` allows empty axes)."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcast_pairs(draw, min_dims: int = 0, max_dims: int = 3, max_side: int = 4, min_side: int = 1):
    """Two shapes that broadcast together (size-1 axes and missing leading axes)."""
    base = draw(shapes(min_dims, max_dims, min_side, max_side))

    def variant():
        dims = list(base)
        dims = [1 if draw(st.booleans()) else d for d in dims]
        drop = draw(st.integers(0, len(dims)))
        return tuple(dims[drop:])

    return variant(), variant()


@st.composite
def arrays(draw, shape, low: float = -2.0, high: float = 2.0, dtype=np.float64,
           away_from_zero: float = 0.0):
    """A NumPy array of ``shape`` with values in [low, high] (optionally |v| >= away_from_zero)."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, high, size=shape)
    if away_from_zero:
        values = np.where(np.abs(values) < away_from_zero,
                          np.sign(values + 1e-12) * away_from_zero, values)
    return values.astype(dtype)


@st.composite
def layouts(draw):
    """How to lay a tensor out in memory: 'contiguous', 'transposed' or 'strided'."""
    return draw(st.sampled_from(["contiguous", "transposed", "strided"]))


def make_tensor(values: np.ndarray, layout: str = "contiguous", requires_grad: bool = True,
                device: str = "cpu") -> ag.Tensor:
    """A leaf tensor with ``values`` whose array is laid out as ``layout`` (same values)."""
    values = np.asarray(values)
    if layout == "transposed" and values.ndim >= 2:
        holder = np.swapaxes(values, -1, -2).copy(order="C")
        array = np.swapaxes(holder, -1, -2)
    elif layout == "strided" and values.ndim >= 1:
        holder = np.zeros(values.shape[:-1] + (values.shape[-1] * 2,), dtype=values.dtype)
        holder[..., ::2] = values
        array = holder[..., ::2]
    else:
        array = values.copy()
    t = ag.from_numpy(array)
    if device != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


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
