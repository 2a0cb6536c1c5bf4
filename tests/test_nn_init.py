"""`nn.init`: gains and fans as PyTorch computes them; each initialiser fills in place
without recording a graph, and its samples have the bounds and spread of its formula."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
from nn import Parameter, init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


def _host(t) -> np.ndarray:
    return np.array(t.detach().cpu().tolist(), dtype=np.float64)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return (1 + math.erf(x / math.sqrt(2))) / 2


# ----------------------------------------------------------------------------- gains, fans
def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name in NONLINEARITIES:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    for slope in (0, 0.2, 1, 3.5):
        assert init.calculate_gain("leaky_relu", slope) == pytest.approx(
            torch.nn.init.calculate_gain("leaky_relu", slope))


def test_calculate_gain_values_and_errors():
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape", [(3, 4), (8, 2, 3), (16, 4, 3, 5), (2, 3, 1, 2, 2)])
def test_fan_in_and_fan_out_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(ag.empty(shape)) == expected


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ag.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ag.empty(3, 3), mode="fan_avg")


# ----------------------------------------------------------------------------- in place
ALL_INITS = [
    ("uniform_", {}), ("normal_", {}), ("trunc_normal_", {}), ("constant_", {"val": 0.3}),
    ("ones_", {}), ("zeros_", {}), ("eye_", {}), ("xavier_uniform_", {}),
    ("xavier_normal_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_normal_", {}), ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5}),
]


@pytest.mark.parametrize("name, kwargs", ALL_INITS)
def test_fills_a_parameter_in_place_without_recording(device, name, kwargs):
    p = Parameter(ag.full((6, 4), 7.0, device=device))
    out = getattr(init, name)(p, **kwargs)
    assert out is p
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p.device.type == device and p.dtype == ag.float32
    values = _host(p)
    assert np.all(np.isfinite(values)) and not np.all(values == 7.0)
    (p * 2).sum().backward()  # still an ordinary leaf
    assert _host(p.grad).tolist() == np.full((6, 4), 2.0).tolist()


@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name, kwargs", ALL_INITS + [("dirac_", {})])
def test_every_init_runs_on_a_cuda_tensor(name, kwargs):
    shape = (4, 4, 3) if name == "dirac_" else (6, 4)
    t = ag.zeros(shape, device="cuda", dtype=ag.float64)
    assert getattr(init, name)(t, **kwargs) is t
    assert t.device.type == "cuda" and t.dtype == ag.float64
    assert np.all(np.isfinite(_host(t)))


def test_float64_tensors_stay_float64():
    t = ag.empty(50, 50, dtype=ag.float64)
    init.trunc_normal_(t)
    init.orthogonal_(t)
    assert t.dtype == ag.float64


# ----------------------------------------------------------------------------- statistics
N_ROWS, N_COLS = 300, 200  # 60,000 samples: relative error of the std about 0.3%


def test_uniform_bounds_mean_and_std():
    t = init.uniform_(ag.empty(N_ROWS, N_COLS), -2.0, 3.0)
    v = _host(t)
    assert v.min() >= -2.0 and v.max() <= 3.0
    assert v.mean() == pytest.approx(0.5, abs=0.03)
    assert v.std() == pytest.approx(5 / math.sqrt(12), rel=0.02)
    default = _host(init.uniform_(ag.empty(1000)))
    assert default.min() >= 0.0 and default.max() <= 1.0


def test_normal_mean_and_std():
    v = _host(init.normal_(ag.empty(N_ROWS, N_COLS), mean=1.5, std=0.5))
    assert v.mean() == pytest.approx(1.5, abs=0.01)
    assert v.std() == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 1.5),
                                             (0.0, 0.02, -0.04, 0.04), (-1.0, 1.0, 0.0, 3.0)])
def test_trunc_normal_bounds_mean_and_std(mean, std, a, b):
    v = _host(init.trunc_normal_(ag.empty(N_ROWS, N_COLS), mean, std, a, b))
    assert v.min() >= a and v.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    z = _cdf(beta) - _cdf(alpha)
    shift = (_phi(alpha) - _phi(beta)) / z
    expected_mean = mean + std * shift
    expected_var = std**2 * (1 + (alpha * _phi(alpha) - beta * _phi(beta)) / z - shift**2)
    assert v.mean() == pytest.approx(expected_mean, abs=0.02 * std)
    assert v.std() == pytest.approx(math.sqrt(expected_var), rel=0.02)


def test_trunc_normal_warns_when_the_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(ag.empty(10), mean=10.0, std=1.0, a=-1.0, b=1.0)


def test_xavier_uniform_bound_and_std():
    t = ag.empty(64, 32, 5, 5)  # fan_in = 800, fan_out = 1600
    init.xavier_uniform_(t, gain=2.0)
    v = _host(t)
    bound = 2.0 * math.sqrt(6.0 / (800 + 1600))
    assert np.abs(v).max() <= bound
    assert np.abs(v).max() > 0.99 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_xavier_normal_std():
    v = _host(init.xavier_normal_(ag.empty(N_ROWS, N_COLS)))
    assert v.std() == pytest.approx(math.sqrt(2.0 / (N_ROWS + N_COLS)), rel=0.02)
    assert abs(v.mean()) < 0.01 * v.std() * 10


def test_kaiming_uniform_as_in_a_pytorch_linear_layer():
    # Linear's default init: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in)
    t = ag.empty(N_ROWS, N_COLS)
    v = _host(init.kaiming_uniform_(t, a=math.sqrt(5)))
    bound = 1 / math.sqrt(N_COLS)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_kaiming_normal_fan_out_relu():
    t = ag.empty(N_ROWS, N_COLS)
    v = _host(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"))
    assert v.std() == pytest.approx(math.sqrt(2.0 / N_ROWS), rel=0.02)
    v = _host(init.kaiming_normal_(ag.empty(N_ROWS, 10, 2, 5), nonlinearity="tanh"))
    assert v.std() == pytest.approx((5 / 3) / math.sqrt(100), rel=0.02)


def test_kaiming_on_an_empty_tensor_warns_and_does_nothing():
    t = ag.empty(0, 3)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(t) is t


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (4, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    t = init.orthogonal_(ag.empty(shape, dtype=ag.float64), gain=2.0)
    q = _host(t).reshape(shape[0], -1)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(ag.empty(3))


def test_orthogonal_is_reproducible_with_the_seed():
    ag.manual_seed(3)
    first = _host(init.orthogonal_(ag.empty(4, 4)))
    ag.manual_seed(3)
    assert np.array_equal(first, _host(init.orthogonal_(ag.empty(4, 4))))


def test_constant_ones_zeros():
    t = ag.empty(2, 3)
    assert _host(init.constant_(t, 0.25)).tolist() == [[0.25] * 3] * 2
    assert _host(init.ones_(t)).tolist() == [[1.0] * 3] * 2
    assert _host(init.zeros_(t)).tolist() == [[0.0] * 3] * 2


def test_eye_and_dirac_match_pytorch():
    torch = pytest.importorskip("torch")
    for shape in [(3, 5), (5, 3)]:
        np.testing.assert_array_equal(_host(init.eye_(ag.empty(shape))),
                                      torch.nn.init.eye_(torch.empty(shape)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 3), 1)]:
        ours = _host(init.dirac_(ag.empty(shape), groups))
        theirs = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ag.empty(2, 2, 2))
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(ag.empty(2, 2))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(ag.empty(3, 2, 2), groups=2)


def test_sparse_zeros_a_fraction_of_each_column():
    t = init.sparse_(ag.empty(10, 6), sparsity=0.3, std=0.5)
    v = _host(t)
    assert all((v[:, j] == 0).sum() >= 3 for j in range(6))
    assert (v != 0).sum() >= 6 * 6


def test_generator_gives_a_reproducible_stream():
    def draw(seed):
        g = ag.Generator().manual_seed(seed)
        return _host(init.xavier_uniform_(ag.empty(4, 4), generator=g))

    assert np.array_equal(draw(5), draw(5))
    assert not np.array_equal(draw(5), draw(6))


def test_no_warnings_for_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.trunc_normal_(ag.empty(5, 5), std=0.02)
        init.kaiming_normal_(ag.empty(5, 5))
