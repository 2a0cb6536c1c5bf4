"""DataLoader with worker processes: order, seeding, sharding, errors, shutdown.

Small datasets and two workers, so each test takes well under a second with ``fork``
(one test starts ``spawn`` workers, which import the library: a few seconds).
"""

from __future__ import annotations

import gc
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
from autograd_core.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    WorkerInfo,
    get_worker_info,
)
from autograd_core.utils.data._multiprocessing_iter import default_context

pytestmark = pytest.mark.skipif(default_context().get_start_method() != "fork",
                                reason="the tests define datasets that only fork workers can share")


def gen(seed=0):
    return ag.Generator().manual_seed(seed)


def batches(loader):
    return [b.tolist() if isinstance(b, ag.Tensor) else [t.tolist() for t in b] for b in loader]


class Range(Dataset):
    """Sample ``i`` is ``i``; ``fail_at`` raises, ``kill_at`` kills the worker, ``slow_at``
    sleeps 3 s."""

    def __init__(self, n, fail_at=None, kill_at=None, slow_at=None, exc=ValueError):
        self.n, self.fail_at, self.kill_at, self.slow_at, self.exc = n, fail_at, kill_at, slow_at, exc

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise self.exc(f"sample {i} is broken")
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == self.slow_at:
            time.sleep(3)
        return i


class WhoAmI(Dataset):
    """Each sample reports the worker that loaded it and its random state."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return {"worker": info.id, "pid": os.getpid(), "seed": info.seed,
                "initial_seed": ag.initial_seed(), "random": random.random(),
                "numpy": float(np.random.rand()), "ag": float(ag.rand(1).item()),
                "tagged": getattr(info.dataset, "tag", None)}


class Sharded(IterableDataset):
    """``0 .. n-1``, split between the workers by ``get_worker_info``."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class NeedsTwoArguments(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def tag_dataset(worker_id):
    get_worker_info().dataset.tag = f"worker {worker_id}"


def failing_init(worker_id):
    raise OSError(f"cannot open the shard of worker {worker_id}")


def identity(batch):
    return batch


