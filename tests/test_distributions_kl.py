"""``kl_divergence`` against PyTorch for every registered pair (values and gradients), the
registry's dispatch and errors, and argument validation raising PyTorch's exception classes."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributions as D

torch = pytest.importorskip("torch")
R = np.random.default_rng(3)


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _pos(*shape):
    return R.uniform(0.4, 3.0, size=shape)


def _probs(*shape):
    p = R.uniform(0.1, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


def _tril(n):
    return np.tril(R.normal(size=(n, n)), -1) + np.diag(R.uniform(0.5, 2.0, n))


# (p family, p params, q family, q params); params are arrays (become float64 leaves)
PAIRS = [
    ("Normal", dict(loc=R.normal(size=3), scale=_pos(3)), "Normal", dict(loc=R.normal(size=3), scale=_pos(3))),
    ("Laplace", dict(loc=R.normal(size=3), scale=_pos(3)), "Laplace", dict(loc=R.normal(size=3), scale=_pos(3))),
    ("Exponential", dict(rate=_pos(3)), "Exponential", dict(rate=_pos(3))),
    ("Gamma", dict(concentration=_pos(3), rate=_pos(3)), "Gamma", dict(concentration=_pos(3), rate=_pos(3))),
    ("Exponential", dict(rate=_pos(3)), "Gamma", dict(concentration=_pos(3), rate=_pos(3))),
    ("Gamma", dict(concentration=_pos(3), rate=_pos(3)), "Exponential", dict(rate=_pos(3))),
    ("Beta", dict(concentration1=_pos(3), concentration0=_pos(3)), "Beta",
     dict(concentration1=_pos(3), concentration0=_pos(3))),
    ("Dirichlet", dict(concentration=_pos(2, 4)), "Dirichlet", dict(concentration=_pos(2, 4))),
    ("Bernoulli", dict(probs=R.uniform(0.1, 0.9, 3)), "Bernoulli", dict(probs=R.uniform(0.1, 0.9, 3))),
    ("Bernoulli", dict(logits=R.normal(size=3)), "Bernoulli", dict(logits=R.normal(size=3))),
    ("Categorical", dict(probs=_probs(2, 4)), "Categorical", dict(logits=R.normal(size=(2, 4)))),
    ("OneHotCategorical", dict(probs=_probs(2, 4)), "OneHotCategorical", dict(probs=_probs(2, 4))),
    ("Poisson", dict(rate=_pos(3)), "Poisson", dict(rate=_pos(3))),
    ("Binomial", dict(probs=R.uniform(0.1, 0.9, 3)), "Binomial", dict(probs=R.uniform(0.1, 0.9, 3))),
    ("Uniform", dict(low=-_pos(3) - 0.0, high=_pos(3)), "Uniform", dict(low=-_pos(3) - 3.0, high=_pos(3) + 3.0)),
    ("Uniform", dict(low=-_pos(3), high=_pos(3)), "Normal", dict(loc=R.normal(size=3), scale=_pos(3))),
    ("MultivariateNormal", dict(loc=R.normal(size=(2, 3)), scale_tril=_tril(3)), "MultivariateNormal",
     dict(loc=R.normal(size=3), scale_tril=_tril(3))),
    ("MultivariateNormal", dict(loc=R.normal(size=3), scale_tril=_tril(3)), "LowRankMultivariateNormal",
     dict(loc=R.normal(size=3), cov_factor=R.normal(size=(3, 2)), cov_diag=_pos(3))),
    ("LowRankMultivariateNormal", dict(loc=R.normal(size=3), cov_factor=R.normal(size=(3, 1)), cov_diag=_pos(3)),
     "MultivariateNormal", dict(loc=R.normal(size=3), scale_tril=_tril(3))),
    ("LowRankMultivariateNormal", dict(loc=R.normal(size=3), cov_factor=R.normal(size=(3, 1)), cov_diag=_pos(3)),
     "LowRankMultivariateNormal", dict(loc=R.normal(size=3), cov_factor=R.normal(size=(3, 2)), cov_diag=_pos(3))),
]
_EXTRA = {"Binomial": dict(total_count=5.0)}


def _build(module, lib, family, params):
    leaves = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True) for k, v in params.items()}
    return getattr(module, family)(**leaves, **_EXTRA.get(family, {})), leaves


@pytest.mark.parametrize("i", range(len(PAIRS)), ids=[f"{p[0]}-{p[2]}" for p in PAIRS])
def test_kl_matches_torch_with_gradients(i):
    pf, pp, qf, qp = PAIRS[i]
    p_o, lp_o = _build(D, ag, pf, pp)
    q_o, lq_o = _build(D, ag, qf, qp)
    p_t, lp_t = _build(torch.distributions, torch, pf, pp)
    q_t, lq_t = _build(torch.distributions, torch, qf, qp)
    got, expected = D.kl_divergence(p_o, q_o), torch.distributions.kl_divergence(p_t, q_t)
    np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-9, atol=1e-10)
    got.sum().backward()
    expected.sum().backward()
    for ours, theirs in ((lp_o, lp_t), (lq_o, lq_t)):
        for k in ours:
            if theirs[k].grad is not None:
                np.testing.assert_allclose(_np(ours[k].grad), _np(theirs[k].grad), rtol=1e-8, atol=1e-9)


def test_kl_of_wrapped_distributions_and_infinities():
    def both(make):
        return make(D, ag), make(torch.distributions, torch)

    def independent(d, lib):
        return d.Independent(d.Normal(lib.zeros(2, 3, dtype=lib.float64), lib.ones(2, 3, dtype=lib.float64)), 1)

    def independent_q(d, lib):
        return d.Independent(d.Normal(lib.ones(2, 3, dtype=lib.float64), 2 * lib.ones(2, 3, dtype=lib.float64)), 1)

    def lognormal(d, lib, s=1.0):
        return d.TransformedDistribution(d.Normal(lib.zeros(3, dtype=lib.float64), s * lib.ones(3, dtype=lib.float64)),
                                         [d.transforms.ExpTransform()])

    (p, tp), (q, tq) = both(independent), both(independent_q)
    np.testing.assert_allclose(_np(D.kl_divergence(p, q)), _np(torch.distributions.kl_divergence(tp, tq)))
    assert tuple(D.kl_divergence(p, q).shape) == (2,)
    (p, tp), (q, tq) = both(lognormal), both(lambda d, lib: lognormal(d, lib, 2.0))
    np.testing.assert_allclose(_np(D.kl_divergence(p, q)), _np(torch.distributions.kl_divergence(tp, tq)))
    (p, tp), (q, tq) = both(lambda d, lib: d.LogNormal(lib.zeros(3), lib.ones(3))), \
        both(lambda d, lib: d.LogNormal(lib.ones(3), 2 * lib.ones(3)))
    np.testing.assert_allclose(_np(D.kl_divergence(p, q)), _np(torch.distributions.kl_divergence(tp, tq)), rtol=1e-6)
    (p, tp), (q, tq) = both(lambda d, lib: d.Chi2(lib.ones(3))), both(lambda d, lib: d.Chi2(3 * lib.ones(3)))
    np.testing.assert_allclose(_np(D.kl_divergence(p, q)), _np(torch.distributions.kl_divergence(tp, tq)),
                               rtol=1e-5)  # float32: ours is the closer to the float64 value
    # disjoint supports give +inf, as in PyTorch
    inf = D.kl_divergence(D.Uniform(ag.tensor([0.0]), ag.tensor([2.0])), D.Uniform(ag.tensor([1.0]), ag.tensor([3.0])))
    assert np.isinf(_np(inf)).all()
    bern = D.kl_divergence(D.Bernoulli(ag.tensor([0.5])), D.Bernoulli(ag.tensor([0.0])))
    assert np.isinf(_np(bern)).all()


def test_kl_registry_dispatch_and_errors():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(ag.tensor(0.0), ag.tensor(1.0)), D.Normal(ag.tensor(1.0), ag.tensor(1.0))
    assert float(D.kl_divergence(p, q)) == pytest.approx(0.5)  # found through the base class

    @D.register_kl(MyNormal, D.Normal)
    def _special(p, q):
        return ag.tensor(42.0)

    assert float(D.kl_divergence(p, q)) == 42.0  # the more specific pair wins
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(ag.tensor(1.0)))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(3, ag.tensor(0.5)), D.Binomial(5, ag.tensor(0.5)))
    mvn2 = D.MultivariateNormal(ag.zeros(2), scale_tril=ag.eye(2))
    mvn3 = D.MultivariateNormal(ag.zeros(3), scale_tril=ag.eye(3))
    with pytest.raises(ValueError, match="event shapes"):
        D.kl_divergence(mvn2, mvn3)
    with pytest.raises(TypeError):
        D.register_kl(1, D.Normal)


# ----------------------------------------------------------------------------- validation
def _t(lib, v):
    return lib.tensor(v, dtype=lib.float64)


BAD = {
    "negative scale": lambda d, lib: d.Normal(_t(lib, [0.0]), _t(lib, [-1.0])),
    "nan loc": lambda d, lib: d.Normal(_t(lib, [float("nan")]), _t(lib, [1.0])),
    "probs above one": lambda d, lib: d.Bernoulli(probs=_t(lib, [1.5])),
    "probs and logits": lambda d, lib: d.Bernoulli(probs=_t(lib, [0.5]), logits=_t(lib, [0.0])),
    "neither": lambda d, lib: d.Categorical(),
    "0-d probs": lambda d, lib: d.Categorical(probs=_t(lib, 0.5)),
    "low above high": lambda d, lib: d.Uniform(_t(lib, [2.0]), _t(lib, [1.0])),
    "zero rate": lambda d, lib: d.Exponential(_t(lib, [0.0])),
    "negative concentration": lambda d, lib: d.Dirichlet(_t(lib, [1.0, -1.0])),
    "fractional total_count": lambda d, lib: d.Binomial(_t(lib, [2.5]), probs=_t(lib, [0.5])),
    "0-d loc": lambda d, lib: d.MultivariateNormal(_t(lib, 0.0), covariance_matrix=_t(lib, [[1.0]])),
    "two matrices": lambda d, lib: d.MultivariateNormal(_t(lib, [0.0]), covariance_matrix=_t(lib, [[1.0]]),
                                                        scale_tril=_t(lib, [[1.0]])),
    "not positive definite": lambda d, lib: d.MultivariateNormal(
        _t(lib, [0.0, 0.0]), covariance_matrix=_t(lib, [[1.0, 2.0], [2.0, 1.0]])),
    "1-d scale_tril": lambda d, lib: d.MultivariateNormal(_t(lib, [0.0]), scale_tril=_t(lib, [1.0])),
    "cov_factor rows": lambda d, lib: d.LowRankMultivariateNormal(_t(lib, [0.0, 0.0]), _t(lib, [[1.0]]),
                                                                  _t(lib, [1.0, 1.0])),
    "cov_diag length": lambda d, lib: d.LowRankMultivariateNormal(_t(lib, [0.0, 0.0]), _t(lib, [[1.0], [1.0]]),
                                                                  _t(lib, [1.0])),
    "reinterpreted too many": lambda d, lib: d.Independent(d.Normal(_t(lib, [0.0]), _t(lib, [1.0])), 2),
    "sample outside support": lambda d, lib: d.Exponential(_t(lib, [1.0])).log_prob(_t(lib, [-1.0])),
    "not an integer sample": lambda d, lib: d.Poisson(_t(lib, [1.0])).log_prob(_t(lib, [0.5])),
    "value shape": lambda d, lib: d.Normal(_t(lib, [0.0, 1.0]), _t(lib, [1.0, 1.0])).log_prob(_t(lib, [0.0, 1.0, 2.0])),
    "event shape": lambda d, lib: d.Dirichlet(_t(lib, [1.0, 1.0])).log_prob(_t(lib, [0.2, 0.3, 0.5])),
    "mixture of non-categorical": lambda d, lib: d.MixtureSameFamily(d.Normal(_t(lib, [0.0]), _t(lib, [1.0])),
                                                                     d.Normal(_t(lib, [0.0]), _t(lib, [1.0]))),
    "mixture size": lambda d, lib: d.MixtureSameFamily(d.Categorical(probs=_t(lib, [0.5, 0.5])),
                                                       d.Normal(_t(lib, [0.0, 1.0, 2.0]), _t(lib, [1.0, 1.0, 1.0]))),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_raise_torch_exception_class(case):
    with pytest.raises(Exception) as expected:
        BAD[case](torch.distributions, torch)
    with pytest.raises(type(expected.value)) as got:
        BAD[case](D, ag)
    assert type(got.value) is type(expected.value)
    assert str(got.value)


def test_validate_args_switches():
    assert D.Normal(ag.tensor(0.0), ag.tensor(-1.0), validate_args=False).scale.item() == -1.0
    D.Distribution.set_default_validate_args(False)
    try:
        d = D.Normal(ag.tensor(0.0), ag.tensor(-1.0))
        with np.errstate(invalid="ignore"):
            assert np.isnan(d.log_prob(ag.tensor(1.0)).item())  # log of a negative scale
        D.Exponential(ag.tensor(1.0)).log_prob(ag.tensor(-1.0))  # no support check either
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(ag.tensor(0.0), ag.tensor(-1.0))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")
    d = D.Normal(ag.tensor([0.0]), ag.tensor([1.0]))
    assert repr(d) == "Normal(loc: tensor([0.]), scale: tensor([1.]))"
    assert D.Normal.arg_constraints["scale"] is D.constraints.positive
    assert D.Uniform(0.0, 1.0).support.check(ag.tensor([0.5, 1.5])).tolist() == [True, False]
    assert D.constraints.is_dependent(D.Uniform.support)


@pytest.mark.parametrize("i", [0, 2, 3, 6, 7, 10, 16, 19], ids=lambda i: f"{PAIRS[i][0]}-{PAIRS[i][2]}")
def test_kl_gradcheck(i):
    from autograd_core.autograd import gradcheck

    pf, pp, qf, qp = PAIRS[i]
    pk, qk = sorted(pp), sorted(qp)

    def f(*args):
        p = getattr(D, pf)(**dict(zip(pk, args[:len(pk)])), validate_args=False)
        q = getattr(D, qf)(**dict(zip(qk, args[len(pk):])), validate_args=False)
        return D.kl_divergence(p, q)

    args = [ag.tensor(pp[k], requires_grad=True) for k in pk] + [ag.tensor(qp[k], requires_grad=True) for k in qk]
    assert gradcheck(f, args)


def test_constraints_check_like_torch():
    values = np.array([[-1.0, 0.0, 0.5, 1.0], [2.0, 3.0, 0.25, 0.25]])
    square = np.array([[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.3], [0.0, 1.0]], [[0.6, 0.0], [0.8, 0.0]]])
    spd = np.array([[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])

    def pairs(c):
        return [
            (c.real, values), (c.positive, values), (c.nonnegative, values), (c.unit_interval, values),
            (c.boolean, values), (c.nonnegative_integer, values), (c.positive_integer, values),
            (c.greater_than(0.4), values), (c.less_than(0.4), values), (c.interval(0.0, 1.0), values),
            (c.half_open_interval(0.0, 1.0), values), (c.integer_interval(0, 2), values),
            (c.simplex, values), (c.real_vector, values), (c.independent(c.positive, 1), values),
            (c.one_hot, np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])),
            (c.lower_triangular, square), (c.lower_cholesky, square), (c.positive_definite, spd),
            (c.cat([c.positive, c.real], 1, [2, 2]), values), (c.stack([c.positive, c.real], 0), values),
        ]

    for (ours, v), (theirs, _) in zip(pairs(D.constraints), pairs(torch.distributions.constraints)):
        got = _np(ours.check(ag.tensor(v)))
        expected = _np(theirs.check(torch.tensor(v)))
        np.testing.assert_array_equal(got, expected, err_msg=repr(ours))
        assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete


FAMILIES = {  # one member of each family, (3,) batch, supports chosen so most KLs are finite
    "Bernoulli": dict(probs=R.uniform(0.1, 0.9, 3)),
    "Beta": dict(concentration1=_pos(3), concentration0=_pos(3)),
    "Binomial": dict(probs=R.uniform(0.1, 0.9, 3)),
    "Exponential": dict(rate=_pos(3)),
    "Gamma": dict(concentration=_pos(3), rate=_pos(3)),
    "Laplace": dict(loc=R.normal(size=3), scale=_pos(3)),
    "Normal": dict(loc=R.normal(size=3), scale=_pos(3)),
    "Poisson": dict(rate=_pos(3)),
    "Uniform": dict(low=R.uniform(0.05, 0.4, 3), high=R.uniform(0.6, 0.95, 3)),
}


def _registered_pairs():
    from torch.distributions.kl import _KL_REGISTRY

    names = set(FAMILIES)
    return sorted({(p.__name__, q.__name__) for p, q in _KL_REGISTRY
                   if p.__name__ in names and q.__name__ in names})


@pytest.mark.parametrize("pair", _registered_pairs(), ids="-".join)
def test_every_torch_kl_pair_among_these_families(pair):
    pf, qf = pair
    p_o, lp_o = _build(D, ag, pf, FAMILIES[pf])
    q_o, lq_o = _build(D, ag, qf, FAMILIES[qf])
    p_t, lp_t = _build(torch.distributions, torch, pf, FAMILIES[pf])
    q_t, lq_t = _build(torch.distributions, torch, qf, FAMILIES[qf])
    if pf == "Binomial" and qf == "Binomial":
        pytest.skip("checked with its own parameters above")
    got, expected = D.kl_divergence(p_o, q_o), torch.distributions.kl_divergence(p_t, q_t)
    np.testing.assert_allclose(_np(got), _np(expected), rtol=1e-9, atol=1e-10)
    if np.isfinite(_np(expected)).all():
        got.sum().backward()
        expected.sum().backward()
        for ours, theirs in ((lp_o, lp_t), (lq_o, lq_t)):
            for k in ours:
                if theirs[k].grad is not None:
                    np.testing.assert_allclose(_np(ours[k].grad), _np(theirs[k].grad), rtol=1e-7, atol=1e-9)


def test_cross_family_kl_limits():
    """Supports that do not nest give +inf, entry by entry."""
    u = D.Uniform(ag.tensor([-0.5, 0.2]), ag.tensor([0.5, 0.8]))
    got = D.kl_divergence(u, D.Beta(ag.tensor([2.0, 2.0]), ag.tensor([3.0, 3.0]))).numpy()
    assert np.isinf(got[0]) and np.isfinite(got[1])
    got = D.kl_divergence(u, D.Exponential(ag.tensor([1.0, 1.0]))).numpy()
    assert np.isinf(got[0]) and np.isfinite(got[1])
    assert np.isinf(D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0)).item())
