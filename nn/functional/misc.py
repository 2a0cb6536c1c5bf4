"""Utility functions of ``torch.nn.functional``: padding, one-hot codes, normalisation,
similarities and distances, and the embedding lookup. All are compositions of Tensor
operations (or one fused node, for `embedding`), so their gradients come for free."""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["pad", "one_hot", "normalize", "cosine_similarity", "pairwise_distance",
           "embedding"]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


# ----------------------------------------------------------------------------- pad
def _crop(x: Tensor, d: int, left: int, right: int) -> Tensor:
    """Remove -left / -right elements (negative padding) at the two ends of dim ``d``."""
    n = x.shape[d]
    start = -left if left < 0 else 0
    stop = n + right if right < 0 else n
    if stop - start < 0:
        raise RuntimeError(
            f"The input size {n}, plus negative padding {left} and {right} resulted in a "
            f"negative output size, which is invalid. Check dimension {d} of your input.")
    if start == 0 and stop == n:
        return x
    return x.narrow(d, start, stop - start)


def _blocks(x: Tensor, d: int, left: int, right: int, mode: str, value: float):
    """The (before, after) blocks that padding dim ``d`` adds, or None for none."""
    n = x.shape[d]

    def filled(k: int) -> Tensor:
        shape = list(x.shape)
        shape[d] = k
        return x.new_full(tuple(shape), value)

    if mode == "constant":
        return (filled(left) if left else None), (filled(right) if right else None)
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {d} of input "
                f"{list(x.shape)}")
        before = x.narrow(d, 1, left).flip(d) if left else None
        after = x.narrow(d, n - 1 - right, right).flip(d) if right else None
        return before, after
    if mode == "replicate":
        if n == 0:
            raise RuntimeError(f"padding of dimension {d}: cannot replicate an empty dimension")

        def edge(start: int, k: int) -> Tensor:
            shape = list(x.shape)
            shape[d] = k
            return x.narrow(d, start, 1).expand(*shape)

        return (edge(0, left) if left else None), (edge(n - 1, right) if right else None)
    # circular
    if left > n or right > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    before = x.narrow(d, n - left, left) if left else None
    after = x.narrow(d, 0, right) if right else None
    return before, after


def _replicate_indices(x: Tensor, d: int, left: int, right: int) -> Tensor:
    """Replicate padding with a negative side: output j reads input clamp(j - left, 0, n - 1)
    along dim ``d`` (a crop that takes the whole dimension still replicates its edge)."""
    n = x.shape[d]
    size = n + left + right
    if size < 0 or n == 0:
        raise RuntimeError(
            f"padding ({left}, {right}) of dimension {d} with size {n} gives an output size "
            f"of {size}; replicate needs a non-empty dimension and a non-negative result")
    index = (ag.arange(size, device=x.device) - left).clamp(0, n - 1)
    return x.index_select(d, index)


def pad(input: Tensor, pad: tuple | list, mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions: ``pad = (left_last, right_last,
    left_second_last, right_second_last, ...)``. Modes: 'constant' (any number of
    dimensions, negative values crop), 'reflect', 'replicate' and 'circular' (the last
    1 to 3 dimensions of a batched or unbatched input).

    The result is built from slices and concatenations of the input, so its gradient is the
    input's slices of the output gradient (summed where reflect/replicate/circular reuse an
    element)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pads) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pads)} and input of "
                           f"dimension {input.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}; use one of "
                                  f"{', '.join(_PAD_MODES)}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
        if k > 3 or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for "
                f"now: mode '{mode}' pads the last 1 to 3 dimensions of an input with 1 or 2 "
                f"more dimensions (got padding of {k} dims for input shape "
                f"{list(input.shape)})")
    fill = 0.0 if value is None else value
    x = input
    for i in range(k):
        d = input.ndim - 1 - i
        left, right = pads[2 * i], pads[2 * i + 1]
        if mode == "replicate" and min(left, right) < 0:
            x = _replicate_indices(x, d, left, right)
            continue
        x = _crop(x, d, left, right)
        before, after = _blocks(x, d, max(left, 0), max(right, 0), mode, fill)
        parts = [p for p in (before, x, after) if p is not None]
        if len(parts) > 1:
            x = ag.cat(parts, d)
    if x is input:
        x = input.clone()
    return x


# ----------------------------------------------------------------------------- one_hot
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot codes: shape ``tensor.shape + (num_classes,)``."""
    if not isinstance(tensor, Tensor) or tensor.dtype != ag.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    elif num_classes == -1 or tensor.device.type == "cpu":
        # one read of both extremes (a single host sync on a GPU, needed to size the output)
        lo, hi = ag.stack([tensor.min(), tensor.max()]).tolist()
        if lo < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    else:
        # On a device, with num_classes given, nothing is read back: the bounds are checked
        # by the device-side check of an embedding lookup into a zero-width table, raised
        # at the next synchronisation (as a GPU reports a device-side assert).
        ag.fused.embedding(tensor, ag.empty((num_classes, 0), device=tensor.device))
    classes = ag.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


# ----------------------------------------------------------------------------- norms
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    result = input / denom
    if out is not None:
        with ag.no_grad():
            out.copy_(result)
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim``, after broadcasting
    x1 and x2 to one shape (a size-1 ``dim`` broadcast against n repeats its entry n times,
    so its norm is over all n)."""
    if not x1.is_floating_point():
        x1 = x1.float()
    if not x2.is_floating_point():
        x2 = x2.float()
    if x1.shape != x2.shape:
        x1, x2 = ag.broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dimension."""
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        return diff.abs()
    return diff.norm(p, -1, keepdim=keepdim)


# ----------------------------------------------------------------------------- embedding
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: shape ``input.shape + (dim,)``.

    The ``padding_idx`` row receives no gradient. ``max_norm`` renormalises (in place) the
    rows looked up whose ``norm_type``-norm exceeds it, as PyTorch does."""
    if padding_idx is not None:
        n = weight.shape[0]
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    if sparse:
        raise NotImplementedError("sparse gradients are not supported; use sparse=False")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    return ag.fused.embedding(input, weight, padding_idx, scale_grad_by_freq)


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the looked-up rows of ``weight`` (in place) to norm at most ``max_norm``:
    ``w_i *= max_norm / (||w_i|| + 1e-7)`` where ``||w_i|| > max_norm``. Repeated indices
    write the same row twice with the same value, so no de-duplication (and no download of
    the indices, a host sync on a GPU) is needed."""
    if input.numel() == 0:
        return
    with ag.no_grad():
        index = input.reshape(-1)
        rows = weight.index_select(0, index)
        norms = rows.norm(norm_type, 1, keepdim=True)
        scale = ag.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, index, rows * scale)
