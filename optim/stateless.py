"""`swap_in_optimizer_params_and_state`: run an optimiser on other tensors for a while.

Inside the ``with`` block the optimiser's groups hold the given parameters and
hyperparameters, and its state is the given ``state_dict()``-shaped state (re-keyed from
packed ids to those parameters); on exit the live groups and state come back. In-place
updates reach the given tensors, so ``step()`` inside the block updates them and their
state and leaves the live model untouched (e.g. a look-ahead step on a copy).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from autograd_core import Tensor

_NAME = "swap_in_optimizer_params_and_state"


def _check_state(state: Any) -> dict:
    if not isinstance(state, dict):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping "
                           f"packed parameter ids to per-param state dicts, got "
                           f"{type(state).__name__}.")
    if any(isinstance(k, Tensor) for k in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by "
                           "packed parameter ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be "
                           "dictionaries.")
    return state


def _group_ids(index: int, live: dict, saved: Any) -> list[int]:
    """The packed parameter ids of a saved group, after checking it matches the live one."""
    if not isinstance(saved, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary.")
    ids = saved.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style "
                           "param_groups[*]['params'] entries keyed by packed parameter ids.")
    if len(ids) != len(live["params"]):
        raise RuntimeError(f"swapin_optim_state param group {index} has a different number of "
                           "params than the live optimizer param group.")
    only_saved = [k for k in saved if k not in live]
    only_live = [k for k in live if k not in saved]
    if only_saved or only_live:
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style param group keys to "
                           f"exactly match the live optimizer group keys for group {index}. "
                           f"Keys only in swap-in: {only_saved}. Keys only in live: "
                           f"{only_live}.")
    return ids


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters: dict[str, Tensor],
                                       swapin_optim_state: dict[str, Any]) -> Iterator[None]:
    """Within the block, ``optimizer`` works on ``swapin_parameters`` (in the order of
    its groups' parameters) with the state and hyperparameters of ``swapin_optim_state``
    (an ``optimizer.state_dict()``); everything is restored on exit. Checks everything
    before changing anything (RuntimeError, as in PyTorch)."""
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state = _check_state(swapin_optim_state.get("state"))
    saved_groups = swapin_optim_state.get("param_groups")
    if not isinstance(saved_groups, list):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list "
                           f"of param-group dicts, got {type(saved_groups).__name__}.")
    if len(saved_groups) != len(optimizer.param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups "
                           "than the live optimizer.")
    tensors = list(swapin_parameters.values())
    plan, offset, seen = [], 0, set()
    for index, (live, saved) in enumerate(zip(optimizer.param_groups, saved_groups)):
        ids = _group_ids(index, live, saved)
        seen.update(ids)
        if offset + len(ids) > len(tensors):
            raise RuntimeError(f"{_NAME} requires the explicit parameter state to match "
                               "optimizer.param_groups ordering.")
        plan.append((live, saved, ids, tensors[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by "
                           f"packed parameter ids from param_groups[*]['params']; got extra "
                           f"keys {extra!r}.")

    live_state = optimizer.state
    snapshots = [dict(group) for group in optimizer.param_groups]
    try:
        swapped: defaultdict = defaultdict(dict)
        for live, saved, ids, params in plan:
            live.update({k: v for k, v in saved.items() if k != "params"})
            live["params"] = params
            for param, key in zip(params, ids):
                # a shallow copy: in-place updates reach the caller's tensors, new
                # entries stay inside the block
                swapped[param] = dict(state.get(key, {}))
        optimizer.state = swapped
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = live_state
