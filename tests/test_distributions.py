"""`autograd_core.distributions` against `torch.distributions` on a grid of parameters:
log_prob, entropy, moments, cdf/icdf, the gradients of log_prob and entropy with respect to
the parameters, float64 gradchecks, shapes, expand, and sample moments."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributions as D
from autograd_core.autograd import gradcheck

torch = pytest.importorskip("torch")
R = np.random.default_rng(11)


def _pos(*shape, low=0.5, high=3.0):
    return R.uniform(low, high, size=shape)


def _real(*shape):
    return R.normal(size=shape)


def _probs(*shape):
    p = R.uniform(0.1, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


def _spd(batch, n):
    m = R.normal(size=batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _tril(batch, n):
    return np.linalg.cholesky(_spd(batch, n))


# name -> (parameters by keyword, values to score, kwargs not differentiated)
CASES = {
    "Normal": (dict(loc=_real(3, 1), scale=_pos(4)), _real(2, 3, 4), {}),
    "Laplace": (dict(loc=_real(4), scale=_pos(4)), _real(2, 4), {}),
    "Uniform": (dict(low=-_pos(4) - 1.0, high=_pos(4) + 1.0), R.uniform(-1.0, 1.0, (3, 4)), {}),
    "Exponential": (dict(rate=_pos(5)), _pos(2, 5, low=0.0), {}),
    "Gamma": (dict(concentration=_pos(5, low=0.3, high=6.0), rate=_pos(5)), _pos(2, 5, low=0.05), {}),
    "Chi2": (dict(df=_pos(4, low=0.5, high=8.0)), _pos(3, 4, low=0.05), {}),
    "LogNormal": (dict(loc=_real(4), scale=_pos(4)), _pos(3, 4, low=0.05), {}),
    "Beta": (dict(concentration1=_pos(4, low=0.3), concentration0=_pos(4, low=0.3)),
             R.uniform(0.05, 0.95, (3, 4)), {}),
    "Dirichlet": (dict(concentration=_pos(3, 4, low=0.3)), _probs(2, 3, 4), {}),
    "Bernoulli": (dict(probs=R.uniform(0.05, 0.95, (4,))), R.integers(0, 2, (3, 4)).astype(float), {}),
    "Bernoulli_logits": (dict(logits=_real(4)), R.integers(0, 2, (3, 4)).astype(float), {}),
    "Categorical": (dict(probs=_probs(3, 5)), R.integers(0, 5, (2, 3)), {}),
    "Categorical_logits": (dict(logits=_real(3, 5)), R.integers(0, 5, (2, 3)), {}),
    "OneHotCategorical": (dict(probs=_probs(3, 4)), np.eye(4)[R.integers(0, 4, (2, 3))], {}),
    "Poisson": (dict(rate=_pos(4, low=0.2, high=8.0)), R.integers(0, 9, (3, 4)).astype(float), {}),
    "Binomial": (dict(probs=R.uniform(0.05, 0.95, (4,))), R.integers(0, 7, (3, 4)).astype(float),
                 dict(total_count=6.0)),
    "Binomial_logits": (dict(logits=_real(4)), R.integers(0, 7, (3, 4)).astype(float),
                        dict(total_count=6.0)),
    "MultivariateNormal": (dict(loc=_real(2, 3), scale_tril=_tril((2,), 3)), _real(4, 2, 3), {}),
    "MultivariateNormal_cov": (dict(loc=_real(3), covariance_matrix=_spd((2,), 3)), _real(4, 2, 3), {}),
    "MultivariateNormal_prec": (dict(loc=_real(2, 3), precision_matrix=_spd((), 3)), _real(4, 2, 3), {}),
    "LowRankMultivariateNormal": (dict(loc=_real(2, 3), cov_factor=_real(3, 2), cov_diag=_pos(3)),
                                  _real(4, 2, 3), {}),
}
_HAS_ENTROPY = set(CASES) - {"Poisson"}
_HAS_CDF = {"Normal", "Laplace", "Uniform", "Exponential", "LogNormal"}


def _class(name):
    return name.split("_")[0]


def _make(name, params, module, grad=True):
    lib = ag if module is D else torch
    tensors = {k: lib.tensor(v, dtype=lib.float64, requires_grad=grad) for k, v in params.items()}
    kwargs = CASES[name][2]
    return getattr(module, _class(name))(**tensors, **kwargs), tensors


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol, equal_nan=True)


def _value(name, module):
    v = CASES[name][1]
    lib = ag if module is D else torch
    return lib.tensor(v, dtype=lib.int64 if v.dtype.kind == "i" else lib.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_its_gradients_match_torch(name):
    params = CASES[name][0]
    ours, ours_p = _make(name, params, D)
    theirs, theirs_p = _make(name, params, torch.distributions)
    got = ours.log_prob(_value(name, D))
    expected = theirs.log_prob(_value(name, torch.distributions))
    _close(got, expected)
    w = R.normal(size=tuple(expected.shape))
    (got * ag.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for k in params:
        _close(ours_p[k].grad, theirs_p[k].grad, 1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_moments_shapes_and_entropy_match_torch(name):
    params = CASES[name][0]
    ours, ours_p = _make(name, params, D)
    theirs, theirs_p = _make(name, params, torch.distributions)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    for moment in ("mean", "variance", "stddev", "mode"):
        _close(getattr(ours, moment), getattr(theirs, moment))
    if name in _HAS_ENTROPY:
        h, th = ours.entropy(), theirs.entropy()
        _close(h, th)
        h.sum().backward()
        th.sum().backward()
        for k in params:
            if theirs_p[k].grad is not None:
                _close(ours_p[k].grad, theirs_p[k].grad, 1e-8)
    for attr in ("covariance_matrix", "precision_matrix", "scale_tril", "probs", "logits"):
        if hasattr(theirs, attr):  # derived parameters (lazy on both sides)
            _close(getattr(ours, attr), getattr(theirs, attr), 1e-8)


@pytest.mark.parametrize("name", sorted(_HAS_CDF))
def test_cdf_and_icdf_match_torch(name):
    params = CASES[name][0]
    ours, ours_p = _make(name, params, D)
    theirs, theirs_p = _make(name, params, torch.distributions)
    _close(ours.cdf(_value(name, D)), theirs.cdf(_value(name, torch.distributions)))
    q = R.uniform(0.02, 0.98, size=(3,) + tuple(theirs.batch_shape))
    got, expected = ours.icdf(ag.tensor(q)), theirs.icdf(torch.tensor(q))
    _close(got, expected)
    got.sum().backward()
    expected.sum().backward()
    for k in params:
        _close(ours_p[k].grad, theirs_p[k].grad, 1e-8)


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "Dirichlet", "Bernoulli_logits",
                                  "Categorical_logits", "Poisson", "Binomial", "MultivariateNormal",
                                  "MultivariateNormal_cov", "LowRankMultivariateNormal", "Laplace",
                                  "Uniform", "Exponential", "OneHotCategorical", "Bernoulli",
                                  "MultivariateNormal_prec", "LogNormal", "Chi2"])
def test_log_prob_and_entropy_gradcheck(name):
    params = CASES[name][0]
    keys = sorted(params)
    value = _value(name, D)

    def f(*args):
        d = getattr(D, _class(name))(**dict(zip(keys, args)), **CASES[name][2], validate_args=False)
        out = d.log_prob(value).sum()
        return out + d.entropy().sum() if name in _HAS_ENTROPY else out

    args = [ag.tensor(params[k], dtype=ag.float64, requires_grad=True) for k in keys]
    if name.startswith(("MultivariateNormal_cov", "MultivariateNormal_prec")):
        def f_sym(loc, matrix):  # keep the matrix symmetric under perturbation
            pair = (loc, (matrix + matrix.mT) / 2)
            return f(*(pair if keys[0] == "loc" else pair[::-1]))
        assert gradcheck(f_sym, [args[keys.index("loc")], args[1 - keys.index("loc")]])
    else:
        assert gradcheck(f, args)


def test_special_functions_match_torch_and_gradcheck():
    x = np.concatenate([np.linspace(-4.7, -0.2, 8), np.linspace(0.05, 25.0, 30), [1e3]])
    for ours, theirs in ((ag.lgamma, torch.lgamma), (ag.digamma, torch.digamma)):
        _close(ours(ag.tensor(x)), theirs(torch.tensor(x)), 1e-12)
    pos = x[x > 0]
    for n in (0, 1, 2, 3):  # PyTorch's trigamma is accurate to about 1e-9 only
        _close(ag.polygamma(n, ag.tensor(pos)), torch.polygamma(n, torch.tensor(pos)), 1e-8)
        _close(ag.tensor(pos).polygamma(n), torch.polygamma(n, torch.tensor(pos)), 1e-8)
    # exact values: psi_1(1) = pi^2/6, psi_1(1/2) = pi^2/2, psi_2(1) = -2 zeta(3)
    np.testing.assert_allclose(ag.polygamma(1, ag.tensor([1.0, 0.5], dtype=ag.float64)).numpy(),
                               [np.pi ** 2 / 6, np.pi ** 2 / 2], rtol=1e-14)
    np.testing.assert_allclose(ag.polygamma(2, ag.tensor([1.0], dtype=ag.float64)).numpy(),
                               [-2 * 1.2020569031595942], rtol=1e-14)
    assert np.isinf(ag.lgamma(ag.tensor([0.0, -2.0])).numpy()).all()
    assert ag.lgamma(ag.tensor([2.5], dtype=ag.float32)).dtype == ag.float32
    assert ag.digamma(ag.tensor([3])).dtype == ag.float32
    t = ag.tensor(R.uniform(0.3, 4.0, 5), requires_grad=True)
    assert gradcheck(lambda a: ag.lgamma(a) + ag.digamma(a) + ag.polygamma(2, a), [t])
    # second order: d^2/dx^2 lgamma = trigamma
    y = ag.lgamma(t).sum()
    (g,) = ag.autograd.grad(y, [t], create_graph=True)
    (h,) = ag.autograd.grad(g.sum(), [t])
    _close(h, torch.polygamma(1, torch.tensor(t.detach().numpy())), 1e-8)
    with pytest.raises(RuntimeError, match="negative"):
        ag.polygamma(-1, t)


def test_cholesky_and_triangular_solve_match_torch():
    from autograd_core.distributions._linalg import cholesky, solve_triangular

    a, b = _spd((2,), 4), R.normal(size=(4, 3))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    oa, ob = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    got = solve_triangular(cholesky(oa), ob)
    expected = torch.linalg.solve_triangular(torch.linalg.cholesky(ta), tb, upper=False)
    _close(got, expected, 1e-10)
    w = R.normal(size=tuple(expected.shape))
    (got * ag.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    _close(oa.grad, ta.grad, 1e-10)
    _close(ob.grad, tb.grad, 1e-10)
    assert gradcheck(lambda m, v: solve_triangular(cholesky((m + m.mT) / 2), v),
                     [ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)])
    upper = ag.tensor(np.triu(R.normal(size=(3, 3))) + 3 * np.eye(3), requires_grad=True)
    assert gradcheck(lambda u, v: solve_triangular(u, v, upper=True),
                     [upper, ag.tensor(R.normal(size=(3, 2)), requires_grad=True)])
    with pytest.raises(RuntimeError, match="positive-definite"):
        cholesky(ag.tensor(-np.eye(3)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shapes_and_expand(name):
    params = CASES[name][0]
    ours, _ = _make(name, params, D, grad=False)
    theirs, _ = _make(name, params, torch.distributions, grad=False)
    assert tuple(ours.sample((2, 3)).shape) == tuple(theirs.sample((2, 3)).shape)
    assert tuple(ours.sample_n(4).shape) == (4,) + tuple(theirs.batch_shape) + tuple(theirs.event_shape)
    batch = (5,) + tuple(theirs.batch_shape)
    e_ours, e_theirs = ours.expand(batch), theirs.expand(batch)
    assert tuple(e_ours.batch_shape) == tuple(e_theirs.batch_shape)
    assert tuple(e_ours.sample().shape) == tuple(e_theirs.sample().shape)
    v = CASES[name][1]
    axis = v.ndim - len(theirs.batch_shape) - len(theirs.event_shape)  # before the batch dims
    v = np.expand_dims(v, axis)
    kind = (ag.int64, torch.int64) if v.dtype.kind == "i" else (ag.float64, torch.float64)
    _close(e_ours.log_prob(ag.tensor(v, dtype=kind[0])), e_theirs.log_prob(torch.tensor(v, dtype=kind[1])))


SAMPLE_MOMENTS = {
    "Normal": lambda m: m.Normal(m.tensor([0.5, -1.0]), m.tensor([1.0, 2.0])),
    "Laplace": lambda m: m.Laplace(m.tensor([0.5]), m.tensor([1.5])),
    "Uniform": lambda m: m.Uniform(m.tensor([0.0, -2.0]), m.tensor([1.0, 3.0])),
    "Exponential": lambda m: m.Exponential(m.tensor([0.5, 2.0])),
    "Gamma": lambda m: m.Gamma(m.tensor([0.4, 1.0, 5.0]), m.tensor([1.0, 2.0, 0.5])),
    "Chi2": lambda m: m.Chi2(m.tensor([1.0, 6.0])),
    "LogNormal": lambda m: m.LogNormal(m.tensor([0.0, 1.0]), m.tensor([0.3, 0.5])),
    "Beta": lambda m: m.Beta(m.tensor([0.5, 2.0]), m.tensor([1.5, 3.0])),
    "Dirichlet": lambda m: m.Dirichlet(m.tensor([0.5, 1.0, 3.0])),
    "Bernoulli": lambda m: m.Bernoulli(m.tensor([0.2, 0.7])),
    "Categorical": lambda m: m.OneHotCategorical(m.tensor([0.1, 0.2, 0.7])),
    "Poisson": lambda m: m.Poisson(m.tensor([0.0, 0.5, 4.0, 30.0, 900.0])),
    "Binomial": lambda m: m.Binomial(10, m.tensor([0.3, 0.9])),
    "MVN": lambda m: m.MultivariateNormal(m.tensor([1.0, -1.0]),
                                          covariance_matrix=m.tensor([[2.0, 0.5], [0.5, 1.0]])),
    "LowRank": lambda m: m.LowRankMultivariateNormal(m.tensor([1.0, -1.0]), m.tensor([[1.0], [0.5]]),
                                                    m.tensor([0.5, 1.0])),
}


class _Both:
    """``m.Normal`` etc. with ``m.tensor`` making float64 tensors, for either library."""

    def __init__(self, dist_module, lib) -> None:
        self.dist, self.lib = dist_module, lib

    def tensor(self, v):
        return self.lib.tensor(v, dtype=self.lib.float64)

    def __getattr__(self, name):
        return getattr(self.dist, name)


@pytest.mark.parametrize("name", sorted(SAMPLE_MOMENTS))
def test_sample_moments_match_torch(name):
    ours = SAMPLE_MOMENTS[name](_Both(D, ag))
    theirs = SAMPLE_MOMENTS[name](_Both(torch.distributions, torch))
    n = 20000
    x = _np(ours.sample((n,)))
    mean, var = _np(theirs.mean), _np(theirs.variance)
    np.testing.assert_allclose(x.mean(0), mean, atol=5 * np.sqrt(var.max() / n) + 1e-12)
    np.testing.assert_allclose(x.var(0), var, rtol=0.08, atol=1e-3)
    support = theirs.support
    assert bool(support.check(torch.tensor(x)).all())


def test_enumerate_support_and_perplexity_match_torch():
    for name in ("Bernoulli", "Categorical", "OneHotCategorical", "Binomial"):
        ours, _ = _make(name, CASES[name][0], D, grad=False)
        theirs, _ = _make(name, CASES[name][0], torch.distributions, grad=False)
        for expand in (True, False):
            _close(ours.enumerate_support(expand), theirs.enumerate_support(expand))
        assert ours.has_enumerate_support == theirs.has_enumerate_support
        _close(ours.perplexity(), theirs.perplexity())
    with pytest.raises(NotImplementedError):
        D.Binomial(ag.tensor([2.0, 3.0]), probs=ag.tensor([0.5, 0.5])).entropy()


def test_gamma_cdf_matches_torch_and_differentiates_in_rate_and_value():
    a, b = R.uniform(0.2, 40.0, 30), R.uniform(0.3, 3.0, 30)
    x = R.uniform(0.01, 3.0, 30) * a / b
    rate_o, x_o = ag.tensor(b, requires_grad=True), ag.tensor(x, requires_grad=True)
    rate_t, x_t = torch.tensor(b, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = D.Gamma(ag.tensor(a), rate_o).cdf(x_o)
    expected = torch.distributions.Gamma(torch.tensor(a), rate_t).cdf(x_t)
    _close(got, expected, 1e-8)  # PyTorch's igamma is good to about 1e-9 near a = x
    got.sum().backward()
    expected.sum().backward()
    _close(rate_o.grad, rate_t.grad, 1e-8)
    _close(x_o.grad, x_t.grad, 1e-8)
    assert gradcheck(lambda r, v: D.Gamma(ag.tensor(a[:5]), r).cdf(v),
                     [ag.tensor(b[:5], requires_grad=True), ag.tensor(x[:5], requires_grad=True)])
    conc = ag.tensor(a, requires_grad=True)
    value = D.Gamma(conc, ag.tensor(b)).cdf(ag.tensor(x))  # the value alone is fine
    with pytest.raises(NotImplementedError, match="concentration"):
        value.sum().backward()
