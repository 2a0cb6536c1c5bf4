"""Learning-rate schedulers: 50 steps against the published formulas and PyTorch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler

BASE = [0.1, 0.02]  # two parameter groups
STEPS = 50


def _optimizer(module, name="SGD", **kwargs):
    """An optimiser of ``module`` (ours or torch.optim) with two groups."""
    if module is optim:
        params = [ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)]
    else:
        import torch

        params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, BASE)]
    return getattr(module, name)(groups, **kwargs)


def _sequence(scheduler, opt, metrics=None) -> list:
    """The lrs of epochs 0..STEPS-1 (construction gives epoch 0)."""
    out = [list(scheduler.get_last_lr())]
    assert out[0] == [g["lr"] for g in opt.param_groups]
    for epoch in range(1, STEPS):
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        out.append(list(scheduler.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out


def _sgdr(epoch: float, base: float, t0: int, mult: int, eta_min: float) -> float:
    t, period = epoch, t0
    while t >= period:
        t -= period
        period *= mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def _one_cycle(step: int, top: float, total: int, pct: float = 0.3, div: float = 25.0,
               final_div: float = 1e4, cos: bool = True) -> float:
    initial, low = top / div, top / div / final_div
    up_end = pct * total - 1

    def anneal(a, b, p):
        return b + (a - b) / 2 * (math.cos(math.pi * p) + 1) if cos else a + (b - a) * p

    if step <= up_end:
        return anneal(initial, top, step / up_end)
    return anneal(top, low, (step - up_end) / (total - 1 - up_end))


def _one_cycle_three_phase(step: int, top: float, total: int, pct: float = 0.3) -> float:
    initial = top / 25.0
    low = initial / 1e4
    ends = [pct * total - 1, 2 * pct * total - 2, total - 1]
    starts = [0.0, ends[0], ends[1]]
    points = [(initial, top), (top, initial), (initial, low)]
    phase = 0 if step <= ends[0] else 1 if step <= ends[1] else 2
    a, b = points[phase]
    p = (step - starts[phase]) / (ends[phase] - starts[phase])
    return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)


def _plateau(metrics, base, factor=0.5, patience=3, threshold=1e-4, cooldown=2, min_lr=0.004):
    """ReduceLROnPlateau's rule (mode min, relative threshold), written out."""
    lr, best, bad, cool, out = base, math.inf, 0, 0, [base]
    for m in metrics[1:]:
        if m < best * (1 - threshold):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            new = max(lr * factor, min_lr)
            if lr - new > 1e-8:
                lr = new
            cool, bad = cooldown, 0
        out.append(lr)
    return out


def _cyclic(step: int, base: float, top: float, up: int, down: int, scale) -> float:
    """Triangle wave between base and top, with the amplitude scaled by scale(cycle, t)."""
    cycle, within = divmod(step, up + down)
    height = within / up if within <= up else (up + down - within) / down
    return base + (top - base) * height * scale(cycle + 1, step)


def _product(fn, epoch: int) -> float:
    return math.prod(fn(k) for k in range(1, epoch + 1))


CYCLIC_BASE, CYCLIC_TOP = [0.01, 0.002], [0.1, 0.05]

METRICS = [1.0 / (1 + e) if e < 12 else 0.08 + 0.001 * ((e * 7) % 5) for e in range(STEPS)]

