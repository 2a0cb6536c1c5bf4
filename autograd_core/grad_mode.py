"""Grad mode: whether operations record the graph (`no_grad`, `enable_grad`, ...).

Each is a context manager and a decorator, as in PyTorch. The flag is per thread.
"""

from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True
    inference = False


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeContext:
    """Base: sets the flag on entry, restores it on exit; works as a decorator too."""

    def _target(self) -> bool:
        raise NotImplementedError

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._target()
        return None

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801
    """Operations inside do not record the graph: results have ``requires_grad=False``."""

    def _target(self) -> bool:
        return False


class enable_grad(_GradModeContext):  # noqa: N801
    """Turn recording back on inside a `no_grad` block."""

    def _target(self) -> bool:
        return True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Turn recording on or off; the change takes effect at once, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def _target(self) -> bool:
        return self._mode

    def __enter__(self):
        return None

    def __call__(self, fn):
        _state.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):  # noqa: N801
    """Like `no_grad` (this library has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def _target(self) -> bool:
        return not self._mode if self._mode else _state.enabled

    def __enter__(self):
        self._prev_inference = _state.inference
        _state.inference = self._mode
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        _state.inference = self._prev_inference
        super().__exit__(*exc)

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
