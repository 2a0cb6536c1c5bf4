"""Padding layers: constant, zero, reflection, replication and circular padding of the last
1, 2 or 3 dimensions (``ConstantPad1d`` .. ``CircularPad3d``).

Each holds ``padding`` as a tuple in `nn.functional.pad`'s order, (left, right) for 1-D,
(left, right, top, bottom) for 2-D, (left, right, top, bottom, front, back) for 3-D; an int
pads every side by the same amount. The gradient of a padding is the slice of the output
gradient over the input (summed where reflect/replicate/circular reuse an element).
"""

from __future__ import annotations

from autograd_core import Tensor

from .. import functional as F
from ..module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _padding_tuple(padding, dims: int) -> tuple:
    if isinstance(padding, (list, tuple)):
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * dims:
            raise ValueError(f"padding must be an int or a tuple of {2 * dims} ints for a "
                             f"{dims}-D padding, got {padding}")
        return padding
    return (int(padding),) * (2 * dims)


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding_tuple(padding, self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dimension with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dimensions with zeros."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dimensions with zeros."""

    _dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last dimension at its edges, without repeating the edge: for
    [a, b, c] and padding 2, [c, b, a, b, c, b, a]."""

    _dims = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dimensions at their edges."""

    _dims = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last three dimensions at their edges."""

    _dims = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dimension: [a, b, c] -> [a, a, a, b, c, c, c]."""

    _dims = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dimensions."""

    _dims = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dimensions."""

    _dims = 3
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.ndim}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap the last dimension around (periodic boundary): [a, b, c] -> [b, c, a, b, c, a, b]."""

    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dimensions around (a torus)."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dimensions around."""

    _dims = 3
