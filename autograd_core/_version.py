"""``autograd_core.__version__``: the installed distribution's version (its metadata), or,
in a checkout that was never installed, the version written in ``pyproject.toml``."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "autograd-core"


def _from_pyproject() -> str:
    """The ``version = "..."`` of the ``[project]`` table beside the package ("0+unknown" if none)."""
    path = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return "0+unknown"
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = project and re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M)
    return found.group(1) if found else "0+unknown"


def get_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return _from_pyproject()


__version__ = get_version()
