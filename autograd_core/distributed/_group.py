"""The default process group: `init_process_group`, `destroy_process_group`, `get_rank`,
`get_world_size`, `is_initialized`, `get_backend`.

Rank and world size come from the MPI launcher (``mpirun -n 4 python train.py``: every
process learns its place from MPI). The usual variables (``RANK``, ``WORLD_SIZE``) and the
``rank=`` / ``world_size=`` arguments are checked against it, never trusted over it.
"""

from __future__ import annotations

import datetime
import os

from .._backend import cupy_part
from ._errors import NOT_INITIALIZED
from ._mpi_world import MpiWorld, install_failure_hook, uninstall_failure_hook

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
_BACKENDS = ("mpi", "nccl")


class ProcessGroup:
    """All the ranks of the job, with one communication backend (``"mpi"`` or ``"nccl"``)."""

    def __init__(self, world: MpiWorld, backend) -> None:
        self.world = world
        self.backend = backend

    def rank(self) -> int:
        return self.world.rank

    def size(self) -> int:
        return self.world.size

    def name(self) -> str:
        return self.backend.name

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend.name!r}, rank={self.rank()}, size={self.size()})"


class _Group:
    """``dist.group.WORLD``: the default group once initialised (None before)."""

    WORLD: ProcessGroup | None = None


group = _Group()


def _seconds(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")


def _check_place(name: str, given: int, env: str, actual: int) -> None:
    """``rank=`` / ``world_size=`` (or the environment's) must agree with MPI's."""
    if given not in (-1, None) and int(given) != actual:
        raise ValueError(f"init_process_group: {name}={given} but the MPI launcher says {actual}; "
                         f"leave {name} unset (MPI decides it: mpirun -n N python script.py)")
    value = os.environ.get(env)
    if value is not None and value.strip() and int(value) != actual:
        raise ValueError(f"init_process_group: ${env}={value} but the MPI launcher says {actual}; "
                         f"unset {env} or start the job with mpirun")


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the default process group. ``backend``: ``"mpi"`` (CPU or GPU tensors, the
    latter staged through the host) or ``"nccl"`` (GPU tensors, device to device).
    ``timeout``: how long a collective may wait for the others before raising."""
    if group.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in _BACKENDS:
        raise ValueError(f"init_process_group: backend {backend!r} is not available here; "
                         f"choose one of {list(_BACKENDS)} ('mpi' on the CPU, 'nccl' on GPUs)")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("init_process_group: the processes find each other through MPI; "
                         "init_method and store are not used -- start the job with mpirun")
    world = MpiWorld(_seconds(timeout))
    _check_place("rank", rank, "RANK", world.rank)
    _check_place("world_size", world_size, "WORLD_SIZE", world.size)
    if name == "nccl":
        from ._nccl_backend import NcclBackend, make_communicator

        impl = NcclBackend(world, make_communicator(world))
    else:
        from ._mpi_backend import MpiBackend

        impl = MpiBackend(world)
    group.WORLD = ProcessGroup(world, impl)
    install_failure_hook(world)


def destroy_process_group(group_: ProcessGroup | None = None) -> None:
    """Leave the default group (collectives raise again until the next init)."""
    pg = group.WORLD
    if pg is None:
        raise ValueError(NOT_INITIALIZED)
    if group_ is not None and group_ is not pg:
        raise ValueError("destroy_process_group: only the default group exists here")
    uninstall_failure_hook()
    pg.backend.close()
    pg.world.free()
    group.WORLD = None


def is_available() -> bool:
    """Whether the package can be used (it always can; the backends need mpi4py)."""
    return True


def is_initialized() -> bool:
    return group.WORLD is not None


def is_mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    try:
        cupy_part("cuda.nccl")
    except ImportError:
        return False
    return True


def default_group(group_: ProcessGroup | None = None) -> ProcessGroup:
    """The group a call works on; ValueError when ``init_process_group`` was not called."""
    pg = group.WORLD
    if pg is None:
        raise ValueError(NOT_INITIALIZED)
    if group_ is not None and group_ is not pg:
        raise ValueError("only the default group (None or dist.group.WORLD) exists here")
    return pg


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, 0..world_size-1."""
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes the job has."""
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    return default_group(group).name()
