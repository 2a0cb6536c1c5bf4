"""Host memory reuse (`_host_memory`): on by default, off with the environment variable,
switchable at run time; nothing is asserted about timing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import autograd_core as ag
from autograd_core import _host_memory

ROOT = Path(__file__).resolve().parent.parent
GLIBC = _host_memory._mallopt() is not None


def _state_in_child(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRAD_CORE_KEEP_FREED_MEMORY"}
    if env_value is not None:
        env["AUTOGRAD_CORE_KEEP_FREED_MEMORY"] = env_value
    code = "import autograd_core as ag; print(ag.backends.cpu.keeps_freed_memory())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_on_by_default_and_off_with_the_environment_variable():
    assert _state_in_child(None) == str(GLIBC)
    assert _state_in_child("0") == "False"


def test_switch_at_run_time_and_arrays_still_work():
    try:
        assert ag.backends.cpu.keep_freed_memory(False) is GLIBC
        assert not ag.backends.cpu.keeps_freed_memory()
        assert ag.backends.cpu.keep_freed_memory(True) is GLIBC
        assert ag.backends.cpu.keeps_freed_memory() is GLIBC
        x = ag.ones(1 << 20, requires_grad=True)  # 4 MiB: a block the setting keeps
        (x * 2).sum().backward()
        assert float(x.grad.sum()) == 2.0 * (1 << 20)
    finally:
        ag.backends.cpu.keep_freed_memory(True)
