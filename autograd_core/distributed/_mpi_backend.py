"""The ``"mpi"`` backend: each collective is one non-blocking MPI call on NumPy buffers.

Tensors on a GPU are staged through host memory (copy down, communicate, copy up); use the
``"nccl"`` backend to keep GPU tensors on the device. Every method takes the caller's arrays
(already checked for shape and dtype across ranks) and returns a `Work`.
"""

from __future__ import annotations

import numpy as np

from .._backend import backend_of
from ._mpi_world import MpiWorld
from ._reduce_op import ReduceOp
from ._work import Work


class _Staged:
    """A contiguous host buffer for an array of any device; ``commit`` writes it back."""

    def __init__(self, array, copy_in: bool = True) -> None:
        self.array = array
        self.backend = backend_of(array)
        on_host = self.backend.device_type == "cpu"
        if on_host and array.flags.c_contiguous and array.flags.writeable:
            self.host, self.shared = array, True
        else:
            host = self.backend.to_numpy(array) if copy_in else np.empty(array.shape, array.dtype)
            self.host, self.shared = np.ascontiguousarray(host).copy(), False

    def commit(self) -> None:
        if self.shared:
            return
        if self.backend.device_type == "cpu":
            self.array[...] = self.host
        else:
            self.array[...] = self.backend.from_numpy(self.host, self.backend.device_of(
                self.array).index)


class MpiBackend:
    name = "mpi"

    def __init__(self, world: MpiWorld) -> None:
        self.world = world
        MPI = world.MPI
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                     ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}

    def _work(self, requests: list, what: str, finish=None, result=None) -> Work:
        world = self.world
        return Work(lambda s: world.wait(requests, what, s), lambda: world.test(requests),
                    finish, result)

    @staticmethod
    def _buffer(host: np.ndarray):
        if host.dtype == np.bool_:  # MPI has no bool type: the same bytes as uint8
            return host.view(np.uint8)
        return host

    def _average(self, host: np.ndarray) -> None:
        host /= host.dtype.type(self.world.size)

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, array, op: ReduceOp, what: str = "all_reduce") -> Work:
        staged = _Staged(array)
        request = self.world.data.Iallreduce(self.world.MPI.IN_PLACE, self._buffer(staged.host),
                                             op=self._ops[op])

        def finish():
            if op is ReduceOp.AVG:
                self._average(staged.host)
            staged.commit()
        return self._work([request], what, finish)

    def broadcast(self, array, src: int) -> Work:
        staged = _Staged(array, copy_in=self.world.rank == src)
        request = self.world.data.Ibcast(self._buffer(staged.host), root=src)
        return self._work([request], "broadcast", staged.commit)

    def all_gather(self, outputs: list, array) -> Work:
        send = _Staged(array)
        rows = np.empty((self.world.size,) + tuple(array.shape), dtype=array.dtype)
        request = self.world.data.Iallgather(self._buffer(send.host), self._buffer(rows))
        targets = [_Staged(out, copy_in=False) for out in outputs]

        def finish():
            for target, row in zip(targets, rows):
                target.host[...] = row
                target.commit()
        return self._work([request], "all_gather", finish)

    def all_gather_into(self, output, array) -> Work:
        send = _Staged(array)
        target = _Staged(output, copy_in=False)
        request = self.world.data.Iallgather(self._buffer(send.host), self._buffer(target.host))
        return self._work([request], "all_gather_into_tensor", target.commit)

    def reduce_scatter(self, output, inputs: list, op: ReduceOp) -> Work:
        send = np.ascontiguousarray(np.stack([_Staged(x).host for x in inputs]))
        target = _Staged(output, copy_in=False)
        request = self.world.data.Ireduce_scatter_block(self._buffer(send),
                                                        self._buffer(target.host),
                                                        op=self._ops[op])

        def finish():
            if op is ReduceOp.AVG:
                self._average(target.host)
            target.commit()
        return self._work([request], "reduce_scatter", finish)

    def barrier(self) -> Work:
        return self._work([self.world.data.Ibarrier()], "barrier")

    def send(self, array, dst: int, tag: int) -> Work:
        staged = _Staged(array)
        return self._work([self.world.data.Isend(self._buffer(staged.host), dest=dst, tag=tag)],
                          f"send to rank {dst}")

    def recv(self, array, src: int, tag: int) -> Work:
        staged = _Staged(array, copy_in=False)
        request = self.world.data.Irecv(self._buffer(staged.host), source=src, tag=tag)
        return self._work([request], f"recv from rank {src}", staged.commit)

    def close(self) -> None:
        pass


def check_reducible(op: ReduceOp, dtype, what: str) -> None:
    """AVG needs a floating dtype; the bitwise ops an integer (or bool) one."""
    kind = np.dtype(dtype).kind
    if op is ReduceOp.AVG and kind not in "fc":
        raise ValueError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}; "
                               "use ReduceOp.SUM and divide by get_world_size() yourself")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "iub":
        raise ValueError(f"{what}: {op!r} needs an integer or bool tensor, got {dtype}")
