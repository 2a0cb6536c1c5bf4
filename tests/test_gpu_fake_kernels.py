"""The stricter fake CuPy: kernels interpreted with CUDA's semantics, optimisers through
their kernel path on fake-CUDA, no ``__index__``, its own random stream, host syncs counted.
"""

from __future__ import annotations

import numpy as np
import pytest
from _fake_cupy_kernels import ElementwiseKernel
from fake_cupy import (
    HOST_SYNCS,
    REAL_CUDA,
    fake_cuda,  # noqa: F401  (the fixture)
    fake_cupy,
    requires_fake,
)
from test_optim_fused import CASES, IDS, STEPS

import autograd_core as ag
import nn
import optim
from autograd_core.ops import fused_optim
from autograd_core.ops.fused_optim import catalog

pytestmark = pytest.mark.usefixtures("fake_cuda")
# On a real GPU (AUTOGRAD_CORE_REAL_CUDA=1) only the optimiser trajectories run (through the
# real kernels); the rest inspects the fake.
fake_only = requires_fake


def _dev(array, dtype=np.float32):
    return fake_cupy.asarray(np.asarray(array, dtype=dtype))


# ------------------------------------------------------------------ the interpreter
@fake_only
def test_raw_parameters_are_read_by_their_logical_index():
    kernel = fake_cupy.ElementwiseKernel("raw T x", "T y", "y = x[n - 1 - i];", "reversed_read")
    x = _dev(np.arange(6.0).reshape(2, 3)).T  # a transposed view: logical order, not memory
    y = kernel(x, fake_cupy.empty((3, 2), dtype=np.float32))
    np.testing.assert_array_equal(y.get().reshape(-1), x.get().reshape(-1)[::-1])


@fake_only
def test_integer_division_and_remainder_truncate_as_in_c():
    kernel = fake_cupy.ElementwiseKernel("int64 a, int64 b", "int64 q, int64 r",
                                         "q = a / b; r = a % b;", "divmod")
    q, r = kernel(fake_cupy.asarray(np.array([-7, 7, -6])), 2)
    assert q.get().tolist() == [-3, 3, -3] and r.get().tolist() == [-1, 1, 0]


@fake_only
@pytest.mark.parametrize("body", ["y = x % 2;", "y = 0 < x < 1;"])
def test_bodies_that_are_not_c_are_refused(body):
    with pytest.raises(NotImplementedError):
        fake_cupy.ElementwiseKernel("T x", "T y", body, "not_c")(_dev([0.5, 2.0]))


@fake_only
def test_a_raw_read_outside_the_array_is_refused():
    kernel = fake_cupy.ElementwiseKernel("raw T x", "T y", "y = x[i + 1];", "overrun")
    with pytest.raises(IndexError, match="outside the array"):
        kernel(_dev([1.0, 2.0]), fake_cupy.empty(2, dtype=np.float32))


@fake_only
def test_fmax_and_fmin_drop_nan_as_cuda_does():
    kernel = fake_cupy.ElementwiseKernel("T a, T b", "T hi, T lo", "hi = fmax(a, b); lo = fmin(a, b);",
                                         "minmax")
    a, b = _dev([np.nan, 1.0, 3.0]), _dev([2.0, np.nan, -1.0])
    hi, lo = kernel(a, b)
    np.testing.assert_array_equal(hi.get(), [2.0, 1.0, 3.0])  # NumPy's maximum would give NaN
    np.testing.assert_array_equal(lo.get(), [2.0, 1.0, -1.0])


@fake_only
def test_arithmetic_stays_in_the_kernel_type():
    kernel = fake_cupy.ElementwiseKernel("T x, T s", "T y", "T t = x * s; y = t + 1e-8;", "f")
    out = fake_cupy.zeros(2, dtype=np.float32)
    kernel(_dev([1.0, 2.0]), np.float32(3.0), out)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.get(), np.float32([3.0, 6.0]) + np.float32(1e-8))


