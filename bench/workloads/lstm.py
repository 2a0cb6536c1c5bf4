"""One LSTM training step: sequence 50, input 16, hidden 128; the last hidden state goes
through Linear(128, 1), then MSE loss and plain SGD, float32. The batch is swept.

For us: one GEMM for the input projection of all time steps, then per step one h @ W_hh
and the gate arithmetic in one node; PyTorch runs its own fused LSTM (cuDNN on the GPU).
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import SEED, Config, Contender, Library, Workload, supervised_step, training_contender

BATCHES = [8, 32, 128, 512]
QUICK_BATCHES = [4, 8]
CPU_CAP = 128
SEQ, QUICK_SEQ, INPUT, HIDDEN = 50, 8, 16, 128
LR = 0.01


def build(nn_lib):
    class Regressor(nn_lib.Module):
        """LSTM -> last hidden state -> Linear(hidden, 1)."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn_lib.LSTM(INPUT, HIDDEN)
            self.head = nn_lib.Linear(HIDDEN, 1)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[-1])

    return Regressor()


@functools.lru_cache(maxsize=1)
def _batch(seq: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + batch)
    return (rng.standard_normal((seq, batch, INPUT), dtype=np.float32),
            rng.standard_normal((batch, 1), dtype=np.float32))


class LSTM(Workload):
    name = "lstm"
    title = f"LSTM training step, input {INPUT}, hidden {HIDDEN}, sequence {SEQ}, Linear head, MSE, SGD; float32"
    sample_name = "sequences"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        if quick:
            return [Config(b, b, params={"seq": QUICK_SEQ}) for b in QUICK_BATCHES]
        return [Config(b, b, params={"seq": SEQ}) for b in BATCHES if device != "cpu" or b <= CPU_CAP]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        if quick:
            return [f"lstm: sequence length {QUICK_SEQ} in the quick run"]
        return [f"lstm: CPU batches capped at {CPU_CAP}"] if "cpu" in devices else []

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        model = lib.model(build, device)
        x_host, y_host = _batch(config.params["seq"], config.size)
        x, y = lib.tensor(x_host, device), lib.tensor(y_host, device)
        optimizer = lib.optim.SGD(model.parameters(), lr=LR)
        step = supervised_step(model, lib.nn.MSELoss(), optimizer, x, y)
        return training_contender(lib, device, step, model.parameters())
