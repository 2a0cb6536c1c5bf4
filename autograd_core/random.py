"""Random-number state: `manual_seed` makes every backend reproducible."""

from __future__ import annotations

from . import _backend


def manual_seed(seed: int):
    """Seed the generators of the CPU and of every CUDA device (now and when first used)."""
    seed = int(seed)
    if seed < 0:
        raise RuntimeError(f"manual_seed expects a non-negative seed, got {seed}")
    _backend.seed_all(seed)
    return Generator().manual_seed(seed)


def seed() -> int:
    """Seed from fresh entropy and return the seed used."""
    import secrets

    value = secrets.randbits(63)
    _backend.seed_all(value)
    return value


def initial_seed() -> int | None:
    return _backend._last_seed


def get_rng_state():
    """The CPU generator's state (a dict; pass it back to `set_rng_state`)."""
    return _backend.NUMPY.get_state()


def set_rng_state(state) -> None:
    _backend.NUMPY.set_state(state)


class Generator:
    """An independent random generator (CPU). Pass it as ``generator=`` to the random
    functions (or a DataLoader) for a stream of its own; ``manual_seed`` reseeds it."""

    def __init__(self, device="cpu") -> None:
        import numpy as np

        self.device = device
        self._seed = None
        self._rng = np.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        import numpy as np

        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        import secrets

        return self.manual_seed(secrets.randbits(63))._seed

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> Generator:
        self._rng.bit_generator.state = state
        return self