def gone(pid):
    """True when ``pid`` is neither running nor a zombie child of this process."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # not our child (any more): it was joined
    return False  # running (done == 0), or a zombie that nobody joined (reaped just now)


# ------------------------------------------------------------------------------ batches
def test_two_workers_give_the_batches_of_the_main_process_in_order():
    torch = pytest.importorskip("torch")
    x = ag.arange(22, dtype=ag.float32).reshape(11, 2)
    ds = TensorDataset(x, ag.arange(11))
    single = batches(DataLoader(ds, batch_size=3))
    assert batches(DataLoader(ds, batch_size=3, num_workers=2)) == single
    assert batches(DataLoader(ds, batch_size=3, num_workers=2, prefetch_factor=1)) == single
    theirs = torch.utils.data.DataLoader(range(11), batch_size=3, num_workers=2)
    assert batches(DataLoader(range(11), batch_size=3, num_workers=2)) == \
        [b.tolist() for b in theirs]
    assert [b for b in DataLoader(range(5), batch_size=None, num_workers=2)] == \
        [b for b in torch.utils.data.DataLoader(range(5), batch_size=None, num_workers=2)]
    loader = DataLoader(ds, batch_size=4, num_workers=2, drop_last=True)
    assert len(loader) == 2 and batches(loader) == batches(DataLoader(ds, batch_size=4, drop_last=True))


def test_shuffled_batches_do_not_depend_on_num_workers():
    ds = TensorDataset(ag.arange(20))
    one = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=gen(3))]
    two = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=gen(3),
                                             num_workers=2)]
    assert one == two and sorted(sum(one, [])) == list(range(20))


def test_out_of_order_delivery_gives_the_same_batches():
    got = batches(DataLoader(range(10), batch_size=2, num_workers=2, in_order=False))
    assert sorted(got) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_tensors_cross_with_dtype_and_requires_grad():
    w = ag.ones(3, 2, dtype=ag.float64, requires_grad=True)
    [batch] = list(DataLoader([w], batch_size=None, num_workers=1))
    assert batch.dtype == ag.float64 and batch.requires_grad and batch.is_leaf
    # A sample that is part of a graph cannot leave its process (as in torch).
    with pytest.raises(RuntimeError, match="detach"):
        list(DataLoader(TensorDataset(w), batch_size=2, num_workers=1))


# ------------------------------------------------------------------------------ iterable datasets
def test_iterable_dataset_sharding_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchSharded(torch.utils.data.IterableDataset):
        def __init__(self, n, shard=True):
            self.n, self.shard = n, shard

        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            if info is None or not self.shard:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))

    for kwargs in [dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(batch_size=None)]:
        for shard in [True, False]:
            ours = DataLoader(Sharded(7, shard), num_workers=2, **kwargs)
            theirs = torch.utils.data.DataLoader(TorchSharded(7, shard), num_workers=2, **kwargs)
            expected = [getattr(b, "tolist", lambda b=b: b)() for b in theirs]
            assert [getattr(b, "tolist", lambda b=b: b)() for b in ours] == expected, (kwargs, shard)
    assert batches(DataLoader(Sharded(7), batch_size=2)) == [[0, 1], [2, 3], [4, 5], [6]]


# ------------------------------------------------------------------------------ seeding
def test_each_worker_is_seeded_from_base_seed_plus_its_id():
    def run():
        loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, collate_fn=identity,
                            worker_init_fn=tag_dataset)
        return list(loader)

    ag.manual_seed(0)
    first = run()
    ag.manual_seed(0)
    again = run()
    assert [s["worker"] for s in first] == [0, 1, 0, 1]  # round-robin
    assert first == [{**s, "pid": f["pid"]} for s, f in zip(again, first)]  # reproducible
    w0, w1 = first[0], first[1]
    assert w1["seed"] == w0["seed"] + 1
    assert all(s["seed"] == s["initial_seed"] for s in first)
    assert all(s["tagged"] == f"worker {s['worker']}" for s in first)
    for key in ["random", "numpy", "ag"]:
        assert w0[key] != w1[key]
    ag.manual_seed(1)
    assert run()[0]["seed"] != w0["seed"]
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=1, collate_fn=identity)
    assert list(loader)[0]["seed"] != list(loader)[0]["seed"]  # a new base seed every epoch
    assert get_worker_info() is None  # the main process is no worker


def test_worker_info_is_read_only():
    info = WorkerInfo(id=0, num_workers=2, seed=5, dataset=None)
    assert "id=0" in repr(info) and info.seed == 5
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        info.id = 1


# ------------------------------------------------------------------------------ errors
def test_worker_exception_reaches_the_main_process_with_its_traceback():
    loader = DataLoader(Range(6, fail_at=3), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    with pytest.raises(ValueError) as info:
        next(it)
    text = str(info.value)
    assert "Caught ValueError in DataLoader worker process 1" in text
    assert "Traceback (most recent call last)" in text and "in __getitem__" in text
    assert "sample 3 is broken" in text
    assert next(it).tolist() == [4, 5]  # as in torch, the next batches still come


def test_worker_exceptions_of_other_classes():
    with pytest.raises(KeyError, match="Caught KeyError") as info:
        list(DataLoader(Range(4, fail_at=0, exc=KeyError), batch_size=2, num_workers=1))
    assert "\\n" not in str(info.value)  # the traceback prints as lines, not a repr

    with pytest.raises(RuntimeError, match="(?s)Caught NeedsTwoArguments.*sample 0 is broken"):
        list(DataLoader(Range(4, fail_at=0, exc=lambda msg: NeedsTwoArguments(msg, 1)),
                        batch_size=2, num_workers=1))

    class LocalError(Exception):  # cannot be pickled: arrives as a RuntimeError
        pass

    with pytest.raises(RuntimeError, match="Caught LocalError"):
        list(DataLoader(Range(4, fail_at=0, exc=LocalError), batch_size=2, num_workers=1))
    with pytest.raises(StopIteration, match="Caught StopIteration"):  # not the end of a stream
        next(iter(DataLoader(Range(4, fail_at=0, exc=StopIteration), batch_size=2, num_workers=1)))
    with pytest.raises(OSError, match="cannot open the shard of worker 0"):
        list(DataLoader(range(4), num_workers=1, worker_init_fn=failing_init))
    with pytest.raises((AttributeError, pickle.PicklingError),
                       match="(?s)while sending a batch.*must be picklable"):
        list(DataLoader([lambda: 0], batch_size=None, num_workers=1))


def test_killed_worker_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
                                           r" \(pid \d+: killed by SIGKILL\)"):
        list(DataLoader(Range(8, kill_at=5), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 20


def test_timeout_raises():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(DataLoader(Range(2, slow_at=0), batch_size=1, num_workers=1, timeout=0.2))
    assert time.monotonic() - start < 2.5  # the sleeping worker is terminated, not awaited


# ------------------------------------------------------------------------------ shutdown
def test_workers_are_joined_at_the_end_of_an_epoch_and_when_abandoned():
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, collate_fn=identity)
    pids = {s["pid"] for s in loader}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(gone(pid) for pid in pids)

    it = iter(loader)
    pids = {next(it)["pid"], next(it)["pid"]}
    del it
    gc.collect()
    assert len(pids) == 2 and all(gone(pid) for pid in pids)


def test_persistent_workers_live_across_epochs():
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, collate_fn=identity,
                        persistent_workers=True)
    first = list(loader)
    it = iter(loader)
    next(it)  # abandon the second epoch after one sample
    third = list(loader)
    assert [s["worker"] for s in third] == [0, 1, 0, 1]
    pids = {s["pid"] for s in first}
    assert {s["pid"] for s in third} == pids and not any(gone(pid) for pid in pids)
    assert [s["seed"] for s in first] == [s["seed"] for s in third]  # seeded once
    stream = DataLoader(Sharded(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert batches(stream) == batches(stream) == [[0, 2], [1, 3], [4]]
    del loader, it, stream
    gc.collect()
    assert all(gone(pid) for pid in pids)
    # A persistent loader whose workers were stopped by an error starts new ones.
    flaky = DataLoader(Range(4, kill_at=3), batch_size=2, num_workers=1, persistent_workers=True)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(flaky)
    flaky.dataset.kill_at = None
    assert batches(flaky) == [[0, 1], [2, 3]]


def test_spawned_workers_load_a_picklable_dataset():
    ds = TensorDataset(ag.arange(10, dtype=ag.float32).reshape(5, 2), ag.arange(5))
    loader = DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn",
                        timeout=60)
    assert batches(loader) == batches(DataLoader(ds, batch_size=2))
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError), match="pickle"):
        iter(DataLoader(ds, num_workers=1, multiprocessing_context="spawn",
                        collate_fn=lambda b: b))


# ------------------------------------------------------------------------------ arguments
def test_argument_errors_match_torch():
    torch = pytest.importorskip("torch")
    bad = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
           dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
           dict(multiprocessing_context="fork"), dict(num_workers=1, multiprocessing_context="nope"),
           dict(num_workers=1, multiprocessing_context=3)]
    for kwargs in bad:
        with pytest.raises(Exception) as theirs:
            torch.utils.data.DataLoader(range(4), **kwargs)
        with pytest.raises(type(theirs.value)) as ours:
            DataLoader(range(4), **kwargs)
        first_words = str(theirs.value).split(",")[0].split(";")[0][:30]
        assert first_words in str(ours.value), (kwargs, str(ours.value))
    loader = DataLoader(range(4), num_workers=2, multiprocessing_context="fork")
    assert loader.prefetch_factor == 2 and loader.multiprocessing_context.get_start_method() == "fork"
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        loader.batch_size = 3
    loader.num_workers = 1  # allowed, as in torch
    too_many = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()) + 1
    for lib in (torch.utils.data, ag.utils.data):
        with pytest.warns(UserWarning, match=f"will create {too_many} worker processes in total"):
            lib.DataLoader(range(4), num_workers=too_many)
    for lib in (torch.utils.data, ag.utils.data):  # timeout needs workers, checked at iter()
        with pytest.raises(AssertionError):
            iter(lib.DataLoader(range(4), timeout=1))


@pytest.mark.usefixtures("fake_cuda")
def test_gpu_tensors_travel_as_host_arrays_and_come_back_on_their_device():
    """What crosses the process boundary: host NumPy arrays, rebuilt on the tensor's device."""
    from fake_cupy import FakeArray

    from autograd_core.utils.data._transfer import pack, unpack

    x = ag.tensor(np.arange(6, dtype=np.float32).reshape(3, 2), device="cuda")
    batch = {"x": x, "y": [ag.arange(3), "name"]}
    back = unpack(pack(batch))
    assert isinstance(back["x"]._data, FakeArray) and back["x"].device == x.device
    assert back["x"].tolist() == x.tolist() and back["x"].dtype == ag.float32
    assert back["y"][0].device.type == "cpu" and back["y"][1] == "name"


def _plain(batch):
    """A batch as nested Python lists/dicts, for comparing ours with torch's."""
    if hasattr(batch, "tolist"):
        return batch.tolist()
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [_plain(b) for b in batch]
    return batch


def test_worker_batches_match_torch_across_settings():
    """Map-style datasets of ints, tuples, dicts and strings, batched every way: two
    workers give torch's batches (torch's do not depend on num_workers here)."""
    torch = pytest.importorskip("torch")
    datasets = [list(range(7)), [(i, float(i) / 2) for i in range(7)],
                [{"x": [i, -i], "name": f"s{i}"} for i in range(7)]]
    settings = [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
                dict(batch_sampler=[[6, 0], [1], [5, 4, 3]]), dict(batch_size=2, sampler=[3, 1, 2])]
    checked = 0
    for data in datasets:
        for kwargs in settings:
            ours = [_plain(b) for b in DataLoader(data, num_workers=2, **kwargs)]
            theirs = [_plain(b) for b in torch.utils.data.DataLoader(data, **kwargs)]
            assert ours == theirs, (data[0], kwargs)
            checked += 1
    assert checked == 15
