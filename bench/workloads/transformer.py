"""Attention training steps, float32, plain SGD; the batch is swept.

The main line: one Transformer encoder layer (d_model 256, 8 heads, feed-forward 1024, post
norm, ReLU, no dropout, batch first) over sequences of 128, mean-pooled into Linear(256, 10),
cross-entropy. Beside it, ``sdpa``: forward and backward of `scaled_dot_product_attention`
alone on (batch, 8, 128, 32) queries, keys and values, loss mean(out^2).

For us attention is composed from graph nodes (matmul, softmax, matmul); PyTorch runs its
fused attention kernels. The quick run uses sequence 16, d_model 32, 4 heads.
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import (
    SEED,
    Config,
    Contender,
    Library,
    Workload,
    supervised_step,
    training_contender,
)

BATCHES = [8, 32, 128]
QUICK_BATCHES = [2, 4]
CPU_CAP = 32
SIZES = {"seq": 128, "d_model": 256, "heads": 8}
QUICK_SIZES = {"seq": 16, "d_model": 32, "heads": 4}
CLASSES, LR = 10, 0.01
SDPA = "sdpa"


def build(nn_lib, d_model: int, heads: int):
    class Classifier(nn_lib.Module):
        """TransformerEncoderLayer -> mean over the sequence -> Linear(d_model, 10)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn_lib.TransformerEncoderLayer(d_model, heads, 4 * d_model,
                                                          dropout=0.0, batch_first=True)
            self.head = nn_lib.Linear(d_model, CLASSES)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    return Classifier()


@functools.lru_cache(maxsize=2)
def _batch(batch: int, seq: int, d_model: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + batch)
    return (rng.standard_normal((batch, seq, d_model), dtype=np.float32),
            rng.integers(0, CLASSES, batch))


def _flops(batch: int, seq: int, d_model: int) -> float:
    """Forward: projections 4 d^2, feed-forward 8 d^2 and attention 2 seq d multiply-adds
    per token; backward twice the forward."""
    per_token = 2.0 * (12 * d_model * d_model + 2 * seq * d_model)
    return 3.0 * batch * seq * per_token


def _sdpa_flops(batch: int, seq: int, d_model: int) -> float:
    return 3.0 * 4.0 * batch * seq * seq * d_model


class Transformer(Workload):
    name = "transformer"
    title = ("Transformer encoder layer training step, d_model 256, 8 heads, feed-forward 1024, "
             "sequence 128, mean-pool, Linear, cross-entropy, SGD; float32")
    sample_name = "sequences"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        sizes = QUICK_SIZES if quick else SIZES
        batches = QUICK_BATCHES if quick else [b for b in BATCHES
                                               if device != "cpu" or b <= CPU_CAP]
        seq, d = sizes["seq"], sizes["d_model"]
        layer = [Config(b, b, "", _flops(b, seq, d), dict(sizes)) for b in batches]
        return layer + [Config(b, b, SDPA, _sdpa_flops(b, seq, d), dict(sizes)) for b in batches]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        notes = ["transformer: 'sdpa' is scaled_dot_product_attention alone (forward and "
                 "backward), queries/keys/values (batch, heads, sequence, d_model / heads)"]
        if quick:
            notes.append("transformer: sequence 16, d_model 32, 4 heads in the quick run")
        elif "cpu" in devices:
            notes.append(f"transformer: CPU batches capped at {CPU_CAP}")
        return notes

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        seq, d, heads = (config.params[k] for k in ("seq", "d_model", "heads"))
        if config.variant == SDPA:
            return self._sdpa(lib, config.size, seq, d, heads, device)
        model = lib.model(functools.partial(build, d_model=d, heads=heads), device)
        x_host, y_host = _batch(config.size, seq, d)
        x, y = lib.tensor(x_host, device), lib.tensor(y_host, device)
        optimizer = lib.optim.SGD(model.parameters(), lr=LR)
        step = supervised_step(model, lib.nn.CrossEntropyLoss(), optimizer, x, y)
        return training_contender(lib, device, step, model.parameters())

    @staticmethod
    def _sdpa(lib: Library, batch: int, seq: int, d: int, heads: int, device: str) -> Contender:
        rng = np.random.default_rng(SEED + batch)
        shape = (batch, heads, seq, d // heads)
        q, k, v = (lib.tensor(rng.standard_normal(shape, dtype=np.float32), device,
                              requires_grad=True) for _ in range(3))
        attention = lib.nn.functional.scaled_dot_product_attention

        def step():
            for t in (q, k, v):
                t.grad = None
            out = attention(q, k, v)
            loss = (out * out).mean()
            loss.backward()
            return loss

        return training_contender(lib, device, step, (q, k, v))
