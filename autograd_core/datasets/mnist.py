"""MNIST and Fashion-MNIST from IDX files you already have (this library never downloads).

Both data sets come as four files in the IDX format, usually gzipped::

    train-images-idx3-ubyte.gz   60,000 images of 28x28 pixels
    train-labels-idx1-ubyte.gz   their labels 0-9
    t10k-images-idx3-ubyte.gz    10,000 test images
    t10k-labels-idx1-ubyte.gz    their labels

Put them (gzipped or not) in ``<root>/MNIST/raw/`` or ``<root>/FashionMNIST/raw/`` (the
layout torchvision uses, so an existing torchvision download works as it is), or directly
in ``<root>``. `load_mnist` returns tensors; `MNIST` and `FashionMNIST` are datasets in
torchvision's style.

The IDX format is simple enough to read by hand: a 4-byte magic number (two zero bytes,
a type code, e.g. ``0x08`` for unsigned bytes, and the number of dimensions), then each
dimension as a big-endian 32-bit integer, then the values in C order, big endian.
"""

from __future__ import annotations

import gzip
import operator
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..utils.data.dataset import Dataset

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

_KINDS = {
    "mnist": ("MNIST", "https://yann.lecun.com/exdb/mnist/ (or a mirror of it)"),
    "fashion": ("FashionMNIST", "https://github.com/zalandoresearch/fashion-mnist "
                                "(folder data/fashion)"),
}
_ALIASES = {"mnist": "mnist", "fashion": "fashion", "fashion-mnist": "fashion",
            "fashion_mnist": "fashion", "fashionmnist": "fashion"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzipped or not: detected from its first bytes) into a NumPy array.

    Raises ``RuntimeError`` naming the file when it is not IDX or is truncated.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise RuntimeError(f"{path} is a damaged or truncated gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number {raw[:4]!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path} is truncated (its header is incomplete)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise RuntimeError(f"{path} should hold {expected} bytes of data for shape {shape}, but "
                           f"holds {len(raw) - header}: the file is truncated or damaged")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _kind(kind: str) -> str:
    key = _ALIASES.get(str(kind).lower())
    if key is None:
        raise ValueError(f"kind must be 'mnist' or 'fashion', got {kind!r}")
    return key


def _find(root: str, folder: str, stem: str) -> str | None:
    """The first existing file for ``stem`` among the usual names and places."""
    names = [stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"]
    for directory in (os.path.join(root, folder, "raw"), os.path.join(root, folder), root):
        for name in names:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
    return None


def _paths(root: str | os.PathLike, kind: str, train: bool) -> tuple[str, str]:
    root = os.fspath(root)
    folder, source = _KINDS[kind]
    prefix = "train" if train else "t10k"
    stems = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    found = [_find(root, folder, s) for s in stems]
    if None in found:
        missing = [s for s, p in zip(stems, found) if p is None]
        raise FileNotFoundError(
            f"{folder} {'training' if train else 'test'} files not found: missing "
            f"{', '.join(m + '[.gz]' for m in missing)}. This library reads local files only "
            f"and never downloads. Get the four files (train-images-idx3-ubyte.gz, "
            f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
            f"from {source} and put them, gzipped or not, in "
            f"{os.path.join(os.path.abspath(root), folder, 'raw')} (or directly in "
            f"{os.path.abspath(root)})."
        )
    return found[0], found[1]  # type: ignore[return-value]


def _load_arrays(root, kind: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    image_path, label_path = _paths(root, kind, train)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3:
        raise RuntimeError(f"{image_path} should hold images of shape (N, rows, cols), got "
                           f"{images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise RuntimeError(f"{label_path} has {labels.shape} labels for {len(images)} images in "
                           f"{image_path}")
    return images, labels


def load_mnist(root: str | os.PathLike, kind: str = "mnist", train: bool = True,
               dtype=None) -> tuple[Tensor, Tensor]:
    """``(images, labels)`` of MNIST (``kind='mnist'``) or Fashion-MNIST (``kind='fashion'``).

    ``images``: float32 (or ``dtype=``) in ``[0, 1]`` (pixel / 255), shape (N, 28, 28);
    ``labels``: int64, shape (N,). ``train=False`` gives the 10,000 test images.
    A ``FileNotFoundError`` says which files are missing and where to put them.
    """
    from ..dtypes import as_dtype, get_default_dtype
    from ..factories import from_numpy

    images, labels = _load_arrays(root, _kind(kind), train)
    target = get_default_dtype() if dtype is None else as_dtype(dtype)
    x = images.astype(target.numpy) / target.numpy.type(255)
    return from_numpy(x), from_numpy(labels.astype(np.int64))


class MNIST(Dataset):
    """The MNIST digits as a dataset: ``ds[i]`` is ``(image, label)``.

    ``image`` is a float32 tensor of shape (1, 28, 28) in ``[0, 1]`` (the ``(C, H, W)`` a
    ``Conv2d`` expects; ``x.flatten(1)`` a batch of them for an MLP), ``label`` an int.
    ``transform`` / ``target_transform`` are applied to each image / label when given.
    ``.data`` holds all images (N, 28, 28) and ``.targets`` all labels, as tensors.
    Files are looked up as described in the module docstring; ``download=True`` is refused
    because this library works offline.
    """

    kind = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable[[Tensor], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None, download: bool = False) -> None:
        if download:
            folder, source = _KINDS[self.kind]
            raise RuntimeError(f"download=True is not supported: autograd_core never downloads. "
                               f"Get the files from {source} and put them in "
                               f"{os.path.join(os.path.abspath(os.fspath(root)), folder, 'raw')}")
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images, labels = load_mnist(root, self.kind, train)
        self.data = images
        self.targets = labels

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from ..utils.data.dataset import _take

        n = len(self)
        i = operator.index(index)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} with {n} images")
        i %= n
        image = _take(self.data, slice(i, i + 1))  # shape (1, 28, 28): one channel
        label = int(self.targets._data[i])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _collated(self, indices) -> list | None:
        """A whole batch in one indexing step (used by `DataLoader` when no transforms)."""
        if self.transform is not None or self.target_transform is not None:
            return None
        from ..utils.data.dataset import _index_array, _take

        idx = _index_array(self.data, indices)
        images = _take(self.data, idx)
        n, h, w = images.shape
        return [images.reshape(n, 1, h, w), _take(self.targets, idx)]

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28x28 images of 10 kinds of clothing; same layout and
    interface as `MNIST`."""

    kind = "fashion"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]


__all__ = ["MNIST", "FashionMNIST", "load_mnist", "read_idx"]
