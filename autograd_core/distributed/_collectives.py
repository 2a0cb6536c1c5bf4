"""The collectives and point-to-point calls on tensors (PyTorch's names and arguments).

Before any data moves, the ranks exchange what they are about to do (which call, its root or
op, dtype and shape) in one small ``Iallgather``; a mismatch raises on every rank with the
shapes of all of them, instead of MPI reading past a buffer or hanging. Results are written
into the caller's tensors in place (their version counters move, as for any in-place op).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._group import ProcessGroup, default_group
from ._mpi_backend import check_reducible
from ._reduce_op import ReduceOp
from ._work import CompletedWork, Work

_CALLS = ("all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
          "barrier")
_MAX_DIMS = 8


def _array(tensor, what: str, name: str = "tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: {name} must be a Tensor, got {type(tensor).__name__}")
    return tensor._data


def _bumped(tensors) -> None:
    for t in tensors:
        t._version_counter[0] += 1


def _describe(row) -> str:
    ndim = int(row[3])
    dims = [str(int(d)) for d in row[4:4 + min(ndim, _MAX_DIMS)]]
    shape = "(" + ", ".join(dims) + ("," if ndim == 1 else "") + (", ..." if ndim > _MAX_DIMS else "") + ")"
    return f"{shape} {_dtype_name(int(row[2]))}"


_DTYPE_NAMES: dict = {}


def _dtype_name(num: int) -> str:
    if not _DTYPE_NAMES:
        for code in "?bBhHiIlLqQefdgFD":
            _DTYPE_NAMES.setdefault(np.dtype(code).num, str(np.dtype(code)))
    return _DTYPE_NAMES.get(num, f"dtype#{num}")


def _row(what: str, array, extra: int = 0) -> np.ndarray:
    """This rank's metadata: (call, root/op/tag, dtype, ndim, shape...)."""
    row = np.full(4 + _MAX_DIMS, -1, dtype=np.int64)
    row[0] = _CALLS.index(what)
    row[1] = extra
    if array is not None:
        row[2] = array.dtype.num
        row[3] = array.ndim
        dims = list(array.shape[:_MAX_DIMS])
        if array.ndim > _MAX_DIMS:
            dims[-1] = int(np.prod(array.shape[_MAX_DIMS - 1:]))
        row[4:4 + len(dims)] = dims
    return row


def _check(rows: np.ndarray, row: np.ndarray, what: str) -> None:
    """Raise (the same error on every rank) if the ranks' rows differ."""
    calls = rows[:, 0]
    if (calls != row[0]).any():
        found = ", ".join(f"rank {r} called {_CALLS[int(c)]}" for r, c in enumerate(calls))
        raise RuntimeError(f"{what}: the ranks are not running the same collective ({found}); "
                           "every rank must issue the same collectives in the same order")
    if (rows[:, 1] != row[1]).any():
        found = ", ".join(f"rank {r}: {int(v)}" for r, v in enumerate(rows[:, 1]))
        raise RuntimeError(f"{what}: the ranks disagree on the root / op ({found}); pass the "
                           "same value on every rank")
    if (rows[:, 2:] != row[2:]).any():
        found = ", ".join(f"rank {r} has {_describe(x)}" for r, x in enumerate(rows))
        raise RuntimeError(f"{what}: tensor shapes or dtypes differ across ranks ({found}); "
                           "every rank must pass a tensor of the same shape and dtype")


def _agree(pg: ProcessGroup, what: str, array, extra: int = 0) -> None:
    """Exchange (call, extra, dtype, shape) and raise on every rank if they differ."""
    row = _row(what, array, extra)
    _check(pg.world.exchange_metadata(row, what), row, what)


