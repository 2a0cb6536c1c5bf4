"""Reparameterised sampling: ``rsample`` values and gradients equal PyTorch's for the same
noise (Normal, Laplace, Uniform, Exponential, the Gaussians, a transformed Normal); the
implicit Gamma/Beta/Dirichlet gradients match d E[x] / d theta over many draws."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributions as D

torch = pytest.importorskip("torch")
R = np.random.default_rng(5)


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


class _Noise:
    """Stands in for ``ag.randn``/``ag.rand``: hands out the queued arrays in order."""

    def __init__(self, arrays) -> None:
        self.arrays = list(arrays)

    def __call__(self, *shape, dtype=None, device=None, **kwargs):
        a = self.arrays.pop(0)
        assert tuple(a.shape) == tuple(shape)
        return ag.tensor(a, dtype=dtype or ag.float64)


def _torch_normal_queue(monkeypatch, arrays):
    queue = list(arrays)

    def fake(shape, dtype, device):
        a = queue.pop(0)
        assert tuple(a.shape) == tuple(shape)
        return torch.tensor(a, dtype=dtype)

    for module in ("normal", "multivariate_normal", "lowrank_multivariate_normal"):
        monkeypatch.setattr(getattr(torch.distributions, module), "_standard_normal", fake)


def _pair(params):
    ours = {k: ag.tensor(v, dtype=ag.float64, requires_grad=True) for k, v in params.items()}
    theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    return ours, theirs


def _compare(got, expected, ours, theirs):
    np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-9, atol=1e-10)
    w = R.normal(size=tuple(expected.shape))
    (got * ag.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for k in ours:
        np.testing.assert_allclose(_np(ours[k].grad), _np(theirs[k].grad), rtol=1e-8, atol=1e-9)


GAUSSIAN = {
    "Normal": dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2.0, (2, 3))),
    "MultivariateNormal": dict(loc=R.normal(size=(2, 3)),
                               scale_tril=np.tril(R.normal(size=(3, 3))) + 2 * np.eye(3)),
    "LowRankMultivariateNormal": dict(loc=R.normal(size=(3,)), cov_factor=R.normal(size=(2, 3, 2)),
                                      cov_diag=R.uniform(0.5, 2.0, (3,))),
}


@pytest.mark.parametrize("name", sorted(GAUSSIAN))
def test_gaussian_rsample_matches_torch_for_the_same_eps(name, monkeypatch):
    ours, theirs = _pair(GAUSSIAN[name])
    d_ours, d_theirs = getattr(D, name)(**ours), getattr(torch.distributions, name)(**theirs)
    shape = (4,) + tuple(d_theirs.batch_shape) + tuple(d_theirs.event_shape)
    noise = [R.normal(size=shape)]
    if name.startswith("LowRank"):
        noise = [R.normal(size=shape[:-1] + (2,)), R.normal(size=shape)]
    monkeypatch.setattr(ag, "randn", _Noise(noise))
    _torch_normal_queue(monkeypatch, noise)
    _compare(d_ours.rsample((4,)), d_theirs.rsample((4,)), ours, theirs)


def _laplace_u(x, p):
    z = x - p["loc"]
    u = np.sign(z) * -np.expm1(-np.abs(z) / p["scale"])
    eps = np.finfo(np.float64).eps
    return (u - (eps - 1)) / (2 - eps)


UNIFORM_DRIVEN = {  # name -> (params, the uniform draw behind torch's sample x)
    "Laplace": (dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2.0, (3,))), _laplace_u),
    "Uniform": (dict(low=R.normal(size=(3,)) - 2, high=R.normal(size=(3,)) + 2),
                lambda x, p: (x - p["low"]) / (p["high"] - p["low"])),
    "Exponential": (dict(rate=R.uniform(0.5, 2.0, (3,))), lambda x, p: -np.expm1(-x * p["rate"])),
}


@pytest.mark.parametrize("name", sorted(UNIFORM_DRIVEN))
def test_inverse_cdf_rsample_matches_torch_for_the_same_draw(name, monkeypatch):
    params, uniform_of = UNIFORM_DRIVEN[name]
    ours, theirs = _pair(params)
    d_ours, d_theirs = getattr(D, name)(**ours), getattr(torch.distributions, name)(**theirs)
    torch.manual_seed(0)
    expected = d_theirs.rsample((5,))
    monkeypatch.setattr(ag, "rand", _Noise([uniform_of(_np(expected), params)]))
    _compare(d_ours.rsample((5,)), expected, ours, theirs)


def test_transformed_normal_rsample_and_log_prob_match_torch(monkeypatch):
    params = dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 1.5, (3,)))
    ours, theirs = _pair(params)

    def build(dist, p, lib):
        t = dist.transforms
        return dist.TransformedDistribution(dist.Normal(p["loc"], p["scale"]),
                                            [t.TanhTransform(), t.AffineTransform(lib.tensor(1.0, dtype=lib.float64),
                                                                                   2.0)])

    d_ours, d_theirs = build(D, ours, ag), build(torch.distributions, theirs, torch)
    noise = [R.normal(size=(4, 3))]
    monkeypatch.setattr(ag, "randn", _Noise(noise))
    _torch_normal_queue(monkeypatch, noise)
    got, expected = d_ours.rsample((4,)), d_theirs.rsample((4,))
    got_lp = d_ours.log_prob(got.detach())
    expected_lp = d_theirs.log_prob(expected.detach())
    _compare(got + got_lp, expected + expected_lp, ours, theirs)


IMPLICIT = {  # name -> (params, d E[sum w x] / d params given analytically with torch)
    "Gamma": dict(concentration=np.array([0.3, 1.0, 4.0]), rate=np.array([1.0, 0.5, 2.0])),
    "Beta": dict(concentration1=np.array([0.5, 2.0]), concentration0=np.array([1.5, 0.7])),
    "Dirichlet": dict(concentration=np.array([0.4, 1.5, 3.0])),
}


@pytest.mark.parametrize("name", sorted(IMPLICIT))
def test_implicit_reparameterisation_gradients_have_the_right_mean(name):
    params = IMPLICIT[name]
    ours, theirs = _pair(params)
    d_ours, d_theirs = getattr(D, name)(**ours), getattr(torch.distributions, name)(**theirs)
    n = 20000
    w = R.normal(size=tuple(d_theirs.batch_shape) + tuple(d_theirs.event_shape))
    x = d_ours.rsample((n,))
    (x * ag.tensor(w)).sum().div(n).backward()
    (d_theirs.mean * torch.tensor(w)).sum().backward()  # d E[w.x] / d theta, exactly
    for k in params:
        np.testing.assert_allclose(_np(ours[k].grad), _np(theirs[k].grad), rtol=0.05, atol=0.02)
    assert x.grad_fn is not None
    assert d_ours.sample((3,)).grad_fn is None


def test_gamma_implicit_gradient_matches_torch_per_draw():
    from autograd_core.distributions._sampling import _standard_gamma_grad_array

    alpha = np.array([0.2, 0.7, 1.0, 3.0, 12.0, 40.0, 150.0, 900.0])
    x = np.array([0.01, 0.4, 1.3, 2.0, 15.0, 37.0, 140.0, 950.0])
    expected = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    got = _standard_gamma_grad_array(np, x, alpha)
    np.testing.assert_allclose(got, expected, rtol=2e-3)


def test_gamma_implicit_gradient_is_minus_dF_dalpha_over_the_density():
    """Finite differences of PyTorch's regularised incomplete gamma P(alpha, x) in alpha."""
    from autograd_core.distributions._sampling import _standard_gamma_grad_array

    alpha = np.array([0.3, 1.0, 2.5, 7.0, 30.0])
    x = np.array([0.2, 0.8, 3.0, 5.5, 33.0])
    h = 1e-6
    a, xt = torch.tensor(alpha), torch.tensor(x)
    dF_dalpha = (torch.special.gammainc(a + h, xt) - torch.special.gammainc(a - h, xt)) / (2 * h)
    density = torch.exp((a - 1) * xt.log() - xt - torch.lgamma(a))
    expected = (-dF_dalpha / density).numpy()
    np.testing.assert_allclose(_standard_gamma_grad_array(np, x, alpha), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["Normal", "MultivariateNormal", "LowRankMultivariateNormal"])
