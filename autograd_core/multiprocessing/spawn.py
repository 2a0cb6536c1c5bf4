"""``spawn``: start ``nprocs`` processes running ``fn(i, *args)`` and wait for them.

Like ``torch.multiprocessing.spawn``: a child that raises stops the others, and the parent
re-raises its traceback as `ProcessRaisedException`; a child that dies (signal, ``os._exit``)
raises `ProcessExitedException`.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
from collections.abc import Callable


class ProcessException(Exception):
    """A spawned process failed; ``error_index`` is its rank, ``pid`` its process id."""

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised an exception (its traceback is in the message)."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn: Callable, rank: int, args: tuple, error_queue) -> None:
    """The body of each child: ``fn(rank, *args)``; a traceback goes back to the parent."""
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes `start_processes` started; `join` waits and reports the first failure."""

    def __init__(self, processes: list, error_queues: list) -> None:
        self.processes = processes
        self.error_queues = error_queues
        self.sentinels = {p.sentinel: rank for rank, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True once every process has finished successfully.

        When one fails, the others are terminated and its error is raised here.
        """
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            rank = self.sentinels.pop(sentinel)
            self.processes[rank].join()
            if self.processes[rank].exitcode != 0:
                failed = rank
                break
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        self._raise(failed)

    def _raise(self, rank: int):
        process, queue = self.processes[rank], self.error_queues[rank]
        if queue.empty():
            code = process.exitcode
            if code < 0:
                name = signal.Signals(-code).name
                raise ProcessExitedException(f"process {rank} terminated with signal {name}",
                                             rank, process.pid, code, name)
            raise ProcessExitedException(f"process {rank} terminated with exit code {code}",
                                         rank, process.pid, code)
        trace = queue.get()
        raise ProcessRaisedException(f"\n\n-- Process {rank} terminated with the following error:\n{trace}",
                                     rank, process.pid)


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Start ``nprocs`` processes of ``start_method`` running ``fn(i, *args)``.

    With ``join=True`` wait for all of them (raising the first failure) and return None;
    otherwise return the `ProcessContext`.
    """
    from .reductions import init_reductions

    init_reductions()
    ctx = multiprocessing.get_context(start_method)
    processes, queues = [], []
    for rank in range(nprocs):
        queue = ctx.SimpleQueue()
        process = ctx.Process(target=_run, args=(fn, rank, args, queue), daemon=daemon)
        process.start()
        processes.append(process)
        queues.append(queue)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """`start_processes` with the ``spawn`` start method by default (PyTorch's ``mp.spawn``)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
