"""Matrix product C = A @ B of two n x n float32 matrices, forward only.

Contenders: ``Tensor @ Tensor`` (ours), the bare array module's ``matmul`` on the same
device (NumPy or CuPy: the floor ours can reach) and PyTorch. The first-step numbers are
the root mean square of C and the mean of |C|.
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import SEED, Config, Contender, Library, Workload, bare_arrays, host

SIZES = [256, 512, 1024, 2048, 4096, 8192]
QUICK_SIZES = [64, 128]
CPU_CAP = 2048


@functools.lru_cache(maxsize=1)
def _inputs(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + n)
    return (rng.standard_normal((n, n), dtype=np.float32),
            rng.standard_normal((n, n), dtype=np.float32))


def _rms(c: np.ndarray) -> float:
    return float(np.sqrt(np.square(c, dtype=np.float64).mean()))


def _mean_abs(c: np.ndarray) -> float:
    return float(np.abs(c).mean(dtype=np.float64))


class Matmul(Workload):
    name = "matmul"
    title = "matmul C = A @ B, n x n, float32, forward"
    size_name = "n"
    sample_name = "products"
    check_name = "check: rms(C)"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        sizes = QUICK_SIZES if quick else [n for n in SIZES if device != "cpu" or n <= CPU_CAP]
        return [Config(n, samples=1, flops=2.0 * n ** 3) for n in sizes]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        if quick or "cpu" not in devices:
            return []
        return [f"matmul: CPU sizes capped at {CPU_CAP} (the GPU sweep goes to {SIZES[-1]}); "
                "larger products would take minutes on a small CPU"]

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        a_host, b_host = _inputs(config.size)
        a, b = lib.tensor(a_host, device), lib.tensor(b_host, device)
        return Contender(lib.name, device, lambda: a @ b, lambda c: _rms(host(c)),
                         lambda c: _mean_abs(host(c)), lib.sync(device))

    def extra_peers(self, config: Config, device: str) -> list[Contender]:
        xp, to_host, sync = bare_arrays(device)
        a_host, b_host = _inputs(config.size)
        a, b = xp.asarray(a_host), xp.asarray(b_host)
        return [Contender(f"{xp.__name__} (bare)", device, lambda: xp.matmul(a, b),
                          lambda c: _rms(to_host(c)), lambda c: _mean_abs(to_host(c)), sync)]