@fake_only
def test_outside_the_subset_or_host_arrays_are_refused():
    with pytest.raises(NotImplementedError, match="statement"):
        fake_cupy.ElementwiseKernel("T x", "T y", "if (x > 0) { y = x; }", "branchy")
    with pytest.raises(NotImplementedError, match="not interpreted"):
        fake_cupy.ElementwiseKernel("T x", "T y", "y = __expf(x);", "intrinsic")
    kernel = fake_cupy.ElementwiseKernel("T x", "T y", "y = x;", "copy")
    with pytest.raises(TypeError, match="device arrays only"):
        kernel(np.ones(2, np.float32))
    with pytest.raises(NotImplementedError, match="RawKernel 'k'"):
        fake_cupy.RawKernel('extern "C" __global__ void k() {}', "k")((1,), (1,), ())


@fake_only
def test_every_optimiser_kernel_runs_in_the_interpreter():
    """All kernels of the catalog (every flag combination) parse and run on the fake."""
    for spec in catalog.every_kernel():
        kernel = fake_cupy.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation,
                                             spec.name, preamble=spec.preamble)
        inputs = [_dev([0.5, -0.25, 2.0]) if n in spec.array_inputs else np.float32(0.9)
                  for n in catalog._names(spec.in_params)]
        outputs = [_dev([1.0, 2.0, 0.5]) for _ in catalog._names(spec.out_params)]
        before = outputs[0].get()
        kernel(*inputs, *outputs)
        assert not np.array_equal(outputs[0].get(), before), spec  # the parameter moved


# ------------------------------------------------------------------ optimisers end to end
def _trajectory(name: str, kwargs: dict, dtype, device: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    params = [ag.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True, device=device)
              for shape in [(5,), (3, 2)]]
    opt = getattr(optim, name)(params, **kwargs)
    for k in range(STEPS):
        for i, p in enumerate(params):
            g = np.cos(np.arange(p.numel()) * 0.7 + k + 2 * i).reshape(tuple(p.shape))
            p.grad = ag.tensor(g, dtype=dtype, device=device) + 0.3 * p.detach()
        opt.step()
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in params])


