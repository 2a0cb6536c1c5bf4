"""Anomaly-mode state, read by `Function.apply` (the user API is `autograd.anomaly_mode`)."""

from __future__ import annotations

import os
import threading
import traceback

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class _AnomalyState(threading.local):
    enabled = False
    check_nan = True


state = _AnomalyState()


def capture() -> list[traceback.FrameSummary]:
    """The stack where a node is created, without this library's own frames."""
    frames = traceback.extract_stack()[:-1]
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)] or frames


def user_line(trace) -> str:
    """The innermost user frame of a captured stack, as ``file:line in func: code``."""
    if not trace:
        return "<unknown>"
    f = trace[-1]
    return f"{f.filename}:{f.lineno} in {f.name}: {f.line}"
