"""The 8x8 handwritten digits, shipped inside the package (real data, no download).

1,797 grey-level images of the digits 0-9 (about 180 of each) from the UCI data set
"Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak (1998),
CC BY 4.0; see ``DIGITS_LICENSE.txt`` next to this file. Each image was made by
counting the "on" pixels of a 32x32 bitmap in 4x4 blocks, so a pixel is an integer
from 0 to 16; `load_digits` divides by 16 to give floats in ``[0, 1]``.

Small enough that an MLP or a small CNN trains on it in seconds on a CPU, real enough
that the results mean something (a small CNN reaches about 97-99% test accuracy).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

import numpy as np

from ..tensor import Tensor

N_IMAGES = 1797
_FILE = "digits.npz"
# SHA-256 of images.tobytes() + labels.tobytes(), to catch a damaged installation.
_CONTENT_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


@lru_cache(maxsize=1)
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    """The stored uint8 images (1797, 8, 8), values 0..16, and uint8 labels (1797,)."""
    source = resources.files(__package__).joinpath(_FILE)
    try:
        with source.open("rb") as f, np.load(f, allow_pickle=False) as data:
            images, labels = data["images"], data["labels"]
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the bundled digits file {_FILE} is missing from the autograd_core.datasets package; "
            "reinstall autograd_core (the file must be listed in the package data)"
        ) from None
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != _CONTENT_SHA256 or images.shape != (N_IMAGES, 8, 8):
        raise RuntimeError(f"the bundled {_FILE} is damaged (its content checksum differs); "
                           "reinstall autograd_core")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_digits(flatten: bool = False, channel_dim: bool = False, dtype=None) -> tuple[Tensor, Tensor]:
    """The 1,797 digit images and their labels, as ``(images, labels)`` tensors.

    - ``images``: float32 (or ``dtype=``) in ``[0, 1]``, shape ``(1797, 8, 8)``; with
      ``flatten=True`` shape ``(1797, 64)`` for an MLP; with ``channel_dim=True``
      shape ``(1797, 1, 8, 8)``, the ``(N, C, H, W)`` layout a ``Conv2d`` expects.
    - ``labels``: int64 digits 0-9, shape ``(1797,)``, ready for ``CrossEntropyLoss``.

    The order is the data set's own (not grouped by class). For a held-out test set use
    ``autograd_core.datasets.train_test_split`` or ``utils.data.random_split`` with a seed.

    Example::

        x, y = load_digits(flatten=True)
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    """
    from ..dtypes import as_dtype, get_default_dtype
    from ..factories import from_numpy

    if flatten and channel_dim:
        raise ValueError("choose flatten=True (N, 64) or channel_dim=True (N, 1, 8, 8), not both")
    images, labels = _arrays()
    target = get_default_dtype() if dtype is None else as_dtype(dtype)
    if not target.is_floating_point:
        raise TypeError(f"images are scaled to [0, 1] and need a floating dtype, got {target}")
    x = images.astype(target.numpy) / target.numpy.type(16)
    if flatten:
        x = x.reshape(N_IMAGES, 64)
    elif channel_dim:
        x = x.reshape(N_IMAGES, 1, 8, 8)
    return from_numpy(np.ascontiguousarray(x)), from_numpy(labels.astype(np.int64))


__all__ = ["load_digits"]
