"""Second-order optimisers: LBFGS (PyTorch's semantics), Newton and NewtonCG (our additions)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401  (fixture)

import autograd_core as ag
import optim
from optim.line_search import cubic_minimizer, strong_wolfe

F64 = ag.float64
E0 = ag.tensor([1.0, 0.0], dtype=F64)
E1 = ag.tensor([0.0, 1.0], dtype=F64)


def rosenbrock(x):
    """(1 - x)² + 100 (y - x²)², minimum 0 at (1, 1)."""
    u, v = (x * E0).sum(), (x * E1).sum()
    return (1 - u) ** 2 + 100 * (v - u ** 2) ** 2


def _rng_problem(seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((5, 5))
    q = m @ m.T + 5 * np.eye(5)  # symmetric positive definite
    c = rng.standard_normal(5)
    return q, c


def quadratic(params, q, c):
    """½ zᵀQz - cᵀz with z = (x1, x2) split into parameters of 3 and 2 elements."""
    x1, x2 = params
    q11, q12, q22 = (ag.tensor(m, dtype=F64) for m in (q[:3, :3], q[:3, 3:], q[3:, 3:]))
    c1, c2 = ag.tensor(c[:3], dtype=F64), ag.tensor(c[3:], dtype=F64)
    quad = (x1 * (q11 @ x1)).sum() + 2 * (x1 * (q12 @ x2)).sum() + (x2 * (q22 @ x2)).sum()
    return 0.5 * quad - (c1 * x1).sum() - (c2 * x2).sum()


def _split_params(z):
    return [ag.tensor(z[:3], dtype=F64, requires_grad=True),
            ag.tensor(z[3:], dtype=F64, requires_grad=True)]


def _flat(params) -> np.ndarray:
    return np.concatenate([np.asarray(p.tolist(), dtype=np.float64).ravel() for p in params])


# ------------------------------------------------------------------------- Newton
def test_newton_solves_a_convex_quadratic_in_one_step():
    q, c = _rng_problem()
    params = _split_params(np.ones(5))
    opt = optim.Newton(params)
    loss = opt.step(lambda: quadratic(params, q, c))
    assert isinstance(loss, ag.Tensor)
    np.testing.assert_allclose(_flat(params), np.linalg.solve(q, c), rtol=1e-10, atol=1e-12)
    assert opt.state[params[0]]["damping"] == 0.0


def test_newton_converges_on_rosenbrock_in_under_30_steps():
    x = ag.tensor([-1.2, 1.0], dtype=F64, requires_grad=True)
    opt = optim.Newton([x])
    steps = 0
    while steps < 29 and not np.allclose(x.tolist(), [1.0, 1.0], rtol=0, atol=1e-10):
        opt.step(lambda: rosenbrock(x))
        steps += 1
    np.testing.assert_allclose(x.tolist(), [1.0, 1.0], atol=1e-10)
    assert steps < 30


def test_newton_damps_an_indefinite_hessian():
    """f = x² - y² + y⁴ has a saddle at the origin: damping makes the step a descent
    direction (pure Newton would head for the saddle); the line search sizes it."""
    x = ag.tensor([1.0, 0.1], dtype=F64, requires_grad=True)

    def f():
        u, v = (x * E0).sum(), (x * E1).sum()
        return u ** 2 - v ** 2 + v ** 4

    opt = optim.Newton([x], line_search_fn="strong_wolfe")
    values = [float(opt.step(f))]
    assert opt.state[x]["damping"] > 1.88  # the Hessian's negative eigenvalue is -1.88
    for _ in range(30):
        values.append(float(opt.step(f)))
    assert all(b <= a for a, b in zip(values, values[1:]))
    np.testing.assert_allclose(np.abs(x.tolist()), [0.0, 1 / math.sqrt(2)], atol=1e-8)
    assert opt.state[x]["damping"] == 0.0  # positive definite near the minimum


def test_newton_pure_step_on_indefinite_hessian_is_still_descent():
    x = ag.tensor([1.0, 0.1], dtype=F64, requires_grad=True)

    def f():
        u, v = (x * E0).sum(), (x * E1).sum()
        return u ** 2 - v ** 2 + v ** 4

    opt = optim.Newton([x], lr=0.01)
    before = float(f())
    opt.step(f)
    assert float(f()) < before
    undamped = np.array([1.0, 0.1]) - 0.01 * np.array([1.0, 0.1 - 0.4 * 0.01 / 1.88])
    assert x.tolist()[1] > 0.1 and not np.allclose(x.tolist(), undamped)


def test_newton_refuses_too_many_parameters():
    with pytest.raises(ValueError, match="NewtonCG"):
        optim.Newton([ag.zeros(2001, requires_grad=True)])
    with pytest.raises(ValueError, match="max_params=5"):
        optim.Newton([ag.zeros(3, requires_grad=True), ag.zeros(3, requires_grad=True)],
                     max_params=5)
    optim.Newton([ag.zeros(2001, requires_grad=True)], max_params=3000)


@pytest.mark.parametrize("name", ["Newton", "NewtonCG"])
def test_newton_closure_errors(name):
    x = ag.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    opt = getattr(optim, name)([x])
    with pytest.raises(RuntimeError, match="requires a closure"):
        opt.step()
    with pytest.raises(RuntimeError, match="returned None"):
        opt.step(lambda: None)

    def calls_backward():
        loss = (x * x).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="without calling backward"):
        opt.step(calls_backward)
    with pytest.raises(ValueError, match="parameter groups"):
        getattr(optim, name)([{"params": [x]}, {"params": [ag.zeros(1, requires_grad=True)]}])


def test_newton_with_a_linear_loss_uses_damping():
    x = ag.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    opt = optim.Newton([x], damping=2.0)
    opt.step(lambda: (x * ag.tensor([1.0, -1.0], dtype=F64)).sum())
    np.testing.assert_allclose(x.tolist(), [0.5, 2.5])  # d = -g / λ


# ------------------------------------------------------------------------ NewtonCG
def test_newton_cg_agrees_with_newton():
    """On a small convex, non-quadratic problem the two take the same steps."""
    q, c = _rng_problem(1)

    def loss_of(params):
        x1, x2 = params
        return quadratic(params, q, c) + 0.1 * ((x1 ** 4).sum() + (x2 ** 4).sum())

    start = np.linspace(-1.0, 1.0, 5)
    trajectories = []
    for name, kwargs in [("Newton", {}), ("NewtonCG", dict(tol=1e-12))]:
        params = _split_params(start)
        opt = getattr(optim, name)(params, **kwargs)
        steps = []
        for _ in range(4):
            opt.step(lambda params=params: loss_of(params))
            steps.append(_flat(params))
        trajectories.append(np.array(steps))
    np.testing.assert_allclose(trajectories[1], trajectories[0], rtol=1e-8, atol=1e-10)


def test_newton_cg_solves_a_quadratic_in_one_step():
    q, c = _rng_problem(2)
    params = _split_params(np.zeros(5))
    opt = optim.NewtonCG(params, tol=1e-13)
    opt.step(lambda: quadratic(params, q, c))
    np.testing.assert_allclose(_flat(params), np.linalg.solve(q, c), rtol=1e-8, atol=1e-10)
    assert opt.state[params[0]]["cg_iters"] <= 5 + 1
    assert opt.state[params[0]]["negative_curvature"] is False


def test_newton_cg_truncates_at_negative_curvature():
    """At a point where H is negative definite, the first CG direction has pᵀHp < 0:
    the step is steepest descent."""
    x = ag.tensor([0.1, 0.2], dtype=F64, requires_grad=True)

    def f():
        u, v = (x * E0).sum(), (x * E1).sum()
        return -(u ** 2) - 2 * v ** 2

    opt = optim.NewtonCG([x], lr=0.1)
    opt.step(f)
    assert opt.state[x]["negative_curvature"] is True
    np.testing.assert_allclose(x.tolist(), [0.1 + 0.1 * 0.2, 0.2 + 0.1 * 0.8])


def test_newton_cg_max_cg_iter_truncates():
    q, c = _rng_problem(3)
    params = _split_params(np.zeros(5))
    opt = optim.NewtonCG(params, max_cg_iter=1)
    opt.step(lambda: quadratic(params, q, c))
    assert opt.state[params[0]]["cg_iters"] == 1
    # one CG iteration from 0 is the exact line minimum along -g: the Cauchy point
    g = -c
    t = (g @ g) / (g @ q @ g)
    np.testing.assert_allclose(_flat(params), -t * g, rtol=1e-10)


# --------------------------------------------------------------------------- LBFGS
def _lbfgs_closure(opt, x):
    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    return closure


def test_lbfgs_strong_wolfe_converges_on_rosenbrock():
    x = ag.tensor([-1.2, 1.0], dtype=F64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50,
                      tolerance_change=1e-14, tolerance_grad=1e-12)
    closure = _lbfgs_closure(opt, x)
    for _ in range(4):
        opt.step(closure)
    np.testing.assert_allclose(x.tolist(), [1.0, 1.0], atol=1e-7)
    assert opt.state[x]["n_iter"] < 100


@pytest.mark.parametrize(("problem", "line_search_fn", "steps"), [
    ("rosenbrock", "strong_wolfe", 3),
    ("rosenbrock", None, 1),
    ("quadratic", None, 2),
    ("quadratic", "strong_wolfe", 2),
])
def test_lbfgs_matches_pytorch(problem, line_search_fn, steps):
    """Same iterates and evaluation counts as torch.optim.LBFGS (to rounding: without a
    line search, lr=1 on Rosenbrock is chaotic enough that only a few steps compare)."""
    torch = pytest.importorskip("torch")
    q, c = _rng_problem(5)
    start = [-1.2, 1.0] if problem == "rosenbrock" else list(np.linspace(-1, 1, 5))
    x = ag.tensor(start, dtype=F64, requires_grad=True)
    tx = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    kwargs = dict(lr=1, max_iter=15, history_size=5, line_search_fn=line_search_fn)
    opt = optim.LBFGS([x], **kwargs)
    topt = torch.optim.LBFGS([tx], **kwargs)
    ag_q, ag_c = ag.tensor(q, dtype=F64), ag.tensor(c, dtype=F64)
    t_q, t_c = torch.tensor(q), torch.tensor(c)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x) if problem == "rosenbrock" else \
            0.5 * (x * (ag_q @ x)).sum() - (ag_c * x).sum()
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        if problem == "rosenbrock":
            loss = (1 - tx[0]) ** 2 + 100 * (tx[1] - tx[0] ** 2) ** 2
        else:
            loss = 0.5 * (tx * (t_q @ tx)).sum() - (t_c * tx).sum()
        loss.backward()
        return loss

    for _ in range(steps):
        ours = float(opt.step(closure))
        theirs = float(topt.step(tclosure).detach())
        assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-12)
        np.testing.assert_allclose(x.tolist(), tx.tolist(), rtol=1e-7, atol=1e-9)
    assert opt.state[x]["func_evals"] == topt.state[tx]["func_evals"]
    assert opt.state[x]["n_iter"] == topt.state[tx]["n_iter"]


def test_lbfgs_quadratic_with_two_parameters():
    q, c = _rng_problem(4)
    params = _split_params(np.zeros(5))
    opt = optim.LBFGS(params, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = quadratic(params, q, c)
        loss.backward()
        return loss

    opt.step(closure)
    # the line search compares loss values, so x is found to about sqrt(machine epsilon)
    np.testing.assert_allclose(_flat(params), np.linalg.solve(q, c), rtol=0, atol=1e-7)


def test_lbfgs_bad_input():
    x = ag.tensor([-1.2, 1.0], dtype=F64, requires_grad=True)
    opt = optim.LBFGS([x])
    with pytest.raises(RuntimeError, match="requires a closure"):
        opt.step()
    with pytest.raises(RuntimeError, match="closure returned None"):
        opt.step(lambda: None)

    def forgets_return():
        opt.zero_grad()
        rosenbrock(x).backward()

    with pytest.raises(RuntimeError, match="returns the loss"):
        opt.step(forgets_return)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [ag.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [ag.zeros(1, requires_grad=True)]})
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([x], line_search_fn="armijo")


def test_lbfgs_state_dict_round_trip():
    x = ag.tensor([-1.2, 1.0], dtype=F64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=5, line_search_fn="strong_wolfe")
    opt.step(_lbfgs_closure(opt, x))
    saved = copy.deepcopy(opt.state_dict())
    y = x.detach().clone().requires_grad_(True)
    other = optim.LBFGS([y], max_iter=5, line_search_fn="strong_wolfe")
    other.load_state_dict(saved)
    for _ in range(2):
        opt.step(_lbfgs_closure(opt, x))
        other.step(_lbfgs_closure(other, y))
    np.testing.assert_array_equal(x.tolist(), y.tolist())
    assert other.state[y]["n_iter"] == opt.state[x]["n_iter"] > 5


# --------------------------------------------------------------------- line search
def test_cubic_minimizer_is_exact_on_a_cubic():
    def f(t):
        return t ** 3 - 3 * t  # minimum at t = 1

    def df(t):
        return 3 * t ** 2 - 3

    t = cubic_minimizer(0.0, f(0.0), df(0.0), 3.0, f(3.0), df(3.0))
    assert t == pytest.approx(1.0)
    # f(t) = t - 3t² + 2t³ has f(0) = f(1) = 0, f'(0) = f'(1) = 1; its local minimum
    # solves 6t² - 6t + 1 = 0: t = 1/2 + sqrt(3)/6, inside the bounds
    assert cubic_minimizer(0.0, 0.0, 1.0, 1.0, 0.0, 1.0, bounds=(0.0, 1.0)) == pytest.approx(
        0.5 + math.sqrt(3) / 6)
    assert cubic_minimizer(0.0, 0.0, -1.0, 2.0, float("inf"), 0.0) == 1.0  # not finite: bisect


def test_strong_wolfe_conditions_hold():
    """φ(t) = (t - 3)² e^{t/4} along d = 1 from 0: the accepted t satisfies both tests."""
    def value_and_slope(t):
        f = (t - 3) ** 2 * math.exp(t / 4)
        g = (2 * (t - 3) + (t - 3) ** 2 / 4) * math.exp(t / 4)
        return f, g

    d = ag.tensor([1.0], dtype=F64)

    def phi(t):
        f, g = value_and_slope(t)
        return f, ag.tensor([g], dtype=F64)

    f0, g0 = value_and_slope(0.0)
    c1, c2 = 1e-4, 0.9
    for t0 in (0.01, 1.0, 30.0):
        f, g, t, evals = strong_wolfe(phi, t0, d, f0, ag.tensor([g0], dtype=F64), g0, c1, c2)
        slope = g.tolist()[0]
        assert f <= f0 + c1 * t * g0
        assert abs(slope) <= c2 * abs(g0)
        assert evals <= 25


@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name", ["LBFGS", "Newton", "NewtonCG"])
def test_second_order_on_the_cuda_code_path(name):
    """The flat-vector helpers and the damped solve run on the CuPy stand-in too."""
    results = []
    for device in ("cpu", "cuda"):
        x = ag.tensor([-1.2, 1.0], dtype=F64, device=device, requires_grad=True)
        e0, e1 = E0.to(device), E1.to(device)

        def loss(x=x, e0=e0, e1=e1):
            u, v = (x * e0).sum(), (x * e1).sum()
            return (1 - u) ** 2 + 100 * (v - u ** 2) ** 2

        if name == "LBFGS":
            opt = optim.LBFGS([x], max_iter=10, line_search_fn="strong_wolfe")

            def closure(opt=opt, loss=loss):
                opt.zero_grad()
                value = loss()
                value.backward()
                return value
        else:
            opt = getattr(optim, name)([x], line_search_fn="strong_wolfe")
            closure = loss
        for _ in range(3):
            opt.step(closure)
        assert x.device.type == device
        results.append(x.tolist())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