def test_rsample_gradcheck_for_fixed_noise(name, monkeypatch):
    from autograd_core.autograd import gradcheck

    params = GAUSSIAN[name]
    keys = sorted(params)
    d = getattr(D, name)(**{k: ag.tensor(v) for k, v in params.items()})
    shape = (2,) + tuple(d.batch_shape) + tuple(d.event_shape)
    noise = [R.normal(size=shape[:-1] + (2,)), R.normal(size=shape)] if name.startswith("LowRank") \
        else [R.normal(size=shape)]

    def f(*args):
        monkeypatch.setattr(ag, "randn", _Noise(noise))
        return getattr(D, name)(**dict(zip(keys, args)), validate_args=False).rsample((2,))

    assert gradcheck(f, [ag.tensor(params[k], requires_grad=True) for k in keys])


def test_gamma_draws_have_second_derivatives_in_alpha():
    """d2x/dalpha2 for a fixed quantile u, by differences of x(alpha) = F^-1(u; alpha) (found
    by Newton's method on the incomplete gamma function), against create_graph=True."""
    from autograd_core.distributions._implicit_gamma import StandardGammaReparam
    from autograd_core.distributions._incomplete_gamma import _gammainc_array
    from autograd_core.ops.special_gamma import _lgamma_array

    def quantile(a, u, x):
        for _ in range(12):  # Newton from a nearby start: quadratic convergence
            density = np.exp((a - 1) * np.log(x) - x - _lgamma_array(np, a))
            x = np.maximum(x - (_gammainc_array(np, a, x) - u) / density, x / 10)
        return x

    a0, x0 = np.array([0.4, 1.5, 6.0, 40.0, 150.0]), np.array([0.3, 1.2, 7.0, 38.0, 160.0])
    u, h = _gammainc_array(np, a0, x0), 1e-3 * a0
    numeric = (quantile(a0 + h, u, x0) - 2 * quantile(a0, u, x0) + quantile(a0 - h, u, x0)) / h ** 2
    alpha = ag.tensor(a0, requires_grad=True)
    x = StandardGammaReparam.apply(alpha, ag.tensor(x0))
    (first,) = ag.autograd.grad(x.sum(), [alpha], create_graph=True)
    (second,) = ag.autograd.grad(first.sum(), [alpha], retain_graph=True)
    np.testing.assert_allclose(second.numpy()[:4], numeric[:4], rtol=1e-5)
    np.testing.assert_allclose(second.numpy()[4:], numeric[4:], rtol=2e-3)  # Wilson-Hilferty
    (third_order,) = ag.autograd.grad(first.sum(), [alpha], create_graph=True)
    with pytest.raises(NotImplementedError, match="third derivatives"):
        third_order.sum().backward()
