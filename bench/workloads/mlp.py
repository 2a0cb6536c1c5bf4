"""One MLP training step: 784-H-H-10, ReLU, cross-entropy, plain SGD, float32.

The main line is H = 256 over a batch sweep. Two fixed points beside it: batch 32 with
H = 64 (per-operation overhead dominates; the CPU run only) and, when a GPU is measured,
batch 4096 with H = 4096 on both devices (compute dominates: the GPU-over-CPU speed-up).
Peers: PyTorch, and on the CPU the step written by hand in NumPy (`bench.mlp_step.NumpyMLP`).
"""

from __future__ import annotations

import functools

import numpy as np

from ..mlp_step import LR, NumpyMLP
from ._common import (
    OURS_LIBRARY,
    SEED,
    Config,
    Contender,
    Library,
    Workload,
    supervised_step,
    training_contender,
)

BATCHES = [32, 128, 512, 2048, 8192]
QUICK_BATCHES = [16, 64]
CPU_CAP = 2048
HIDDEN = 256


def build(nn_lib, hidden: int):
    return nn_lib.Sequential(nn_lib.Linear(784, hidden), nn_lib.ReLU(), nn_lib.Linear(hidden, hidden),
                             nn_lib.ReLU(), nn_lib.Linear(hidden, 10))


@functools.lru_cache(maxsize=1)
def _batch(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + batch)
    return rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)


def _flops(batch: int, hidden: int) -> float:
    """Forward 2 * batch * weights, backward twice that."""
    return 6.0 * batch * (784 * hidden + hidden * hidden + hidden * 10)


class MLP(Workload):
    name = "mlp"
    title = "MLP training step 784-H-H-10 (H = 256 unless stated), ReLU, cross-entropy, SGD; float32"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        def config(batch: int, hidden: int) -> Config:
            return Config(batch, batch, "" if hidden == HIDDEN else f"hidden {hidden}",
                          _flops(batch, hidden), {"hidden": hidden})

        if quick:
            return [config(b, HIDDEN) for b in QUICK_BATCHES]
        configs = [config(b, HIDDEN) for b in BATCHES if device != "cpu" or b <= CPU_CAP]
        if device == "cpu":
            configs.append(config(32, 64))
        if gpu:
            configs.append(config(4096, 4096))
        return configs

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        if quick:
            return []
        notes = []
        if "cpu" in devices:
            notes.append(f"mlp: CPU batches capped at {CPU_CAP}; batch 32 with hidden 64 runs on the CPU only")
        if len(devices) > 1:
            notes.append("mlp: batch 4096 with hidden 4096 runs on both devices (the GPU-over-CPU speed-up)")
        return notes

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        model = lib.model(functools.partial(build, hidden=config.params["hidden"]), device)
        x_host, y_host = _batch(config.size)
        x, y = lib.tensor(x_host, device), lib.tensor(y_host, device)
        optimizer = lib.optim.SGD(model.parameters(), lr=LR)
        step = supervised_step(model, lib.nn.CrossEntropyLoss(), optimizer, x, y)
        return training_contender(lib, device, step, model.parameters())

    def extra_peers(self, config: Config, device: str) -> list[Contender]:
        if device != "cpu" or config.params["hidden"] > 1024:  # by hand: the CPU-overhead comparison only
            return []
        model = OURS_LIBRARY.model(functools.partial(build, hidden=config.params["hidden"]), "cpu")
        weights = []
        for layer in model[::2]:  # NumpyMLP keeps W as (in, out)
            weights += [layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()]
        hand = NumpyMLP(weights)
        x, y = _batch(config.size)
        return [Contender("numpy (by hand)", device, lambda: hand.step(x, y), float)]
