"""Moving datasets and batches between the main process and the worker processes.

Only the `DataLoader`'s own worker channel pickles, and only objects that both ends of
the channel built themselves (a dataset the user handed in, a batch a worker collated):
this is not a file format. Tensors travel as NumPy arrays on the host, with their device
and ``requires_grad`` flag, and are rebuilt as Tensors on the other side; everything
else is pickled as usual.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from ...tensor import Tensor


def _rebuild_tensor(array, device: str, requires_grad: bool) -> Tensor:
    from ...factories import from_numpy

    t = from_numpy(array)
    if device != "cpu":
        t = t.to(device)
    return t.requires_grad_() if requires_grad else t


class _TensorPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if not isinstance(obj, Tensor):
            return NotImplemented
        if obj.requires_grad and not obj.is_leaf:
            raise RuntimeError(
                f"cannot send a non-leaf tensor that requires grad (shape {tuple(obj.shape)}) "
                "between DataLoader processes: the autograd graph cannot cross a process "
                "boundary. Return tensor.detach() from the dataset or collate_fn instead.")
        return _rebuild_tensor, (obj.detach().cpu().numpy(), str(obj.device), obj.requires_grad)


def pack(obj: Any) -> bytes:
    """``obj`` as bytes, with every Tensor inside turned into a host NumPy array."""
    buffer = io.BytesIO()
    _TensorPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def unpack(data: bytes) -> Any:
    """The object `pack` was given, with its Tensors rebuilt."""
    return pickle.loads(data)
