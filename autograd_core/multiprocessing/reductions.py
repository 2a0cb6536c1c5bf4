"""How tensors travel to other processes (``torch.multiprocessing.reductions``).

``multiprocessing`` pickles a spawned child's arguments and everything put on a queue with its
``ForkingPickler``; we register a reduction for tensors there (plain ``pickle`` still refuses
tensors: `autograd_core.save` is the file format).

* A tensor in shared memory travels as a handle: a duplicate of its segment's file descriptor
  plus the layout (dtype, shape, strides, byte offset). The receiver maps the same memory, so
  each side sees the other's in-place writes.
* Any other CPU tensor travels by value (a copy of its array): PyTorch would move it into
  shared memory first; call ``share_memory_()`` before sending to get that.
* A CUDA tensor raises: sharing GPU memory between processes is not supported here.

``requires_grad`` and the subclass (`nn.Parameter`) travel along; ``.grad`` does not: gradients
are per process, as in PyTorch.
"""

from __future__ import annotations

from multiprocessing.reduction import DupFd, ForkingPickler

from ..tensor import Tensor, _wrap
from . import _shared_storage as storage


def _rebuild(cls, array, requires_grad: bool) -> Tensor:
    t = _wrap(array)
    if cls is not Tensor:
        t = Tensor._make_subclass(cls, t, requires_grad)
    elif requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_shared(cls, dupfd, nbytes, dtype, shape, strides, offset, requires_grad) -> Tensor:
    segment = storage.map_segment(dupfd.detach(), nbytes)
    array = storage.array_in_segment(segment, dtype, shape, strides, offset)
    return _rebuild(cls, array, requires_grad)


def reduce_tensor(t: Tensor):
    """The pickling recipe of ``t`` (a handle to its shared memory, or its values)."""
    if t.device.type != "cpu":
        raise RuntimeError(
            f"cannot send a tensor on {t.device} to another process: sharing GPU memory between "
            "processes is not supported; move it with .cpu() (and .share_memory_()) first"
        )
    if t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries. If you just want to transfer the data, "
            "call detach() on the tensor before serializing (e.g., putting it on the queue)."
        )
    cls, array = type(t), t._data
    segment = storage.segment_of(array)
    if segment is None:
        return _rebuild, (cls, array.copy(), t.requires_grad)
    offset = array.__array_interface__["data"][0] - storage.address_of(segment)
    return _rebuild_shared, (cls, DupFd(segment.fd), len(segment), array.dtype.str, array.shape,
                             array.strides, offset, t.requires_grad)


def init_reductions() -> None:
    """Register `reduce_tensor` for `Tensor` and every subclass defined so far.

    The pickler looks reductions up by exact type, so a subclass defined later (a custom
    Parameter) is registered by the next call; `share_memory_` and our `Process` call it.
    """
    pending = [Tensor]
    while pending:
        cls = pending.pop()
        ForkingPickler.register(cls, reduce_tensor)
        pending.extend(cls.__subclasses__())
