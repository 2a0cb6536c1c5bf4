"""Accumulating at repeated indices on CUDA, where CuPy's ``ufunc.at`` has limits.

CuPy 14 has no ``multiply.at``, and its ``add.at`` refuses bool and narrow integers; the
fake CuPy refuses the same (checked against real CuPy in ``test_gpu_replay.py``), so these
run the CuPy backend's own accumulation (`CupyBackend.add_at` / ``multiply_at``) and
compare with PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import (
    fake_cuda,  # noqa: F401  (the fixture)
    fake_cupy,
    requires_fake,
)

import autograd_core as ag

torch = pytest.importorskip("torch")

INDEX = [[0, 1, 1, 3, 1], [2, 2, 0, 0, 2]]


def _both(device, array, dtype):
    return ag.tensor(np.asarray(array), dtype=dtype, device=device), torch.tensor(np.asarray(array))


@requires_fake
def test_the_fake_refuses_what_cupy_refuses(fake_cuda):  # noqa: F811  (the fixture)
    out = fake_cupy.zeros(4, dtype=np.float32)
    idx = fake_cupy.asarray(np.array([1, 1]))
    with pytest.raises(NotImplementedError, match="multiply.at"):
        fake_cupy.multiply.at(out, idx, fake_cupy.ones(2, dtype=np.float32))
    with pytest.raises(TypeError, match="add.at only supports"):
        fake_cupy.add.at(fake_cupy.zeros(4, dtype=bool), idx, fake_cupy.ones(2, dtype=bool))
    with pytest.raises(TypeError, match="add.at only supports"):
        fake_cupy.add.at(fake_cupy.zeros(4, dtype=np.int8), idx, fake_cupy.ones(2, dtype=np.int8))


@pytest.mark.parametrize("device", ["cpu", "fake-cuda"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_scatter_multiply_with_repeated_indices(device, dtype, request):
    if device == "fake-cuda":
        request.getfixturevalue("fake_cuda")
    dev = "cuda" if device == "fake-cuda" else "cpu"
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (3, 4)).astype(dtype)
    src = rng.integers(-3, 4, (2, 5)).astype(dtype)
    index = np.array(INDEX)
    dt = getattr(ag, dtype)
    ours = ag.tensor(x, dtype=dt, device=dev).scatter(1, ag.tensor(index, device=dev)[:, :4] % 4,
                                                      ag.tensor(src, dtype=dt, device=dev),
                                                      reduce="multiply")
    theirs = torch.tensor(x).scatter(1, torch.tensor(index)[:, :4] % 4, torch.tensor(src),
                                     reduce="multiply")
    assert ours.dtype == dt
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())


@pytest.mark.parametrize("device", ["cpu", "fake-cuda"])
def test_scatter_multiply_long_runs_of_one_position(device, request):
    """A run longer than one doubling step of the segmented scan (17 factors of 2)."""
    if device == "fake-cuda":
        request.getfixturevalue("fake_cuda")
    dev = "cuda" if device == "fake-cuda" else "cpu"
    index = np.array([2] * 17 + [0, 5, 2, 0])
    x = ag.ones(6, dtype=ag.float64, device=dev)
    out = x.scatter(0, ag.tensor(index, device=dev), 2.0, reduce="multiply")
    expected = torch.ones(6, dtype=torch.float64).scatter(0, torch.tensor(index), 2.0,
                                                          reduce="multiply")
    np.testing.assert_array_equal(out.cpu().numpy(), expected.numpy())


@pytest.mark.parametrize("device", ["cpu", "fake-cuda"])
@pytest.mark.parametrize("dtype", ["bool", "float16", "int32"])
def test_scatter_add_and_index_add(device, dtype, request):
    if device == "fake-cuda":
        request.getfixturevalue("fake_cuda")
    dev = "cuda" if device == "fake-cuda" else "cpu"
    rng = np.random.default_rng(1)
    if dtype == "bool":
        x, src = rng.random((3, 4)) < 0.2, rng.random((2, 5)) < 0.5
    else:
        x = rng.integers(0, 100, (3, 4)).astype(dtype)
        src = rng.integers(0, 100, (2, 5)).astype(dtype)
    index = np.array(INDEX) % 4
    dt = getattr(ag, dtype)
    ours = ag.tensor(x, dtype=dt, device=dev).scatter_add(1, ag.tensor(index, device=dev),
                                                          ag.tensor(src, dtype=dt, device=dev))
    theirs = torch.tensor(x).scatter_add(1, torch.tensor(index), torch.tensor(src))
    assert ours.dtype == dt
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())

    rows = np.array([2, 0, 2, 2])
    source = src[:, :4].T.copy()[:, :1].repeat(4, 1)  # (4, 4) rows of source
    ours = ag.tensor(x, dtype=dt, device=dev).index_add(0, ag.tensor(rows, device=dev),
                                                        ag.tensor(source, dtype=dt, device=dev))
    theirs = torch.tensor(x).index_add(0, torch.tensor(rows), torch.tensor(source))
    assert ours.dtype == dt
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())


def test_scatter_add_gradient_on_fake_cuda(fake_cuda):  # noqa: F811  (the fixture)
    """The float64 gradient check of scatter_add through the CuPy backend's accumulation."""
    x = ag.randn(3, 4, dtype=ag.float64, device="cuda", requires_grad=True)
    src = ag.randn(2, 5, dtype=ag.float64, device="cuda", requires_grad=True)
    index = ag.tensor(np.array(INDEX) % 4, device="cuda")
    assert ag.autograd.gradcheck(lambda a, s: a.scatter_add(1, index, s), (x, src))


@requires_fake
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "complex64", "bool"])
def test_backend_add_at_for_dtypes_cupy_refuses(fake_cuda, dtype):  # noqa: F811  (the fixture)
    """Dtypes the library has no tensor dtype for yet (int8, ...), on the backend directly:
    the same sums as NumPy's ``add.at`` (narrow integers wrap around)."""
    rng = np.random.default_rng(2)
    out = (rng.integers(0, 120, 6) + (1j if dtype == "complex64" else 0)).astype(dtype)
    positions = np.array([1, 4, 1, 1, 0, 4, 4])
    values = rng.integers(50, 120, 7).astype(dtype)
    expected = out.copy()
    np.add.at(expected, positions, values)
    device_out = fake_cupy.asarray(out)
    fake_cuda.add_at(device_out, fake_cupy.asarray(positions), fake_cupy.asarray(values))
    np.testing.assert_array_equal(device_out.get(), expected)
