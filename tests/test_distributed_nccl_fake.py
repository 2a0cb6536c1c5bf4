"""The ``"nccl"`` backend's code path on the fake CuPy module (no GPU in CI).

A one-rank stand-in for ``cupy.cuda.nccl.NcclCommunicator`` works on the fake device
arrays' addresses (host memory underneath), so the backend's pointer, count and dtype
arithmetic, its staging of non-contiguous tensors and DistributedDataParallel's buckets on
a ``cuda`` device all run; the real NCCL path needs a GPU and was not run here.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401  (fixture)

import autograd_core as ac
import autograd_core.distributed as dist
import nn
import optim
from autograd_core.distributed import _group
from autograd_core.distributed._nccl_backend import _DTYPES, _OPS, NcclBackend


class _Request:
    pass


class _OneRankMeta:
    def Iallgather(self, row, rows):  # noqa: N802  (MPI's name)
        rows[...] = row
        return _Request()


class _OneRankWorld:
    """The MPI side of a one-rank group (shapes exchange with itself)."""

    rank, size, timeout_s = 0, 1, 5.0
    broken = None
    meta = _OneRankMeta()

    def exchange_metadata(self, row, what):
        return row[None]

    def wait(self, requests, what, seconds=None):
        pass

    def test(self, requests):
        return True

    def check_peers(self, what):
        pass

    def free(self):
        pass


class _OneRankNccl:
    """``NcclCommunicator`` of a one-rank world: every collective copies send to recv."""

    _SIZES = {code: np.dtype(dt).itemsize for dt, code in _DTYPES.items()}

    def __init__(self):
        self.calls = []

    def _copy(self, send, recv, count, dtype):
        if send != recv:
            ctypes.memmove(recv, send, count * self._SIZES[dtype])

    def allReduce(self, send, recv, count, dtype, op, stream):  # noqa: N802  (CuPy's names)
        self.calls.append(("allReduce", count, dtype, op))
        self._copy(send, recv, count, dtype)

    def bcast(self, buf, count, dtype, root, stream):
        self.calls.append(("bcast", count, dtype, root))

    def allGather(self, send, recv, count, dtype, stream):  # noqa: N802
        self.calls.append(("allGather", count, dtype))
        self._copy(send, recv, count, dtype)

    def reduceScatter(self, send, recv, count, dtype, op, stream):  # noqa: N802
        self.calls.append(("reduceScatter", count, dtype, op))
        self._copy(send, recv, count, dtype)

    def abort(self):
        self.calls.append(("abort",))


@pytest.fixture
def nccl_group(fake_cuda):  # noqa: F811
    comm = _OneRankNccl()
    backend = NcclBackend(_OneRankWorld(), comm, xp=fake_cuda.xp)
    backend._stream = lambda: 0
    backend._record = lambda: "event"
    backend._done = staticmethod(lambda event: True)
    _group.group.WORLD = _group.ProcessGroup(backend.world, backend)
    try:
        yield comm
    finally:
        _group.group.WORLD = None


def test_collectives_go_through_nccl_with_its_codes(nccl_group):
    x = ac.arange(6.0, device="cuda").reshape(2, 3)
    dist.all_reduce(x, dist.ReduceOp.MAX)
    assert nccl_group.calls[-1] == ("allReduce", 6, _DTYPES[np.dtype(np.float32)],
                                    _OPS[dist.ReduceOp.MAX])
    assert x.device.type == "cuda" and x.cpu().tolist() == [[0, 1, 2], [3, 4, 5]]
    t = x.t()  # not contiguous: staged through a contiguous copy and written back
    work = dist.all_reduce(t, dist.ReduceOp.AVG, async_op=True)
    work.wait()
    assert t.cpu().tolist() == [[0, 3], [1, 4], [2, 5]]
    out = [ac.zeros(2, 3, device="cuda")]
    dist.all_gather(out, x)
    assert out[0].cpu().tolist() == x.cpu().tolist()
    into = ac.zeros(2, 3, device="cuda", dtype=ac.float64)
    dist.all_gather_into_tensor(into, x.double())
    assert nccl_group.calls[-1] == ("allGather", 6, _DTYPES[np.dtype(np.float64)])
    assert into.cpu().tolist() == x.cpu().tolist()
    r = ac.zeros(3, device="cuda")
    dist.reduce_scatter(r, [ac.full((3,), 2.0, device="cuda")])
    assert r.cpu().tolist() == [2.0, 2.0, 2.0]
    dist.broadcast(x, 0)
    assert nccl_group.calls[-1] == ("bcast", 6, _DTYPES[np.dtype(np.float32)], 0)


def test_nccl_refuses_cpu_tensors(nccl_group):
    with pytest.raises(RuntimeError, match="nccl.*CUDA tensors.*cpu"):
        dist.all_reduce(ac.ones(2))


def test_ddp_on_a_cuda_device_through_nccl(nccl_group):
    """One rank: the averaged gradients are the local ones, step for step like the plain
    model, with the buckets living on the device."""
    ac.manual_seed(0)
    plain = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to("cuda")
    ac.manual_seed(0)
    wrapped = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to("cuda")
    ddp = nn.parallel.DistributedDataParallel(wrapped, bucket_cap_mb=0.00005)
    x, y = ac.randn(5, 3).to("cuda"), ac.randn(5, 2).to("cuda")
    for model, net in ((plain, plain), (wrapped, ddp)):
        opt = optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            nn.functional.mse_loss(net(x), y).backward()
            opt.step()
    assert sum(c[0] == "allReduce" for c in nccl_group.calls) >= 2 * ddp.comm_stats["buckets"]
    for p, q in zip(plain.parameters(), wrapped.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=1e-6)
