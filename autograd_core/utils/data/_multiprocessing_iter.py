"""The main-process side of a `DataLoader` with ``num_workers > 0``.

Each worker has its own index queue; all of them answer on one data queue. The iterator
keeps ``prefetch_factor * num_workers`` tasks in flight, handing them out round-robin,
and returns the batches in task order (the order the sampler gave), keeping the ones
that arrive early until their turn: the batches are the same, in the same order, as with
``num_workers=0``.

Nothing waits forever: the data queue is read with a short timeout, and after each one
the iterator checks that its workers are alive. A dead worker (killed, out of memory)
becomes a ``RuntimeError``; so does no batch within ``timeout`` seconds, if set.
Workers are stopped (asked, then terminated if they do not answer) and joined when the
epoch ends (unless ``persistent_workers``), when the iterator is garbage-collected, or
when an error makes it unusable.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import signal
import sys
import time
from typing import Any

from ._transfer import pack, unpack
from .worker import ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration, _worker_loop

# Seconds between two checks that the workers are alive while waiting for a batch.
_POLL_INTERVAL = 0.5
# Seconds a stopping worker gets to exit by itself before it is terminated.
_JOIN_TIMEOUT = 5.0


def default_context() -> multiprocessing.context.BaseContext:
    """``fork`` where the platform offers it safely (Linux and other Unixes: workers start
    fast and need no pickling), else the platform's default (``spawn``)."""
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit code {code}"


class _MultiProcessingDataLoaderIter:
    """Iterator over the batches of ``loader``, loaded by ``loader.num_workers`` processes."""

    def __init__(self, loader, base_seed: int) -> None:
        self._shutdown = True  # nothing to stop until the workers exist
        self._owner_pid = os.getpid()
        self._loader = loader
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._prefetch = loader.prefetch_factor * loader.num_workers
        ctx = loader.multiprocessing_context or default_context()
        payload: Any = (loader.dataset, loader.collate_fn, loader.worker_init_fn)
        if ctx.get_start_method() != "fork":
            payload = _pack_for_spawn(payload, ctx.get_start_method())
        self._data_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues: list = []
        self._workers: list = []
        self._shutdown = False
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                worker = ctx.Process(
                    target=_worker_loop, daemon=True,
                    args=(payload, loader._is_iterable, index_queue, self._data_queue,
                          self._done_event, loader._auto_collation, loader.drop_last,
                          loader.batch_size, loader._default_collate, base_seed, worker_id,
                          self._num_workers))
                worker.start()
                self._index_queues.append(index_queue)
                self._workers.append(worker)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(first_epoch=True)

    # ------------------------------------------------------------------ epochs
    def _reset(self, first_epoch: bool = False) -> None:
        """Start an epoch: a fresh pass of the sampler, then fill the pipeline."""
        self._sampler_iter = iter(self._loader._index_sampler)
        self._send_idx = 0  # next task number to hand out
        self._rcvd_idx = 0  # next task number to return
        self._task_worker: dict[int, int] = {}  # task number -> worker, until returned
        self._early: dict[int, Any] = {}  # batches that arrived before their turn
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_epoch:
            # Persistent workers: tell each one a new epoch starts and drop whatever the
            # previous (possibly abandoned) epoch still had in flight.
            for q in self._index_queues:
                q.put(_ResumeIteration())
            waiting = self._num_workers
            while waiting:
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._outstanding >= self._prefetch:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return  # every worker's stream is exhausted
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._outstanding += 1
        self._send_idx += 1

    # ------------------------------------------------------------------ batches
    def __iter__(self) -> _MultiProcessingDataLoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self) -> Any:
        while True:
            self._skip_settled_tasks()
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._early:
                return self._deliver(self._rcvd_idx, self._early.pop(self._rcvd_idx))
            idx, data = self._get_data()
            if isinstance(idx, _ResumeIteration):
                continue
            self._outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                self._active[data.worker_id] = False
                if not self._persistent:
                    self._index_queues[data.worker_id].put(None)  # let it exit now
                self._try_put_index()
                continue
            if idx == self._rcvd_idx or not self._in_order:
                return self._deliver(idx, data)
            self._early[idx] = data

    def _skip_settled_tasks(self) -> None:
        """Move past tasks already returned out of order (``in_order=False``) and tasks of
        workers whose iterable dataset ran out (no answer will come)."""
        while self._rcvd_idx < self._send_idx:
            early = self._early.get(self._rcvd_idx, _MISSING)
            if early is _ANSWERED:
                del self._early[self._rcvd_idx]
            elif early is _MISSING and not self._active[self._task_worker[self._rcvd_idx]]:
                del self._task_worker[self._rcvd_idx]
            else:
                return
            self._rcvd_idx += 1

    def _deliver(self, idx: int, data: Any) -> Any:
        del self._task_worker[idx]
        if idx == self._rcvd_idx:
            self._rcvd_idx += 1
        else:
            self._early[idx] = _ANSWERED
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self) -> tuple[Any, Any]:
        """The next ``(task number, batch)`` from any worker, checking on the workers
        while waiting (see the module docstring)."""
        if self._shutdown:
            raise RuntimeError("this DataLoader iterator's workers were shut down after an error; "
                               "start a new epoch with iter(loader)")
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL_INTERVAL if deadline is None else \
                max(0.0, min(_POLL_INTERVAL, deadline - time.monotonic()))
            try:
                message = self._data_queue.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    self._shutdown_workers(graceful=False)
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds: no "
                                       "batch arrived from the workers in that time; raise "
                                       "timeout= (or set 0 to wait forever)") from None
                continue
            return unpack(message)

    def _check_workers(self) -> None:
        dead = [w for i, w in enumerate(self._workers) if self._active[i] and not w.is_alive()]
        if dead:
            what = ", ".join(f"pid {w.pid}: {_describe_exit(w.exitcode)}" for w in dead)
            self._shutdown_workers(graceful=False)
            raise RuntimeError(
                f"DataLoader worker (pid(s) {', '.join(str(w.pid) for w in dead)}) exited "
                f"unexpectedly ({what}). A worker killed by SIGKILL was often out of memory: "
                "try fewer workers or a smaller batch_size; run with num_workers=0 to see "
                "the error in the main process.") from None

    # ------------------------------------------------------------------ shutdown
    def _shutdown_workers(self, graceful: bool = True) -> None:
        """Stop and join every worker; safe to call more than once. ``graceful``: give them
        `_JOIN_TIMEOUT` seconds to finish their task and exit; else terminate at once."""
        if self._shutdown or os.getpid() != self._owner_pid:
            return  # already stopped, or a forked copy of this object in another process
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + (_JOIN_TIMEOUT if graceful else 0.0)
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join()
        for q in [*self._index_queues, self._data_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:
            pass


_ANSWERED = object()  # marks a task returned out of order (in_order=False)
_MISSING = object()


def _pack_for_spawn(payload: tuple, method: str) -> bytes:
    try:
        return pack(payload)
    except Exception as e:
        if hasattr(e, "add_note"):
            e.add_note(f"With the {method!r} start method each DataLoader worker receives the "
                       "dataset, collate_fn and worker_init_fn pickled: define them at module "
                       "level (no lambdas or local classes), or use multiprocessing_context='fork'.")
        raise