@pytest.mark.parametrize("dtype", [ag.float64, ag.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_optimisers_take_the_kernel_path_on_fake_cuda(name, kwargs, dtype):
    ElementwiseKernel.launches = 0
    through_kernels = _trajectory(name, kwargs, dtype, "cuda")
    if not REAL_CUDA:
        assert ElementwiseKernel.launches == 2 * STEPS  # one fused kernel per parameter and step
    on_cpu = _trajectory(name, kwargs, dtype, "cpu")
    tol = dict(rtol=1e-12, atol=1e-14) if dtype is ag.float64 else dict(rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(through_kernels, on_cpu, **tol)


@pytest.mark.parametrize(("name", "kwargs", "state"), [("Adam", {"amsgrad": True}, "max_exp_avg_sq"),
                                                     ("Adamax", {}, "exp_inf")])
def test_a_nan_gradient_reaches_the_running_maximum_as_on_the_cpu(name, kwargs, state):
    """CUDA's fmax would drop the NaN (the state stays finite on the GPU only); the kernels'
    max_nan keeps it, as the CPU path and PyTorch's maximum do."""
    torch = pytest.importorskip("torch")
    results = {}
    for device in ("cpu", "cuda"):
        p = ag.tensor([1.0, 2.0], requires_grad=True, device=device)
        opt = getattr(optim, name)([p], lr=0.1, **kwargs)
        for g in ([0.5, float("nan")], [0.1, 0.2]):
            p.grad = ag.tensor(g, device=device)
            opt.step()
        results[device] = opt.state[p][state].cpu().numpy()
    tp = torch.tensor([1.0, 2.0], requires_grad=True)
    topt = getattr(torch.optim, name)([tp], lr=0.1, **kwargs)
    for g in ([0.5, float("nan")], [0.1, 0.2]):
        tp.grad = torch.tensor(g)
        topt.step()
    expected = topt.state[tp][state].numpy()
    assert np.isnan(expected[1]) and np.isnan(results["cuda"][1]) and np.isnan(results["cpu"][1])
    np.testing.assert_allclose(results["cuda"], expected, rtol=1e-6)


def test_a_kernel_calling_max_nan_needs_its_preamble():
    with pytest.raises(NotImplementedError, match="preamble"):
        fake_cupy.ElementwiseKernel("T x", "T y", "y = max_nan(x, y);", "no_preamble")


@fake_only
def test_float16_parameters_take_the_plain_path():
    ElementwiseKernel.launches = 0
    p = ag.ones(4, dtype=ag.float16, device="cuda", requires_grad=True)
    p.grad = ag.ones(4, dtype=ag.float16, device="cuda")
    optim.Adam([p], lr=0.1).step()
    assert ElementwiseKernel.launches == 0
    assert fused_optim._kernel_module(p._data) is None


# ------------------------------------------------------------------ device-array manners
@fake_only
def test_device_arrays_have_no_index():
    count = fake_cupy.asarray(np.array(3))
    with pytest.raises(TypeError):
        range(count)
    with pytest.raises(TypeError):
        [1, 2, 3, 4][count]


@fake_only
def test_the_device_draws_its_own_random_stream():
    ag.manual_seed(0)
    on_cpu = ag.randn(5).numpy()
    ag.manual_seed(0)
    on_device = ag.randn(5, device="cuda").cpu().numpy()
    assert not np.allclose(on_cpu, on_device)
    ag.manual_seed(0)
    np.testing.assert_array_equal(ag.randn(5, device="cuda").cpu().numpy(), on_device)


# ------------------------------------------------------------------ host syncs
def _syncs(fn) -> int:
    HOST_SYNCS.clear()
    fn()
    return sum(HOST_SYNCS.values())


@fake_only
def test_one_hot_with_num_classes_never_syncs():
    labels = ag.tensor([0, 3, 1, 3], device="cuda")
    assert _syncs(lambda: nn.functional.one_hot(labels)) == 1  # the size must be read once
    assert _syncs(lambda: nn.functional.one_hot(labels, num_classes=5)) == 0
    ag.cuda.synchronize()  # (reads the pending bounds flag: one more transfer, counted)
    codes = nn.functional.one_hot(labels, num_classes=5)
    np.testing.assert_array_equal(codes.cpu().numpy(), np.eye(5, dtype=np.int64)[[0, 3, 1, 3]])


@fake_only
def test_one_hot_out_of_range_raises_at_the_next_sync():
    codes = nn.functional.one_hot(ag.tensor([0, 7], device="cuda"), num_classes=5)  # no raise yet
    with pytest.raises(IndexError, match="out of range"):
        codes.cpu()
    with pytest.raises(RuntimeError, match="smaller than num_classes"):  # the CPU: at once
        nn.functional.one_hot(ag.tensor([0, 7]), num_classes=5)
    with pytest.raises(RuntimeError, match="non-negative"):
        nn.functional.one_hot(ag.tensor([0, -1]), num_classes=5)


@fake_only
def test_embedding_max_norm_never_syncs_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    weight = np.random.default_rng(0).standard_normal((6, 3)) * 2
    ours = nn.Embedding(6, 3, max_norm=1.5, _weight=ag.tensor(weight, dtype=ag.float64)).to("cuda")
    theirs = torch.nn.Embedding(6, 3, max_norm=1.5, _weight=torch.tensor(weight))
    idx = [[0, 2, 2], [5, 0, 1]]
    device_idx = ag.tensor(idx, device="cuda")
    assert _syncs(lambda: ours(device_idx)) == 0
    out = ours(device_idx)
    expected = theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().cpu().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-12)
