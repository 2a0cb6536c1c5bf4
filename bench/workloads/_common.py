"""What a workload is, and the pieces every workload shares.

A workload sweeps one size (matrix side, number of elements, batch size) and, for each
size and device, gives its contenders: ours first, then the peers. Each contender is one
zero-argument `step` (the thing timed) plus the means to read its first step's loss and a
checksum, which the command compares across devices and libraries before timing.

The model code is written once against a `Library` (``nn``/``optim`` and a way to make
tensors): the same function builds our model and PyTorch's, because the APIs agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
from autograd_core import nn, optim

OURS = "autograd_core"
SEED = 0


@dataclass
class Config:
    """One point of a sweep: ``size`` is the swept quantity, ``variant`` names fixed choices
    that differ from the workload's main line (e.g. ``"hidden 4096"``)."""

    size: int
    samples: int
    variant: str = ""
    flops: float | None = None
    params: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.variant, self.size)

    @property
    def label(self) -> str:
        return f"{self.size} ({self.variant})" if self.variant else str(self.size)


@dataclass
class Contender:
    """One library's step on one device: ``step()`` is timed; ``loss(out)`` and
    ``checksum(out)`` read the first step's numbers from what ``step()`` returned."""

    name: str
    device: str
    step: Callable[[], object]
    loss: Callable[[object], float]
    checksum: Callable[[object], float | None] = lambda out: None
    sync: Callable[[], None] | None = None

    def first_step(self) -> tuple[float, float | None]:
        out = self.step()
        if self.sync is not None:
            self.sync()
        return float(self.loss(out)), self.checksum(out)


def host(t) -> np.ndarray:
    """A host (NumPy) copy of a tensor of ours or of PyTorch's, on any device."""
    return t.detach().cpu().numpy()


def bare_arrays(device: str):
    """The bare array library of ``device`` (NumPy or CuPy), a copy-to-host function and the
    device's synchronisation (None on the CPU), for peers written without the library."""
    if device == "cpu":
        return np, np.asarray, None
    xp = ag.cuda.array_module()
    return xp, xp.asnumpy, ag.cuda.synchronize


def grad_norm(arrays: Iterable[np.ndarray]) -> float:
    r"""The checksum of a step's gradients: $\lVert\nabla\rVert = \sqrt{\sum_p \sum_i g_{p,i}^2}$,
    accumulated in float64."""
    return math.sqrt(sum(float(np.square(a, dtype=np.float64).sum()) for a in arrays))


class Library:
    """A library a workload runs in: ours here; PyTorch's in `bench.peers`."""

    name = OURS
    nn = nn
    optim = optim

    def supports(self, device: str) -> bool:
        return device == "cpu" or ag.cuda.is_available()

    def tensor(self, array: np.ndarray, device: str, requires_grad: bool = False):
        return ag.tensor(array, device=device, requires_grad=requires_grad)

    def model(self, build: Callable, device: str):
        """``build(nn)`` with the benchmark's seed on the CPU, then moved to ``device``."""
        ag.manual_seed(SEED)
        return build(nn).to(device)

    def sync(self, device: str) -> Callable[[], None] | None:
        return None if device == "cpu" else ag.cuda.synchronize


OURS_LIBRARY = Library()


def training_contender(lib: Library, device: str, step: Callable[[], object], parameters,
                       loss: Callable[[object], float] = lambda out: out.item()) -> Contender:
    """A training step's contender: the checksum is the norm of the gradients it left."""
    parameters = list(parameters)

    def checksum(_out) -> float:
        return grad_norm(host(p.grad) for p in parameters if p.grad is not None)

    return Contender(lib.name, device, step, loss, checksum, lib.sync(device))


def supervised_step(model, loss_fn, optimizer, x, y) -> Callable[[], object]:
    """zero_grad, forward, loss, backward, optimiser step: the same code for both libraries."""

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


class Workload:
    """A sweep over sizes; subclasses say which sizes and build the contenders."""

    name = ""
    title = ""
    size_name = "batch"
    sample_name = "samples"
    # the column of the value the first step computed and the checks compare
    check_name = "first loss"

    def configs(self, device: str, quick: bool, gpu: bool) -> list[Config]:
        """The sizes to run on ``device``; ``gpu`` tells whether a GPU is measured in this run."""
        raise NotImplementedError

    def notes(self, devices: list[str], quick: bool) -> list[str]:
        """One-line remarks for the output (caps, variants)."""
        return []

    def contender(self, lib: Library, config: Config, device: str) -> Contender:
        """The step as ``lib`` runs it (ours, or a peer library with the same API)."""
        raise NotImplementedError

    def extra_peers(self, config: Config, device: str) -> list[Contender]:
        """Peers that are not a `Library` (a bare array-module call, a hand-written step)."""
        return []
