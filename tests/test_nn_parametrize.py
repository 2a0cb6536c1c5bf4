"""Parametrizations (`nn.utils.parametrize`, `nn.utils.parametrizations`) and the
hook-based ``nn.utils.weight_norm`` / ``spectral_norm``.

Each is compared with PyTorch from identical weights and buffers (state dict keys,
forward outputs, gradients of the stored tensors, buffers after the power iteration), and
the differentiable maps pass a float64 gradcheck.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.autograd import gradcheck
from nn.utils import parametrizations, parametrize

torch = pytest.importorskip("torch")


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _load_from_torch(ours, theirs) -> None:
    state = theirs.state_dict()
    assert sorted(ours.state_dict()) == sorted(state)
    ours.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in state.items()})


def _compare_step(ours, theirs, x: np.ndarray, names: list[str]) -> None:
    """One forward and backward of both; outputs and the named gradients must agree."""
    out_t = theirs(torch.tensor(x))
    out = ours(ag.tensor(x))
    np.testing.assert_allclose(_np(out), _np(out_t), rtol=1e-10, atol=1e-12)
    weights = np.linspace(-1, 1, out_t.numel()).reshape(tuple(out_t.shape))
    (out_t * torch.tensor(weights)).sum().backward()
    (out * ag.tensor(weights)).sum().backward()
    for name in names:
        np.testing.assert_allclose(_np(ours.get_parameter(name).grad),
                                   _np(theirs.get_parameter(name).grad), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


# ----------------------------------------------------------------------------- weight norm
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(dim):
    theirs = torch.nn.utils.parametrizations.weight_norm(
        torch.nn.Conv2d(2, 3, 2).double(), dim=dim)
    ours = parametrizations.weight_norm(nn.Conv2d(2, 3, 2).double(), dim=dim)
    assert type(ours).__name__ == "ParametrizedConv2d"
    _load_from_torch(ours, theirs)
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-12)
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4))
    _compare_step(ours, theirs, x, ["parametrizations.weight.original0",
                                    "parametrizations.weight.original1", "bias"])


def test_weight_norm_keeps_the_weight_and_gradchecks():
    lin = nn.Linear(3, 2).double()
    before = _np(lin.weight).copy()
    parametrizations.weight_norm(lin)
    np.testing.assert_allclose(_np(lin.weight), before, rtol=1e-12)
    fn = lin.parametrizations.weight[0]
    g = ag.rand(2, 1, dtype=ag.float64, requires_grad=True)
    v = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
    assert gradcheck(fn, (g, v))


def test_hook_weight_norm_matches_torch():
    theirs = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4).double(), dim=1)
    ours = nn.utils.weight_norm(nn.Linear(3, 4).double(), dim=1)
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((5, 3))
    _compare_step(ours, theirs, x, ["weight_g", "weight_v", "bias"])
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert sorted(ours.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(ours)
    nn.utils.weight_norm(ours)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        nn.utils.weight_norm(ours)


# ----------------------------------------------------------------------------- spectral norm
@pytest.mark.parametrize("module", ["Linear", "ConvTranspose2d"])
def test_spectral_norm_parametrization_matches_torch(module):
    args = (3, 4) if module == "Linear" else (2, 3, 2)
    theirs = torch.nn.utils.parametrizations.spectral_norm(
        getattr(torch.nn, module)(*args).double(), n_power_iterations=2)
    ours = parametrizations.spectral_norm(getattr(nn, module)(*args).double(),
                                          n_power_iterations=2)
    _load_from_torch(ours, theirs)
    shape = (5, 3) if module == "Linear" else (1, 2, 3, 3)
    x = np.random.default_rng(2).standard_normal(shape)
    for _ in range(2):  # training: u, v move at every call
        _compare_step(ours, theirs, x, ["parametrizations.weight.original"])
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(_np(ours.state_dict()[key]), _np(value), rtol=1e-9,
                                       atol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-10)


def test_spectral_norm_bounds_the_largest_singular_value_and_gradchecks():
    lin = parametrizations.spectral_norm(nn.Linear(6, 5).double())
    for _ in range(30):
        lin.weight  # noqa: B018  (each access refines u, v in training mode)
    singular = np.linalg.svd(_np(lin.weight), compute_uv=False)
    assert singular[0] == pytest.approx(1.0, rel=1e-6)
    lin.eval()
    fn = lin.parametrizations.weight[0]
    w = ag.randn(5, 6, dtype=ag.float64, requires_grad=True)
    assert gradcheck(fn, (w,))


def test_hook_spectral_norm_matches_torch():
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3).double())
    ours = nn.utils.spectral_norm(nn.Linear(4, 3).double())
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(3).standard_normal((2, 4))
    for _ in range(2):
        _compare_step(ours, theirs, x, ["weight_orig", "bias"])
    np.testing.assert_allclose(_np(ours.weight_u), _np(theirs.weight_u), rtol=1e-10)
    nn.utils.remove_spectral_norm(ours)
    assert sorted(ours.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


# ----------------------------------------------------------------------------- parametrize
def _triu(x, k: int = 0):
    """The upper triangle of a square matrix (the core has no ``triu`` yet)."""
    n = x.shape[-1]
    upper = ag.arange(n)[None, :] - ag.arange(n)[:, None] >= k
    return x * upper.to(x.dtype)


class Symmetric(nn.Module):
    def forward(self, x):
        return _triu(x) + _triu(x, 1).transpose(-1, -2)

    def right_inverse(self, a):
        return _triu(a)


class Scale(nn.Module):
    def forward(self, x):
        return 2 * x


def test_register_parametrization_assign_cache_and_remove():
    lin = nn.Linear(3, 3).double()
    original = lin.weight
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert parametrize.is_parametrized(lin, "weight") and not parametrize.is_parametrized(
        lin, "bias")
    assert lin.parametrizations.weight.original is original  # the optimiser's tensor stays
    w = _np(lin.weight)
    np.testing.assert_allclose(w, w.T)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    target = ag.tensor(np.arange(9.0).reshape(3, 3))
    lin.weight = target + target.t()
    np.testing.assert_allclose(_np(lin.weight), _np(target + target.t()))
    parametrize.register_parametrization(lin, "weight", Scale())
    np.testing.assert_allclose(_np(lin.weight), 2 * _np(target + target.t()))
    with parametrize.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    parametrize.remove_parametrizations(lin, "weight", leave_parametrized=True)
    assert type(lin) is nn.Linear and lin.weight is original
    np.testing.assert_allclose(_np(lin.weight), 2 * _np(target + target.t()))
    assert not hasattr(lin, "parametrizations")
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(lin, "weight")


def test_parametrization_gradient_reaches_the_original():
    lin = parametrize.register_parametrization(nn.Linear(3, 3).double(), "weight", Symmetric())
    x = ag.randn(4, 3, dtype=ag.float64)
    lin(x).sum().backward()
    original = lin.parametrizations.weight.original
    grad_w = _np(x).sum(0)[None, :] * np.ones((3, 1))  # dL/dW_ij = sum_b x_bj
    # W = U + strict(U)^T: an entry above the diagonal is read twice, the diagonal once
    expected = np.triu(grad_w + grad_w.T, 1) + np.diag(np.diag(grad_w))
    np.testing.assert_allclose(_np(original.grad), expected)


def test_parametrization_errors():
    class Flatten(nn.Module):
        def forward(self, x):
            return x.flatten()

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nothing", Scale())
    lin = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten(),
                                               unsafe=True)
    assert tuple(lin.weight.shape) == (4,)
    with pytest.raises(ValueError, match="leave_parametrized=False"):
        parametrize.remove_parametrizations(
            parametrizations.weight_norm(nn.Linear(2, 2)), "weight", leave_parametrized=False)


# ----------------------------------------------------------------------------- orthogonal
class _Weight(nn.Module):
    def __init__(self, value):
        super().__init__()
        self.weight = nn.Parameter(ag.tensor(value))


class _TorchWeight(torch.nn.Module):
    def __init__(self, value):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(value))


@pytest.mark.parametrize("shape,orthogonal_map", [((4, 4), None), ((5, 3), None),
                                                  ((3, 5), None), ((4, 4), "householder"),
                                                  ((5, 3), "matrix_exp"), ((2, 4, 3), None),
                                                  ((4, 4), "cayley"), ((3, 5), "cayley")])
def test_orthogonal_matches_torch(shape, orthogonal_map):
    value = np.random.default_rng(4).standard_normal(shape)
    theirs = torch.nn.utils.parametrizations.orthogonal(_TorchWeight(value), "weight",
                                                        orthogonal_map)
    ours = parametrizations.orthogonal(_Weight(value), "weight", orthogonal_map)
    # registering keeps the weight's orthogonal factor (Q of QR with R's diagonal > 0)
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), atol=1e-10)
    # move X off -I below the diagonal (its diagonal only gives signs to the Householder map)
    step = np.tril(np.random.default_rng(5).standard_normal(shape), -1)
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(0.3 * torch.tensor(step))
    _load_from_torch(ours, theirs)
    w_t, w = theirs.weight, ours.weight
    np.testing.assert_allclose(_np(w), _np(w_t), atol=1e-12)
    gram = np.swapaxes(_np(w), -1, -2) @ _np(w) if shape[-2] >= shape[-1] else \
        _np(w) @ np.swapaxes(_np(w), -1, -2)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(gram.shape[-1]), gram.shape),
                               atol=1e-12)
    g = np.random.default_rng(6).standard_normal(shape)
    (w_t * torch.tensor(g)).sum().backward()
    (w * ag.tensor(g)).sum().backward()
    np.testing.assert_allclose(_np(ours.parametrizations.weight.original.grad),
                               _np(theirs.parametrizations.weight.original.grad), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "householder", "cayley"])
def test_orthogonal_map_gradchecks(orthogonal_map):
    lin = parametrizations.orthogonal(nn.Linear(3, 4).double(), orthogonal_map=orthogonal_map)
    fn = lin.parametrizations.weight[0]
    x = ag.tensor(0.5 * np.random.default_rng(7).standard_normal((4, 3)), requires_grad=True)
    if orthogonal_map == "householder":  # the diagonal only gives signs (truncated to int):
        # keep it away from the jumps at integers, where finite differences would cross one
        x = ag.tensor(np.tril(_np(x), -1) - 1.5 * np.eye(4, 3), requires_grad=True)
    assert gradcheck(fn, (x,))


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        parametrizations.orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")


def test_orthogonal_without_trivialization_matches_torch():
    orthogonal_map = "matrix_exp"
    value = np.tril(np.random.default_rng(8).standard_normal((4, 3)), -1) - np.eye(4, 3)
    theirs = torch.nn.utils.parametrizations.orthogonal(
        _TorchWeight(value), orthogonal_map=orthogonal_map, use_trivialization=False)
    ours = parametrizations.orthogonal(_Weight(value), orthogonal_map=orthogonal_map,
                                       use_trivialization=False)
    assert sorted(ours.state_dict()) == ["parametrizations.weight.original"]
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), atol=1e-12)
    with pytest.raises(NotImplementedError):
        ours.weight = ours.weight.detach()
    with pytest.raises(NotImplementedError, match="geqrf"):
        parametrizations.orthogonal(_Weight(value), orthogonal_map="householder",
                                    use_trivialization=False)