class _Deferred:
    """An async collective in two stages: its metadata ``Iallgather`` starts at once, the
    data collective when that is done and checked. Stages advance in call order (the same
    order on every rank, as MPI requires) whenever any handle is tested or waited on, so
    communication proceeds while the caller computes (DDP's buckets during backward)."""

    def __init__(self, pg: ProcessGroup, what: str, row: np.ndarray, start) -> None:
        self.pg, self.what, self.row, self.start = pg, what, row, start
        self.rows = np.empty((pg.size(), row.size), dtype=np.int64)
        self.request = pg.world.meta.Iallgather(row, self.rows)
        self.inner: Work | None = None
        queue = pg.__dict__.setdefault("_deferred", [])
        queue.append(self)

    @staticmethod
    def advance(pg: ProcessGroup, until=None, seconds=None) -> None:
        """Start the data stage of every queued collective whose metadata has arrived (and
        block for those up to ``until``)."""
        queue = pg.__dict__.get("_deferred", [])
        while queue:
            head = queue[0]
            blocking = until is not None and until.inner is None
            if blocking:
                pg.world.wait([head.request], head.what, seconds)
            elif not pg.world.test([head.request]):
                return
            queue.pop(0)
            _check(head.rows, head.row, head.what)
            head.inner = head.start()

    def work(self, tensors) -> Work:
        def test() -> bool:
            _Deferred.advance(self.pg)
            return self.inner is not None and self.inner.is_completed()

        def wait(seconds) -> None:
            _Deferred.advance(self.pg, self, seconds)
            self.inner.wait(seconds)

        return Work(wait, test, lambda: _bumped(tensors))


def _run(pg: ProcessGroup, work: Work, async_op: bool, tensors) -> Work | None:
    if async_op:
        finish = work._finish

        def finish_and_bump():
            if finish is not None:
                finish()
            _bumped(tensors)
        work._finish = finish_and_bump
        return work
    work.wait()
    _bumped(tensors)
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Every rank's ``tensor`` becomes the elementwise ``op`` over all ranks (in place)."""
    pg = default_group(group)
    array = _array(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a dist.ReduceOp, got {op!r}")
    check_reducible(op, array.dtype, "all_reduce")
    if async_op:
        row = _row("all_reduce", array, op.value)
        return _Deferred(pg, "all_reduce", row, lambda: pg.backend.all_reduce(array, op)).work(
            [tensor])
    _agree(pg, "all_reduce", array, op.value)
    return _run(pg, pg.backend.all_reduce(array, op), async_op, [tensor])


def broadcast(tensor: Tensor, src: int, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Every rank's ``tensor`` becomes rank ``src``'s (in place)."""
    pg = default_group(group)
    array = _array(tensor, "broadcast")
    _check_rank(pg, src, "broadcast", "src")
    _agree(pg, "broadcast", array, src)
    return _run(pg, pg.backend.broadcast(array, src), async_op, [tensor])


def all_gather(tensor_list: list, tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """``tensor_list[r]`` becomes rank r's ``tensor``, on every rank."""
    pg = default_group(group)
    array = _array(tensor, "all_gather")
    if len(tensor_list) != pg.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors but the world "
                         f"size is {pg.size()}; pass one output tensor per rank")
    for i, out in enumerate(tensor_list):
        a = _array(out, "all_gather", f"tensor_list[{i}]")
        if a.shape != array.shape or a.dtype != array.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] is {tuple(a.shape)} {a.dtype} but the "
                             f"input is {tuple(array.shape)} {array.dtype}; make them alike")
    _agree(pg, "all_gather", array)
    outs = [t._data for t in tensor_list]
    return _run(pg, pg.backend.all_gather(outs, array), async_op, tensor_list)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor,
                           group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """``output_tensor`` (world_size * n, ...) or (world_size, n, ...) gets every rank's
    ``input_tensor`` (n, ...), rank by rank."""
    pg = default_group(group)
    array = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
    out = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
    size = pg.size()
    stacked = (size,) + tuple(array.shape)
    concatenated = ((array.shape[0] * size,) + tuple(array.shape[1:])) if array.ndim else None
    if out.dtype != array.dtype or (tuple(out.shape) != stacked and tuple(out.shape) != concatenated):
        raise ValueError(f"all_gather_into_tensor: output_tensor is {tuple(out.shape)} {out.dtype}, "
                         f"expected {concatenated or stacked} or {stacked} {array.dtype} "
                         f"(world size {size} times the input {tuple(array.shape)})")
    _agree(pg, "all_gather_into_tensor", array)
    return _run(pg, pg.backend.all_gather_into(out, array), async_op, [output_tensor])


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank r's ``output`` becomes ``op`` over all ranks of their ``input_list[r]``."""
    pg = default_group(group)
    out = _array(output, "reduce_scatter", "output")
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors but the world "
                         f"size is {pg.size()}; pass one input tensor per rank")
    inputs = [_array(t, "reduce_scatter", f"input_list[{i}]") for i, t in enumerate(input_list)]
    for i, a in enumerate(inputs):
        if a.shape != out.shape or a.dtype != out.dtype:
            raise ValueError(f"reduce_scatter: input_list[{i}] is {tuple(a.shape)} {a.dtype} but "
                             f"output is {tuple(out.shape)} {out.dtype}; make them alike")
    check_reducible(op, out.dtype, "reduce_scatter")
    _agree(pg, "reduce_scatter", out, op.value)
    return _run(pg, pg.backend.reduce_scatter(out, inputs, op), async_op, [output])


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids=None) -> Work | None:
    """Wait until every rank reaches its barrier."""
    pg = default_group(group)
    _agree(pg, "barrier", None)
    return _run(pg, pg.backend.barrier(), async_op, [])