CASES = {
    "LambdaLR": (lambda L, o: L.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (1 + e)]),
                 lambda e, b, i: b * (0.95 ** e if i == 0 else 1.0 / (1 + e))),
    "StepLR": (lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
               lambda e, b, i: b * 0.5 ** (e // 7)),
    "MultiStepLR": (lambda L, o: L.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
                    lambda e, b, i: b * 0.3 ** sum(m <= e for m in [5, 12, 12, 30])),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.93),
                      lambda e, b, i: b * 0.93 ** e),
    "LinearLR-warmup": (lambda L, o: L.LinearLR(o, start_factor=0.25, total_iters=10),
                        lambda e, b, i: b * (0.25 + 0.75 * min(e, 10) / 10)),
    "LinearLR-decay": (lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=30),
                       lambda e, b, i: b * (1.0 - 0.9 * min(e, 30) / 30)),
    "CosineAnnealingLR": (lambda L, o: L.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
                          lambda e, b, i: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 20))
                          / 2),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001),
        lambda e, b, i: _sgdr(e, b, 5, 2, 0.001)),
    "CosineAnnealingWarmRestarts-mult1": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=8),
        lambda e, b, i: _sgdr(e, b, 8, 1, 0.0)),
    "OneCycleLR": (lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
                   lambda e, b, i: _one_cycle(e, [1.0, 0.5][i], STEPS)),
    "OneCycleLR-linear": (lambda L, o: L.OneCycleLR(o, max_lr=0.4, epochs=5, steps_per_epoch=10,
                                                    anneal_strategy="linear", pct_start=0.25),
                          lambda e, b, i: _one_cycle(e, 0.4, STEPS, pct=0.25, cos=False)),
    "OneCycleLR-three-phase": (lambda L, o: L.OneCycleLR(o, max_lr=0.4, total_steps=STEPS,
                                                         three_phase=True),
                               lambda e, b, i: _one_cycle_three_phase(e, 0.4, STEPS)),
    "ReduceLROnPlateau": (lambda L, o: L.ReduceLROnPlateau(o, factor=0.5, patience=3,
                                                           cooldown=2, min_lr=0.004),
                          "plateau"),
    "SequentialLR": (lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)],
        milestones=[5]),
        lambda e, b, i: b * (0.1 + 0.9 * e / 5) if e < 5 else b * 0.9 ** (e - 5)),
    "SequentialLR-three": (lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.5, end_factor=0.5, total_iters=3),
            L.CosineAnnealingLR(o, T_max=15), L.StepLR(o, step_size=4, gamma=0.5)],
        milestones=[4, 20]),
        lambda e, b, i: (b * 0.5 if e < 4 else
                         b * (1 + math.cos(math.pi * (e - 4) / 15)) / 2 if e < 20 else
                         b * 0.5 ** ((e - 20) // 4))),
    "MultiplicativeLR": (lambda L, o: L.MultiplicativeLR(
        o, [lambda e: 0.95, lambda e: 1.0 if e % 3 else 0.5]),
        lambda e, b, i: b * _product([lambda k: 0.95, lambda k: 1.0 if k % 3 else 0.5][i], e)),
    "ConstantLR": (lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=8),
                   lambda e, b, i: b * (0.5 if e < 8 else 1.0)),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o, total_iters=30, power=2.0),
                     lambda e, b, i: b * (1 - min(e, 30) / 30) ** 2),
    "ChainedScheduler": (lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=4), L.ExponentialLR(o, gamma=0.9)]),
        lambda e, b, i: b * (0.5 if e < 4 else 1.0) * 0.9 ** e),
    "CyclicLR": (lambda L, o: L.CyclicLR(o, CYCLIC_BASE, CYCLIC_TOP, step_size_up=5,
                                         step_size_down=3),
                 lambda e, b, i: _cyclic(e, CYCLIC_BASE[i], CYCLIC_TOP[i], 5, 3,
                                         lambda c, t: 1.0)),
    "CyclicLR-triangular2": (lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                     mode="triangular2"),
                             lambda e, b, i: _cyclic(e, 0.01, 0.1, 4, 4,
                                                     lambda c, t: 0.5 ** (c - 1))),
    "CyclicLR-exp_range": (lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                   step_size_down=6, mode="exp_range",
                                                   gamma=0.97, cycle_momentum=False),
                           lambda e, b, i: _cyclic(e, 0.01, 0.1, 3, 6, lambda c, t: 0.97 ** t)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sequence_matches_formula(case):
    make, formula = CASES[case]
    opt = _optimizer(optim)
    scheduler = make(lr_scheduler, opt)
    if formula == "plateau":
        ours = _sequence(scheduler, opt, METRICS)
        for i, base in enumerate(BASE):
            np.testing.assert_allclose([lr[i] for lr in ours], _plateau(METRICS, base))
        return
    ours = _sequence(scheduler, opt)
    expected = [[formula(e, b, i) for i, b in enumerate(BASE)] for e in range(STEPS)]
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sequence_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    make, formula = CASES[case]
    ours_opt = _optimizer(optim)
    theirs_opt = _optimizer(torch.optim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _sequence(make(lr_scheduler, ours_opt), ours_opt,
                         METRICS if formula == "plateau" else None)
        theirs = _sequence(make(torch.optim.lr_scheduler, theirs_opt), theirs_opt,
                           METRICS if formula == "plateau" else None)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    for ours_group, theirs_group in zip(ours_opt.param_groups, theirs_opt.param_groups):
        assert ours_group.get("momentum") == pytest.approx(theirs_group.get("momentum"))


def test_one_cycle_cycles_adam_beta1_like_pytorch():
    torch = pytest.importorskip("torch")
    momenta = []
    for module, L in ((optim, lr_scheduler), (torch.optim, torch.optim.lr_scheduler)):
        opt = _optimizer(module, "Adam")
        scheduler = L.OneCycleLR(opt, max_lr=0.01, total_steps=20, base_momentum=0.8,
                                 max_momentum=0.9)
        seq = []
        for _ in range(19):
            seq.append([g["betas"] for g in opt.param_groups])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyTorch's "step order" warning
                scheduler.step()
        momenta.append(seq)
    np.testing.assert_allclose(np.array(momenta[0]), np.array(momenta[1]), rtol=1e-12)


def test_one_cycle_past_total_steps():
    opt = _optimizer(optim)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        scheduler.step()


def test_warm_restarts_fractional_epochs_match_pytorch():
    torch = pytest.importorskip("torch")
    lrs = []
    for module, L in ((optim, lr_scheduler), (torch.optim, torch.optim.lr_scheduler)):
        opt = _optimizer(module)
        scheduler = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        seq = []
        for epoch in np.arange(0, 20, 0.25):
            scheduler.step(float(epoch))
            seq.append(scheduler.get_last_lr())
        lrs.append(seq)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-12)


