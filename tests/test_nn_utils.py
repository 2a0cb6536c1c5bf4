"""`nn.utils`: gradient clipping (by total norm and by value) and parameter <-> vector
conversion, checked against PyTorch where it is installed and against NumPy otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
from nn import Parameter
from nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(3, 4), (5,), (2, 1, 3), ()]


def _host(t) -> np.ndarray:
    return np.array(t.detach().cpu().tolist(), dtype=np.float64)


def _params_with_grads(device="cpu", scale=1.0, dtype=ag.float32):
    rng = np.random.default_rng(1)
    params = []
    for shape in SHAPES:
        p = Parameter(ag.tensor(rng.standard_normal(shape), dtype=dtype, device=device))
        p.grad = ag.tensor(scale * rng.standard_normal(shape), dtype=dtype, device=device)
        params.append(p)
    return params


def _numpy_total_norm(grads, p):
    flat = np.concatenate([g.ravel() for g in grads])
    if math.isinf(p):
        return np.abs(flat).max()
    return (np.abs(flat) ** p).sum() ** (1 / p)


# ----------------------------------------------------------------------------- by norm
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_against_numpy(device, norm_type, max_norm):
    params = _params_with_grads(device)
    before = [_host(p.grad) for p in params]
    grads = [p.grad for p in params]
    total = clip_grad_norm_(params, max_norm, norm_type)
    expected = _numpy_total_norm(before, norm_type)
    assert isinstance(total, ag.Tensor) and total.dim() == 0
    assert total.device.type == device and total.dtype == ag.float32
    assert float(total) == pytest.approx(expected, rel=1e-5)
    coef = min(1.0, max_norm / (expected + 1e-6))
    for p, g, old in zip(params, grads, before):
        assert p.grad is g  # scaled in place
        np.testing.assert_allclose(_host(p.grad), old * coef, rtol=1e-5, atol=1e-7)
    if max_norm < expected:
        clipped = _numpy_total_norm([_host(p.grad) for p in params], norm_type)
        assert clipped == pytest.approx(max_norm, rel=1e-4)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 0.5])
def test_clip_grad_norm_matches_pytorch(norm_type):
    torch = pytest.importorskip("torch")
    ours = _params_with_grads()
    theirs = []
    for p in ours:
        t = torch.nn.Parameter(torch.tensor(_host(p), dtype=torch.float32))
        t.grad = torch.tensor(_host(p.grad), dtype=torch.float32)
        theirs.append(t)
    total = clip_grad_norm_(ours, 0.7, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
    assert float(total) == pytest.approx(float(expected), rel=1e-5)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(_host(p.grad), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_skips_missing_grads_and_takes_one_tensor():
    with_grad = Parameter(ag.tensor([3.0, 4.0]))
    with_grad.grad = ag.tensor([3.0, 4.0])
    without = Parameter(ag.ones(2))
    total = clip_grad_norm_([with_grad, without], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(_host(with_grad.grad), [0.6, 0.8], rtol=1e-5)
    assert without.grad is None
    single = Parameter(ag.tensor([0.0, 2.0]))
    single.grad = ag.tensor([0.0, 2.0])
    assert float(clip_grad_norm_(single, 10.0)) == pytest.approx(2.0)
    assert _host(single.grad).tolist() == [0.0, 2.0]
    assert float(clip_grad_norm_([without], 1.0)) == 0.0
    assert float(clip_grad_norm_(iter([with_grad]), 1.0)) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf * 0, as in PyTorch
def test_clip_grad_norm_nonfinite():
    p = Parameter(ag.ones(3))
    p.grad = ag.tensor([1.0, math.inf, 0.0])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert _host(p.grad)[0] == 1.0  # refused before changing anything
    total = clip_grad_norm_([p], 1.0)
    assert math.isinf(float(total))


def test_clip_grad_norm_float64_and_mixed_dtypes():
    a = Parameter(ag.ones(2, dtype=ag.float64))
    a.grad = ag.tensor([3.0, 0.0], dtype=ag.float64)
    b = Parameter(ag.ones(1))
    b.grad = ag.tensor([4.0])
    total = clip_grad_norm_([a, b], 1.0)
    assert float(total) == pytest.approx(5.0)
    assert a.grad.dtype == ag.float64 and b.grad.dtype == ag.float32
    np.testing.assert_allclose(_host(a.grad), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(_host(b.grad), [0.8], rtol=1e-6)


def test_total_norm_and_clip_with_norm_compose():
    params = _params_with_grads()
    before = [_host(p.grad) for p in params]
    total = get_total_norm([p.grad for p in params])
    assert float(total) == pytest.approx(_numpy_total_norm(before, 2.0), rel=1e-5)
    clip_grads_with_norm_(params, 0.1, total)
    coef = 0.1 / (float(total) + 1e-6)
    for p, old in zip(params, before):
        np.testing.assert_allclose(_host(p.grad), old * coef, rtol=1e-5, atol=1e-8)


def test_clipping_is_not_recorded():
    x = ag.ones(2, requires_grad=True)
    p = Parameter(ag.ones(2))
    p.grad = x * 3  # a gradient with history (as after backward(create_graph=True))
    clip_grad_norm_([p], 1.0)
    assert p.grad.tolist() != [3.0, 3.0]


@pytest.mark.usefixtures("fake_cuda")
def test_clipping_on_cuda_stays_on_the_device():
    params = _params_with_grads("cuda")
    before = [_host(p.grad) for p in params]
    total = clip_grad_norm_(params, 0.5)
    assert total.device.type == "cuda"
    coef = 0.5 / (_numpy_total_norm(before, 2.0) + 1e-6)
    for p, old in zip(params, before):
        assert p.grad.device.type == "cuda"
        np.testing.assert_allclose(_host(p.grad), old * coef, rtol=1e-5, atol=1e-7)
    clip_grad_value_(params, 0.01)
    assert all(np.abs(_host(p.grad)).max() <= 0.01 for p in params)


# ----------------------------------------------------------------------------- by value
def test_clip_grad_value_matches_pytorch_and_numpy(device):
    params = _params_with_grads(device, scale=2.0)
    before = [_host(p.grad) for p in params]
    assert clip_grad_value_(params, 0.5) is None
    for p, old in zip(params, before):
        np.testing.assert_allclose(_host(p.grad), np.clip(old, -0.5, 0.5), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t = torch.nn.Parameter(torch.zeros(3))
    t.grad = torch.tensor([-3.0, 0.2, 7.0])
    torch.nn.utils.clip_grad_value_([t], 1.0)
    ours = Parameter(ag.zeros(3))
    ours.grad = ag.tensor([-3.0, 0.2, 7.0])
    clip_grad_value_(ours, 1.0)
    np.testing.assert_allclose(_host(ours.grad), t.grad.numpy())


# ----------------------------------------------------------------------------- vectors
def test_parameters_to_vector_and_back(device):
    params = [Parameter(ag.tensor(np.arange(6.0).reshape(2, 3), device=device)),
              Parameter(ag.tensor([10.0, 11.0], device=device)),
              Parameter(ag.tensor(12.0, device=device))]
    vec = parameters_to_vector(params)
    assert vec.shape == (9,) and vec.device.type == device
    assert _host(vec).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 11.0, 12.0]
    assert vec.requires_grad  # recorded, so a loss of the vector reaches the parameters

    new = ag.arange(9, dtype=ag.float32, device=device) * -1.0
    identities = [id(p) for p in params]
    vector_to_parameters(new, params)
    assert [id(p) for p in params] == identities
    assert _host(params[0]).tolist() == [[-0.0, -1.0, -2.0], [-3.0, -4.0, -5.0]]
    assert _host(params[1]).tolist() == [-6.0, -7.0]
    assert params[2].shape == () and float(params[2]) == -8.0
    assert params[0].requires_grad and params[0].is_leaf


def test_parameters_to_vector_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    ours = parameters_to_vector([Parameter(ag.tensor(a)) for a in arrays])
    theirs = torch.nn.utils.parameters_to_vector(
        [torch.nn.Parameter(torch.tensor(a)) for a in arrays])
    np.testing.assert_array_equal(_host(ours), theirs.detach().numpy())


def test_vector_conversion_errors():
    with pytest.raises(TypeError, match="expected Tensor"):
        vector_to_parameters([1.0, 2.0], [Parameter(ag.ones(2))])
    with pytest.raises(RuntimeError, match="expected a 1-D vector of 2 elements"):
        vector_to_parameters(ag.ones(3), [Parameter(ag.ones(2))])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        parameters_to_vector(ag.ones(2))


@pytest.mark.usefixtures("fake_cuda")
def test_parameters_on_two_devices_are_refused():
    params = [Parameter(ag.ones(2)), Parameter(ag.ones(2, device="cuda"))]
    with pytest.raises(TypeError, match="different devices"):
        parameters_to_vector(params)
