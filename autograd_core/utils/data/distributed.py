"""`DistributedSampler`: each of ``num_replicas`` processes trains on its own share.

In data-parallel training every process (every *rank*) runs the same loop on a different
part of the data. The sampler cuts the (optionally shuffled) indices into
``num_replicas`` interleaved shares of equal length ``num_samples``::

    indices  0 1 2 3 4 5 6 7 8 9 | 0 1       (10 samples, 4 replicas: padded to 12)
    rank 0   0       4       8              -> [0, 4, 8]
    rank 1     1       5       9            -> [1, 5, 9]
    rank 2       2       6       0          -> [2, 6, 0]
    rank 3         3       7       1        -> [3, 7, 1]

``num_samples = ceil(N / R)``; the list is padded by repeating its beginning so every rank
gets the same number of samples (a rank that ran out early would stall the others at the
next gradient all-reduce). With ``drop_last=True`` the tail is cut instead:
``num_samples = floor(N / R)``.

With ``shuffle=True`` every rank draws the *same* permutation, from a generator seeded
with ``seed + epoch``, so the shares stay disjoint; call ``set_epoch(epoch)`` at the start
of each epoch for a new order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized

from .sampler import Sampler


def _default_world() -> tuple[int, int]:
    """(world size, rank) of the initialised process group, if the library has one."""
    try:
        from ... import distributed as dist  # type: ignore[attr-defined]
    except ImportError:
        dist = None
    if dist is None or not getattr(dist, "is_available", lambda: False)():
        raise RuntimeError("Requires distributed package to be available: pass num_replicas= and "
                           "rank= explicitly (e.g. the MPI world size and this process's rank)")
    return dist.get_world_size(), dist.get_rank()


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` should visit
    (see the module docstring). ``len`` is ``num_samples``, the same on every rank."""

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            world, own_rank = _default_world()
            num_replicas = world if num_replicas is None else num_replicas
            rank = own_rank if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = n // num_replicas
        else:
            self.num_samples = -(-n // num_replicas)  # ceil(n / R)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            from ...factories import randperm
            from ...random import Generator

            order = randperm(n, generator=Generator().manual_seed(self.seed + self.epoch)).tolist()
        else:
            order = list(range(n))
        # Pad by cycling through the order again (or cut the tail, with drop_last), then
        # take every num_replicas-th index starting at this rank.
        full = [order[i % n] for i in range(self.total_size)] if n else []
        return iter(full[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of epoch ``epoch`` next (only matters with ``shuffle=True``)."""
        self.epoch = epoch


__all__ = ["DistributedSampler"]