# ------------------------------------------------------------------ semantics
def test_construction_performs_the_first_step():
    opt = _optimizer(optim)
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == BASE
    assert [g["initial_lr"] for g in opt.param_groups] == BASE
    assert scheduler.base_lrs == BASE


def test_resuming_needs_initial_lr():
    opt = _optimizer(optim)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=5)
    lr_scheduler.StepLR(opt, step_size=2)
    resumed = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1, last_epoch=5)
    assert resumed.last_epoch == 6


def test_deprecated_epoch_argument_uses_the_closed_form():
    opt = _optimizer(optim)
    scheduler = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(7)
    assert scheduler.get_last_lr() == pytest.approx([b * 0.25 for b in BASE])


class _Warmup:
    """A callable object: its attributes are saved in LambdaLR's state_dict."""

    def __init__(self, length):
        self.length = length

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.length)


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "OneCycleLR",
                                  "CosineAnnealingWarmRestarts", "SequentialLR",
                                  "ReduceLROnPlateau", "LambdaLR-object", "CyclicLR",
                                  "ChainedScheduler", "PolynomialLR", "ConstantLR"])
def test_state_dict_round_trip(case):
    if case == "LambdaLR-object":
        def make(L, o, length=4):
            return L.LambdaLR(o, _Warmup(length))
    else:
        make = CASES[case][0]
    metrics = METRICS if case == "ReduceLROnPlateau" else None
    opt = _optimizer(optim)
    scheduler = make(lr_scheduler, opt)
    for epoch in range(1, 12):
        scheduler.step(metrics[epoch]) if metrics else scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved
    opt2 = _optimizer(optim)  # resume as in PyTorch: build both, then load both
    restored = make(lr_scheduler, opt2, 99) if case == "LambdaLR-object" else \
        make(lr_scheduler, opt2)
    opt2.load_state_dict(opt.state_dict())
    restored.load_state_dict(saved)
    if case == "LambdaLR-object":
        assert restored.lr_lambdas[0].length == 4
    for epoch in range(12, 30):
        for s in (scheduler, restored):
            s.step(metrics[epoch]) if metrics else s.step()
        assert restored.get_last_lr() == scheduler.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


def test_invalid_arguments():
    opt = _optimizer(optim)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        lr_scheduler.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="positive integer T_0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="pct_start"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="expected 2 values for max_lr"):
        lr_scheduler.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="must support momentum"):
        lr_scheduler.OneCycleLR(_optimizer(optim, "Adagrad"), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    first = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        lr_scheduler.SequentialLR(opt, [first, lr_scheduler.StepLR(opt, step_size=3)],
                                  milestones=[2, 4])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [first, lr_scheduler.StepLR(_optimizer(optim), 3)],
                                  milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [first, lr_scheduler.ReduceLROnPlateau(opt)],
                                  milestones=[2])


def test_invalid_arguments_of_the_newer_schedules():
    opt = _optimizer(optim)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        lr_scheduler.ConstantLR(opt, factor=1.5)
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        lr_scheduler.MultiplicativeLR(opt, 0.9)
    with pytest.raises(ValueError, match="mode is invalid"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="must support momentum"):
        lr_scheduler.CyclicLR(_optimizer(optim, "Adagrad"), 0.01, 0.1)
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.ChainedScheduler([])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(opt, 2),
                                       lr_scheduler.StepLR(_optimizer(optim), 3)])


def test_cyclic_lr_cycles_adam_beta1_like_pytorch():
    torch = pytest.importorskip("torch")
    betas = []
    for module, L in ((optim, lr_scheduler), (torch.optim, torch.optim.lr_scheduler)):
        opt = _optimizer(module, "Adam")
        scheduler = L.CyclicLR(opt, 0.001, 0.01, step_size_up=3, base_momentum=0.85,
                               max_momentum=0.95)
        seen = []
        for _ in range(10):
            opt.step()
            scheduler.step()
            seen.append([g["betas"][0] for g in opt.param_groups])
        betas.append(seen)
    np.testing.assert_allclose(betas[0], betas[1], rtol=1e-12)


def test_scheduler_drives_training():
    """The usual loop: the optimiser's step uses the lr the scheduler set."""
    x = ag.tensor([1.0], dtype=ag.float64, requires_grad=True)
    opt = optim.SGD([x], lr=0.5)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    values = []
    for _ in range(3):
        x.grad = ag.tensor([1.0], dtype=ag.float64)
        opt.step()
        scheduler.step()
        values.append(x.item())
    np.testing.assert_allclose(values, [0.5, 0.25, 0.125])
