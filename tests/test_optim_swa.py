"""optim.swa_utils (SWALR and the averaging rules) and swap_in_optimizer_params_and_state,
against their formulas and against torch."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler
from optim.swa_utils import (
    SWALR,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
)


def _two_groups(module, lib, lrs=(0.1, 0.02)):
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    return module.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])


def _lrs(scheduler, opt, steps=12):
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append([g["lr"] for g in opt.param_groups])
    return out


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_anneals_to_swa_lr_as_the_formula_says(strategy):
    opt = _two_groups(optim, ag)
    lrs = _lrs(SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=4, anneal_strategy=strategy),
               opt)

    def anneal(t):
        return (1 - math.cos(math.pi * t)) / 2 if strategy == "cos" else t

    for k, row in enumerate(lrs):
        a = anneal(min(1.0, k / 4))
        np.testing.assert_allclose(row, [0.05 * a + 0.1 * (1 - a), 0.01 * a + 0.02 * (1 - a)],
                                   rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05, anneal_epochs=5),
                                    dict(swa_lr=[0.3, 0.001], anneal_epochs=3,
                                         anneal_strategy="linear"),
                                    dict(swa_lr=0.01, anneal_epochs=0)])
def test_swalr_after_a_schedule_matches_torch(kwargs):
    """Cosine annealing first, then SWALR takes over from wherever the lr got to."""
    torch = pytest.importorskip("torch")
    runs = []
    for module, lib, L, swa in ((optim, ag, lr_scheduler, SWALR),
                                (torch.optim, torch, torch.optim.lr_scheduler,
                                 torch.optim.swa_utils.SWALR)):
        opt = _two_groups(module, lib)
        first = _lrs(L.CosineAnnealingLR(opt, T_max=10), opt, steps=5)
        runs.append(first + _lrs(swa(opt, **kwargs), opt))
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12, atol=1e-15)


def test_swalr_checks():
    opt = _two_groups(optim, ag)
    with pytest.raises(ValueError, match="anneal_strategy"):
        SWALR(opt, 0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="Invalid decay"):
        get_ema_avg_fn(1.5)


def test_averaging_rules_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(4).astype(np.float32) for _ in range(5)]
    ours, theirs = [], []
    for lib, swa_utils, out in ((ag, optim.swa_utils, ours),
                                (torch, torch.optim.swa_utils, theirs)):
        for multi, single in ((swa_utils.get_swa_multi_avg_fn(),
                               swa_utils.get_swa_avg_fn()),
                              (swa_utils.get_ema_multi_avg_fn(0.9),
                               swa_utils.get_ema_avg_fn(0.9))):
            avg = lib.tensor(values[0].copy())
            avg_single = lib.tensor(values[0].copy())
            for n, v in enumerate(values[1:], start=1):
                multi([avg], [lib.tensor(v)], n)
                avg_single = single(avg_single, lib.tensor(v), n)
            out.append(np.array(avg.tolist()))
            out.append(np.array(avg_single.tolist()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(ours[0], np.mean(values, axis=0), rtol=1e-6)  # SWA: the mean


def test_swa_rules_accept_a_tensor_count():
    avg = ag.tensor([0.0, 0.0])
    get_swa_multi_avg_fn()([avg], [ag.tensor([3.0, 6.0])], ag.tensor(2))
    np.testing.assert_allclose(avg.tolist(), [1.0, 2.0])
    single = get_swa_avg_fn()(ag.tensor([0.0, 0.0]), ag.tensor([3.0, 6.0]), ag.tensor(2))
    np.testing.assert_allclose(single.tolist(), [1.0, 2.0])
    ema = ag.tensor([1.0])
    get_ema_multi_avg_fn(0.75)([ema], [ag.tensor([5.0])], 0)
    np.testing.assert_allclose(ema.tolist(), [2.0])


# ------------------------------------------------------------------ swap in, step, restore
def _adam_after(steps=2):
    params = [ag.tensor([1.0, -2.0], requires_grad=True), ag.tensor([[0.5]], requires_grad=True)]
    opt = optim.Adam(params, lr=0.1)
    for _ in range(steps):
        for p in params:
            p.grad = ag.ones_like(p)
        opt.step()
    return opt, params


def test_swap_in_steps_the_given_tensors_and_restores_the_optimizer():
    opt, params = _adam_after()
    live_values = [p.tolist() for p in params]
    live_state = opt.state
    reference, ref_params = copy.deepcopy((opt, params))  # what one more step gives
    for p in ref_params:
        p.grad = ag.ones_like(p)
    reference.step()

    copies = {f"p{i}": p.detach().clone().requires_grad_(True) for i, p in enumerate(params)}
    for p in copies.values():
        p.grad = ag.ones_like(p)
    saved = copy.deepcopy(opt.state_dict())
    with optim.swap_in_optimizer_params_and_state(opt, copies, saved):
        assert opt.param_groups[0]["params"] == list(copies.values())
        opt.step()
    assert [p.tolist() for p in params] == live_values  # the live parameters: untouched
    assert opt.state is live_state and opt.param_groups[0]["params"][0] is params[0]
    for got, want in zip(copies.values(), ref_params):
        np.testing.assert_allclose(got.tolist(), want.tolist(), rtol=1e-6)
    # in-place updates reached the given state; its step counter advanced
    assert saved["state"][0]["step"].item() == 3


def test_swap_in_checks_before_changing_anything():
    fresh = optim.SGD([ag.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(RuntimeError, match="initialized optimizer state"):
        with optim.swap_in_optimizer_params_and_state(fresh, {}, fresh.state_dict()):
            pass
    opt, params = _adam_after()
    saved = opt.state_dict()
    bad = {"state": saved["state"], "param_groups": [dict(saved["param_groups"][0], extra=1)]}
    with pytest.raises(RuntimeError, match="Keys only in swap-in: \\['extra'\\]"):
        with optim.swap_in_optimizer_params_and_state(opt, {"a": params[0], "b": params[1]},
                                                      bad):
            pass
    with pytest.raises(RuntimeError, match="match optimizer.param_groups ordering"):
        with optim.swap_in_optimizer_params_and_state(opt, {"a": params[0]}, saved):
            pass
    assert opt.param_groups[0]["params"] == params
