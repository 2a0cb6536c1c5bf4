r"""An elementwise chain, forward and backward, over vectors of n float32 elements:

$$ y = \tanh(x \odot a + b) \odot \sigma(x), \qquad L = \tfrac{1}{n}\textstyle\sum_i y_i, $$

then $\partial L/\partial x$, $\partial L/\partial a$, $\partial L/\partial b$. Memory traffic
and per-operation overhead, no GEMM: where fused kernels and fewer temporaries pay.
"""

from __future__ import annotations

import functools

import numpy as np

from ._common import SEED, Config, Contender, Library, Workload, grad_norm, host

SIZES = [2 ** 16, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24]
QUICK_SIZES = [2 ** 10, 2 ** 12]
CPU_CAP = 2 ** 22


@functools.lru_cache(maxsize=1)
def _inputs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + n)
    x = rng.standard_normal(n, dtype=np.float32)
    a = rng.uniform(0.5, 1.5, n).astype(np.float32)  # positive a, b: the mean stays away from 0
    b = rng.uniform(0.0, 1.0, n).astype(np.float32)
    return x, a, b


class Elementwise(Workload):
    name = "elementwise"
    title = "elementwise chain tanh(x*a + b) * sigmoid(x), mean, backward; float32"
    size_name = "elements"
    sample_name = "elements"
    check_name = "check: output"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        sizes = QUICK_SIZES if quick else [n for n in SIZES if device != "cpu" or n <= CPU_CAP]
        return [Config(n, samples=n) for n in sizes]

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        if quick or "cpu" not in devices:
            return []
        return [f"elementwise: CPU sizes capped at 2^{CPU_CAP.bit_length() - 1} elements "
                f"(the GPU sweep goes to 2^{SIZES[-1].bit_length() - 1})"]

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        x, a, b = (lib.tensor(v, device, requires_grad=True) for v in _inputs(config.size))
        leaves = (x, a, b)

        def step():
            for t in leaves:
                t.grad = None
            loss = ((x * a + b).tanh() * x.sigmoid()).mean()
            loss.backward()
            return loss

        return Contender(lib.name, device, step, lambda loss: loss.item(),
                         lambda _: grad_norm(host(t.grad) for t in leaves), lib.sync(device))
