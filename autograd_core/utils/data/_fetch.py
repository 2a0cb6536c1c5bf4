"""Fetchers: one batch from a dataset, given what the sampler produced.

The same code runs in the main process (``num_workers=0``) and in each worker process.

- map-style: the index sampler gives a list of indices (or one index without batching);
  the fetcher reads those samples and collates them. For a `TensorDataset` with the
  default collation it takes the whole batch in one indexing per tensor.
- iterable-style: there are no indices; the fetcher pulls the next ``batch_size``
  samples from its own iterator over the dataset and raises ``StopIteration`` when the
  stream is exhausted (after a last, shorter batch unless ``drop_last``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable, default_collation: bool
                 ) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast = getattr(dataset, "_collated", None) if default_collation else None

    def fetch(self, index) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.fast is not None:
            batch = self.fast(index)
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable, drop_last: bool,
                 batch_size: int | None) -> None:
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.batch_size = batch_size
        self.ended = False

    def fetch(self, _index=None) -> Any:
        """The next batch; ``StopIteration`` when the stream has no more (full) batch."""
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        batch = []
        for sample in self.iterator:
            batch.append(sample)
            if len(batch) == self.batch_size:
                return self.collate_fn(batch)
        self.ended = True
        if not batch or self.drop_last:
            raise StopIteration
        return self.collate_fn(batch)


def make_fetcher(dataset, is_iterable: bool, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool, batch_size: int | None, default_collation: bool):
    if is_iterable:
        return _IterableFetcher(dataset, auto_collation, collate_fn, drop_last, batch_size)
    return _MapFetcher(dataset, auto_collation, collate_fn, default_collation)
