"""Timing and environment helpers shared by the benchmarks.

Each measurement: warm-up runs first, a device synchronisation around every timed run
(for CUDA), then the median (with min and max) of several runs. Comparisons are ratios of
medians measured in the same run, alternating the contenders so drifting machine load
affects both alike.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Timing:
    name: str
    median: float
    minimum: float
    maximum: float
    runs: int

    def __str__(self) -> str:
        return (f"{self.name}: median {self.median * 1e3:.3f} ms "
                f"(min {self.minimum * 1e3:.3f}, max {self.maximum * 1e3:.3f}, {self.runs} runs)")


def compare(contenders: dict[str, Callable[[], object]], repeats: int = 30, warmup: int = 3,
            sync: Callable[[], None] | None = None) -> dict[str, Timing]:
    """Time each zero-argument callable ``repeats`` times, interleaved, after ``warmup``."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            if sync is not None:
                sync()
            start = time.perf_counter()
            fn()
            if sync is not None:
                sync()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(name, statistics.median(s), min(s), max(s), len(s))
            for name, s in samples.items()}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> str:
    """The BLAS NumPy links against, and its thread setting when one is set."""
    name = "unknown"
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode
        pass
    threads = [f"{v}={os.environ[v]}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                 "MKL_NUM_THREADS") if v in os.environ]
    return name + (f" ({', '.join(threads)})" if threads else " (threads: library default)")


def environment() -> dict[str, str]:
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
    }


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(threads: int, module: str, argv: list[str]) -> None:
    """Run with ``threads`` BLAS/OpenMP threads. BLAS reads its thread count when it is
    loaded, so the benchmark restarts itself (``python -m module argv``) with the
    variables set, unless they already are."""
    if all(os.environ.get(v) == str(threads) for v in THREAD_VARS):
        return
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)
