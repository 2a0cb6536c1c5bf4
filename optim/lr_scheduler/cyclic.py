"""`CyclicLR`: the learning rate goes back and forth between two bounds (Smith, 2017)."""

from __future__ import annotations

import math
import types

import autograd_core as ag
from autograd_core import Tensor

from ..optimizer import Optimizer
from .base import LRScheduler, _check_optimizer, _per_group

_MODES = ("triangular", "triangular2", "exp_range")


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates, stepped once per batch.

    A cycle lasts ``step_size_up + step_size_down`` steps: the lr climbs linearly from
    ``base_lr`` to ``max_lr`` and falls back. With ``c = ⌊1 + t/T⌋`` the cycle number and
    ``x = 1 + t/T - c`` ∈ [0, 1) the position in it (r = step_size_up / T)::

        h = x / r                  (x <= r, going up)
        h = (x - 1) / (r - 1)      (going down)
        lr_t = base_lr + (max_lr - base_lr) · h · s

    where the amplitude scale ``s`` is 1 (``triangular``), ``1/2^(c-1)``
    (``triangular2``: halve each cycle), ``γ^t`` (``exp_range``), or ``scale_fn`` of the
    cycle or the step (``scale_mode``). With ``cycle_momentum`` the momentum (or Adam's
    β1) moves the other way, between ``max_momentum`` and ``base_momentum``: high lr,
    low momentum.
    """

    def __init__(self, optimizer: Optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float = 0.8,
                 max_momentum: float = 0.9, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                _set(group, "lr", lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in _MODES and scale_fn is None:
            raise ValueError(f"mode is invalid and scale_fn is None (mode must be one of "
                             f"{_MODES}, or pass a scale_fn), got mode={mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with "
                                 "`cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for top, low, group in zip(self.max_momentums, self.base_momentums,
                                           optimizer.param_groups):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        """The built-in modes fix their own scale_mode ('cycle', or 'iterations')."""
        if self._scale_fn_custom is not None:
            return
        if self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale ``s`` at cycle (or step) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        if self.mode == "exp_range":
            return self.gamma ** x
        return 1.0

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        height = x / self.step_ratio if x <= self.step_ratio else \
            (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for low, top, group in zip(self.base_momentums, self.max_momentums,
                                       self.optimizer.param_groups):
                self._set_momentum(group, top - (top - low) * height * scale)
        return lrs

    def state_dict(self) -> dict:
        """A custom ``scale_fn`` is not saved (a callable object saves its ``__dict__``)."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, types.FunctionType) \
            else dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        self.__dict__.update(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _set(group: dict, key: str, value) -> None:
    """Write a group's value (in place when the group holds a tensor lr)."""
    current = group.get(key)
    if isinstance(current, Tensor) and not isinstance(value, Tensor):
        with ag.no_grad():
            current.fill_(float(value))
    else:
        group[key] = value
