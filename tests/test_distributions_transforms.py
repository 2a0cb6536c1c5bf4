"""Transforms, TransformedDistribution, Independent and MixtureSameFamily against PyTorch:
values, inverses, log-determinants, log_prob/cdf/icdf and their gradients, gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributions as D
from autograd_core.autograd import gradcheck

torch = pytest.importorskip("torch")
R = np.random.default_rng(9)


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def _transforms(d, lib):
    t = d.transforms
    scale = lib.tensor([0.5, -2.0, 1.5], dtype=lib.float64)
    return {
        "exp": t.ExpTransform(),
        "affine": t.AffineTransform(1.0, scale),
        "affine_scalar": t.AffineTransform(-0.5, 3.0),
        "sigmoid": t.SigmoidTransform(),
        "tanh": t.TanhTransform(),
        "softplus": t.SoftplusTransform(),
        "power": t.PowerTransform(lib.tensor(2.5, dtype=lib.float64)),
        "compose": t.ComposeTransform([t.AffineTransform(0.3, 0.7), t.TanhTransform(), t.ExpTransform()]),
        "inverse": t.ExpTransform().inv,
    }


_POSITIVE_DOMAIN = {"power", "inverse"}


@pytest.mark.parametrize("name", sorted(_transforms(D, ag)))
def test_transform_call_inverse_and_log_det_match_torch(name):
    x = R.uniform(0.2, 1.5, (2, 3)) if name in _POSITIVE_DOMAIN else R.normal(size=(2, 3)) * 0.8
    ours, theirs = _transforms(D, ag)[name], _transforms(torch.distributions, torch)[name]
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    _close(yo, yt)
    _close(ours.inv(yo), theirs.inv(yt), 1e-8)
    lo, lt = ours.log_abs_det_jacobian(xo, yo), theirs.log_abs_det_jacobian(xt, yt)
    _close(lo, lt)
    (yo.sum() + lo.sum()).backward()
    (yt.sum() + lt.sum()).backward()
    _close(xo.grad, xt.grad, 1e-8)
    assert ours.bijective == theirs.bijective
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim


def test_softmax_transform_and_equality():
    x = R.normal(size=(2, 4))
    ours, theirs = D.transforms.SoftmaxTransform(), torch.distributions.transforms.SoftmaxTransform()
    _close(ours(ag.tensor(x)), theirs(torch.tensor(x)))
    _close(ours.inv(ours(ag.tensor(x))), theirs.inv(theirs(torch.tensor(x))))
    assert ours.codomain is D.constraints.simplex and ours.domain.event_dim == 1
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform() != D.SigmoidTransform()
    assert D.AffineTransform(0.0, 2.0) == D.AffineTransform(0.0, 2.0)
    assert D.AffineTransform(0.0, 2.0) != D.AffineTransform(0.0, 3.0)
    assert D.ExpTransform().inv.inv == D.ExpTransform()


def _transformed(d, lib, p):
    t = d.transforms
    return {
        "lognormal": d.TransformedDistribution(d.Normal(p["loc"], p["scale"]), t.ExpTransform()),
        "squashed": d.TransformedDistribution(d.Normal(p["loc"], p["scale"]),
                                              [t.TanhTransform(), t.AffineTransform(0.5, -2.0)]),
        "logistic": d.TransformedDistribution(d.Uniform(lib.zeros(3, dtype=lib.float64),
                                                        lib.ones(3, dtype=lib.float64)),
                                              [t.SigmoidTransform().inv, t.AffineTransform(p["loc"], p["scale"])]),
        "vector_affine": d.TransformedDistribution(d.Normal(p["loc"], p["scale"]),
                                                   t.AffineTransform(1.0, p["scale"], event_dim=1)),
    }


@pytest.mark.parametrize("name", ["lognormal", "squashed", "logistic", "vector_affine"])
def test_transformed_distribution_matches_torch(name):
    params = dict(loc=R.normal(size=3), scale=R.uniform(0.5, 1.5, 3))
    po = {k: ag.tensor(v, requires_grad=True) for k, v in params.items()}
    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours, theirs = _transformed(D, ag, po)[name], _transformed(torch.distributions, torch, pt)[name]
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    with torch.no_grad():
        value = theirs.sample((4,))
    lo = ours.log_prob(ag.tensor(value.numpy()))
    lt = theirs.log_prob(value)
    _close(lo, lt)
    total_o, total_t = lo.sum(), lt.sum()
    if name in ("lognormal", "squashed"):
        q = R.uniform(0.1, 0.9, (2, 3))
        co, ct = ours.cdf(ag.tensor(value.numpy())), theirs.cdf(value)
        io, it = ours.icdf(ag.tensor(q)), theirs.icdf(torch.tensor(q))
        _close(co, ct)
        _close(io, it, 1e-8)
        total_o, total_t = total_o + co.sum() + io.sum(), total_t + ct.sum() + it.sum()
    total_o.backward()
    total_t.backward()
    for k in params:
        if pt[k].grad is not None:
            _close(po[k].grad, pt[k].grad, 1e-8)
    assert tuple(ours.sample((2,)).shape) == tuple(theirs.sample((2,)).shape)
    expanded = ours.expand((5,) + tuple(ours.batch_shape))
    assert tuple(expanded.sample().shape) == (5,) + tuple(ours.batch_shape) + tuple(ours.event_shape)


def test_transformed_log_prob_gradcheck():
    value = ag.tensor(R.uniform(0.2, 2.0, 3))

    def f(loc, scale):
        d = D.TransformedDistribution(D.Normal(loc, scale), [D.ExpTransform(), D.PowerTransform(2.0)])
        return d.log_prob(value)

    assert gradcheck(f, [ag.tensor(R.normal(size=3), requires_grad=True),
                         ag.tensor(R.uniform(0.5, 1.5, 3), requires_grad=True)])


def _mixtures(d, lib, p):
    mix = d.Categorical(logits=p["logits"])
    return {
        "normal": d.MixtureSameFamily(mix, d.Normal(p["loc"], p["scale"])),
        "independent": d.MixtureSameFamily(mix, d.Independent(d.Normal(p["loc"][..., None].expand(2, 4, 3),
                                                                       p["scale"][..., None].expand(2, 4, 3)), 1)),
    }


@pytest.mark.parametrize("name", ["normal", "independent"])
def test_mixture_same_family_matches_torch(name):
    params = dict(logits=R.normal(size=(2, 4)), loc=R.normal(size=(2, 4)), scale=R.uniform(0.5, 1.5, (2, 4)))
    po = {k: ag.tensor(v, requires_grad=True) for k, v in params.items()}
    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours, theirs = _mixtures(D, ag, po)[name], _mixtures(torch.distributions, torch, pt)[name]
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    value = R.normal(size=(5,) + tuple(theirs.batch_shape) + tuple(theirs.event_shape))
    lo, lt = ours.log_prob(ag.tensor(value)), theirs.log_prob(torch.tensor(value))
    _close(lo, lt)
    _close(ours.mean, theirs.mean)
    _close(ours.variance, theirs.variance)
    total_o = lo.sum() + ours.mean.sum() + ours.variance.sum()
    total_t = lt.sum() + theirs.mean.sum() + theirs.variance.sum()
    if name == "normal":
        co, ct = ours.cdf(ag.tensor(value)), theirs.cdf(torch.tensor(value))
        _close(co, ct)
        total_o, total_t = total_o + co.sum(), total_t + ct.sum()
    total_o.backward()
    total_t.backward()
    for k in params:
        _close(po[k].grad, pt[k].grad, 1e-8)
    samples = ours.sample((3000,))
    assert tuple(samples.shape) == (3000,) + tuple(theirs.batch_shape) + tuple(theirs.event_shape)
    np.testing.assert_allclose(_np(samples).mean(0), _np(theirs.mean), atol=0.15)
    expanded = ours.expand((6, 2))
    assert tuple(expanded.sample().shape) == (6, 2) + tuple(theirs.event_shape)


def test_independent_matches_torch():
    loc, scale = R.normal(size=(2, 3)), R.uniform(0.5, 1.5, (2, 3))
    ours = D.Independent(D.Normal(ag.tensor(loc), ag.tensor(scale)), 1)
    theirs = torch.distributions.Independent(torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)), 1)
    value = R.normal(size=(4, 2, 3))
    _close(ours.log_prob(ag.tensor(value)), theirs.log_prob(torch.tensor(value)))
    _close(ours.entropy(), theirs.entropy())
    assert tuple(ours.batch_shape) == (2,) and tuple(ours.event_shape) == (3,)
    assert ours.has_rsample and repr(ours).startswith("Independent(Normal(")
    assert tuple(ours.expand((5, 2)).rsample().shape) == (5, 2, 3)
    assert ours.support.event_dim == 1


def _event_transforms(d, lib):
    t = d.transforms
    normal = d.Normal(lib.tensor([0.5], dtype=lib.float64), lib.tensor([1.5], dtype=lib.float64))
    return {
        "stick_breaking": (t.StickBreakingTransform(), (2, 3)),
        "independent": (t.IndependentTransform(t.ExpTransform(), 1), (2, 3)),
        "reshape": (t.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
        "cdf": (t.CumulativeDistributionTransform(normal), (2, 3)),
        "lower_cholesky": (t.LowerCholeskyTransform(), (2, 3, 3)),
    }


@pytest.mark.parametrize("name", ["stick_breaking", "independent", "reshape", "cdf", "lower_cholesky"])
def test_event_transforms_match_torch(name):
    ours, shape = _event_transforms(D, ag)[name]
    theirs, _ = _event_transforms(torch.distributions, torch)[name]
    x = R.normal(size=shape)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    _close(yo, yt)
    _close(ours.inv(yo), theirs.inv(yt), 1e-8)
    assert ours.forward_shape(shape) == tuple(theirs.forward_shape(shape))
    assert ours.inverse_shape(tuple(yt.shape)) == tuple(theirs.inverse_shape(yt.shape))
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert bool(theirs.codomain.check(torch.tensor(_np(yo))).all())
    total_o, total_t = yo.sum(), yt.sum()
    if name != "lower_cholesky":  # PyTorch has no log-determinant for it
        lo, lt = ours.log_abs_det_jacobian(xo, yo), theirs.log_abs_det_jacobian(xt, yt)
        _close(lo, lt)
        total_o, total_t = total_o + lo.sum(), total_t + lt.sum()
    total_o.backward()
    total_t.backward()
    _close(xo.grad, xt.grad, 1e-8)


def test_stick_breaking_log_det_gradcheck():
    t = D.transforms.StickBreakingTransform()
    assert gradcheck(lambda x: t.log_abs_det_jacobian(x, t(x)) + t(x).sum(-1),
                     [ag.tensor(R.normal(size=(2, 3)), requires_grad=True)])


def _constraint_list(c):
    return [c.real, c.positive, c.nonnegative, c.greater_than(1.0), c.greater_than_eq(-2.0),
            c.less_than(2.0), c.interval(-1.0, 2.0), c.unit_interval, c.half_open_interval(0.0, 3.0),
            c.simplex, c.real_vector, c.independent(c.positive, 1), c.lower_cholesky]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_biject_to_and_transform_to_match_torch(registry):
    ours_reg, theirs_reg = getattr(D, registry), getattr(torch.distributions, registry)
    for co, ct in zip(_constraint_list(D.constraints), _constraint_list(torch.distributions.constraints)):
        try:
            theirs = theirs_reg(ct)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                ours_reg(co)
            continue
        ours = ours_reg(co)
        shape = (2, 3, 3) if ct is torch.distributions.constraints.lower_cholesky else (2, 3)
        x = R.normal(size=shape)
        yo, yt = ours(ag.tensor(x)), theirs(torch.tensor(x))
        _close(yo, yt)
        assert bool(ct.check(torch.tensor(_np(yo))).all()), co
        if theirs.bijective and ct is not torch.distributions.constraints.lower_cholesky:
            _close(ours.log_abs_det_jacobian(ag.tensor(x), yo), theirs.log_abs_det_jacobian(torch.tensor(x), yt))
    with pytest.raises(NotImplementedError):
        ours_reg(D.constraints.boolean)
