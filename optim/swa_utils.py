"""Weight averaging (PyTorch's ``torch.optim.swa_utils``): the averaging rules and the
`SWALR` schedule.

Stochastic weight averaging (Izmailov et al., 2018) averages the weights visited late in
training, with a constant or cyclic lr, landing nearer the centre of a wide minimum; an
exponential moving average (EMA) weighs recent weights more. The ``get_*_avg_fn``
functions return the update rules, for one tensor or a list of tensors::

    SWA:  θ̄ ← θ̄ + (θ - θ̄) / (n + 1)      (n = number of models averaged so far)
    EMA:  θ̄ ← d θ̄ + (1 - d) θ            (d = decay)

``AveragedModel`` and ``update_bn`` wrap and walk an ``nn.Module``; they are not here,
because ``optim`` never imports ``nn``: average a model's parameters with these rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import autograd_core as ag
from autograd_core import Tensor

from .lr_scheduler.base import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """``fn(averaged, current, n)``: the EMA rule in place on two lists of tensors."""
    _check_decay(decay)

    def ema_update(averaged: list, current: list, _n) -> None:
        with ag.no_grad():
            for avg, now in zip(averaged, current):
                if avg.is_floating_point():
                    avg.lerp_(now, 1.0 - decay)
                else:
                    avg.copy_(avg * decay + now * (1.0 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """``fn(averaged, current, n)``: the running-mean rule in place on two lists."""

    def swa_update(averaged: list, current: list, n) -> None:
        count = n.item() if isinstance(n, Tensor) else n
        with ag.no_grad():
            for avg, now in zip(averaged, current):
                if avg.is_floating_point():
                    avg.lerp_(now, 1.0 / (count + 1))
                else:
                    avg.add_((now - avg) / (count + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """``fn(averaged, current, n)``: the EMA of one tensor, as a new tensor."""
    _check_decay(decay)

    def ema_update(averaged: Tensor, current: Tensor, _n) -> Tensor:
        with ag.no_grad():
            return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> Callable:
    """``fn(averaged, current, n)``: the running mean of one tensor, as a new tensor."""

    def swa_update(averaged: Tensor, current: Tensor, n) -> Tensor:
        with ag.no_grad():
            return averaged + (current - averaged) / (n + 1)

    return swa_update


class SWALR(LRScheduler):
    r"""Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` steps, then hold it.

    With a(t) = (1 - cos(π t))/2 (``'cos'``) or t (``'linear'``), and
    t = min(1, k / anneal_epochs) at step k::

        lr_k = swa_lr · a(t) + lr_0 · (1 - a(t))

    (computed, as in PyTorch, from the current lr, so it composes with a schedule that
    ran before SWA started).
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2 if self._anneal_strategy == "cos" else t

    def get_lr(self) -> list:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        out = []
        for group in self.optimizer.param_groups:
            swa_lr = group["swa_lr"]
            # undo the previous step's blend to recover the pre-SWA lr, then blend again
            start = swa_lr if prev_alpha == 1 else \
                (group["lr"] - prev_alpha * swa_lr) / (1 - prev_alpha)
            out.append(swa_lr * alpha + start * (1 - alpha))
        return out