def _check_rank(pg: ProcessGroup, r, what: str, name: str) -> None:
    if not isinstance(r, int) or not 0 <= r < pg.size():
        raise ValueError(f"{what}: {name}={r!r} is not a rank of this group (0..{pg.size() - 1})")


def _tag_check(tag: int, what: str) -> int:
    if not isinstance(tag, int) or tag < 0 or tag > 32767:
        raise ValueError(f"{what}: tag must be an int in 0..32767, got {tag!r}")
    return tag


def isend(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; its shape and dtype go first, so the
    receiver can check them."""
    pg = default_group(group)
    array = _array(tensor, "send")
    _check_rank(pg, dst, "send", "dst")
    if dst == pg.rank():
        raise ValueError("send: dst is this process's own rank; send to another rank")
    meta = np.full(4 + _MAX_DIMS, -1, dtype=np.int64)  # dtype, ndim, shape..., sender, numel
    meta[0], meta[1] = array.dtype.num, array.ndim
    meta[2:2 + min(array.ndim, _MAX_DIMS)] = array.shape[:_MAX_DIMS]
    meta[-2], meta[-1] = pg.rank(), array.size
    first = pg.world.meta.Isend(meta, dest=dst, tag=_tag_check(tag, "send"))
    work = pg.backend.send(array, dst, tag)
    inner = work._wait

    def wait(seconds):
        pg.world.wait([first], f"send to rank {dst}", seconds)
        inner(seconds)
    work._wait = wait
    return work


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    pg = default_group(group)
    array = _array(tensor, "recv")
    if src is not None:
        _check_rank(pg, src, "recv", "src")
    MPI = pg.world.MPI
    meta = np.empty(4 + _MAX_DIMS, dtype=np.int64)
    source = MPI.ANY_SOURCE if src is None else src
    request = pg.world.meta.Irecv(meta, source=source, tag=_tag_check(tag, "recv"))
    pg.world.wait([request], f"recv from rank {'any' if src is None else src}")
    sender = int(meta[-2])
    shape = tuple(int(d) for d in meta[2:2 + min(int(meta[1]), _MAX_DIMS)])
    if int(meta[0]) != array.dtype.num or int(meta[-1]) != array.size or \
            (int(meta[1]) <= _MAX_DIMS and shape != tuple(array.shape)):
        raise RuntimeError(f"recv: rank {sender} sent a tensor of shape {shape} "
                           f"{_dtype_name(int(meta[0]))} but rank {pg.rank()} receives into "
                           f"{tuple(array.shape)} {array.dtype}; make the shapes and dtypes agree")
    work = pg.backend.recv(array, sender, tag)
    work._result = [sender]
    return work


def send(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it has left."""
    work = isend(tensor, dst, group, tag)
    work.wait()


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0) -> int:
    """Receive into ``tensor`` (in place) from rank ``src`` (any when None); returns the
    sender's rank."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    _bumped([tensor])
    return work._result[0]


__all__ = ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "barrier", "send", "recv", "isend", "irecv", "CompletedWork"]
