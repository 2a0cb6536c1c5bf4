"""Datasets: what a `DataLoader` draws samples from.

A *map-style* dataset is anything with ``__len__`` and ``__getitem__(i)`` for
``0 <= i < len(dataset)``: sample ``i`` is usually a tuple ``(input, target)``. Subclass
`Dataset` to write your own::

    class Squares(Dataset):
        def __len__(self):
            return 100
        def __getitem__(self, i):
            x = autograd_core.tensor([i / 100])
            return x, x * x

An *iterable-style* dataset (`IterableDataset`) only knows how to iterate: a stream of
samples whose length may be unknown (e.g. read from a socket or generated forever).

The building blocks here compose: `TensorDataset` wraps tensors whose first dimension
indexes the samples, `Subset` picks samples by index, `ConcatDataset` (also ``a + b``)
puts datasets one after the other, and `random_split` cuts one into shuffled parts
(train / validation / test).
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ...tensor import Tensor, _wrap


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(i)`` and usually ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__`` (and ``__len__`` if known).

    A `DataLoader` batches the samples in the order the iterator yields them; shuffling,
    samplers and ``random_split`` do not apply (there is no index to shuffle).
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it; it has no "
                        "__getitem__")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is ``(t[i] for t in tensors)``: tensors indexed along their first axis.

    >>> ds = TensorDataset(x, y)        # x: (N, 2), y: (N,)
    >>> ds[0]                           # (x[0], y[0])

    All tensors must have the same first dimension. Samples of tensors that do not require
    grad are taken directly from the arrays (fast; nothing is recorded in a graph).
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects tensors, got {type(t).__name__}; convert "
                                "arrays with autograd_core.tensor(...) first")
            if t.ndim == 0:
                raise ValueError("TensorDataset tensors need a first dimension to index samples "
                                 "(got a 0-d tensor)")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes} differ "
                             f"(shapes {shapes}); every tensor needs one row per sample")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(_take(t, index) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _collated(self, indices: Sequence[int]) -> list | None:
        """The batch ``default_collate([self[i] for i in indices])`` would build, in one
        indexing per tensor (what `DataLoader` uses when it can); None if it cannot."""
        if any(t.requires_grad for t in self.tensors):
            return None
        return [_take(t, _index_array(t, indices)) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, idx)[k] ==
    ds[idx[k]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, fetched together when the dataset can do that."""
        mapped = [self.indices[i] for i in indices]
        many = getattr(self.dataset, "__getitems__", None)
        return many(mapped) if callable(many) else [self.dataset[i] for i in mapped]

    def __len__(self) -> int:
        return len(self.indices)

    def _collated(self, indices: Sequence[int]) -> list | None:
        inner = getattr(self.dataset, "_collated", None)
        if inner is None:
            return None
        return inner([int(self.indices[i]) for i in indices])


class StackDataset(Dataset):
    """Datasets side by side: sample ``i`` gathers sample ``i`` of each.

    ``StackDataset(images, labels)[i] == (images[i], labels[i])``;
    ``StackDataset(image=images, label=labels)[i] == {"image": images[i], "label": labels[i]}``.
    All datasets must have the same length.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either tuple-like (via args) or dict-like (via kwargs) "
                             "input/output, but both types are given; pass the datasets one way")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        lengths = [len(d) for d in parts]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"Size mismatch between datasets: lengths {lengths}; every dataset "
                             "needs one sample per index")
        self._length = lengths[0]
        self.datasets: tuple | dict = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, asking each dataset for all of them at once when it
        has ``__getitems__`` itself."""
        named = isinstance(self.datasets, dict)
        items = self.datasets.items() if named else enumerate(self.datasets)
        columns = {}
        for key, d in items:
            many = getattr(d, "__getitems__", None)
            column = many(indices) if callable(many) else [d[i] for i in indices]
            if len(column) != len(indices):
                raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, "
                                 f"got {len(column)}")
            columns[key] = column
        if named:
            return [{key: columns[key][j] for key in columns} for j in range(len(indices))]
        return [tuple(columns[key][j] for key in columns) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Datasets one after the other: indices ``0 .. len(a)-1`` are ``a``'s, then ``b``'s...

    ``cumulative_sizes[k]`` is the total length of the first ``k + 1`` datasets.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence: Sequence[Dataset]) -> list[int]:
        total, out = 0, []
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other (what ``a + b`` gives for iterable ones)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Shuffle ``dataset``'s indices and cut them into ``Subset``s of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1:
    ``random_split(ds, [0.75, 0.25])``. With fractions each part gets
    ``floor(len * fraction)`` samples and the few left over are handed out one at a time,
    first part first. Pass ``generator=autograd_core.Generator().manual_seed(0)`` for a
    split that is the same on every run; without it the global seed decides
    (``autograd_core.manual_seed``).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0) \
            and sum(lengths) <= 1.0 + 1e-9:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              "dataset.", stacklevel=2)
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative integers or fractions that "
                         f"sum to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {lengths} sum to {sum(lengths)}, the dataset has {n} samples)")
    from ...factories import randperm

    order = randperm(n, generator=generator).tolist()
    parts, start = [], 0
    for length in lengths:
        parts.append(Subset(dataset, order[start:start + int(length)]))
        start += int(length)
    return parts


# ------------------------------------------------------------------------------ helpers
def _index_array(t: Tensor, indices: Sequence[int]):
    """``indices`` as an int64 index array on ``t``'s device."""
    from ..._backend import backend_of

    xp = backend_of(t._data).xp
    return xp.asarray(np.asarray(indices, dtype=np.int64))


def _take(t: Tensor, index: Any) -> Tensor:
    """``t[index]``; read straight from the array (not recorded) unless ``t`` requires grad."""
    if t.requires_grad:
        return t[index]
    if isinstance(index, Tensor):
        index = index._data
    # A trailing ``...`` makes NumPy return a 0-d array rather than a NumPy scalar.
    if isinstance(index, tuple):
        if not any(i is Ellipsis for i in index):
            index = (*index, Ellipsis)
    elif index is not Ellipsis:
        index = (index, Ellipsis)
    return _wrap(t._data[index])


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "StackDataset",
           "ConcatDataset", "ChainDataset", "random_split"]
