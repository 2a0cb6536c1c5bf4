"""`DataLoader`: iterate over a dataset in mini-batches.

One epoch of mini-batch gradient descent is::

    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=autograd_core.Generator().manual_seed(0))
    for xb, yb in loader:           # len(loader) batches of (up to) 32 samples
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad(); loss.backward(); optimizer.step()

What happens inside, for a map-style dataset:

1. a *sampler* yields indices: 0, 1, 2, ... (``shuffle=False``) or a fresh random
   permutation every epoch (``shuffle=True``);
2. a *batch sampler* groups them into lists of ``batch_size`` (the last one shorter,
   unless ``drop_last=True``);
3. each list of samples ``[dataset[i] for i in batch]`` is merged by ``collate_fn``
   (`default_collate` stacks tensors along a new first dimension).

For a `TensorDataset` (or a `Subset` of one) with the default ``collate_fn``, step 3 is
done by one indexing per tensor instead of a Python loop over samples: same batches,
much faster.

Everything runs in the calling process: ``num_workers`` must be 0 (data for the models in
this library is small and already in memory, and worker processes would need pickling).
Batches stay on the device the dataset's tensors are on; move them with ``.to(device)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def get_worker_info() -> None:
    """Always None: data is loaded in the main process (``num_workers=0``)."""
    return None


class DataLoader:
    """Batches of samples from ``dataset`` (see the module docstring for the steps).

    Arguments, as in PyTorch:

    - ``batch_size`` (1): samples per batch; ``None`` turns batching off (each item is
      a single sample, converted by `default_convert`).
    - ``shuffle`` (False): a new random order every epoch; reproducible with ``generator``.
    - ``sampler``: an iterable of indices to use instead of ``shuffle``.
    - ``batch_sampler``: an iterable of lists of indices; replaces ``batch_size``,
      ``shuffle``, ``sampler`` and ``drop_last``.
    - ``num_workers`` (0): only 0 is supported (no worker processes).
    - ``collate_fn``: merges a list of samples into a batch (default: `default_collate`).
    - ``drop_last`` (False): drop the last, incomplete batch.
    - ``generator``: an ``autograd_core.Generator`` for the shuffling; without one the
      global generator (``autograd_core.manual_seed``) decides.

    ``pin_memory``, ``timeout``, ``worker_init_fn``, ``prefetch_factor`` and
    ``persistent_workers`` are accepted so PyTorch scripts run unchanged; they only make
    sense with worker processes, so non-default values are refused where PyTorch would
    refuse them and otherwise ignored.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable[int] | None = None,
                 batch_sampler: Sampler | Iterable[list[int]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "") -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if num_workers > 0:
            raise ValueError(
                f"num_workers={num_workers} is not supported: autograd_core loads data in the main "
                "process only (its datasets are in memory, and worker processes would need "
                "pickling, which this library avoids). Use num_workers=0; to speed up loading, "
                "keep the data in a TensorDataset, whose batches are taken in one indexing step."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator:
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        return self._iter_map()

    def _iter_map(self) -> Iterator:
        fast = getattr(self.dataset, "_collated", None) if self._default_collate else None
        if not self._auto_collation:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            batch = fast(indices) if fast is not None else None
            if batch is None:
                if getitems is not None:
                    samples = getitems(indices)
                else:
                    samples = [self.dataset[i] for i in indices]
                batch = self.collate_fn(samples)
            yield batch

    def _iter_stream(self) -> Iterator:
        if not self._auto_collation:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch: list = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError if the stream has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)


class _InfiniteConstantSampler(Sampler):
    """Placeholder sampler of an IterableDataset (its samples come from ``__iter__``)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


__all__ = ["DataLoader", "get_worker_info"]
