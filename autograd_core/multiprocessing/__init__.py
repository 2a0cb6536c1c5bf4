"""``autograd_core.multiprocessing``: Python's `multiprocessing`, with tensors that can be
shared between processes (PyTorch's ``torch.multiprocessing``).

Everything of `multiprocessing` is here under the same names (``Process``, ``Queue``, ``Pool``,
``get_context``, ``set_start_method``, ...). What this module adds:

* tensors travel to child processes and through queues: one moved to shared memory with
  ``tensor.share_memory_()`` (or ``module.share_memory()``) travels as a handle to the same
  memory, so in-place writes on either side are seen by both (Hogwild training: every
  process steps its optimiser on the shared parameters); others travel as copies;
* `spawn` / `start_processes`, which run ``fn(rank, *args)`` in several processes and re-raise
  a child's exception in the parent;
* the sharing-strategy functions. Both of PyTorch's strategy names are accepted; segments are
  always passed as file descriptors of anonymous memory files, so no named segment is ever
  left behind.

CUDA tensors cannot be shared (``share_memory_`` and sending raise ``RuntimeError``).
"""

from __future__ import annotations

import multiprocessing as _multiprocessing
from multiprocessing import *  # noqa: F403

from .reductions import init_reductions
from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

__all__ = list(_multiprocessing.__all__) + [
    "spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
    "ProcessExitedException", "get_sharing_strategy", "set_sharing_strategy",
    "get_all_sharing_strategies", "init_reductions",
]

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """The strategy names accepted by `set_sharing_strategy`."""
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose how shared tensors are passed: ``"file_descriptor"`` or ``"file_system"``.

    Both work the same here (a descriptor of an anonymous memory file); the name is kept so
    programs that set it run unchanged.
    """
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"unknown sharing strategy {new_strategy!r}: expected one of {sorted(_STRATEGIES)}")
    _strategy = new_strategy


init_reductions()
