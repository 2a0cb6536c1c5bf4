"""`Optimizer`: the base class of every optimiser, with PyTorch's semantics.

An optimiser holds ``param_groups``, a list of dicts, each with its ``'params'`` (a list
of tensors) and its own hyperparameters (``lr``, ``momentum``, ...; missing ones take the
optimiser's ``defaults``), and ``state``, a dict from each parameter to its own dict of
buffers (``momentum_buffer``, ``exp_avg``, ``step``, ...), made on that parameter's first
step. ``step()`` applies the update rule to every parameter whose ``.grad`` is not None.

``state_dict()`` has PyTorch's layout::

    {'state': {0: {'step': tensor(20.), 'exp_avg': ..., ...}, 1: {...}},
     'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), ..., 'params': [0, 1]}]}

where parameters are numbered in the order they appear in the groups. The ``'step'``
count is, as in PyTorch 2, a one-element float tensor on the CPU (float32, or float64 when
that is the default dtype); it is never moved to the parameter's device, so reading it
never waits for the GPU. ``load_state_dict`` moves every other state tensor to its
parameter's device (and, for floating-point state, dtype), and copies it, so the loaded
optimiser shares no buffer with the dict it came from.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.ops import fused_optim

from ._checks import (  # noqa: F401  (re-exported for the optimisers)
    _betas_and_lr,
    _check_adam_hyperparameters,
    _check_betas,
    _check_lr,
    _check_no_capturable,
    _check_nonnegative,
    _value,
    check_group,
)


class _RequiredParameter:
    """Marks a hyperparameter that has no default (e.g. a custom optimiser's ``lr``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _Handle:
    """Removes a hook registered with `Optimizer.register_step_pre_hook` and friends."""

    _next = 0

    def __init__(self, hooks: dict, hook) -> None:
        _Handle._next += 1
        self.id = _Handle._next
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


def _with_hooks(step):
    def step_with_hooks(self, *args, **kwargs):
        for hook in list(self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        self._check_groups()  # all groups first: a bad value never leaves a half-done step
        out = step(self, *args, **kwargs)
        self._opt_called = True
        for hook in list(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step_with_hooks.__name__ = step.__name__
    step_with_hooks.__doc__ = step.__doc__
    step_with_hooks.__wrapped__ = step
    return step_with_hooks


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``.

    Subclasses pass their ``defaults`` (hyperparameter name -> default value) and
    implement ``step(closure=None)``. ``_nonnegative`` maps the hyperparameters that must
    be >= 0 to the names PyTorch's error messages give them; every group is checked when
    added and again before each step (see `optim._checks`).
    """

    _nonnegative: dict[str, str] = {}
    _tensor_step = True  # 'step' counters are tensors (False: plain ints, as SparseAdam's)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._step_pre_hooks: dict = {}
        self._step_post_hooks: dict = {}
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (the rest from defaults).

        Useful for fine-tuning: freeze nothing, but give new layers their own ``lr``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            params = list(params)
        names = None
        if params and isinstance(params[0], tuple):
            if not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                       for p in params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing: give every parameter as a (name, "
                                 "Tensor) pair, or none")
            names = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        elif "param_names" in group:
            group.pop("param_names")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(
                "optimizer contains a parameter group with duplicate parameters; each "
                "parameter may appear only once"
            )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and (("param_names" in self.param_groups[0]) != (names is not None)):
            kind = "with names" if names is not None else "without names"
            raise ValueError("all optimizer param groups should be with/without names. "
                             f"cannot add param group {kind} to the optimizer")
        check_group(type(self).__name__, len(self.param_groups), group, self.defaults,
                    self._nonnegative)
        self.param_groups.append(group)

    def _check_groups(self) -> None:
        """Check every group's hyperparameters (TypeError/ValueError) before a step."""
        name = type(self).__name__
        for i, group in enumerate(self.param_groups):
            check_group(name, i, group, self.defaults, self._nonnegative)

    # ------------------------------------------------------------------ grads
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (the default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad = p.grad
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    with ag.no_grad():
                        grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once (subclasses define the rule)."""
        raise NotImplementedError

    def _params_with_grad(self, group: dict):
        """``(p, state)`` for each parameter of ``group`` whose ``.grad`` is not None."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, self.state[p]

    @staticmethod
    def _evaluate(closure):
        """Call ``closure`` with grad mode on (the step itself runs under no_grad)."""
        if closure is None:
            return None
        with ag.enable_grad():
            return closure()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook) -> _Handle:
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return
        ``(new_args, new_kwargs)``."""
        return _Handle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> _Handle:
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return _Handle(self._step_post_hooks, hook)

    # ------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        The per-parameter dicts and their tensors are the optimiser's own (not copies), as
        in PyTorch: copy them (``copy.deepcopy``) to keep a snapshot while training goes on.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (from this optimiser or an identical one).

        Checks everything first: on a mismatch (number of groups, or of parameters in a
        group) it raises ValueError and leaves the optimiser unchanged.
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with keys 'state' and "
                             "'param_groups'")
        saved_groups = state_dict["param_groups"]
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if not isinstance(s, dict) or "params" not in s:
                raise ValueError(f"loaded param_groups[{i}] is not a dict with 'params'")
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group (group {i}: {len(s['params'])} saved, "
                    f"{len(g['params'])} in the optimizer)"
                )
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = id_map.get(key)
            if param is None:
                state[key] = copy.deepcopy(value)
            else:
                if not isinstance(value, dict):
                    raise ValueError(f"loaded state for parameter {key} is not a dict")
                state[param] = {k: copy.deepcopy(v) if k == "step" and not self._tensor_step
                                else _cast(param, v, k) for k, v in value.items()}
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                new["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups

    # ------------------------------------------------------------------ misc
    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", {})
        self.__dict__.setdefault("_step_post_hooks", {})
        self.__dict__.setdefault("_opt_called", False)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "param_names")):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast(param: Tensor, value, key=None):
    """A loaded state value on the parameter's device (and dtype, for floating state).

    ``'step'`` stays as it was saved (a CPU tensor, or a number made into one).
    """
    if key == "step":
        if isinstance(value, Tensor):
            return value.detach().clone()
        return ag.tensor(float(value), dtype=_scalar_dtype())
    if isinstance(value, Tensor):
        with ag.no_grad():
            if value.is_floating_point() and param.is_floating_point():
                moved = value.to(device=param.device, dtype=param.dtype)
            else:
                moved = value.to(device=param.device)
            return (moved.clone() if moved is value else moved).detach()
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return copy.deepcopy(value)


def _scalar_dtype():
    """The dtype of step counters: float64 when that is the default dtype, else float32."""
    return ag.float64 if ag.get_default_dtype() == ag.float64 else ag.float32


def _new_step() -> Tensor:
    return ag.tensor(0.0, dtype=_scalar_dtype())


def _increment_step(state: dict) -> float:
    """``state['step'] += 1``; returns the new count as a Python float."""
    step = state["step"]
    if not isinstance(step, Tensor):
        step = state["step"] = ag.tensor(float(step), dtype=_scalar_dtype())
    return fused_optim.add_scalar_(step, 1.0)
