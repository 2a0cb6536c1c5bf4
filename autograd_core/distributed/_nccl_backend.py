"""The ``"nccl"`` backend: collectives between GPUs through NCCL (``cupy.cuda.nccl``).

NCCL moves device memory directly (NVLink, PCIe, InfiniBand); MPI is only the bootstrap
(rank 0 makes the NCCL unique id and broadcasts it) and the side channel for shapes and
failures. Each collective is enqueued on the current CUDA stream, followed by an event;
``wait()`` polls the event with the group's deadline and, on a timeout, aborts the NCCL
communicator so that no kernel waits forever.

Not run on a GPU in this project's CI: the code path is exercised on the fake CuPy module
with a one-rank stand-in communicator (tests/test_distributed_nccl_fake.py).
"""

from __future__ import annotations

import time

import numpy as np

from .._backend import backend_of, cuda_backend, cupy_part
from ._errors import DistBackendError
from ._mpi_world import MpiWorld
from ._reduce_op import ReduceOp
from ._work import Work

# NCCL's ncclDataType_t and ncclRedOp_t codes (stable across NCCL 2.x)
_DTYPES = {np.dtype(np.int8): 0, np.dtype(np.uint8): 1, np.dtype(np.int32): 2,
           np.dtype(np.uint32): 3, np.dtype(np.int64): 4, np.dtype(np.uint64): 5,
           np.dtype(np.float16): 6, np.dtype(np.float32): 7, np.dtype(np.float64): 8,
           np.dtype(np.bool_): 1}
_OPS = {ReduceOp.SUM: 0, ReduceOp.PRODUCT: 1, ReduceOp.MAX: 2, ReduceOp.MIN: 3, ReduceOp.AVG: 4}


def make_communicator(world: MpiWorld):
    """An ``NcclCommunicator`` for this rank, its id broadcast from rank 0 over MPI."""
    backend = cuda_backend()
    if backend is None:
        raise RuntimeError("the 'nccl' backend needs CuPy and a CUDA GPU; use backend='mpi' on "
                           "the CPU")
    try:
        nccl = cupy_part("cuda.nccl")
    except ImportError as exc:
        raise RuntimeError("the 'nccl' backend needs CuPy built with NCCL (cupy.cuda.nccl); "
                           "install NCCL or use backend='mpi'") from exc
    uid = np.zeros(128, dtype=np.int64)
    if world.rank == 0:
        uid[:] = nccl.get_unique_id()
    world.wait([world.meta.Ibcast(uid, root=0)], "init_process_group (NCCL id)")
    return nccl.NcclCommunicator(world.size, tuple(int(v) for v in uid), world.rank)


class NcclBackend:
    name = "nccl"

    def __init__(self, world: MpiWorld, communicator, xp=None) -> None:
        self.world = world
        self.comm = communicator
        self.xp = xp if xp is not None else cuda_backend().xp

    # stream and event plumbing (small methods, replaced on the fake CuPy in tests)
    def _stream(self) -> int:
        return self.xp.cuda.get_current_stream().ptr

    def _record(self):
        event = self.xp.cuda.Event(disable_timing=True)
        event.record()
        return event

    @staticmethod
    def _done(event) -> bool:
        return event.done

    def _work(self, event, what: str, finish=None) -> Work:
        world = self.world

        def wait(seconds):
            limit = world.timeout_s if seconds is None else seconds
            deadline = time.monotonic() + limit
            while not self._done(event):
                world.check_peers(what)
                if time.monotonic() > deadline:
                    self.comm.abort()
                    world.broken = (f"{what} (NCCL) timed out on rank {world.rank} after "
                                    f"{limit:g} s; the NCCL communicator was aborted")
                    raise DistBackendError(world.broken)
                time.sleep(0.0002)
        return Work(wait, lambda: self._done(event), finish)

    def _check_device(self, array, what: str):
        if backend_of(array).device_type != "cuda":
            raise RuntimeError(f"{what}: the 'nccl' backend communicates CUDA tensors, got a "
                               f"tensor on {backend_of(array).device_of(array)}; move it with "
                               ".cuda() or use backend='mpi'")
        if array.dtype not in _DTYPES:
            raise TypeError(f"{what}: NCCL cannot communicate dtype {array.dtype}")

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.xp.ascontiguousarray(array)

    @staticmethod
    def _put_back(array, buffer) -> None:
        if buffer is not array:
            array[...] = buffer

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, array, op: ReduceOp, what: str = "all_reduce") -> Work:
        self._check_device(array, what)
        if op not in _OPS:
            raise ValueError(f"{what}: NCCL has no {op!r}")
        buf = self._contiguous(array)
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, _DTYPES[buf.dtype], _OPS[op],
                            self._stream())
        return self._work(self._record(), what, lambda: self._put_back(array, buf))

    def broadcast(self, array, src: int) -> Work:
        self._check_device(array, "broadcast")
        buf = self._contiguous(array)
        self.comm.bcast(buf.data.ptr, buf.size, _DTYPES[buf.dtype], src, self._stream())
        return self._work(self._record(), "broadcast", lambda: self._put_back(array, buf))

    def all_gather(self, outputs: list, array) -> Work:
        self._check_device(array, "all_gather")
        send = self._contiguous(array)
        rows = self.xp.empty((self.world.size,) + tuple(array.shape), dtype=array.dtype)
        self.comm.allGather(send.data.ptr, rows.data.ptr, send.size, _DTYPES[send.dtype],
                            self._stream())

        def finish():
            for out, i in zip(outputs, range(self.world.size)):
                out[...] = rows[i]
        return self._work(self._record(), "all_gather", finish)

    def all_gather_into(self, output, array) -> Work:
        self._check_device(array, "all_gather_into_tensor")
        send, recv = self._contiguous(array), self._contiguous(output)
        self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, _DTYPES[send.dtype],
                            self._stream())
        return self._work(self._record(), "all_gather_into_tensor",
                          lambda: self._put_back(output, recv))

    def reduce_scatter(self, output, inputs: list, op: ReduceOp) -> Work:
        self._check_device(output, "reduce_scatter")
        send = self.xp.stack(inputs)
        recv = self._contiguous(output)
        self.comm.reduceScatter(send.data.ptr, recv.data.ptr, recv.size, _DTYPES[recv.dtype],
                                _OPS[op], self._stream())
        return self._work(self._record(), "reduce_scatter", lambda: self._put_back(output, recv))

    def barrier(self) -> Work:
        one = self.xp.zeros(1, dtype=np.float32)
        return self.all_reduce(one, ReduceOp.SUM, "barrier")

    def send(self, array, dst: int, tag: int) -> Work:
        self._check_device(array, "send")
        buf = self._contiguous(array)
        self.comm.send(buf.data.ptr, buf.size, _DTYPES[buf.dtype], dst, self._stream())
        return self._work(self._record(), f"send to rank {dst}")

    def recv(self, array, src: int, tag: int) -> Work:
        self._check_device(array, "recv")
        buf = self._contiguous(array)
        self.comm.recv(buf.data.ptr, buf.size, _DTYPES[buf.dtype], src, self._stream())
        return self._work(self._record(), f"recv from rank {src}",
                          lambda: self._put_back(array, buf))

    def close(self) -> None:
        destroy = getattr(self.comm, "destroy", None)
        if destroy is not None:
            destroy()
