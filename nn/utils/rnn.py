"""Packed sequences: a batch of sequences of different lengths without the padding
(as ``torch.nn.utils.rnn``).

A batch sorted by decreasing length is stored time step by time step: ``data`` holds the
rows of step 0 (every sequence), then those of step 1 (the sequences longer than 1), ...,
and ``batch_sizes[t]`` says how many rows step t has::

    sequences  a b c      data        = [a0 b0 c0 a1 b1 a2]
               a b        batch_sizes = [3, 2, 1]
               a

A recurrent layer given a `PackedSequence` runs each step on the first ``batch_sizes[t]``
rows only, so no padding ever enters its state. ``sorted_indices`` remembers the order the
batch was sorted in (``None`` when it already was) and ``unsorted_indices`` undoes it.
Everything here is a composition of differentiable tensor ops (slicing, ``cat``,
``index_select``), so gradients flow back to the padded input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``; build one with
    `pack_padded_sequence` or `pack_sequence`, not directly."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)) form
            data, batch_sizes = data[0], data[1]
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor, move_indices: Any = None) -> PackedSequence:
        indices = [self.sorted_indices, self.unsorted_indices]
        if move_indices is not None:
            indices = [None if i is None else move_indices(i) for i in indices]
        return type(self)(data, self.batch_sizes, *indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """Move/cast ``data`` (indices follow its device; ``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return self._with_data(data, lambda i: i.to(device=data.device))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._with_data(self.data.cuda(*args, **kwargs), lambda i: i.cuda(*args, **kwargs))

    def cpu(self) -> PackedSequence:
        return self._with_data(self.data.cpu(), lambda i: i.cpu())

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        return self._with_data(self.data.half())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[p[i]] = i (``None`` stays ``None``)."""
    if permutation is None:
        return None
    order = [int(i) for i in permutation.tolist()]
    inverse = [0] * len(order)
    for position, index in enumerate(order):
        inverse[index] = position
    return ag.tensor(inverse, dtype=ag.int64, device=permutation.device)


def _lengths_list(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' should be a 1D tensor, but got a {lengths.dim()}D "
                               f"tensor of shape {list(lengths.shape)}")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _sizes_from_lengths(lengths: list[int]) -> list[int]:
    """batch_sizes[t] = how many of the (decreasing) lengths exceed t."""
    return [sum(1 for n in lengths if n > t) for t in range(lengths[0])]


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int],
                         batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``input`` (T, B, *) (or (B, T, *) with ``batch_first``) whose
    b-th sequence has ``lengths[b]`` valid steps.

    With ``enforce_sorted=True`` the lengths must already decrease; otherwise the batch is
    sorted here and the order recorded in ``sorted_indices``."""
    lengths = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lengths) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                f"True (got lengths {lengths}). You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you "
                "do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = sorted(range(len(lengths)), key=lambda b: -lengths[b])  # stable, as torch
        sorted_indices = ag.tensor(order, dtype=ag.int64, device=input.device)
        lengths = [lengths[b] for b in order]
        input = input.index_select(batch_dim, sorted_indices)
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {lengths})")
    if lengths and lengths[0] > input.shape[1 - batch_dim]:
        raise RuntimeError(f"Expected all lengths to be at most the padded length "
                           f"{input.shape[1 - batch_dim]}, got a length of {lengths[0]}")
    if batch_first:
        input = input.transpose(0, 1)
    sizes = _sizes_from_lengths(lengths)
    data = ag.cat([input[t, :size] for t, size in enumerate(sizes)], 0)
    batch_sizes = ag.tensor(sizes, dtype=ag.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: returns (padded (T, B, *) or (B, T, *), lengths), in
    the batch's original order. ``total_length`` pads T up to that length."""
    data, batch_sizes = sequence.data, [int(s) for s in sequence.batch_sizes.tolist()]
    steps, batch = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
    else:
        total_length = steps
    rows = data.split(batch_sizes, 0)
    tail = tuple(data.shape[1:])
    padded = []
    for t in range(total_length):
        step = rows[t] if t < steps else data.new_full((0, *tail), padding_value)
        if step.shape[0] < batch:
            fill = data.new_full((batch - step.shape[0], *tail), padding_value)
            step = ag.cat([step, fill], 0)
        padded.append(step)
    output = ag.stack(padded, 0)
    lengths = [sum(1 for size in batch_sizes if size > b) for b in range(batch)]
    lengths_t = ag.tensor(lengths, dtype=ag.int64)
    if sequence.unsorted_indices is not None:
        output = output.index_select(1, sequence.unsorted_indices)
        lengths_t = lengths_t.index_select(0, sequence.unsorted_indices.cpu())
    if batch_first:
        output = output.transpose(0, 1)
    return output, lengths_t


def pad_sequence(sequences: Tensor | Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into one (L_max, B, *) (or (B, L_max, *)), filling
    the missing steps with ``padding_value`` on the right (or the left)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    tail = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if tuple(s.shape[1:]) != tail:
            raise RuntimeError(f"The size of the trailing dimensions must match: sequence 0 has "
                               f"shape {list(sequences[0].shape)} but sequence {k} has "
                               f"{list(s.shape)}")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = s.new_full((missing, *tail), padding_value)
            s = ag.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        rows.append(s)
    return ag.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor | list[int],
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences, the b-th cut to ``lengths[b]`` steps."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences.unbind(0), _lengths_list(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *): ``pack_padded_sequence(pad_sequence(...), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of tensors a `PackedSequence` was made from (in the original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
