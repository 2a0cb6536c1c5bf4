"""The benchmark's workloads, by name, in the order the command runs them."""

from __future__ import annotations

from ._common import OURS, OURS_LIBRARY, Config, Contender, Library, Workload
from .cnn import CNN
from .elementwise import Elementwise
from .gan import GAN
from .lstm import LSTM
from .matmul import Matmul
from .mlp import MLP
from .transformer import Transformer

REGISTRY: dict[str, Workload] = {
    w.name: w for w in (Matmul(), Elementwise(), MLP(), CNN(), LSTM(), GAN(), Transformer())}


def select(names: str | None) -> list[Workload]:
    """The workloads named in a comma-separated list (all of them for None or ``"all"``);
    a ValueError lists the valid names when one is unknown."""
    if names is None or names.strip() in ("", "all"):
        return list(REGISTRY.values())
    wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown workload{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                         f"choose from: {', '.join(REGISTRY)} (comma-separated, or 'all')")
    return [REGISTRY[n] for n in dict.fromkeys(wanted)]
