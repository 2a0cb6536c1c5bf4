"""Shared fixtures: the devices to test on, and reproducible seeds."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import autograd_core as ag

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEVICES = ["cpu"] + (["cuda"] if ag.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Every real device present: the CPU always, CUDA where CuPy sees a GPU."""
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    ag.manual_seed(0)
    np.random.seed(0)
    yield
