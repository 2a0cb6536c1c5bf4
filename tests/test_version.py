"""``autograd_core.__version__`` comes from the package metadata, or from pyproject.toml in
a checkout that was never installed."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import autograd_core as ag
from autograd_core import _version

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_version_is_the_metadata_version_when_installed():
    try:
        expected = importlib.metadata.version("autograd-core")
    except importlib.metadata.PackageNotFoundError:
        expected = _version._from_pyproject()
    assert ag.__version__ == expected
    assert re.fullmatch(r"\d+(\.\d+)*([a-z0-9.+-]*)?", ag.__version__)


def test_checkout_without_install_reads_pyproject(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_version, "version", missing)
    declared = re.search(r'^version = "([^"]+)"', PYPROJECT.read_text(), re.M).group(1)
    assert _version.get_version() == declared
