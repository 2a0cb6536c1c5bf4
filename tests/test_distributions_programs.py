"""Two programs written once against ``torch``'s API and run twice, under PyTorch and under
``import autograd_core as torch``, from identical weights and identical draws: a VAE trained
with the reparameterisation trick, and a REINFORCE policy-gradient step."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

real_torch = pytest.importorskip("torch")
R = np.random.default_rng(2)


def _np(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _load(torch, layers, weights):
    with torch.no_grad():
        for layer, (w, b) in zip(layers, weights):
            layer.weight.copy_(torch.tensor(w, dtype=torch.float64))
            layer.bias.copy_(torch.tensor(b, dtype=torch.float64))


def _weights(*sizes):
    return [(R.normal(size=(o, i)) / np.sqrt(i), R.normal(size=o) * 0.1) for i, o in sizes]


# ----------------------------------------------------------------------------- the programs
def vae_training(torch, weights, x, steps: int = 3):
    """Encoder q(z|x) = N(mu, sigma), decoder p(x|z) Bernoulli, loss = -ELBO."""
    D = torch.distributions
    enc, mu_head, logvar_head, dec = [torch.nn.Linear(i, o).double() for i, o in ((6, 8), (8, 2), (8, 2), (2, 6))]
    layers = [enc, mu_head, logvar_head, dec]
    _load(torch, layers, weights)
    params = [p for layer in layers for p in layer.parameters()]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.5)
    x = torch.tensor(x, dtype=torch.float64)
    losses = []
    for _ in range(steps):
        h = enc(x).tanh()
        q = D.Normal(mu_head(h), (0.5 * logvar_head(h)).exp())
        z = q.rsample()
        likelihood = D.Independent(D.Bernoulli(logits=dec(z)), 1)
        prior = D.Normal(torch.zeros_like(z), torch.ones_like(z))
        loss = -(likelihood.log_prob(x) - D.kl_divergence(q, prior).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [_np(p) for p in params]


def reinforce_step(torch, weights, states, actions, rewards, gamma: float = 0.9):
    """One policy-gradient step: loss = -sum_t log pi(a_t | s_t) (G_t - mean G) - 0.01 H."""
    D = torch.distributions
    l1, l2 = torch.nn.Linear(4, 16).double(), torch.nn.Linear(16, 3).double()
    _load(torch, [l1, l2], weights)
    params = list(l1.parameters()) + list(l2.parameters())
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    returns, g = [], 0.0
    for r in reversed(rewards):
        g = r + gamma * g
        returns.insert(0, g)
    returns = torch.tensor(returns, dtype=torch.float64)
    advantages = returns - returns.mean()
    losses = []
    for _ in range(2):
        policy = D.Categorical(logits=l2(l1(torch.tensor(states, dtype=torch.float64)).tanh()))
        log_probs = policy.log_prob(torch.tensor(actions))
        loss = -(log_probs * advantages).sum() - 0.01 * policy.entropy().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        assert tuple(policy.sample().shape) == (len(actions),)
    return losses, [_np(p) for p in params]


# ----------------------------------------------------------------------------- the tests
def test_vae_matches_torch_for_the_same_noise(monkeypatch):
    weights = _weights((6, 8), (8, 2), (8, 2), (2, 6))
    x = (R.uniform(size=(5, 6)) < 0.4).astype(np.float64)
    noise = [R.normal(size=(5, 2)) for _ in range(3)]
    queue_t, queue_o = list(noise), list(noise)

    def torch_eps(shape, dtype, device):
        return real_torch.tensor(queue_t.pop(0), dtype=dtype)

    def our_eps(*shape, dtype=None, device=None, **kwargs):
        return ag.tensor(queue_o.pop(0), dtype=dtype)

    monkeypatch.setattr(real_torch.distributions.normal, "_standard_normal", torch_eps)
    monkeypatch.setattr(ag, "randn", our_eps)
    expected_losses, expected_params = vae_training(real_torch, weights, x)
    got_losses, got_params = vae_training(ag, weights, x)
    np.testing.assert_allclose(got_losses, expected_losses, rtol=1e-10)
    for got, expected in zip(got_params, expected_params):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
    assert expected_losses[-1] < expected_losses[0]


def test_reinforce_matches_torch_for_the_same_actions():
    weights = _weights((4, 16), (16, 3))
    states = R.normal(size=(7, 4))
    real_torch.manual_seed(0)
    with real_torch.no_grad():
        actions = real_torch.distributions.Categorical(logits=real_torch.zeros(7, 3)).sample().tolist()
    rewards = R.normal(size=7).tolist()
    expected_losses, expected_params = reinforce_step(real_torch, weights, states, actions, rewards)
    got_losses, got_params = reinforce_step(ag, weights, states, actions, rewards)
    np.testing.assert_allclose(got_losses, expected_losses, rtol=1e-10)
    for got, expected in zip(got_params, expected_params):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def test_reinforce_learns_a_bandit():
    """The score-function gradient through Categorical.sample / log_prob moves the policy to
    the best arm."""
    D = ag.distributions
    logits = ag.zeros(3, requires_grad=True)
    opt = ag.optim.SGD([logits], lr=0.5)
    payout = ag.tensor([0.0, 1.0, 0.2])
    for _ in range(60):
        policy = D.Categorical(logits=logits)
        a = policy.sample((32,))
        reward = payout[a]
        loss = -(policy.log_prob(a) * (reward - reward.mean())).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert int(logits.argmax()) == 1
    assert float(D.Categorical(logits=logits).probs[1]) > 0.8
