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

With ``num_workers=k > 0``, ``k`` worker processes load the batches in parallel
(`worker.py` runs in each, `_multiprocessing_iter.py` in this process) while the training
loop runs; the batches and their order are the same as with ``num_workers=0``. Worth it
when producing a sample costs time (reading files, augmenting); for tensors already in
memory the main process is faster. Batches stay on the device the dataset's tensors are
on; move them with ``.to(device)``.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._fetch import make_fetcher
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import get_worker_info


class DataLoader:
    """Batches of samples from ``dataset`` (see the module docstring for the steps).

    Arguments, as in PyTorch:

    - ``batch_size`` (1): samples per batch; ``None`` turns batching off (each item is
      a single sample, converted by `default_convert`).
    - ``shuffle`` (False): a new random order every epoch; reproducible with ``generator``.
    - ``sampler``: an iterable of indices to use instead of ``shuffle``.
    - ``batch_sampler``: an iterable of lists of indices; replaces ``batch_size``,
      ``shuffle``, ``sampler`` and ``drop_last``.
    - ``num_workers`` (0): worker processes loading batches in parallel (0: the main
      process does it).
    - ``collate_fn``: merges a list of samples into a batch (default: `default_collate`).
    - ``drop_last`` (False): drop the last, incomplete batch.
    - ``generator``: an ``autograd_core.Generator`` for the shuffling; without one the
      global generator (``autograd_core.manual_seed``) decides.

    With workers: ``worker_init_fn(worker_id)`` runs in each worker after seeding;
    ``prefetch_factor`` (2) batches per worker are requested ahead; ``persistent_workers``
    keeps the workers alive between epochs; ``timeout`` (seconds, 0 = no limit) bounds the
    wait for one batch; ``multiprocessing_context`` (``"fork"``, ``"spawn"``,
    ``"forkserver"`` or a context object) picks how workers start (default: ``fork`` where
    available; the others need a picklable dataset and ``collate_fn``, and a dataset of
    GPU tensors needs ``"spawn"``, as CUDA does not survive a fork); ``in_order=False``
    returns batches as they arrive. ``pin_memory`` is accepted and does nothing (NumPy
    has no pinned memory; CuPy copies are made by ``.to("cuda")``).
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable[int] | None = None,
                 batch_sampler: Sampler | Iterable[list[int]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
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
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None
        self._epochs_started = 0
        self._initialized = True
        _warn_if_too_many_workers(num_workers)

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._FROZEN and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is "
                             "initialized; create a new DataLoader instead")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self) -> multiprocessing.context.BaseContext | None:
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start "
                                     f"method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object "
                                "or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    @property
    def _is_iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    def __iter__(self) -> Iterator:
        self._epochs_started += 1
        if self.num_workers == 0:
            if self.timeout != 0:  # torch refuses this at the same moment, with this class
                raise AssertionError(f"timeout={self.timeout} only applies to worker processes: "
                                     "set num_workers > 0, or timeout=0 to load in this process")
            return self._single_process_iter()
        from ._multiprocessing_iter import _MultiProcessingDataLoaderIter

        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self, self._base_seed())
        if self._iterator is None or self._iterator._shutdown:  # first epoch, or after an error
            self._iterator = _MultiProcessingDataLoaderIter(self, self._base_seed())
        else:
            self._iterator._reset()
        return self._iterator

    def _base_seed(self) -> int:
        """The seed of worker 0 (worker ``k`` gets ``base_seed + k``): a 63-bit hash of the
        generator's state (``generator=`` or the global one) and of the epoch number. It
        is derived without drawing, so ``num_workers`` changes neither the shuffling nor
        any other random number of the program, and ``manual_seed`` makes it repeat."""
        from ...random import get_rng_state

        state = self.generator.get_state() if self.generator is not None else get_rng_state()
        digest = hashlib.blake2b(f"{state!r}/{self._epochs_started}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "little") >> 1

    def _single_process_iter(self) -> Iterator:
        fetcher = make_fetcher(self.dataset, self._is_iterable, self._auto_collation,
                               self.collate_fn, self.drop_last, self.batch_size,
                               self._default_collate)
        if self._is_iterable:
            while True:
                try:
                    batch = fetcher.fetch()
                except StopIteration:
                    return
                yield batch
        for index in self._index_sampler:
            yield fetcher.fetch(index)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError if the stream has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)


def _warn_if_too_many_workers(num_workers: int) -> None:
    """Warn (as torch does) when there are more workers than CPUs this process may use."""
    if num_workers == 0:
        return
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus is None or num_workers > cpus:
        warnings.warn(f"This DataLoader will create {num_workers} worker processes in total, more "
                      f"than the {cpus} CPUs this process may use: excessive worker creation "
                      "might get DataLoader running slow or even freeze; lower num_workers "
                      "to avoid it.", stacklevel=3)


class _InfiniteConstantSampler(Sampler):
    """Placeholder sampler of an IterableDataset (its samples come from ``__iter__``)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


__all__ = ["DataLoader", "get_worker_info"]
