"""One GAN training step on 784-dimensional samples, float32, Adam(2e-4, betas (0.5, 0.999)):

    G: Linear(64, 256) - ReLU - Linear(256, 784) - Tanh
    D: Linear(784, 256) - LeakyReLU(0.2) - Linear(256, 1), BCE with logits.

A discriminator step (real samples labelled 1, generated ones, detached, labelled 0),
then a generator step (its samples labelled 1). The loss compared across devices is the
sum of the two.
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import SEED, Config, Contender, Library, Workload, training_contender

BATCHES = [32, 128, 512, 2048]
QUICK_BATCHES = [8, 16]
CPU_CAP = 512
LATENT, DATA, HIDDEN = 64, 784, 256
LR, BETAS = 2e-4, (0.5, 0.999)


def build(nn_lib):
    return nn_lib.ModuleDict({
        "generator": nn_lib.Sequential(nn_lib.Linear(LATENT, HIDDEN), nn_lib.ReLU(),
                                       nn_lib.Linear(HIDDEN, DATA), nn_lib.Tanh()),
        "discriminator": nn_lib.Sequential(nn_lib.Linear(DATA, HIDDEN), nn_lib.LeakyReLU(0.2),
                                           nn_lib.Linear(HIDDEN, 1)),
    })


@functools.lru_cache(maxsize=1)
def _batch(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + batch)
    real = rng.uniform(-1.0, 1.0, (batch, DATA)).astype(np.float32)
    return real, rng.standard_normal((batch, LATENT), dtype=np.float32)


class GAN(Workload):
    name = "gan"
    check_name = "first loss (D + G)"
    title = f"GAN step (discriminator + generator), MLPs {LATENT}-{HIDDEN}-{DATA} / {DATA}-{HIDDEN}-1, Adam; float32"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        batches = QUICK_BATCHES if quick else [b for b in BATCHES if device != "cpu" or b <= CPU_CAP]
        return [Config(b, b) for b in batches]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        return [] if quick or "cpu" not in devices else [f"gan: CPU batches capped at {CPU_CAP}"]

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        model = lib.model(build, device)
        G, D = model["generator"], model["discriminator"]
        real_host, z_host = _batch(config.size)
        real, z = lib.tensor(real_host, device), lib.tensor(z_host, device)
        ones = lib.tensor(np.ones((config.size, 1), np.float32), device)
        zeros = lib.tensor(np.zeros((config.size, 1), np.float32), device)
        criterion = lib.nn.BCEWithLogitsLoss()
        d_opt = lib.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
        g_opt = lib.optim.Adam(G.parameters(), lr=LR, betas=BETAS)

        def step():
            d_opt.zero_grad()
            fake = G(z)
            d_loss = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
            d_loss.backward()
            d_opt.step()
            g_opt.zero_grad()
            g_loss = criterion(D(fake), ones)
            g_loss.backward()
            g_opt.step()
            return d_loss, g_loss

        return training_contender(lib, device, step, model.parameters(),
                                  loss=lambda losses: losses[0].item() + losses[1].item())
