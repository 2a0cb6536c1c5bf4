"""The MPI side of a process group: three communicators, waiting with a deadline, and the
failure channel that stops the other ranks when one raises.

Every collective in this package is a *non-blocking* MPI request (``Iallreduce``,
``Ibcast``, ...). Waiting for it is a loop that

1. tests the requests (which also drives MPI's progress engine),
2. checks the failure channel: a rank that raised sends ``(rank, error)`` to every other
   rank on its own communicator; a waiting rank that receives it raises
   `DistBackendError` naming that rank and its error,
3. checks the deadline (``init_process_group(timeout=...)``): past it, `DistBackendError`
   says which collective on which rank timed out.

So a blocked rank never hangs forever. An uncaught exception on any rank runs the hook
installed by `install_failure_hook`: print the traceback, tell the others, wait a moment for
them to report, then ``MPI_Abort`` so that ``mpirun`` ends the job (a rank that merely exits
would wait forever in ``MPI_Finalize`` for peers still blocked in a collective).
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

from ._errors import DistBackendError

_FAILURE_TAG = 77
# seconds a failing rank waits before MPI_Abort, so the others can print their error first
ABORT_GRACE_S = float(os.environ.get("AUTOGRAD_CORE_DIST_ABORT_GRACE", "2.0"))


def load_mpi():
    """mpi4py's MPI module, or ImportError saying how to get it."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "the 'mpi' and 'nccl' backends need mpi4py and an MPI library: install OpenMPI "
            "(apt-get install openmpi-bin libopenmpi-dev) and then pip install mpi4py "
            "(or pip install 'autograd-core[dist]')") from exc
    return MPI


class MpiWorld:
    """COMM_WORLD duplicated three times: data, metadata (shapes), failures. Separate
    communicators keep the three kinds of messages from ever matching each other."""

    def __init__(self, timeout_s: float) -> None:
        MPI = load_mpi()
        self.MPI = MPI
        world = MPI.COMM_WORLD
        self.data = world.Dup()
        self.meta = world.Dup()
        self.failures = world.Dup()
        self.rank = world.Get_rank()
        self.size = world.Get_size()
        self.timeout_s = timeout_s
        self.peer_error: tuple | None = None
        self.broken: str | None = None  # why this group may not be used again

    # ------------------------------------------------------------------ waiting
    def wait(self, requests: list, what: str, timeout_s: float | None = None) -> None:
        """Wait for all ``requests``; raise `DistBackendError` on a peer's failure or at the
        deadline (``timeout_s``, else the group's timeout)."""
        if self.broken is not None:
            raise DistBackendError(self.broken)
        testall = self.MPI.Request.Testall
        limit = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + limit
        spins = 0
        busy_until = time.monotonic() + 0.001
        while not testall(requests):
            self.check_peers(what)
            if time.monotonic() > deadline:
                self.broken = (
                    f"{what} timed out on rank {self.rank} after {limit:g} s (world size "
                    f"{self.size}): some rank never joined it -- check that every rank calls "
                    f"the same collectives in the same order; raise "
                    f"init_process_group(timeout=...) if a rank is just slow")
                raise DistBackendError(self.broken)
            spins += 1
            # spin (each test drives MPI's progress) for low latency, then poll gently
            if spins % 16 == 0 and time.monotonic() > busy_until:
                time.sleep(0.0002)

    def test(self, requests: list) -> bool:
        """Whether all ``requests`` are done (drives MPI's progress, never blocks)."""
        return self.MPI.Request.Testall(requests)

    # ------------------------------------------------------------------ failures
    def check_peers(self, what: str) -> None:
        """Raise `DistBackendError` if another rank reported a failure."""
        if self.peer_error is None:
            status = self.MPI.Status()
            if not self.failures.iprobe(source=self.MPI.ANY_SOURCE, tag=_FAILURE_TAG,
                                        status=status):
                return
            rank, error = self.failures.recv(source=status.Get_source(), tag=_FAILURE_TAG)
            self.peer_error = (rank, error)
        rank, error = self.peer_error
        self.broken = (f"{what} on rank {self.rank} stopped: rank {rank} failed with {error}; "
                       f"this rank stops too (rank {rank}'s traceback shows the cause)")
        raise PeerFailure(self.broken)

    def notify_peers(self, error: str) -> None:
        """Tell every other rank that this one failed (best effort, never blocks)."""
        for r in range(self.size):
            if r != self.rank:
                try:
                    self.failures.isend((self.rank, error), dest=r, tag=_FAILURE_TAG)
                except Exception:  # noqa: BLE001  (best effort while failing)
                    pass

    def abort(self, code: int = 1) -> None:
        self.MPI.COMM_WORLD.Abort(code)

    def free(self) -> None:
        for comm in (self.data, self.meta, self.failures):
            try:
                comm.Free()
            except Exception:  # noqa: BLE001  (freeing after a failure may be refused)
                pass

    # ------------------------------------------------------------------ metadata
    def exchange_metadata(self, mine: np.ndarray, what: str) -> np.ndarray:
        """Every rank's row of int64 metadata, as a (size, len) array (an ``Iallgather``)."""
        rows = np.empty((self.size, mine.size), dtype=np.int64)
        request = self.meta.Iallgather(np.ascontiguousarray(mine, dtype=np.int64), rows)
        self.wait([request], what)
        return rows


class PeerFailure(DistBackendError):
    """Raised on a rank because another rank failed (it does not re-broadcast)."""


# ---------------------------------------------------------------------- the exception hook
_hook_lock = threading.Lock()
_installed: dict = {}


def install_failure_hook(world: MpiWorld) -> None:
    """On an uncaught exception: traceback, notify the other ranks, then MPI_Abort."""
    with _hook_lock:
        if "previous" in _installed:
            _installed["world"] = world
            return
        _installed["previous"] = sys.excepthook
        _installed["world"] = world

    def hook(exc_type, exc, tb):
        _installed["previous"](exc_type, exc, tb)
        current = _installed.get("world")
        if current is None:
            return
        if not isinstance(exc, PeerFailure):
            current.notify_peers(f"{exc_type.__name__}: {exc}")
            sys.stderr.flush()
            time.sleep(ABORT_GRACE_S)  # let the others print why they stop
        sys.stderr.flush()
        sys.stdout.flush()
        current.abort(1)

    sys.excepthook = hook


def uninstall_failure_hook() -> None:
    with _hook_lock:
        _installed.pop("world", None)
