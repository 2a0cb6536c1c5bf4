"""Samplers: the order in which a `DataLoader` visits a dataset's indices.

A sampler is an iterable of indices (``SequentialSampler``: 0, 1, 2, ...;
``RandomSampler``: a fresh random permutation each epoch). A *batch* sampler is an
iterable of lists of indices; `BatchSampler` groups any sampler's indices into batches.
The `DataLoader` builds these for you from ``shuffle=`` and ``batch_size=``; pass your own
``sampler=`` (e.g. a `WeightedRandomSampler` for imbalanced classes) to change the order.

Randomness: give a sampler ``generator=autograd_core.Generator().manual_seed(0)`` and the
sequence of epochs is the same on every run; without one it draws from the global
generator, which ``autograd_core.manual_seed`` seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

# Indices drawn at a time by the samplers that draw with replacement.
_CHUNK = 1024


def _check_generator(generator) -> None:
    if generator is not None and not hasattr(generator, "_rng"):
        raise TypeError(f"generator must be an autograd_core.Generator, got {type(generator).__name__}")


def _permutation(n: int, generator) -> list[int]:
    from ...factories import randperm

    return randperm(n, generator=generator).tolist()


def _uniform(n: int, generator) -> np.ndarray:
    """``n`` float64 samples of U[0, 1) from ``generator`` or the global generator."""
    from ... import float64
    from ...factories import rand

    return rand(n, generator=generator, dtype=float64).numpy()


class Sampler:
    """Base class: an iterable of dataset indices (subclasses define ``__iter__``, and
    ``__len__`` when they know it)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices into ``data_source``: a new permutation every time it is iterated.

    With ``replacement=True`` it draws ``num_samples`` indices independently (some repeat,
    some never appear), as in bootstrapping; ``num_samples`` defaults to the dataset length.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                                        or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        _check_generator(generator)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        """Draws lazily: a chunk of ``_CHUNK`` indices (with replacement) or one permutation
        (without) at a time, so ``num_samples=10**10`` costs no more memory than 10."""
        n = len(self.data_source)
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler with replacement needs a non-empty dataset")
            yield from _draw_in_chunks(n, self.num_samples, self.generator)
            return
        if n == 0:
            return
        for _ in range(self.num_samples // n):
            yield from _permutation(n, self.generator)
        yield from _permutation(n, self.generator)[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


def _draw_in_chunks(n: int, count: int, generator) -> Iterator[int]:
    """``count`` independent uniform draws from ``0 .. n-1``, ``_CHUNK`` at a time."""
    from ...factories import randint

    while count > 0:
        size = min(count, _CHUNK)
        yield from randint(0, n, (size,), generator=generator).tolist()
        count -= size


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a fresh one every epoch), without replacement."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        _check_generator(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _permutation(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights[i]``.

    The usual cure for class imbalance: give each sample the weight ``1 / count(its
    class)`` and every class is drawn equally often. With ``replacement=True`` (default)
    draws are independent: inverse-CDF sampling, ``i = min{k : F_k > u}`` with ``F`` the
    normalised cumulative weights and ``u ~ U[0, 1)``. Without replacement it takes the
    ``num_samples`` largest ``log w_i - log(-log u_i)`` (the Gumbel top-k trick, which
    gives the same distribution as drawing one index at a time and removing it).
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights.tolist() if hasattr(weights, "tolist") else list(weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (weights must be finite, "
                               "non-negative and not all zero)")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               f"replacement (num_samples={num_samples}, non-zero weights="
                               f"{np.count_nonzero(w)})")
        _check_generator(generator)
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        """With replacement the draws are made lazily, ``_CHUNK`` at a time."""
        if self.replacement:
            cdf = np.cumsum(self.weights)
            cdf /= cdf[-1]
            left = self.num_samples
            while left > 0:
                u = _uniform(min(left, _CHUNK), self.generator)
                yield from np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1).tolist()
                left -= len(u)
            return
        u = _uniform(len(self.weights), self.generator)
        with np.errstate(divide="ignore"):
            keys = np.log(self.weights) - np.log(-np.log(np.maximum(u, 1e-300)))
        yield from np.argsort(-keys, kind="stable")[: self.num_samples].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    The last batch is smaller when the length is not a multiple of ``batch_size``, unless
    ``drop_last=True`` drops it. ``len`` is ``ceil(n / batch_size)`` (or ``floor`` with
    ``drop_last``).

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]
