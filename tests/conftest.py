"""Shared fixtures: the devices to test on, and reproducible seeds."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from skip_summary import pytest_terminal_summary  # noqa: F401 (a hook: skips grouped by reason)

import autograd_core as ag

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=_SUPPRESSED, derandomize=True)
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=_SUPPRESSED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The CPU always; a real GPU where CuPy sees one, else the test-only CuPy stand-in
# (tests/fake_cupy.py), so device-agnostic code is exercised on a "cuda" device in CI too.
DEVICES = ["cpu", "cuda" if ag.cuda.is_available() else "fake-cuda"]


@pytest.fixture(params=DEVICES)
def device(request):
    """Each device to test on; yields the device string to pass as ``device=``."""
    if request.param == "fake-cuda":
        from fake_cupy import installed

        with installed():
            yield "cuda"
    else:
        yield request.param


@pytest.fixture(autouse=True)
def _seed():
    ag.manual_seed(0)
    np.random.seed(0)
    yield
