"""autograd_core.multiprocessing: tensors in shared memory seen by child processes, handles
(not copies) through pickling, spawn's error reporting, and PyTorch's names."""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as torch
import autograd_core.multiprocessing as mp
from autograd_core.multiprocessing.reductions import reduce_tensor


def _add_ones(rank, model, view, method="fork"):
    with torch.no_grad():
        model.weight.add_(1.0)
        view[1:] += 5.0
    assert model.weight.is_shared() and view.is_shared()
    # a forked child inherits everything; a spawned one receives no .grad (per process)
    assert (model.weight.grad is None) == (method == "spawn")


def _increment_from_queue(inbox, outbox):
    t = inbox.get(timeout=60)
    t += 1
    outbox.put((t.is_shared(), t.sum().item(), torch.ones(2)))


def _raise(rank):
    if rank == 1:
        raise ValueError("worker one failed")


def _exit(rank):
    import os

    os._exit(3)


def _model():
    torch.manual_seed(0)
    m = torch.nn.Linear(3, 2)
    m.weight.grad = torch.ones(2, 3)
    return m.share_memory()


def test_share_memory_moves_parameters_grads_and_buffers_in_place():
    m = _model()
    bn = torch.nn.BatchNorm1d(3).share_memory()
    assert m.weight.is_shared() and m.bias.is_shared() and m.weight.grad.is_shared()
    assert bn.running_mean.is_shared()
    assert isinstance(m.weight, torch.nn.Parameter) and m.weight.requires_grad
    t = torch.arange(4.0)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared() and t.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert t[1:].is_shared()  # a view of shared memory is shared
    t.share_memory_()  # already shared: nothing changes
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_children_write_into_the_parents_tensors(method):
    m = _model()
    t = torch.zeros(4).share_memory_()
    w0 = m.weight.detach().clone()
    mp.spawn(_add_ones, args=(m, t[1:3], method), nprocs=2, start_method=method)
    np.testing.assert_array_equal((m.weight.detach() - w0).numpy(), np.full((2, 3), 2.0, np.float32))
    assert t.tolist() == [0.0, 0.0, 10.0, 0.0]  # both children wrote t[2] through the view
    assert m.weight.grad.tolist() == [[1.0] * 3] * 2  # gradients stay per process
    assert not mp.active_children()


def test_a_queue_sends_a_handle_for_shared_tensors_and_a_copy_otherwise():
    ctx = mp.get_context("fork")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_increment_from_queue, args=(inbox, outbox))
    child.start()
    shared = torch.arange(3.0).share_memory_()
    inbox.put(shared)
    assert outbox.get(timeout=30)[:2] == (True, 6.0)
    child.join()
    assert shared.tolist() == [1.0, 2.0, 3.0]  # the child's += landed here

    plain = torch.arange(3.0, requires_grad=True)
    fn, args = reduce_tensor(plain)
    back = fn(*args)
    assert back.tolist() == [0.0, 1.0, 2.0] and back.requires_grad and not back.is_shared()
    back.data.add_(1)
    assert plain.tolist() == [0.0, 1.0, 2.0]


def test_tensors_that_cannot_travel_raise():
    with pytest.raises(TypeError, match="autograd_core.save"):
        pickle.dumps(torch.zeros(2))  # plain pickle still refuses: only multiprocessing sends
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf tensor"):
        reduce_tensor(x * 2)


def test_spawn_reraises_a_childs_exception_and_exit_code():
    with pytest.raises(mp.ProcessRaisedException, match="worker one failed") as info:
        mp.spawn(_raise, nprocs=2, start_method="fork")
    assert info.value.error_index == 1
    with pytest.raises(mp.ProcessExitedException, match="exit code 3") as info:
        mp.spawn(_exit, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3
    context = mp.spawn(_add_ones, args=(_model(), torch.zeros(3).share_memory_()), nprocs=1,
                       join=False, start_method="fork")
    while not context.join(timeout=30):
        pass
    assert len(context.pids()) == 1 and not mp.active_children()


def test_pytorch_names():
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "get_context", "set_start_method",
                 "get_start_method", "get_all_start_methods", "cpu_count", "Lock", "Event"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="unknown sharing strategy"):
        mp.set_sharing_strategy("carrier_pigeon")
    assert torch.multiprocessing is mp


def test_sharing_with_torch_semantics_side_by_side():
    torch_real = pytest.importorskip("torch")
    ours, theirs = torch.arange(3.0), torch_real.arange(3.0)
    assert ours.is_shared() == theirs.is_shared() is False
    assert ours.share_memory_().is_shared() == theirs.share_memory_().is_shared() is True
    assert ours[1:].is_shared() == theirs[1:].is_shared()


@pytest.mark.usefixtures("fake_cuda")
def test_cuda_tensors_cannot_be_shared():
    t = torch.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="only CPU tensors can be shared"):
        t.share_memory_()
    with pytest.raises(RuntimeError, match="only CPU tensors can be shared"):
        torch.nn.Linear(2, 2).to("cuda").share_memory()
    with pytest.raises(RuntimeError, match="sharing GPU memory between processes is not supported"):
        reduce_tensor(t)


def test_segments_live_as_long_as_a_tensor_uses_them_and_no_longer():
    import gc
    import os

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc (Linux)")
    gc.collect()
    before = open_fds()
    tensors = [torch.full((100,), float(i)).share_memory_() for i in range(20)]
    alive = open_fds()
    assert alive >= before + 20  # a descriptor of each segment's memory file, to hand to other processes
    views = [t[10:20] for t in tensors]
    del tensors
    gc.collect()
    assert open_fds() == alive  # the views still use the memory
    assert [v[0].item() for v in views] == [float(i) for i in range(20)]
    del views
    gc.collect()
    assert open_fds() == before  # nothing left behind (the memory files have no name to clean)
