"""The CuPy calls fake-CUDA runs make, re-issued against real CuPy on device-less arrays.

The fake CuPy is NumPy underneath, so it accepts whatever NumPy accepts. Here the fake
records every call (``fake_cupy.recording``) while a set of fake-CUDA workloads runs (the
training and op tests of ``test_fake_gpu_training``, the layer tests, every optimiser's kernel
path, the scatter/Newton/one-hot/embedding fixes), and `_cupy_replay.replay` re-issues each
distinct call against the real CuPy with device-less arrays. What is replayed, exactly:

- module functions (``cupy.X``, ``cupy.linalg.X``, ...) and array methods: their existence,
  then the call itself, up to CuPy's first CUDA call (argument, keyword, dtype and shape
  checks made on the CPU; ``NotImplementedError``; ``ufunc.at``'s dtype limits);
- plain ufunc calls: the dtypes against the ufunc's loop table (CuPy asks for the device
  before any other check of a ufunc call).

Operators (``a + b``), indexing and ``ElementwiseKernel`` launches are not replayed (the
kernels are compiled by ``test_gpu_kernels_compile``). Any refusal fails the test.
Skipped when CuPy is not installed (CI installs it: ``.ci/run``).
"""

from __future__ import annotations

import numpy as np
import pytest
import test_fake_gpu_training as training
import test_gpu_fake_kernels as kernels
import test_nn_layers_fake_gpu as layers
from _cupy_replay import device_less_array, replay
from fake_cupy import REAL_CUDA, installed, recording

import autograd_core as ag

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.skipif(REAL_CUDA, reason="replays the fake's calls (no fake on a GPU run)")


def _workloads() -> None:
    for loss_name in ("mse", "nll"):
        training.test_mlp_training_on_cuda_matches_cpu(loss_name)
    for op in training.OPS:
        training.test_op_on_cuda_matches_cpu(*op)
    training.test_gradcheck_on_cuda()
    layers.test_new_layers_on_the_fake_gpu_match_the_cpu()
    layers.test_more_new_layers_on_the_fake_gpu_match_the_cpu()
    for name, kwargs in kernels.CASES:
        kernels.test_optimisers_take_the_kernel_path_on_fake_cuda(name, kwargs, ag.float32)
    kernels.test_one_hot_with_num_classes_never_syncs()
    kernels.test_embedding_max_norm_never_syncs_and_matches_pytorch()
    index = ag.tensor([[0, 1, 1], [2, 2, 0]], device="cuda")
    for dtype in (ag.float32, ag.bool, ag.int32):
        x = ag.ones(3, 3, dtype=dtype, device="cuda")
        x.scatter(1, index, ag.ones(2, 3, dtype=dtype, device="cuda"), reduce="multiply")
        x.scatter_add(1, index, ag.ones(2, 3, dtype=dtype, device="cuda"))
    from autograd_core.ops import fused_optim

    fused_optim.damped_solve(ag.tensor([[1.0, 2.0], [2.0, 1.0]], device="cuda"),
                             ag.ones(2, device="cuda"))


@pytest.fixture(scope="module")
def recorded_calls():
    try:
        device_less_array(cupy, (2,), "<f4", [])
    except Exception as exc:
        pytest.skip(f"this CuPy cannot make device-less arrays: {exc}")
    with installed(), recording() as calls:
        _workloads()
    return sorted(calls, key=repr)


def test_the_replay_refuses_what_cupy_refuses():
    """The replay can fail: the calls the library made before the ufunc.at fixes."""
    arr, values = ("A", (4,), "<f4"), ("A", (2,), "<f4")
    idx = ("A", (2,), "<i8")
    assert "not supported" in replay(cupy, "fake_cupy.multiply.at", ("T", arr, idx, values), ("D",))
    flags, flag_values = ("A", (4,), "|b1"), ("A", (2,), "|b1")
    assert "only supports" in replay(cupy, "fake_cupy.add.at", ("T", flags, idx, flag_values), ("D",))
    assert "has no" in replay(cupy, "fake_cupy.errstate", ("T",), ("D",))
    assert "no method" in replay(cupy, "ndarray.itemset", ("T", arr, 0, 1.0), ("D",))
    assert replay(cupy, "fake_cupy.add.at", ("T", arr, idx, values), ("D",)) is None  # accepted
    assert "broadcast" in replay(cupy, "fake_cupy.add.at", ("T", arr, idx, arr), ("D",))


def test_fake_cuda_calls_are_accepted_by_cupy(recorded_calls):
    assert len(recorded_calls) > 200  # the workloads went through the fake
    refusals = []
    for qualname, args, kwargs in recorded_calls:
        why = replay(cupy, qualname, args, kwargs)
        if why is not None:
            refusals.append(f"{qualname}{args} {kwargs}: {why}")
    assert not refusals, f"{len(refusals)} calls CuPy refuses:\n" + "\n".join(refusals[:30])
    print(f"{len(recorded_calls)} distinct CuPy calls replayed, none refused")


def test_the_replay_covered_the_fixed_calls(recorded_calls):
    names = {q for q, _, _ in recorded_calls}
    assert "fake_cupy.add.at" in names and "fake_cupy.linalg.cholesky" in names
    assert "fake_cupy.multiply.at" not in names  # the scatter multiply fix avoids it
    assert not any(q == "fake_cupy.add.at" and a[1][2] == np.dtype(bool).str
                   for q, a, _ in recorded_calls)
