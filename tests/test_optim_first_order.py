"""First-order optimisers: 20 steps on a least-squares problem against the published rules.

Each optimiser and option runs 20 steps on J(z) = ½‖Az - b‖² (z split into two parameters
of shapes (4,) and (2, 3)), with the gradient Aᵀ(Az - b) written into ``.grad``. The
trajectory must match an independent NumPy implementation of the update rule written
below (from the papers / PyTorch's documented algorithms), and PyTorch's own optimiser
when it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import optim

STEPS = 20
SHAPES = [(4,), (2, 3)]
N = 10
_rng = np.random.default_rng(1234)
A = _rng.standard_normal((12, N))
B = _rng.standard_normal(12)
Z0 = _rng.standard_normal(N)


def grad_of(z: np.ndarray) -> np.ndarray:
    return A.T @ (A @ z - B)


def split(z: np.ndarray) -> list:
    return [z[:4].reshape(SHAPES[0]), z[4:].reshape(SHAPES[1])]


# ------------------------------------------------------------------ NumPy references
class RefSGD:
    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 maximize=False):
        self.__dict__.update(locals())
        self.buf = None

    def step(self, z, g):
        g = -g if self.maximize else g
        g = g + self.weight_decay * z
        if self.momentum:
            if self.buf is None:
                self.buf = g.copy()
            else:
                self.buf = self.momentum * self.buf + (1 - self.dampening) * g
            g = g + self.momentum * self.buf if self.nesterov else self.buf
        return z - self.lr * g


class RefAdagrad:
    def __init__(self, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, maximize=False):
        self.__dict__.update(locals())
        self.sum = np.full(N, initial_accumulator_value)
        self.t = 0

    def step(self, z, g):
        self.t += 1
        g = -g if self.maximize else g
        g = g + self.weight_decay * z
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        self.sum = self.sum + g * g
        return z - clr * g / (np.sqrt(self.sum) + self.eps)


class RefRMSprop:
    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        self.__dict__.update(locals())
        self.v = np.zeros(N)
        self.gbar = np.zeros(N)
        self.buf = np.zeros(N)

    def step(self, z, g):
        g = -g if self.maximize else g
        g = g + self.weight_decay * z
        self.v = self.alpha * self.v + (1 - self.alpha) * g * g
        if self.centered:
            self.gbar = self.alpha * self.gbar + (1 - self.alpha) * g
            denom = np.sqrt(self.v - self.gbar ** 2) + self.eps
        else:
            denom = np.sqrt(self.v) + self.eps
        if self.momentum > 0:
            self.buf = self.momentum * self.buf + g / denom
            return z - self.lr * self.buf
        return z - self.lr * g / denom


class RefAdadelta:
    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        self.__dict__.update(locals())
        self.v = np.zeros(N)
        self.u = np.zeros(N)

    def step(self, z, g):
        g = -g if self.maximize else g
        g = g + self.weight_decay * z
        self.v = self.rho * self.v + (1 - self.rho) * g * g
        delta = np.sqrt(self.u + self.eps) / np.sqrt(self.v + self.eps) * g
        self.u = self.rho * self.u + (1 - self.rho) * delta * delta
        return z - self.lr * delta


class RefAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False, decoupled_weight_decay=False):
        self.__dict__.update(locals())
        self.m = np.zeros(N)
        self.v = np.zeros(N)
        self.vmax = np.zeros(N)
        self.t = 0

    def step(self, z, g):
        self.t += 1
        b1, b2 = self.betas
        g = -g if self.maximize else g
        if self.decoupled_weight_decay:
            z = z * (1 - self.lr * self.weight_decay)
        else:
            g = g + self.weight_decay * z
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1 ** self.t)
        v = self.v
        if self.amsgrad:
            self.vmax = np.maximum(self.vmax, self.v)
            v = self.vmax
        v_hat = v / (1 - b2 ** self.t)
        return z - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RefAdamW(RefAdam):
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize, True)


class RefAdamax:
    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
        self.__dict__.update(locals())
        self.m = np.zeros(N)
        self.u = np.zeros(N)
        self.t = 0

    def step(self, z, g):
        self.t += 1
        b1, b2 = self.betas
        g = -g if self.maximize else g
        g = g + self.weight_decay * z
        self.m = b1 * self.m + (1 - b1) * g
        self.u = np.maximum(b2 * self.u, np.abs(g) + self.eps)
        return z - self.lr / (1 - b1 ** self.t) * self.m / self.u


class RefNAdam:
    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        self.__dict__.update(locals())
        self.m = np.zeros(N)
        self.v = np.zeros(N)
        self.mu_product = 1.0
        self.t = 0

    def step(self, z, g):
        self.t += 1
        t = self.t
        b1, b2 = self.betas
        g = -g if self.maximize else g
        if self.decoupled_weight_decay:
            z = z * (1 - self.lr * self.weight_decay)
        else:
            g = g + self.weight_decay * z
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        self.mu_product *= mu
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        denom = np.sqrt(self.v / (1 - b2 ** t)) + self.eps
        z = z - self.lr * (1 - mu) / (1 - self.mu_product) * g / denom
        return z - self.lr * mu_next / (1 - self.mu_product * mu_next) * self.m / denom


class RefRAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, maximize=False):
        self.__dict__.update(locals())
        self.m = np.zeros(N)
        self.v = np.zeros(N)
        self.t = 0

    def step(self, z, g):
        self.t += 1
        t = self.t
        b1, b2 = self.betas
        g = -g if self.maximize else g
        if self.decoupled_weight_decay:
            z = z * (1 - self.lr * self.weight_decay)
        else:
            g = g + self.weight_decay * z
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            v_hat = self.v / (1 - b2 ** t)
            return z - self.lr * m_hat * r / (np.sqrt(v_hat) + self.eps)
        return z - self.lr * m_hat


REFERENCES = {
    "SGD": RefSGD, "Adagrad": RefAdagrad, "RMSprop": RefRMSprop, "Adadelta": RefAdadelta,
    "Adam": RefAdam, "AdamW": RefAdamW, "Adamax": RefAdamax, "NAdam": RefNAdam,
    "RAdam": RefRAdam,
}

CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.05, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True, lr_decay=0.01, weight_decay=0.02)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-4)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, weight_decay=0.05)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("Adadelta", dict(maximize=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, betas=(0.8, 0.99))),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.9))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


def run_ours(name: str, kwargs: dict, steps: int = STEPS, dtype=ag.float64, opt_out=None):
    params = [ag.tensor(p, dtype=dtype, requires_grad=True) for p in split(Z0.copy())]
    opt = getattr(optim, name)(params, **kwargs)
    trajectory = []
    for _ in range(steps):
        z = np.concatenate([p.detach().numpy().ravel() for p in params]).astype(np.float64)
        for p, g in zip(params, split(grad_of(z))):
            p.grad = ag.tensor(g, dtype=dtype)
        opt.step()
        trajectory.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    if opt_out is not None:
        opt_out.append(opt)
    return trajectory


def run_reference(name: str, kwargs: dict) -> list:
    ref = REFERENCES[name](**kwargs)
    z = Z0.copy()
    trajectory = []
    for _ in range(STEPS):
        z = ref.step(z, grad_of(z))
        trajectory.append(z.copy())
    return trajectory


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_matches_numpy_reference(name, kwargs):
    ours = run_ours(name, kwargs)
    ref = run_reference(name, kwargs)
    for step, (a, b) in enumerate(zip(ours, ref)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"step {step + 1}")
    assert not np.allclose(ours[-1], Z0)  # it moved


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in split(Z0.copy())]
    opt = getattr(torch.optim, name)(params, **kwargs)
    ours = run_ours(name, kwargs)
    for step in range(STEPS):
        z = np.concatenate([p.detach().numpy().ravel() for p in params])
        for p, g in zip(params, split(grad_of(z))):
            p.grad = torch.tensor(g)
        opt.step()
        theirs = np.concatenate([p.detach().numpy().ravel() for p in params])
        np.testing.assert_allclose(ours[step], theirs, rtol=1e-7, atol=1e-9,
                                   err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_stays_float32(name):
    """No float64 upcast: parameters and state keep the parameter's dtype."""
    opts = []
    ours32 = run_ours(name, dict(lr=0.01), steps=5, dtype=ag.float32, opt_out=opts)
    opt = opts[0]
    for p in opt.param_groups[0]["params"]:
        assert p.dtype == ag.float32
        for key, value in opt.state[p].items():
            if isinstance(value, ag.Tensor) and key not in ("step", "mu_product"):
                assert value.dtype == ag.float32, key
                assert tuple(value.shape) == tuple(p.shape), key
    assert ours32[-1].dtype == np.float32
    ours64 = run_ours(name, dict(lr=0.01), steps=5)
    np.testing.assert_allclose(ours32[-1], ours64[-1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [ag.float64, ag.float32])
def test_large_parameter_blocked_path(dtype):
    """Parameters past the cache block size are updated block by block: same numbers."""
    from autograd_core.ops import fused_optim

    n = 4 * fused_optim._BLOCK + 123
    rng = np.random.default_rng(0)
    values, grads = rng.standard_normal(n), rng.standard_normal((3, n))
    p = ag.tensor(values, dtype=dtype, requires_grad=True)
    q = ag.tensor(values[::-1].copy(), dtype=dtype, requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1, amsgrad=True, weight_decay=0.1)
    ref = RefAdam(lr=0.1, amsgrad=True, weight_decay=0.1)
    ref.m, ref.v, ref.vmax = np.zeros(n), np.zeros(n), np.zeros(n)
    z = values.copy()
    for g in grads:
        p.grad = ag.tensor(g, dtype=dtype)
        q.grad = ag.tensor(g[::-1].copy(), dtype=dtype)
        opt.step()
        z = ref.step(z, g)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == ag.float64 else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(p.detach().numpy(), z, **tol)
    np.testing.assert_allclose(q.detach().numpy()[::-1], z, **tol)


def test_noncontiguous_parameter():
    """A strided parameter (whole-array path) gets the same update as a contiguous one."""
    base = np.stack([Z0, Z0]).T.copy()  # (10, 2)
    strided = ag.from_numpy(base)[:, 0] if hasattr(ag.Tensor, "__getitem__") else None
    if strided is None or strided.is_contiguous():
        pytest.skip("needs strided views from indexing")
    strided.requires_grad_(True)
    flat = ag.tensor(Z0, dtype=ag.float64, requires_grad=True)
    opt = optim.Adam([strided, flat], lr=0.05, weight_decay=0.1)
    for _ in range(3):
        g = ag.tensor(grad_of(flat.detach().numpy()), dtype=ag.float64)
        strided.grad, flat.grad = g, g.clone()
        opt.step()
    np.testing.assert_allclose(strided.detach().numpy(), flat.detach().numpy())


def test_real_backward_and_momentum_against_torch():
    """The usual loop: zero_grad, loss.backward(), step (gradients from autograd)."""
    torch = pytest.importorskip("torch")
    a = ag.tensor(A, dtype=ag.float64)
    b = ag.tensor(B, dtype=ag.float64)
    z = ag.tensor(Z0, dtype=ag.float64, requires_grad=True)
    opt = optim.SGD([z], lr=0.01, momentum=0.9, nesterov=True)
    tz = torch.tensor(Z0, requires_grad=True)
    topt = torch.optim.SGD([tz], lr=0.01, momentum=0.9, nesterov=True)
    ta, tb = torch.tensor(A), torch.tensor(B)
    for _ in range(STEPS):
        opt.zero_grad()
        r = a @ z - b
        ((r * r).sum() * 0.5).backward()
        opt.step()
        topt.zero_grad()
        tr = ta @ tz - tb
        ((tr * tr).sum() * 0.5).backward()
        topt.step()
    np.testing.assert_allclose(z.detach().numpy(), tz.detach().numpy(), rtol=1e-9, atol=1e-10)
