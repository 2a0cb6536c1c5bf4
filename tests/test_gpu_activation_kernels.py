"""The CuPy backend's fused activation kernels (`autograd_core._cuda_kernels`), run on the
fake CUDA device by the kernel interpreter and checked against each activation's one rule
(forward value and autograd gradient); they compile in ``test_gpu_kernels_compile``."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda, requires_fake  # noqa: F401  (the fixture)

import autograd_core as ag
import nn
from autograd_core import _backend
from autograd_core._cuda_kernels import ACTIVATION_KERNELS

pytestmark = pytest.mark.usefixtures("fake_cuda")

# activation -> (the library's function, whether the backward kernel takes y instead of x)
ACTIVATIONS = {
    "relu": (ag.relu, False),
    "sigmoid": (ag.sigmoid, True),
    "tanh": (ag.tanh, True),
    "silu": (nn.functional.silu, False),
    "gelu_tanh": (lambda t: nn.functional.gelu(t, approximate="tanh"), False),
}


def test_every_kernel_has_a_check_here():
    assert {f"{name}_{d}" for name in ACTIVATIONS for d in ("forward", "backward")} == set(ACTIVATION_KERNELS)


def test_the_cpu_backend_offers_no_kernel():
    assert _backend.NUMPY.activation_kernel("relu_forward") is None


@pytest.mark.parametrize("dtype", [ag.float64, ag.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_kernel_matches_the_rule(name, dtype):
    fn, from_output = ACTIVATIONS[name]
    backend = _backend.backend_for(ag.device("cuda"))
    forward, backward = backend.activation_kernel(f"{name}_forward"), backend.activation_kernel(f"{name}_backward")
    assert forward is not None and backward is not None
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal(40) * 3, dtype=dtype, device="cuda", requires_grad=True)
    g = ag.tensor(rng.standard_normal(40), dtype=dtype, device="cuda")
    y = fn(x)
    y.backward(g)
    y_kernel = forward(x.detach()._data)
    dx_kernel = backward(g._data, (y.detach() if from_output else x.detach())._data)
    assert y_kernel.dtype == dx_kernel.dtype == y._data.dtype
    tol = dict(rtol=1e-12, atol=1e-14) if dtype is ag.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y_kernel.get(), y.detach().cpu().numpy(), **tol)
    np.testing.assert_allclose(dx_kernel.get(), x.grad.cpu().numpy(), **tol)


def test_relu_kernels_keep_nan_and_infinities_as_the_rule():
    backend = _backend.backend_for(ag.device("cuda"))
    x = ag.tensor([np.nan, -np.inf, np.inf, -1.0, 0.0, 2.0], dtype=ag.float64, device="cuda")
    np.testing.assert_array_equal(backend.activation_kernel("relu_forward")(x._data).get(),
                                  ag.relu(x).cpu().numpy())  # NaN stays NaN, -inf -> 0


def test_kernels_are_built_once():
    backend = _backend.backend_for(ag.device("cuda"))
    assert backend.activation_kernel("tanh_forward") is backend.activation_kernel("tanh_forward")
    assert backend.activation_kernel("no_such_activation") is None


# ----------------------------------------------------------------------------- wired in
def _launches():
    return _kernels_module().ElementwiseKernel.launches


def _kernels_module():
    import _fake_cupy_kernels

    return _fake_cupy_kernels


@requires_fake
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_ops_run_their_kernels_on_cuda(name):
    """Forward and backward of each activation are one kernel launch each on CUDA, with the
    CPU's numbers (the composed array code) and float16 taking the composed code."""
    fn, _ = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    x_np, g_np = rng.standard_normal((3, 7)) * 3, rng.standard_normal((3, 7))
    x_cpu = ag.tensor(x_np, requires_grad=True)
    fn(x_cpu).backward(ag.tensor(g_np))
    x = ag.tensor(x_np, device="cuda", requires_grad=True)
    before = _launches()
    y = fn(x)
    assert _launches() == before + 1
    y.backward(ag.tensor(g_np, device="cuda"))
    assert _launches() == before + 2
    np.testing.assert_allclose(y.detach().cpu().numpy(), fn(x_cpu).detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.cpu().numpy(), x_cpu.grad.numpy(), rtol=1e-6, atol=1e-7)
    half = ag.tensor(x_np, dtype=ag.float16, device="cuda", requires_grad=True)
    before = _launches()
    fn(half).sum().backward()
    assert _launches() == before  # float16: the composed array code


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_create_graph_differentiates_the_composed_form_on_cuda(name):
    """Under create_graph the rule runs on Tensors (the composed form): second derivatives on
    CUDA equal the CPU's."""
    fn, _ = ACTIVATIONS[name]
    x_np = np.linspace(-2.5, 2.5, 11)
    results = []
    for device in ("cpu", "cuda"):
        x = ag.tensor(x_np, dtype=ag.float64, device=device, requires_grad=True)
        (g,) = ag.autograd.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = ag.autograd.grad((g * g * x).sum(), x)
        results.append((g.detach().cpu().numpy(), gg.cpu().numpy()))
    for cpu, cuda in zip(*results):
        np.testing.assert_allclose(cuda, cpu, rtol=1e-12, atol=1e-14)


def test_gradcheck_through_the_kernels_on_cuda():
    x = ag.tensor(np.linspace(-2, 2, 7), dtype=ag.float64, device="cuda", requires_grad=True)
    for fn, _ in ACTIVATIONS.values():
        if fn is not ag.relu:  # (relu's kink at 0 is on the grid)
            assert ag.autograd.gradcheck(fn, (x,))
