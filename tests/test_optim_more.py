"""ASGD, Rprop, SparseAdam, Adafactor and Muon: their defining properties, state, and
the CUDA code path (on the CuPy stand-in). Trajectories against torch are in
`test_optim_conformance.py`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401  (fixture)

import autograd_core as ag
import optim
from optim.muon import zeropower_via_newton_schulz


def _param(values, **kw):
    return ag.tensor(np.asarray(values, dtype=np.float32), requires_grad=True, **kw)


def _set_grad(p, values):
    p.grad = ag.tensor(np.asarray(values, dtype=np.float32), device=p.device)


# ------------------------------------------------------------------------------- ASGD
def test_asgd_average_is_the_mean_of_the_iterates_after_t0():
    p = _param([1.0, -2.0])
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    iterates = []
    for g in ([1.0, 1.0], [0.5, -1.0], [-2.0, 0.0], [0.3, 0.3], [1.0, -1.0]):
        _set_grad(p, g)
        opt.step()
        iterates.append(p.tolist())
    # μ_t = 1/max(1, t-1-t0): the average follows θ up to step t0 + 2, then averages
    # θ_{t0+2}, ..., θ_t (here θ_4 and θ_5)
    expected = np.mean(iterates[3:], axis=0)
    np.testing.assert_allclose(opt.state[p]["ax"].tolist(), expected, rtol=1e-6)
    assert opt.state[p]["step"].item() == 5


def test_asgd_eta_decays_as_documented():
    p = _param([0.0])
    opt = optim.ASGD([p], lr=0.5, lambd=0.1, alpha=0.75)
    for _ in range(3):
        _set_grad(p, [1.0])
        opt.step()
    assert opt.state[p]["eta"].item() == pytest.approx(0.5 / (1 + 0.1 * 0.5 * 3) ** 0.75)


# ------------------------------------------------------------------------------ Rprop
def test_rprop_grows_on_agreement_and_backs_off_on_a_sign_flip():
    p = _param([0.0, 0.0])
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50))
    _set_grad(p, [1.0, 1.0])
    opt.step()  # first step: sign only, size lr
    np.testing.assert_allclose(p.tolist(), [-0.1, -0.1], rtol=1e-6)
    _set_grad(p, [2.0, -3.0])  # weight 0 agrees (grow), weight 1 flipped (shrink, skip)
    opt.step()
    np.testing.assert_allclose(opt.state[p]["step_size"].tolist(), [0.12, 0.05], rtol=1e-6)
    np.testing.assert_allclose(p.tolist(), [-0.22, -0.1], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["prev"].tolist(), [2.0, 0.0])


def test_rprop_ignores_the_gradient_scale():
    a, b = _param([1.0, -1.0]), _param([1.0, -1.0])
    opt_a, opt_b = optim.Rprop([a]), optim.Rprop([b])
    for g in ([1.0, -2.0], [3.0, 1.0], [0.5, 0.5]):
        _set_grad(a, g)
        _set_grad(b, [1000.0 * x for x in g])
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.tolist(), b.tolist())


# ------------------------------------------------------------------------- SparseAdam
def test_sparse_adam_leaves_untouched_rows_alone():
    p = _param(np.ones((3, 2)))
    opt = optim.SparseAdam([p], lr=0.1)
    _set_grad(p, [[1.0, 2.0], [0.0, 0.0], [-1.0, 0.5]])
    opt.step()
    _set_grad(p, [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])  # only row 2 now
    opt.step()
    state = opt.state[p]
    assert state["step"] == 2 and isinstance(state["step"], int)
    np.testing.assert_array_equal(p.tolist()[1], [1.0, 1.0])
    np.testing.assert_array_equal(state["exp_avg"].tolist()[1], [0.0, 0.0])
    # row 0 moved at step 1 only; its moments did not decay at step 2
    np.testing.assert_allclose(state["exp_avg"].tolist()[0], [0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(p.tolist()[0], [0.9, 0.9], rtol=1e-5)


def test_sparse_adam_requires_positive_lr_and_eps():
    p = _param([1.0])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SparseAdam([p], lr=0.0)
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.SparseAdam([p], eps=0.0)


# -------------------------------------------------------------------------- Adafactor
def test_adafactor_factors_the_second_moment_of_matrices():
    w, b, t = _param(np.ones((4, 3))), _param(np.ones(4)), _param(np.ones((2, 4, 3)))
    opt = optim.Adafactor([w, b, t])
    for p in (w, b, t):
        p.grad = ag.ones_like(p)
    opt.step()
    assert tuple(opt.state[w]["row_var"].shape) == (4, 1)
    assert tuple(opt.state[w]["col_var"].shape) == (1, 3)
    assert tuple(opt.state[t]["row_var"].shape) == (2, 4, 1)
    assert tuple(opt.state[b]["variance"].shape) == (4,)
    # a constant gradient: V̂ = G² exactly, so U = sign(G); RMS(U) = 1 = d, no clipping;
    # α = max(ε2, RMS(θ)) · min(lr, 1/sqrt(1)) = 1 · 0.01
    np.testing.assert_allclose(w.tolist(), np.full((4, 3), 0.99), rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"beta2_decay": 0.8}, "beta2_decay should be <= 0"),
    ({"d": 0.5}, "Clipping threshold d should be >= 1"),
    ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0"),
])
def test_adafactor_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adafactor([_param([1.0])], **kwargs)


# ------------------------------------------------------------------------------- Muon
@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5)])
def test_newton_schulz_pushes_singular_values_towards_one(shape):
    rng = np.random.default_rng(1)
    m = ag.tensor(rng.standard_normal(shape) * np.logspace(0, 2, shape[1]), dtype=ag.float64)
    out = zeropower_via_newton_schulz(m, (3.4445, -4.7750, 2.0315), 5, 1e-7)
    assert tuple(out.shape) == shape
    singular = np.linalg.svd(np.array(out.tolist()), compute_uv=False)
    assert singular.min() > 0.3 and singular.max() < 1.3
    # the singular vectors are those of the input: out ≈ U f(S) Vᵀ
    u, _, vt = np.linalg.svd(np.array(m.tolist()), full_matrices=False)
    core = u.T @ np.array(out.tolist()) @ vt.T
    np.testing.assert_allclose(core, np.diag(np.diag(core)), atol=1e-8)


def test_muon_rejects_non_matrices_and_unknown_lr_rules():
    with pytest.raises(ValueError, match="only supports 2D parameters"):
        optim.Muon([_param([1.0, 2.0])])
    with pytest.raises(ValueError, match="arbitrary is not supported"):
        optim.Muon([_param(np.ones((2, 2)))], adjust_lr_fn="arbitrary")


def test_muon_step_size_follows_the_shape():
    """With zero momentum and decay, one step moves θ by η' · O, ‖O‖ about sqrt(min(m, n))."""
    rng = np.random.default_rng(2)
    for shape, rule, factor in [((8, 2), None, 2.0), ((2, 8), None, 1.0),
                                ((8, 2), "match_rms_adamw", 0.2 * math.sqrt(8))]:
        p = _param(np.zeros(shape))
        _set_grad(p, rng.standard_normal(shape))
        optim.Muon([p], lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False,
                   adjust_lr_fn=rule).step()
        moved = np.array(p.tolist()) / (-0.01 * factor)
        singular = np.linalg.svd(moved, compute_uv=False)
        assert singular.min() > 0.5 and singular.max() < 1.3


# ------------------------------------------------------------------ the CUDA code path
@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name", ["ASGD", "Rprop", "SparseAdam", "Adafactor", "Muon"])
def test_new_optimisers_run_the_same_on_the_cuda_code_path(name):
    rng = np.random.default_rng(3)
    init = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(3)]
    results = []
    for device in ("cpu", "cuda"):
        p = ag.tensor(init, device=device, requires_grad=True)
        opt = getattr(optim, name)([p])
        for g in grads:
            _set_grad(p, g)
            opt.step()
        assert p.device.type == device
        results.append(np.array(p.cpu().tolist()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)
