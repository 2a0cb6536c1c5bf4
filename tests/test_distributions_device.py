"""The distributions on every device (a GPU, or the test-only CuPy stand-in): parameters,
draws, log_prob, entropy, KL and gradients stay on the parameters' device."""

from __future__ import annotations

import numpy as np

import autograd_core as ag
import autograd_core.distributions as D


def _on(device, values):
    return ag.tensor(np.asarray(values, dtype=np.float64), device=device, requires_grad=True)


def test_distributions_stay_on_the_device(device):
    loc, scale = _on(device, [0.0, 1.0]), _on(device, [1.0, 2.0])
    conc = _on(device, [0.5, 3.0])
    scale_tril = _on(device, [[1.0, 0.0], [0.3, 2.0]])
    dists = [
        D.Normal(loc, scale), D.Laplace(loc, scale), D.Gamma(conc, scale), D.Beta(conc, scale),
        D.Dirichlet(conc), D.Exponential(scale), D.Uniform(loc, loc + scale),
        D.MultivariateNormal(loc, scale_tril=scale_tril),
        D.LowRankMultivariateNormal(loc, scale_tril, scale),
        D.TransformedDistribution(D.Normal(loc, scale), [D.ExpTransform(), D.AffineTransform(1.0, 2.0)]),
    ]
    total = 0.0
    for d in dists:
        x = d.rsample((3,))
        assert x.device == loc.device, type(d).__name__
        lp = d.log_prob(x.detach())
        assert lp.device == loc.device
        total = total + x.sum() + lp.sum()
        if not isinstance(d, D.TransformedDistribution):
            total = total + d.entropy().sum()
    total.backward()
    for p in (loc, scale, conc, scale_tril):
        assert p.grad is not None and p.grad.device == loc.device
        assert np.isfinite(p.grad.cpu().numpy()).all()
    for d in (D.Bernoulli(logits=loc), D.Categorical(logits=scale_tril), D.Poisson(scale),
              D.Binomial(4, probs=conc / 4)):
        s = d.sample((5,))
        assert s.device == loc.device
        assert d.log_prob(s).device == loc.device
    kl = D.kl_divergence(D.MultivariateNormal(loc, scale_tril=scale_tril),
                         D.MultivariateNormal(loc * 0, scale_tril=scale_tril))
    assert kl.device == loc.device
