"""Run by tests/test_distributed*.py under ``mpirun -n 2``: one scenario per argument.

Each scenario asserts its own results and prints ``<name> OK`` on success; the failure
scenarios are expected to end the job, with the error text on stderr.
"""

from __future__ import annotations

import datetime
import os
import sys
import time

import numpy as np

import autograd_core as ac
import autograd_core.distributed as dist
import nn
import optim


def collectives() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    x = ac.tensor([1.0, 2.0, 3.0]) * (rank + 1)
    expected = {dist.ReduceOp.SUM: [3.0, 6.0, 9.0], dist.ReduceOp.AVG: [1.5, 3.0, 4.5],
                dist.ReduceOp.MAX: [2.0, 4.0, 6.0], dist.ReduceOp.MIN: [1.0, 2.0, 3.0],
                dist.ReduceOp.PRODUCT: [2.0, 8.0, 18.0]}
    for op, want in expected.items():
        y = x.clone()
        dist.all_reduce(y, op)
        assert y.tolist() == want, (op, y.tolist())
    ints = ac.tensor([rank + 5, 1])
    dist.all_reduce(ints, dist.ReduceOp.SUM)
    assert ints.tolist() == [11, 2] and ints.dtype == ac.int64
    # async handle
    y = x.clone()
    work = dist.all_reduce(y, async_op=True)
    assert work.wait() and y.tolist() == [3.0, 6.0, 9.0]
    # a non-contiguous tensor is reduced in place, through a staging copy
    m = ac.arange(6.0).reshape(2, 3).t() * (rank + 1)
    dist.all_reduce(m)
    assert m.tolist() == (ac.arange(6.0).reshape(2, 3).t() * 3).tolist()
    b = ac.full((2, 2), float(rank))
    dist.broadcast(b, src=1)
    assert b.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    outs = [ac.zeros(2) for _ in range(size)]
    dist.all_gather(outs, ac.tensor([rank, rank * 10.0]))
    assert [o.tolist() for o in outs] == [[0.0, 0.0], [1.0, 10.0]]
    into = ac.zeros(4)
    dist.all_gather_into_tensor(into, ac.tensor([rank, rank * 10.0]))
    assert into.tolist() == [0.0, 0.0, 1.0, 10.0]
    stacked = ac.zeros(2, 2)
    dist.all_gather_into_tensor(stacked, ac.tensor([rank, rank * 10.0]))
    assert stacked.tolist() == [[0.0, 0.0], [1.0, 10.0]]
    out = ac.zeros(2)
    dist.reduce_scatter(out, [ac.full((2,), 1.0 + rank), ac.full((2,), 10.0 * (rank + 1))])
    assert out.tolist() == ([3.0, 3.0] if rank == 0 else [30.0, 30.0]), out.tolist()
    if rank == 0:
        dist.send(ac.tensor([7.0, 8.0]), dst=1, tag=3)
    else:
        got = ac.zeros(2)
        assert dist.recv(got, src=None, tag=3) == 0 and got.tolist() == [7.0, 8.0]
    dist.barrier()
    assert dist.barrier(async_op=True).wait()


def _model(seed: int) -> nn.Module:
    ac.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def _train(model, make_optimizer, batches, accumulate: int, ddp=None) -> None:
    """``batches``: per step, a list of ``accumulate`` (x, y) micro-batches."""
    opt = make_optimizer(model.parameters())
    for step in batches:
        opt.zero_grad()
        for i, (x, y) in enumerate(step):
            last = i == len(step) - 1
            context = ddp.no_sync() if (ddp is not None and not last) else _nothing()
            with context:
                loss = nn.functional.mse_loss((ddp or model)(x), y) / accumulate
                loss.backward()
        opt.step()


class _nothing:  # noqa: N801
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def ddp_equivalence() -> None:
    """2 ranks x batch B == 1 process x batch 2B, for SGD and Adam, with and without
    no_sync accumulation."""
    rank, size = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    per_rank, steps = 5, 3
    optimizers = {"sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                  "adam": lambda p: optim.Adam(p, lr=0.01)}
    for name, make in optimizers.items():
        for accumulate in (1, 2):
            data = rng.standard_normal((steps, accumulate, size * per_rank, 7)).astype(np.float32)
            xs, ys = ac.tensor(data[..., :4]), ac.tensor(data[..., 4:])
            ref = _model(0)
            full = [[(xs[s, a], ys[s, a]) for a in range(accumulate)] for s in range(steps)]
            _train(ref, make, full, accumulate)
            mine = _model(rank)  # rank 1 starts elsewhere: DDP must broadcast rank 0's weights
            ddp = nn.parallel.DistributedDataParallel(mine, bucket_cap_mb=0.0002)
            assert ddp.reducer.stats["buckets"] > 1
            part = slice(rank * per_rank, (rank + 1) * per_rank)
            local = [[(xs[s, a, part], ys[s, a, part]) for a in range(accumulate)]
                     for s in range(steps)]
            _train(mine, make, local, accumulate, ddp)
            for (pname, p), q in zip(mine.named_parameters(), ref.parameters()):
                np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5,
                                           atol=1e-6, err_msg=f"{name} accumulate={accumulate} "
                                                              f"{pname} rank {rank}")
    print(f"rank {rank}: ddp_equivalence OK", flush=True)


