"""Collation: turning a list of samples into one batch.

`default_collate` is what a `DataLoader` applies to each list of samples. It keeps the
*structure* of a sample and stacks the *leaves* along a new first dimension::

    [(x0, 0), (x1, 1), (x2, 0)]          # three samples: (tensor of shape (2,), int)
    -> [stack([x0, x1, x2]), tensor([0, 1, 0])]   # shapes (3, 2) and (3,)

Rules, leaf by leaf (as in PyTorch):

- tensors: stacked (they must all have the same shape);
- NumPy arrays and NumPy scalars: turned into tensors and stacked;
- Python ints and bools: an int64 / bool tensor; Python floats: a **float64** tensor
  (PyTorch does the same; call ``.float()`` on it, or store float32 tensors in the dataset);
- strings and bytes: left as a list;
- dicts: a dict with each key collated; named tuples: the same named tuple type;
  tuples and lists: a **list** with each position collated.

Pass ``collate_fn=`` to the `DataLoader` to do something else, e.g. pad sequences of
different lengths.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _wrap

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack_tensors(batch: Sequence[Tensor]) -> Tensor:
    """``stack(batch)``; recorded in the graph only when some tensor requires grad."""
    first = batch[0]
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(f"default_collate: entry {i} of the batch is a {type(t).__name__} "
                            "while entry 0 is a Tensor; samples must have the same structure")
        if t.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first.shape)} at entry 0 and {list(t.shape)} at entry {i}")
        if t.device != first.device:
            raise RuntimeError(f"default_collate: expected all tensors to be on the same device, "
                               f"but found {first.device} at entry 0 and {t.device} at entry {i}")
    if any(t.requires_grad for t in batch):
        from ... import stack

        return stack(list(batch))
    from ..._backend import backend_of

    dtype = first.dtype
    for t in batch:
        dtype = _dt.promote_types(dtype, t.dtype)
    xp = backend_of(first._data).xp
    return _wrap(xp.stack([t._data.astype(dtype.numpy, copy=False) for t in batch]))


def _from_numpy(batch: Sequence[Any]) -> Tensor:
    from ...factories import as_tensor

    arrays = [np.asarray(b) for b in batch]
    if arrays[0].dtype.kind in "OSUV":
        raise TypeError(_ERROR.format(arrays[0].dtype))
    try:
        stacked = np.stack(arrays)
    except ValueError:
        shapes = sorted({a.shape for a in arrays})
        raise RuntimeError(f"default_collate: NumPy arrays of different shapes {shapes} cannot be "
                           "stacked into one batch") from None
    return as_tensor(stacked)


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, keeping the samples' structure (see module doc)."""
    from ...factories import tensor

    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        return _from_numpy(batch)
    if isinstance(elem, bool):
        return tensor(list(batch), dtype=_dt.bool_)
    if isinstance(elem, int):
        return tensor(list(batch), dtype=_dt.int64)
    if isinstance(elem, float):
        return tensor(list(batch), dtype=_dt.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, MutableMapping):
            out = copy.copy(elem)
            out.update(collated)
            return out
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        if isinstance(elem, MutableSequence):
            out = copy.copy(elem)
            out[:] = columns
            return out
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """What a `DataLoader` with ``batch_size=None`` applies to each sample: NumPy arrays
    become tensors, containers are converted inside, everything else is left alone."""
    from ...factories import as_tensor

    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return as_tensor(np.asarray(data))
    if isinstance(data, Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


__all__ = ["default_collate", "default_convert"]
