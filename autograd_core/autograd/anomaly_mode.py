"""Anomaly detection: find where a NaN gradient came from.

Inside ``detect_anomaly()`` each graph node remembers the user's line that created it,
and backward raises as soon as a node's backward produces a NaN, naming that node and line.
"""

from __future__ import annotations

import warnings

from .. import _anomaly


class detect_anomaly:  # noqa: N801
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)
        self._prev = (_anomaly.state.enabled, _anomaly.state.check_nan)
        _anomaly.state.enabled = True
        _anomaly.state.check_nan = self.check_nan
        return self

    def __exit__(self, *exc) -> None:
        _anomaly.state.enabled, _anomaly.state.check_nan = self._prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801
    """Turn anomaly detection on or off (at once, or for a ``with`` block)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_anomaly.state.enabled, _anomaly.state.check_nan)
        _anomaly.state.enabled = bool(mode)
        _anomaly.state.check_nan = check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _anomaly.state.enabled, _anomaly.state.check_nan = self._prev


def is_anomaly_enabled() -> bool:
    return _anomaly.state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _anomaly.state.check_nan
