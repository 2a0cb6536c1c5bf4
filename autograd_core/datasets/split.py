"""`train_test_split`: hold out part of the data to measure generalisation.

A model is judged on samples it never trained on. Shuffle first (data files are often
sorted by class or by time), then cut. With ``stratify=labels`` each class is cut in
the same proportion, so a small test set still has every class in its true share.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def _test_count(n: int, test_size: float | int) -> int:
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        return math.ceil(n * test_size)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        if not 0 < test_size < n:
            raise ValueError(f"test_size as a count must be in [1, {n - 1}], got {test_size}")
        return int(test_size)
    raise TypeError(f"test_size must be a float fraction or an int count, got {test_size!r}")


def train_test_split(*tensors: Tensor, test_size: float | int = 0.25, seed: int | None = 0,
                     shuffle: bool = True, stratify: Tensor | None = None) -> list[Tensor]:
    """Split tensors (same first dimension) into train and test parts.

    Returns ``[a_train, a_test, b_train, b_test, ...]``, so the usual call reads::

        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)

    ``test_size``: a fraction of the samples (rounded up) or a count. ``seed``: the same
    split on every run (``None``: the global generator decides). ``shuffle=False`` takes
    the last samples as the test set. ``stratify``: a label per sample; each class then
    contributes ``round(test_size * its count)`` test samples (so the total can differ
    from the unstratified count by a few).
    """
    from ..utils.data.dataset import _index_array, _take
    from .toy import _rng

    if not tensors:
        raise ValueError("train_test_split needs at least one tensor")
    n = tensors[0].shape[0] if tensors[0].ndim else 0
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"train_test_split expects tensors, got {type(t).__name__}")
        if t.ndim == 0 or t.shape[0] != n:
            raise ValueError(f"Size mismatch between tensors: shapes "
                             f"{[tuple(x.shape) for x in tensors]} do not share a first dimension")
    n_test = _test_count(n, test_size)
    rng = _rng(seed)
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True")
        labels = np.asarray(stratify.tolist() if isinstance(stratify, Tensor) else stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify must hold one label per sample, shape ({n},), got {labels.shape}")
        fraction = n_test / n
        test_parts, train_parts = [], []
        for cls in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == cls))
            k = int(round(fraction * len(members)))
            test_parts.append(members[:k])
            train_parts.append(members[k:])
        test_idx = rng.permutation(np.concatenate(test_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test:]
    out: list[Tensor] = []
    for t in tensors:
        out.append(_take(t, _index_array(t, train_idx)))
        out.append(_take(t, _index_array(t, test_idx)))
    return out


__all__ = ["train_test_split"]
