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
            sync: Callable[[], None] | dict[str, Callable[[], None] | None] | None = None,
            max_seconds: float | None = None, min_repeats: int = 3) -> dict[str, Timing]:
    """Time each zero-argument callable ``repeats`` times, interleaved, after ``warmup``.

    ``sync`` (one callable, or one per contender) waits for queued device work: it runs
    before and after every timed call. With ``max_seconds``, the number of timed rounds is
    cut so that they take about that long (judged from the last warm-up round), but never
    below ``min_repeats``; and a warm-up run longer than ``max_seconds`` ends that
    contender's warm-up.
    """
    syncs = sync if isinstance(sync, dict) else dict.fromkeys(contenders, sync)
    round_seconds = 0.0
    for name, fn in contenders.items():
        elapsed = 0.0
        for _ in range(warmup):
            elapsed = _timed(fn, syncs.get(name))
            if max_seconds is not None and elapsed > max_seconds:
                break  # a run this long is dominated by its arithmetic: one warm-up is enough
        round_seconds += elapsed
    if max_seconds is not None and warmup > 0 and round_seconds > 0:
        repeats = max(min(repeats, min_repeats), min(repeats, int(max_seconds / round_seconds)))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            samples[name].append(_timed(fn, syncs.get(name)))
    return {name: Timing(name, statistics.median(s), min(s), max(s), len(s))
            for name, s in samples.items()}


# What a timed run reads: wall-clock time (the default), or this process's CPU time (user +
# system, all its threads), which other work on a busy shared machine barely disturbs; the
# CPU clock is only meaningful for CPU work (a GPU step mostly waits).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = {"now": time.perf_counter}


def set_clock(kind: str) -> None:
    """Time runs with the ``"wall"`` clock or the process's ``"cpu"`` time."""
    _clock["now"] = CLOCKS[kind]


def _timed(fn: Callable[[], object], sync: Callable[[], None] | None) -> float:
    now = _clock["now"]
    if sync is not None:
        sync()
    start = now()
    fn()
    if sync is not None:
        sync()
    return now() - start


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
    if not _running_as_script(module):
        # Called in-process (a test, a notebook): restarting would replace the caller's
        # process, so the BLAS keeps the threads it was loaded with.
        return
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def _running_as_script(module: str) -> bool:
    """True when this process is ``python -m module`` (or the ``autograd-bench`` script)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name in (module, module + ".__main__"):
        return True
    return module == __package__ and os.path.basename(sys.argv[0] or "").startswith("autograd-bench")


def cuda_environment() -> dict[str, str]:
    """CuPy, the CUDA runtime and driver, the GPU and the TF32 setting; or why there is no GPU."""
    import autograd_core as ag

    if not ag.cuda.is_available():
        return {"gpu": "none"}
    cupy = ag.cuda.array_module()
    info = {"cupy": getattr(cupy, "__version__", "?")}
    runtime = cupy.cuda.runtime
    for key, getter in (("cuda_runtime", "runtimeGetVersion"), ("cuda_driver", "driverGetVersion")):
        if hasattr(runtime, getter):
            version = int(getattr(runtime, getter)())
            info[key] = f"{version // 1000}.{version % 1000 // 10}"
    props = runtime.getDeviceProperties(0)
    name = props.get("name", b"?")
    info["gpu"] = f"{name.decode() if isinstance(name, bytes) else name} x{ag.cuda.device_count()}"
    if "totalGlobalMem" in props:
        info["gpu_memory"] = f"{props['totalGlobalMem'] / 2**30:.1f} GiB"
    info["tf32"] = (f"CUPY_TF32={os.environ.get('CUPY_TF32', '0')} "
                    f"({'TF32' if tf32_enabled() else 'full float32'} cuBLAS GEMMs)")
    return info


def tf32_enabled() -> bool:
    """Whether CuPy's float32 GEMMs may use TF32 tensor cores (``CUPY_TF32=1``)."""
    return os.environ.get("CUPY_TF32", "0") == "1"


def torch_environment(torch) -> dict[str, str]:
    """PyTorch's version, threads and, when it sees a GPU, its CUDA and TF32 settings."""
    info = {"pytorch": f"{torch.__version__} ({torch.get_num_threads()} threads)"}
    if torch.cuda.is_available():
        info["pytorch_cuda"] = (f"CUDA {torch.version.cuda}, matmul allow_tf32="
                                f"{torch.backends.cuda.matmul.allow_tf32}, cudnn allow_tf32="
                                f"{torch.backends.cudnn.allow_tf32}")
    else:
        info["pytorch_cuda"] = "not available (CPU build or no device)"
    return info
