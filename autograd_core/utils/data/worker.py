"""What runs inside a `DataLoader` worker process.

A worker is a loop: take a task ``(idx, indices)`` from its own index queue, fetch and
collate that batch, and put ``(idx, batch)`` on the data queue shared by all workers; the
main process puts the batches back in ``idx`` order. ``None`` on the index queue means
"stop".

Randomness: worker ``k`` starts from ``seed = base_seed + k``, where the main process
derives ``base_seed`` from the state of the loader's ``generator`` (or of the global
generator) and the epoch number each time it starts workers. The worker seeds
``autograd_core``, Python's `random` and NumPy's global generator from it, so random
augmentations differ between workers and epochs but repeat from run to run under
``autograd_core.manual_seed``. Inside a worker, `get_worker_info` says which one it is,
e.g. to shard an `IterableDataset`.

Failures: an exception in the dataset, ``collate_fn`` or ``worker_init_fn`` is sent to
the main process with its traceback as text (`ExceptionWrapper`) and raised there.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from typing import Any

from ._fetch import make_fetcher
from ._transfer import pack, unpack

# Seconds between two looks at whether the main process is alive and still wants batches.
_STATUS_INTERVAL = 0.25


class WorkerInfo:
    """Who this worker is: ``id`` (0 .. ``num_workers`` - 1), ``num_workers``, ``seed``
    (what ``autograd_core`` was seeded with here) and ``dataset`` (this process's copy)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects "
                           f"(tried to set {key!r}); it describes the worker and is read-only")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self._keys)
        return f"{type(self).__name__}({fields})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a `DataLoader` worker process, its `WorkerInfo`; in the main process, None.

    The usual use is sharding an `IterableDataset` so that workers do not all yield the
    same samples::

        info = get_worker_info()
        start = 0 if info is None else info.id
        step = 1 if info is None else info.num_workers
        yield from itertools.islice(stream, start, None, step)
    """
    return _worker_info


class _KeyErrorMessage(str):
    """A message that prints as itself inside a ``KeyError`` (whose ``str`` is a repr)."""

    def __repr__(self) -> str:
        return str(self)


class ExceptionWrapper:
    """An exception caught in a worker: its class and its traceback as text, to raise
    again in the main process."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_type, exc, tb = exc_info if exc_info is not None else sys.exc_info()
        self.exc_type = exc_type
        self.exc_name = exc_type.__name__
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        """Raise the worker's exception class with the worker's traceback in the message."""
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # the class wants other arguments: keep the text at least
            exception = RuntimeError(msg)
        try:
            raise exception
        finally:
            exception = None  # no frame -> exception -> traceback -> frame cycle


class _IterableDatasetStopIteration:
    """Reply of a worker whose copy of an `IterableDataset` is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch (and echoed back)."""


def _seed_worker(seed: int, worker_id: int, base_seed: int) -> None:
    import numpy as np

    from ... import manual_seed

    random.seed(seed)
    manual_seed(seed)
    # NumPy's legacy global seed takes 32-bit words: derive them from both numbers.
    np.random.seed(np.random.SeedSequence([base_seed, worker_id]).generate_state(4))


def _reply(data_queue, idx, data) -> None:
    """Put ``(idx, data)`` on the data queue as bytes; a batch that cannot be pickled
    becomes an error for the main process instead of a lost message."""
    try:
        message = pack((idx, data))
    except Exception:
        where = "while sending a batch from a DataLoader worker process (the batch must be picklable)"
        message = pack((idx, _plain_wrapper(ExceptionWrapper(where=where))))
    data_queue.put(message)


def _plain_wrapper(wrapper: ExceptionWrapper) -> ExceptionWrapper:
    """``wrapper`` itself if its exception class pickles, else the same text as a RuntimeError."""
    try:
        pack(wrapper.exc_type)
    except Exception:
        wrapper.exc_type = RuntimeError
    return wrapper


def _worker_loop(payload, is_iterable: bool, index_queue, data_queue, done_event,
                 auto_collation: bool, drop_last: bool, batch_size: int | None,
                 default_collation: bool, base_seed: int, worker_id: int, num_workers: int) -> None:
    """The body of worker process ``worker_id`` (see the module docstring)."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        init_error, fetcher = None, None
        try:
            dataset, collate_fn, init_fn = unpack(payload) if isinstance(payload, bytes) else payload
            seed = base_seed + worker_id
            _seed_worker(seed, worker_id, base_seed)
            _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                      dataset=dataset)
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last,
                                   batch_size, default_collation)
        except Exception:
            # A worker that could not start answers every task with the reason.
            init_error = _plain_wrapper(ExceptionWrapper(where=where))

        parent = os.getppid()
        iteration_end = False
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=_STATUS_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break  # stopped by a main process that could not send None
                continue
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                _reply(data_queue, task, None)
                iteration_end = False
                if fetcher is not None:  # a new epoch: a new pass over an iterable dataset
                    try:
                        fetcher = make_fetcher(dataset, is_iterable, auto_collation, collate_fn,
                                               drop_last, batch_size, default_collation)
                    except Exception:
                        init_error = _plain_wrapper(ExceptionWrapper(where=where))
                continue
            if done_event.is_set() or iteration_end:
                continue  # the main process no longer wants batches: wait for None
            idx, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if is_iterable:  # this worker's copy of the stream is exhausted
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                    else:  # a map-style dataset raising StopIteration is an error
                        data = _plain_wrapper(ExceptionWrapper(where=where))
                except Exception:
                    data = _plain_wrapper(ExceptionWrapper(where=where))
            _reply(data_queue, idx, data)
            del data, idx, index, task  # drop the batch before waiting for the next task
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches every process of the group; the main process reports it
    if done_event.is_set():
        # Batches the main process will never read must not keep this process alive.
        data_queue.cancel_join_thread()
        data_queue.close()


__all__ = ["WorkerInfo", "get_worker_info"]
