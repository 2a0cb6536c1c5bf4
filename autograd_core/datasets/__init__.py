"""Data sets that work offline, on a fresh machine.

- The lectures' toy problems, generated on the spot (`toy`): `and_gate`, `or_gate`,
  `xor`, `concentric_circles`, `moons`, `spirals`; the regression targets `square`
  (x^2 on [-1, 1]), `reciprocal` (1/x on [1, 100]) and `sine` (sin x on [1, 2 pi]);
  `sine_wave_sequences` for recurrent networks.
- Real data shipped inside the package: `load_digits`, the UCI 8x8 handwritten digits
  (1,797 images, CC BY 4.0; see ``DIGITS_LICENSE.txt``).
- Readers for files you already have: `load_mnist`, `MNIST`, `FashionMNIST` (IDX files,
  gzipped or not; nothing is ever downloaded).
- `train_test_split` to hold out a test set.

Everything returns tensors: inputs float32, class labels int64. Wrap them in
``autograd_core.utils.data.TensorDataset`` to iterate in mini-batches.
"""

from .digits import load_digits
from .mnist import MNIST, FashionMNIST, load_mnist, read_idx
from .split import train_test_split
from .toy import (
    and_gate,
    concentric_circles,
    moons,
    or_gate,
    reciprocal,
    sine,
    sine_wave_sequences,
    spirals,
    square,
    xor,
)

__all__ = [
    "FashionMNIST", "MNIST", "and_gate", "concentric_circles", "load_digits", "load_mnist",
    "moons", "or_gate", "read_idx", "reciprocal", "sine", "sine_wave_sequences", "spirals",
    "square", "train_test_split", "xor",
]
