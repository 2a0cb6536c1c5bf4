"""One CNN training step on 1x28x28 inputs (MNIST-sized), float32, plain SGD:

    Conv2d(1, 16, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU
    - MaxPool2d(2) - Flatten - Linear(1568, 10), cross-entropy.

Convolution is im2col + one GEMM for us; PyTorch uses oneDNN on the CPU and cuDNN on the GPU.
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import SEED, Config, Contender, Library, Workload, supervised_step, training_contender

BATCHES = [16, 64, 256, 1024]
QUICK_BATCHES = [4, 8]
CPU_CAP = 256
LR = 0.01


def build(nn_lib):
    return nn_lib.Sequential(
        nn_lib.Conv2d(1, 16, 3, padding=1), nn_lib.ReLU(), nn_lib.MaxPool2d(2),
        nn_lib.Conv2d(16, 32, 3, padding=1), nn_lib.ReLU(), nn_lib.MaxPool2d(2),
        nn_lib.Flatten(), nn_lib.Linear(1568, 10),
    )


@functools.lru_cache(maxsize=1)
def _batch(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + batch)
    return rng.standard_normal((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)


class CNN(Workload):
    name = "cnn"
    title = "CNN training step, 1x28x28, conv16-pool-conv32-pool-linear, cross-entropy, SGD; float32"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        batches = QUICK_BATCHES if quick else [b for b in BATCHES if device != "cpu" or b <= CPU_CAP]
        return [Config(b, b) for b in batches]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        return [] if quick or "cpu" not in devices else [f"cnn: CPU batches capped at {CPU_CAP}"]

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        model = lib.model(build, device)
        x_host, y_host = _batch(config.size)
        x, y = lib.tensor(x_host, device), lib.tensor(y_host, device)
        optimizer = lib.optim.SGD(model.parameters(), lr=LR)
        step = supervised_step(model, lib.nn.CrossEntropyLoss(), optimizer, x, y)
        return training_contender(lib, device, step, model.parameters())
