"""What a node keeps for its backward rule (``ctx.save_for_backward``), resolved once when
the node is recorded.

Each saved item becomes: a number or None, kept as it is; an input's array, that input Tensor
(its version is recorded, so a later change in place is caught); an output's array, a
`_SavedOutput` (the array and the output's identity, rebuilt on unpacking: no reference cycle
between a node and its output); any other array, a constant Tensor. When the backward reads them, a saved Tensor changed
in place since is refused (`_version_message`).
"""

from __future__ import annotations

from .tensor import Tensor, _wrap

_NUMBERS = frozenset((int, float, bool, complex))
_NUMBERS_OR_NONE = _NUMBERS | {type(None)}
_NO_VERSIONS = {n: (None,) * n for n in range(8)}


class _SavedOutput:
    """A saved output: kept as its array (no reference cycle), rebuilt on unpacking."""

    __slots__ = ("data", "output_nr", "version_counter", "requires_grad")

    def __init__(self, tensor: Tensor) -> None:
        self.data = tensor._data
        self.output_nr = tensor._output_nr
        self.version_counter = tensor._version_counter
        self.requires_grad = tensor._requires_grad

    def unpack(self, node) -> Tensor:
        t = _wrap(self.data)
        t._version_counter = self.version_counter
        if self.requires_grad:
            t.grad_fn = node
            t._output_nr = self.output_nr
            t._requires_grad = True
        return t


def _resolve_saved(ctx, to_save, args, arrays, results, raw_outputs) -> None:
    for item in to_save:
        if type(item) not in _NUMBERS_OR_NONE:
            break
    else:  # only numbers and Nones (kept as they are): nothing to resolve
        ctx._saved = tuple(to_save)
        ctx._saved_versions = _NO_VERSIONS.get(len(to_save)) or (None,) * len(to_save)
        return
    saved = []
    versions = []
    for item in to_save:
        if type(item) in _NUMBERS_OR_NONE:  # kept as they are
            saved.append(item)
            versions.append(None)
            continue
        for a, arr in zip(args, arrays):  # an input's array: saved as that input tensor
            if arr is item and isinstance(a, Tensor):
                saved.append(a)
                versions.append(a._version_counter[0])
                break
        else:
            if isinstance(item, Tensor):
                saved.append(item)
                versions.append(item._version_counter[0])
                continue
            if not hasattr(item, "shape"):  # a Python number: kept as it is
                saved.append(item)
                versions.append(None)
                continue
            for r, raw in zip(results, raw_outputs):
                # (``raw`` may be a NumPy scalar that became a 0-d array in the result)
                if isinstance(r, Tensor) and (r._data is item or raw is item):
                    saved.append(_SavedOutput(r))
                    versions.append(r._version_counter[0])
                    break
            else:
                saved.append(_wrap(item))  # an intermediate: a constant for backward
                versions.append(None)
    ctx._saved = tuple(saved)
    ctx._saved_versions = tuple(versions)  # (a tuple of numbers: not tracked by the GC)


def _version_message(node, index: int, tensor: Tensor, expected: int) -> str:
    shape = list(tensor._data.shape)
    producer = ""
    if tensor.grad_fn is not None:  # (the node's own output, or another node's)
        producer = f", which is output {tensor._output_nr} of {tensor.grad_fn.name()},"
    return (
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tensor.dtype} {shape}]{producer} is at version "
        f"{tensor._version_counter[0]}; expected version {expected} instead (saved by "
        f"{node.name()} as its saved tensor {index}). Hint: avoid changing this tensor in "
        f"place before backward, or change a .clone() of it instead."
    )
