"""``autograd_core.distributed`` plays ``torch.distributed``: data-parallel training across
processes (and machines) on MPI, and across GPUs on NCCL.

Start a job with ``mpirun -n 4 python train.py`` (or ``python -m autograd_core.distributed.run
--nproc 4 train.py``); in the script::

    import autograd_core.distributed as dist
    dist.init_process_group("mpi")              # rank and world size come from mpirun
    model = nn.parallel.DistributedDataParallel(model)
    sampler = utils.data.DistributedSampler(dataset)   # each rank its share of the data

Collectives (in place on each rank's tensor, R ranks):

=========================  ===============================================================
``all_reduce(t, op)``      t <- op over ranks of t_r (SUM, AVG, PRODUCT, MIN, MAX, ...)
``broadcast(t, src)``      t <- t_src
``all_gather(ts, t)``      ts[r] <- t_r
``all_gather_into_tensor`` out <- concatenation of t_0 .. t_{R-1}
``reduce_scatter(o, ts)``  o on rank r <- op over ranks of their ts[r]
``send / recv``            point to point (``isend`` / ``irecv`` start them)
``barrier()``              wait for everyone
=========================  ===============================================================

``async_op=True`` returns a `Work` handle: ``wait()`` before reading the result.
A collective before `init_process_group` raises ValueError; shapes that differ across ranks
raise RuntimeError naming each rank's shape; a rank that fails (or never arrives) makes the
others raise `DistBackendError` within the group's timeout rather than hang.
"""

from ._collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    irecv,
    isend,
    recv,
    reduce_scatter,
    send,
)
from ._errors import DistBackendError, DistError
from ._group import (
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from ._reduce_op import ReduceOp
from ._work import Work

__all__ = [
    "DistBackendError", "DistError", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_reduce", "barrier", "broadcast", "destroy_process_group",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "irecv",
    "is_available", "is_initialized", "is_mpi_available", "is_nccl_available", "isend", "recv",
    "reduce_scatter", "send",
]