def ddp_float64() -> None:
    """float64, 2 ranks, Adam: rank 0 saves the initial weights, the data, and the weights
    and averaged gradients after each step, for the test to replay in PyTorch on the full
    batch (in the pytest process: importing torch in every rank would be slow)."""
    rank, size = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((size * 3, 4)), rng.standard_normal((size * 3, 3))
    mine = _model(0).double()
    saved = {"x": x, "y": y}
    saved.update({f"init.{n}": p.detach().numpy().copy() for n, p in mine.named_parameters()})
    ddp = nn.parallel.DistributedDataParallel(mine, bucket_cap_mb=0.0005)
    opt = optim.Adam(mine.parameters(), lr=0.01)
    part = slice(rank * 3, rank * 3 + 3)
    for step in range(3):
        opt.zero_grad()
        nn.functional.mse_loss(ddp(ac.tensor(x[part])), ac.tensor(y[part])).backward()
        saved.update({f"grad{step}.{n}": p.grad.numpy().copy() for n, p in mine.named_parameters()})
        opt.step()
    saved.update({f"final.{n}": p.detach().numpy().copy() for n, p in mine.named_parameters()})
    if rank == 0:
        np.savez(os.environ["AUTOGRAD_CORE_DIST_OUT"], **saved)
    print(f"rank {rank}: ddp_float64 OK", flush=True)


def ddp_details() -> None:
    rank = dist.get_rank()
    # buffers and state_dict keys
    ac.manual_seed(rank)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ddp = nn.parallel.DistributedDataParallel(net)
    assert list(ddp.state_dict())[0] == "module.0.weight" and ddp.module is net
    ddp(ac.randn(6, 3) + rank).sum().backward()
    ddp.eval()
    ddp(ac.randn(6, 3))  # the next forward broadcasts rank 0's running statistics
    stats = [ac.zeros(4), ac.zeros(4)]
    dist.all_gather(stats, net[1].running_mean.clone())
    assert stats[0].tolist() == stats[1].tolist()
    # find_unused_parameters: a branch only rank 1 uses
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.never = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x, use_b):
            return self.b(self.a(x)) if use_b else self.a(x)

    ac.manual_seed(0)
    model = Branchy()
    ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
    ddp(ac.ones(1, 2), use_b=rank == 1).sum().backward()
    assert model.never.weight.grad is None  # used by no rank
    assert model.b.weight.grad is not None  # used by rank 1 only: averaged (rank 0 gives 0)
    grads = [ac.zeros(2, 2), ac.zeros(2, 2)]
    dist.all_gather(grads, model.b.weight.grad.clone())
    assert grads[0].tolist() == grads[1].tolist()
    # without find_unused_parameters, an unused parameter is reported at the next forward
    ddp = nn.parallel.DistributedDataParallel(Branchy())
    ddp(ac.ones(1, 2), use_b=True).sum().backward()
    try:
        ddp(ac.ones(1, 2), use_b=True)
    except RuntimeError as exc:
        assert "find_unused_parameters=True" in str(exc) and "[4, 5]" in str(exc), str(exc)
    else:
        raise AssertionError("expected the unfinished-reduction error")
    print(f"rank {rank}: ddp_details OK", flush=True)


def shape_mismatch() -> None:
    rank = dist.get_rank()
    try:
        dist.all_reduce(ac.zeros(2, 2 + rank))
    except RuntimeError as exc:
        text = str(exc)
        assert "rank 0 has (2, 2) float32" in text and "rank 1 has (2, 3) float32" in text, text
    else:
        raise AssertionError("expected a shape mismatch error")
    try:
        if rank == 0:
            dist.broadcast(ac.zeros(3), src=0)
        else:
            dist.barrier()
    except RuntimeError as exc:
        assert "rank 0 called broadcast, rank 1 called barrier" in str(exc), str(exc)
    else:
        raise AssertionError("expected a collective mismatch error")
    if rank == 0:
        dist.send(ac.zeros(3), dst=1)
    else:
        try:
            dist.recv(ac.zeros(4), src=0)
        except RuntimeError as exc:
            assert "rank 0 sent a tensor of shape (3,)" in str(exc), str(exc)
        else:
            raise AssertionError("expected a recv shape error")
    print(f"rank {rank}: shape_mismatch OK", flush=True)


def peer_raises() -> None:
    if dist.get_rank() == 1:
        raise ValueError("boom on purpose")
    dist.all_reduce(ac.ones(3))  # rank 1 never joins: its failure must reach us


def peer_hangs() -> None:
    if dist.get_rank() == 1:
        time.sleep(60)  # stuck: rank 0's deadline must end the job
    dist.all_reduce(ac.ones(3))


SCENARIOS = {f.__name__: f for f in (collectives, ddp_equivalence, ddp_float64, ddp_details,
                                     shape_mismatch,
                                     peer_raises, peer_hangs)}

if __name__ == "__main__":
    timeout = datetime.timedelta(seconds=float(sys.argv[1]))
    dist.init_process_group("mpi", timeout=timeout)
    for name in sys.argv[2:]:
        SCENARIOS[name]()
        if name == "collectives":
            print(f"rank {dist.get_rank()}: collectives OK", flush=True)
    dist.destroy_process_group()
